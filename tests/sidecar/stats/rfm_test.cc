// Tests of RFM summaries: building from purchase times, validation, and the
// CSV loader's acceptance of both layouts and its line-numbered errors.
#include "sidecar/stats/rfm.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sidecar/stats/cdnow_data.h"
#include "tests/testing/status_matchers.h"

namespace pulse::stats {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

// Writes `text` to a fresh file under the test's temporary directory.
std::string WriteFile(const std::string& name, const std::string& text) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/pulse_rfm_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(RfmFromPurchaseTimesTest, CountsRepeatPurchasesFromTheFirst) {
  PULSE_ASSERT_OK_AND_ASSIGN(RfmSummary s, RfmFromPurchaseTimes({3.0, 5.0, 10.0}, 12.0));
  EXPECT_EQ(s.x, 2);
  EXPECT_EQ(s.t_x, 7);
  EXPECT_EQ(s.T, 9);
  PULSE_ASSERT_OK_AND_ASSIGN(RfmSummary one, RfmFromPurchaseTimes({4.0}, 4.0));
  EXPECT_EQ(one.x, 0);
  EXPECT_EQ(one.t_x, 0);
  EXPECT_EQ(one.T, 0);
}

TEST(RfmFromPurchaseTimesTest, RejectsBadInput) {
  EXPECT_THAT(RfmFromPurchaseTimes({}, 1.0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RfmFromPurchaseTimes({1.0, 1.0}, 2.0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("distinct")));
  EXPECT_THAT(RfmFromPurchaseTimes({2.0, 1.0}, 3.0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RfmFromPurchaseTimes({1.0, 5.0}, 4.0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before the last purchase")));
}

TEST(ValidateRfmTest, AcceptsConsistentAndRejectsInconsistentSummaries) {
  EXPECT_THAT(ValidateRfm({2, 30.43, 38.86}), IsOk());
  EXPECT_THAT(ValidateRfm({0, 0, 10}), IsOk());
  EXPECT_THAT(ValidateRfm({-1, 0, 10}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRfm({1.5, 2, 10}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whole number")));
  EXPECT_THAT(ValidateRfm({2, 11, 10}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after T")));
  EXPECT_THAT(ValidateRfm({0, 3, 10}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRfm({2, 0, 10}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRfm({1, 1, 10, -2}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRfm({1, NAN, 10}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadRfmSummaryCsvTest, ReadsTheCdnowSummaryWithIds) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<RfmSummary> rows,
                             LoadRfmSummaryCsv(testing::CdnowPath("cdnow_customers_summary.csv")));
  ASSERT_EQ(rows.size(), 2357u);
  EXPECT_EQ(rows[0].id, "1");
  EXPECT_EQ(rows[0].x, 2);
  EXPECT_DOUBLE_EQ(rows[0].t_x, 30.43);
  EXPECT_DOUBLE_EQ(rows[0].T, 38.86);
  EXPECT_EQ(rows[1515].id, "1516");
  EXPECT_EQ(rows[1515].x, 26);
}

TEST(LoadRfmSummaryCsvTest, ReadsTheXTxLayoutIgnoringExtraColumns) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      std::vector<RfmSummary> rows,
      LoadRfmSummaryCsv(testing::CdnowPath("cdnow_customers_summary_with_transactions.csv")));
  ASSERT_EQ(rows.size(), 2357u);
  EXPECT_EQ(rows[0].x, 2);
  EXPECT_DOUBLE_EQ(rows[0].t_x, 30.43);
}

TEST(LoadRfmSummaryCsvTest, IdColumnIsOptional) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<RfmSummary> rows,
                             LoadRfmSummaryCsv(WriteFile("noid.csv", "x,t_x,T\n1,2,3\n0,0,3\n")));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "");
}

TEST(LoadRfmSummaryCsvTest, RejectsTheFileOnABadRowNamingTheLine) {
  const std::string header = "ID,frequency,recency,T\n";
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("nan.csv", header + "1,2,3,4\n2,abc,3,4\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nan.csv:3: frequency 'abc' is not a number")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("empty_field.csv", header + "1,2,3,4\n2,1,,4\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("empty_field.csv:3: recency is empty")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("late.csv", header + "1,2,3,4\n2,1,5,4\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("late.csv:3: t_x 5")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("frac.csv", header + "1,2.5,3,4\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("frac.csv:2:")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("neg.csv", header + "1,1,1,4\n\n7,-1,0,4\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("neg.csv:4:")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("quote.csv", header + "1,1,1,4\n\"2,1,1,4\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quote.csv:3:")));
}

TEST(LoadRfmSummaryCsvTest, RejectsMissingColumnsEmptyFilesAndMissingFiles) {
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("cols.csv", "ID,frequency,T\n1,2,3\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("frequency,recency,T")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("noT.csv", "x,t_x\n1,2\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("T column")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("header_only.csv", "ID,x,t_x,T\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no data rows")));
  EXPECT_THAT(LoadRfmSummaryCsv(WriteFile("empty.csv", "")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadRfmSummaryCsv("/nonexistent/summary.csv"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pulse::stats
