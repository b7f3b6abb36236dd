// The CSV data set on disk: exact headers, parseable rows, byte-identical
// reruns, and the same records as the in-memory generator.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/csv_reader.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

DemoParams Params(uint64_t seed = 7) {
  DemoParams p;
  p.accounts = 400;
  p.seed = seed;
  p.end_day = absl::CivilDay(2025, 11, 25);
  p.years_of_history = 2;
  return p;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory under the test's temporary directory, removed afterwards.
class DemoDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            absl::StrCat("pulse_demo_", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                         ::getpid());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Dir(absl::string_view name) const { return (root_ / std::string(name)).string(); }

  fs::path root_;
};

const std::vector<std::pair<std::string, std::string>>& ExpectedHeaders() {
  static const auto* const kHeaders = new std::vector<std::pair<std::string, std::string>>{
      {"users.csv", "id,name,email,active,weekly_capacity"},
      {"accounts.csv", "id,name,owner_id,industry,country,created_at,tier,do_not_contact"},
      {"contacts.csv", "id,account_id,name,email,role,active,updated_at"},
      {"orders.csv", "id,account_id,ordered_at,amount,currency"},
      {"order_lines.csv", "order_id,sku,product,quantity,amount"},
      {"cases.csv", "id,account_id,opened_at,first_response_at,closed_at,status,category,priority,subject"},
      {"activities.csv", "id,account_id,type,direction,occurred_at,user_id,subject"},
      {"engagement.csv", "account_id,period_start,sent,opened,clicked"},
      {"feedback.csv", "account_id,received_at,score,scale,comment"},
      {"demo_truth.csv", "account_id,scenario,fade_start"},
  };
  return *kHeaders;
}

TEST_F(DemoDatasetTest, WritesEveryFileWithItsExactHeaderAndParseableRows) {
  auto summary = WriteDemoDataset(Params(), Dir("out"), false);
  ASSERT_THAT(summary, IsOk());
  std::vector<std::string> names;
  for (const auto& [name, header] : ExpectedHeaders()) names.push_back(name);
  EXPECT_EQ(DemoDatasetFiles(), names);

  absl::flat_hash_map<std::string, int64_t> rows;
  for (const auto& [name, header] : ExpectedHeaders()) {
    const std::string text = ReadAll(fs::path(Dir("out")) / name);
    ASSERT_EQ(text.substr(0, header.size() + 1), header + "\n") << name;
    auto reader = CsvReader::Open((fs::path(Dir("out")) / name).string());
    ASSERT_THAT(reader, IsOk()) << name;
    EXPECT_EQ(absl::StrJoin((*reader)->header(), ","), header);
    CsvRow row;
    std::string error;
    while ((*reader)->Next(&row, &error)) {
      ASSERT_TRUE(error.empty()) << name << ": " << error;
      ASSERT_EQ(row.size(), (*reader)->header().size()) << name << " line " << row.line();
      ++rows[name];
    }
  }
  EXPECT_FALSE(fs::exists(fs::path(Dir("out")) / "users.csv.tmp"));
  EXPECT_EQ(rows["users.csv"], summary->users);
  EXPECT_EQ(rows["accounts.csv"], 400);
  EXPECT_EQ(summary->accounts, 400);
  EXPECT_EQ(rows["demo_truth.csv"], 400);
  EXPECT_EQ(rows["contacts.csv"], summary->contacts);
  EXPECT_EQ(rows["orders.csv"], summary->orders);
  EXPECT_EQ(rows["order_lines.csv"], summary->order_lines);
  EXPECT_EQ(rows["cases.csv"], summary->cases);
  EXPECT_EQ(rows["activities.csv"], summary->activities);
  EXPECT_EQ(rows["engagement.csv"], summary->engagement);
  EXPECT_EQ(rows["feedback.csv"], summary->feedback);
  EXPECT_THAT(summary->pool_user_ids, ::testing::ElementsAre("cs-1", "cs-2"));
  EXPECT_FALSE(summary->departed_user_id.empty());
  int64_t by_scenario = 0;
  for (const auto& [scenario, n] : summary->accounts_by_scenario) {
    EXPECT_TRUE(ParseDemoScenario(scenario).has_value()) << scenario;
    by_scenario += n;
  }
  EXPECT_EQ(by_scenario, 400);
}

TEST_F(DemoDatasetTest, SameParamsGiveByteIdenticalFilesAndAnotherSeedDoesNot) {
  ASSERT_THAT(WriteDemoDataset(Params(7), Dir("a"), false), IsOk());
  ASSERT_THAT(WriteDemoDataset(Params(7), Dir("b"), false), IsOk());
  ASSERT_THAT(WriteDemoDataset(Params(8), Dir("c"), false), IsOk());
  for (const std::string& name : DemoDatasetFiles()) {
    const std::string a = ReadAll(fs::path(Dir("a")) / name);
    EXPECT_EQ(a, ReadAll(fs::path(Dir("b")) / name)) << name;
    EXPECT_NE(a, ReadAll(fs::path(Dir("c")) / name)) << name;
  }
}

TEST_F(DemoDatasetTest, FilesHoldTheSameRecordsAsTheInMemoryGenerator) {
  DemoTruth truth;
  auto data = GenerateDemoData(Params(), &truth);
  ASSERT_THAT(data, IsOk());
  ASSERT_THAT(WriteDemoDataset(Params(), Dir("out"), false), IsOk());

  auto accounts = CsvReader::Open((fs::path(Dir("out")) / "accounts.csv").string());
  ASSERT_THAT(accounts, IsOk());
  CsvRow row;
  std::string error;
  size_t i = 0;
  while ((*accounts)->Next(&row, &error)) {
    ASSERT_LT(i, data->accounts.size());
    const Account& a = data->accounts[i++];
    EXPECT_EQ(row.Get("id"), a.id);
    EXPECT_EQ(row.Get("name"), a.name);  // names with commas come back whole
    EXPECT_EQ(row.Get("owner_id"), a.owner_id);
    EXPECT_EQ(row.Get("tier"), TierName(a.crm_tier));
    auto created = ParseIsoTime(row.Get("created_at"));
    ASSERT_THAT(created, IsOk());
    EXPECT_EQ(*created, *a.created_at);
  }
  EXPECT_EQ(i, data->accounts.size());

  // Orders and their lines: amounts with two decimals, lines summing to the order.
  absl::flat_hash_map<std::string, double> line_sums;
  auto lines = CsvReader::Open((fs::path(Dir("out")) / "order_lines.csv").string());
  ASSERT_THAT(lines, IsOk());
  while ((*lines)->Next(&row, &error)) {
    double amount = 0;
    ASSERT_TRUE(absl::SimpleAtod(row.Get("amount"), &amount)) << row.Get("amount");
    line_sums[std::string(row.Get("order_id"))] += amount;
  }
  auto orders = CsvReader::Open((fs::path(Dir("out")) / "orders.csv").string());
  ASSERT_THAT(orders, IsOk());
  i = 0;
  while ((*orders)->Next(&row, &error)) {
    ASSERT_LT(i, data->orders.size());
    const Order& o = data->orders[i++];
    EXPECT_EQ(row.Get("id"), o.id);
    const absl::string_view amount_text = row.Get("amount");
    ASSERT_GE(amount_text.size(), 4u);
    EXPECT_EQ(amount_text[amount_text.size() - 3], '.') << amount_text;
    double amount = 0;
    ASSERT_TRUE(absl::SimpleAtod(amount_text, &amount));
    EXPECT_NEAR(amount, o.amount, 0.005);
    EXPECT_NEAR(line_sums[o.id], amount, 0.01) << o.id;
    auto at = ParseIsoTime(row.Get("ordered_at"));
    ASSERT_THAT(at, IsOk());
    EXPECT_EQ(*at, o.ordered_at);
  }
  EXPECT_EQ(i, data->orders.size());

  auto truth_file = CsvReader::Open((fs::path(Dir("out")) / "demo_truth.csv").string());
  ASSERT_THAT(truth_file, IsOk());
  i = 0;
  while ((*truth_file)->Next(&row, &error)) {
    const DemoAccountTruth& t = truth.accounts[i++];
    EXPECT_EQ(row.Get("account_id"), t.account_id);
    EXPECT_EQ(row.Get("scenario"), DemoScenarioName(t.scenario));
    EXPECT_EQ(row.Get("fade_start"), t.fade_start ? FormatIsoDay(*t.fade_start) : "");
  }
  EXPECT_EQ(i, truth.accounts.size());
}

TEST_F(DemoDatasetTest, RefusesToOverwriteUnlessAsked) {
  ASSERT_THAT(WriteDemoDataset(Params(7), Dir("out"), false), IsOk());
  const std::string before = ReadAll(fs::path(Dir("out")) / "orders.csv");
  EXPECT_THAT(WriteDemoDataset(Params(8), Dir("out"), false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("users.csv")));
  EXPECT_EQ(ReadAll(fs::path(Dir("out")) / "orders.csv"), before);
  ASSERT_THAT(WriteDemoDataset(Params(8), Dir("out"), true), IsOk());
  EXPECT_NE(ReadAll(fs::path(Dir("out")) / "orders.csv"), before);
}

TEST_F(DemoDatasetTest, CreatesMissingDirectories) {
  ASSERT_THAT(WriteDemoDataset(Params(), Dir("deep/er/out"), false), IsOk());
  EXPECT_TRUE(fs::exists(fs::path(Dir("deep/er/out")) / "users.csv"));
}

TEST_F(DemoDatasetTest, RejectsBadParamsWithoutTouchingTheDisk) {
  DemoParams p = Params();
  p.accounts = 3;
  EXPECT_THAT(WriteDemoDataset(p, Dir("out"), false), StatusIs(absl::StatusCode::kInvalidArgument));
  p = Params();
  p.years_of_history = 0;
  EXPECT_THAT(WriteDemoDataset(p, Dir("out"), false), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(fs::exists(Dir("out")));
}

TEST_F(DemoDatasetTest, ReportsADirectoryThatCannotBeCreated) {
  fs::create_directories(root_);
  std::ofstream(root_ / "a_file") << "x";
  EXPECT_THAT(WriteDemoDataset(Params(), (root_ / "a_file" / "out").string(), false),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("a_file")));
}

}  // namespace
}  // namespace pulse
