#include "sidecar/common/csv_reader.h"

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
