#include "adapters/csv/keyed_csv_log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/csv/csv_folder.h"
#include "tests/testing/status_matchers.h"

namespace pulse::csv_internal {
namespace {

using ::pulse::testing::CsvFolder;
using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kColumns = {"key", "a"};

TEST(KeyedCsvLogTest, CreatesTheFileWithHeaderAndQuotesFields) {
  CsvFolder dir;
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  ASSERT_THAT(log.Lock(), IsOk());
  EXPECT_FALSE(log.Contains("k1"));
  ASSERT_THAT(log.Append({{"key", "k1"}, {"a", "x, \"y\"\nz"}}), IsOk());
  EXPECT_TRUE(log.Contains("k1"));
  log.Unlock();
  EXPECT_EQ(dir.Read("log.csv"), "key,a\nk1,\"x, \"\"y\"\"\nz\"\n");
}

TEST(KeyedCsvLogTest, KeysSurviveANewInstanceAndAnotherWritersAppends) {
  CsvFolder dir;
  KeyedCsvLog first(dir.File("log.csv"), kColumns);
  ASSERT_THAT(first.Lock(), IsOk());
  ASSERT_THAT(first.Append({{"key", "k1"}, {"a", "1"}}), IsOk());
  first.Unlock();

  KeyedCsvLog second(dir.File("log.csv"), kColumns);
  ASSERT_THAT(second.Lock(), IsOk());
  EXPECT_TRUE(second.Contains("k1"));
  ASSERT_THAT(second.Append({{"key", "k2"}, {"a", "2"}}), IsOk());
  second.Unlock();

  // `first` kept its keys, but the file grew under it: it must look again.
  ASSERT_THAT(first.Lock(), IsOk());
  EXPECT_TRUE(first.Contains("k2"));
  first.Unlock();
}

TEST(KeyedCsvLogTest, CutsATornLastRecord) {
  CsvFolder dir;
  dir.Write("log.csv", "key,a\nk1,x\nk2,y");
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  ASSERT_THAT(log.Lock(), IsOk());
  EXPECT_TRUE(log.Contains("k1"));
  EXPECT_FALSE(log.Contains("k2"));
  ASSERT_THAT(log.Append({{"key", "k2"}, {"a", "y"}}), IsOk());
  log.Unlock();
  EXPECT_EQ(dir.Read("log.csv"), "key,a\nk1,x\nk2,y\n");
}

TEST(KeyedCsvLogTest, CutsARecordTornInsideAQuotedLineEnd) {
  CsvFolder dir;
  dir.Write("log.csv", "key,a\nk1,x\nk2,\"first line\n");
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  ASSERT_THAT(log.Lock(), IsOk());
  EXPECT_FALSE(log.Contains("k2"));
  log.Unlock();
  EXPECT_EQ(dir.Read("log.csv"), "key,a\nk1,x\n");
}

TEST(KeyedCsvLogTest, AStrayQuoteInsideAFieldDoesNotOpenQuotes) {
  CsvFolder dir;
  const std::string text = "key,a\nk1,5\" screen\nk2,y\n";
  dir.Write("log.csv", text);
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  ASSERT_THAT(log.Lock(), IsOk());
  EXPECT_TRUE(log.Contains("k2"));
  log.Unlock();
  EXPECT_EQ(dir.Read("log.csv"), text);
}

TEST(KeyedCsvLogTest, ReplacesATornHeader) {
  CsvFolder dir;
  dir.Write("log.csv", "key,");
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  ASSERT_THAT(log.Lock(), IsOk());
  ASSERT_THAT(log.Append({{"key", "k1"}}), IsOk());
  log.Unlock();
  EXPECT_EQ(dir.Read("log.csv"), "key,a\nk1,\n");
}

TEST(KeyedCsvLogTest, WritesInTheFilesOwnColumnOrder) {
  CsvFolder dir;
  dir.Write("log.csv", "A,Extra,Key\n");
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  ASSERT_THAT(log.Lock(), IsOk());
  ASSERT_THAT(log.Append({{"key", "k1"}, {"a", "x"}}), IsOk());
  log.Unlock();
  EXPECT_EQ(dir.Read("log.csv"), "A,Extra,Key\nx,,k1\n");
}

TEST(KeyedCsvLogTest, AHeaderWithoutAColumnIsFailedPrecondition) {
  CsvFolder dir;
  dir.Write("log.csv", "key,b\n");
  KeyedCsvLog log(dir.File("log.csv"), kColumns);
  EXPECT_THAT(log.Lock(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("missing required column 'a'")));
  // Not left locked: a second attempt says the same, not "locked twice".
  EXPECT_THAT(log.Lock(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(KeyedCsvLogTest, VisitsEveryRowOnEachReload) {
  CsvFolder dir;
  dir.Write("log.csv", "key,a\nk1,x\nk2,y\n");
  std::vector<std::string> seen;
  KeyedCsvLog log(
      dir.File("log.csv"), kColumns, [&] { seen.clear(); },
      [&](const CsvRow& row) { seen.push_back(std::string(row.Get("a"))); });
  ASSERT_THAT(log.Lock(), IsOk());
  log.Unlock();
  EXPECT_THAT(seen, ElementsAre("x", "y"));
  dir.Append("log.csv", "k3,z\n");
  ASSERT_THAT(log.Lock(), IsOk());
  log.Unlock();
  EXPECT_THAT(seen, ElementsAre("x", "y", "z"));
}

}  // namespace
}  // namespace pulse::csv_internal
