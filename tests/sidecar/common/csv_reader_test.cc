#include "sidecar/common/csv_reader.h"
#include "sidecar/common/csv_writer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

std::unique_ptr<CsvReader> Reader(const std::string& text) {
  auto r = CsvReader::FromString("t.csv", text);
  EXPECT_THAT(r, IsOk());
  return r.ok() ? std::move(*r) : nullptr;
}

TEST(CsvReader, ReadsByColumnNameWithQuotesAndLineNumbers) {
  auto r = Reader("\xEF\xBB\xBFId, Name ,Note\r\n1,\"Oy, Ab\",\"said \"\"hi\"\"\"\r\n2,\"two\nlines\",x\n\n3,c,\n");
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->header(), ::testing::ElementsAre("id", "name", "note"));
  CsvRow row;
  std::string err;
  ASSERT_TRUE(r->Next(&row, &err));
  EXPECT_EQ(err, "");
  EXPECT_EQ(row.line(), 2);
  EXPECT_EQ(row.Get("name"), "Oy, Ab");
  EXPECT_EQ(row.Get("note"), "said \"hi\"");
  ASSERT_TRUE(r->Next(&row, &err));
  EXPECT_EQ(row.line(), 3);
  EXPECT_EQ(row.Get("name"), "two\nlines");
  ASSERT_TRUE(r->Next(&row, &err));
  EXPECT_EQ(row.line(), 6);  // the blank line 5 is skipped
  EXPECT_EQ(row.Get("id"), "3");
  EXPECT_EQ(row.Get("note"), "");
  EXPECT_EQ(row.Get("missing"), "");
  EXPECT_FALSE(r->Next(&row, &err));
}

TEST(CsvReader, SyntaxErrorsAreReportedAndSkipped) {
  auto r = Reader("a,b\n1,2,3\nx\"y,2\n\"open,2\n");
  ASSERT_NE(r, nullptr);
  CsvRow row;
  std::string err;
  ASSERT_TRUE(r->Next(&row, &err));
  EXPECT_THAT(err, HasSubstr("line 2: 3 fields but the header has 2"));
  EXPECT_EQ(row.size(), 0u);
  ASSERT_TRUE(r->Next(&row, &err));
  EXPECT_THAT(err, HasSubstr("line 3: stray quote"));
  ASSERT_TRUE(r->Next(&row, &err));
  EXPECT_THAT(err, HasSubstr("line 4: unterminated quoted field"));
  EXPECT_FALSE(r->Next(&row, &err));
}

TEST(CsvReader, HeaderProblems) {
  EXPECT_THAT(CsvReader::FromString("e.csv", ""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(CsvReader::FromString("d.csv", "id,ID\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'id' twice")));
  auto r = Reader("id,name\n");
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->RequireColumns({"id", "amount"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.csv: missing required column 'amount'")));
  EXPECT_THAT(CsvReader::Open("/nonexistent/x.csv"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pulse

namespace pulse {
namespace {

TEST(CsvWriter, QuotesOnlyWhenNeededAndReadsBack) {
  const std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
  const std::string record = FormatCsvRecord(fields);
  EXPECT_EQ(record, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
  auto reader = CsvReader::FromString("w.csv", "c1,c2,c3,c4,c5\n" + record);
  ASSERT_TRUE(reader.ok());
  CsvRow row;
  std::string err;
  ASSERT_TRUE((*reader)->Next(&row, &err));
  EXPECT_EQ(err, "");
  for (size_t i = 0; i < fields.size(); ++i) EXPECT_EQ(row.Get("c" + std::to_string(i + 1)), fields[i]);
}

}  // namespace
}  // namespace pulse
