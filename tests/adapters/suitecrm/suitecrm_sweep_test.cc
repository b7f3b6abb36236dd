// Whole sweeps (sync, score, plan, outbox, deliver) with the real SQLite
// store against the SuiteCRM double: tasks land exactly once across repeated
// sweeps and after a create whose answer was lost, and a handoff lands once.
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/suitecrm/suitecrm_adapter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/cli/app.h"
#include "sidecar/config/config.h"
#include "sidecar/store/store.h"
#include "sidecar/sweep/sweeper.h"
#include "tests/adapters/suitecrm/suitecrm_double.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::SuiteCrmDouble;
using ::pulse::testing::SuiteCrmFault;
using json = nlohmann::json;

absl::Time Day(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone()); }

std::string DayText(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

class SuiteCrmSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crm_.Add("Users", {{"first_name", "Alice"}, {"last_name", "Smith"}, {"status", "Active"}}, "u-alice");
    crm_.Add("Users", {{"first_name", "Service"}, {"last_name", "Desk"}, {"status", "Active"}}, "u-desk");
    crm_.Add("Users", {{"first_name", "Gone"}, {"last_name", "User"}, {"status", "Inactive"}}, "u-gone");
    // Four accounts that ordered every 21 days and stopped in June, one that
    // keeps ordering, one whose owner left.
    for (int i = 0; i < 4; ++i) AddCustomer(absl::StrCat("stopped", i), "u-alice", Day(2025, 6, 20), 500 + i);
    AddCustomer("steady", "u-alice", Day(2025, 11, 20), 300);
    AddCustomer("orphaned", "u-gone", Day(2025, 6, 20), 800);

    StoreOptions store_options;
    store_options.path = ":memory:";
    auto store = Store::Open(store_options);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    config_.store_path = ":memory:";
    config_.engine.contact.pool_user_ids = {"u-desk"};
    // Every planned task is written: no holdout in these tests.
    config_.engine.contact.holdout_share = {{"key", 0}, {"mid", 0}, {"tail", 0}};
    config_.engine.feedback.enabled = false;  // risk tasks only
    config_.engine.recognition.enabled = false;

    SuiteCrmOptions o;
    o.base_url = crm_.BaseUrl();
    o.client_id = crm_.options().client_id;
    o.secrets.client_secret = crm_.options().client_secret;
    o.username = crm_.options().username;
    o.secrets.password = crm_.options().password;
    o.deletions = SuiteCrmOptions::Deletions::kLegacyApi;
    o.page_size = 25;
    o.http.timeout = absl::Milliseconds(400);
    o.http.retry.sleep = [](absl::Duration) {};
    o.http.breaker.failure_threshold = 0;
    o.now = [this] { return crm_.Now(); };
    auto adapter = MakeSuiteCrmAdapter(o);
    ASSERT_THAT(adapter, IsOk());
    adapter_ = adapter->get();
    sweeper_ = std::make_unique<Sweeper>(std::move(*adapter), store_.get(), config_);
  }

  void AddCustomer(const std::string& name, const std::string& owner, absl::Time last_order, int amount) {
    const std::string id = crm_.Add("Accounts", {{"name", name}, {"assigned_user_id", owner}, {"date_entered", "2023-01-02 10:00:00"}}, name);
    for (absl::Time t = Day(2024, 1, 5); t <= last_order; t += absl::Hours(24 * 21)) {
      crm_.Add("AOS_Invoices", {{"billing_account_id", id}, {"invoice_date", DayText(t)},
                                {"total_amount", absl::StrCat(amount, ".000000")}, {"status", "Paid"}});
    }
  }

  absl::StatusOr<pulse::v1::SweepReport> Sweep() {
    SweepRequest r;
    r.as_of = Day(2025, 11, 25);
    return sweeper_->Run(r, nullptr);
  }

  // Task keys in the CRM, with how many tasks carry each.
  std::map<std::string, int> CrmTaskKeys() {
    std::map<std::string, int> keys;
    for (const json& t : crm_.Records("Tasks")) {
      const std::string d = t["description"].get<std::string>();
      const size_t at = d.rfind("pulse-key: ");
      keys[at == std::string::npos ? "(none)" : d.substr(at + 11)]++;
    }
    return keys;
  }

  void MakeOutboxDue() {
    auto due = store_->DueTasks(absl::Now() + absl::Hours(1));
    ASSERT_THAT(due, IsOk());
    for (const TaskRecord& t : *due) {
      ASSERT_THAT(store_->MarkTaskAttemptFailed(t.request.key, "test", absl::Now() - absl::Seconds(1), false), IsOk());
    }
  }

  SuiteCrmDouble crm_;
  std::unique_ptr<Store> store_;
  PulseConfig config_;
  CrmAdapter* adapter_ = nullptr;
  std::unique_ptr<Sweeper> sweeper_;
};

TEST_F(SuiteCrmSweepTest, TasksLandOnceAcrossRepeatedSweeps) {
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->succeeded()) << first->error();
  EXPECT_EQ(first->accounts_scored(), 6);
  EXPECT_EQ(first->tasks_planned(), 5);  // the four that stopped and the one whose owner left
  EXPECT_EQ(first->tasks_created(), 5);
  EXPECT_EQ(first->tasks_pending(), 0);
  std::map<std::string, int> keys = CrmTaskKeys();
  ASSERT_EQ(keys.size(), 5u);
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << key;
  for (const json& t : crm_.Records("Tasks")) {
    EXPECT_EQ(t["parent_type"], "Accounts");
    EXPECT_NE(t["date_due"], "") << "a due date SuiteCRM kept";
    EXPECT_NE(t["assigned_user_id"], "u-gone");
  }

  crm_.Advance(absl::Hours(1));
  auto second = Sweep();
  ASSERT_THAT(second, IsOk());
  ASSERT_TRUE(second->succeeded()) << second->error();
  EXPECT_EQ(second->tasks_created(), 0);
  EXPECT_EQ(CrmTaskKeys(), keys);
  EXPECT_EQ(crm_.RequestsTo("/Api/V8/module", "POST").size(), 5u) << "no create was even attempted twice";
}

TEST_F(SuiteCrmSweepTest, ACreateWhoseAnswerWasLostIsFoundByTheLookupThatFollows) {
  SuiteCrmFault late;
  late.kind = SuiteCrmFault::Kind::kAcceptThenTimeout;
  late.method = "POST";
  late.path_contains = "/Api/V8/module";
  crm_.AddFault(late);
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->succeeded()) << first->error();
  EXPECT_EQ(first->tasks_pending(), 0);
  EXPECT_EQ(crm_.Records("Tasks").size(), 5u);
  for (const auto& [key, n] : CrmTaskKeys()) EXPECT_EQ(n, 1) << key;
}

TEST_F(SuiteCrmSweepTest, ACreateWhoseAnswerAndCheckWereLostIsDeliveredOnceByTheNextSweep) {
  // The create is stored but its answer lost, and the lookup after it fails
  // too: the task stays pending in the outbox, delivery stops for this sweep.
  SuiteCrmFault late;
  late.kind = SuiteCrmFault::Kind::kAcceptThenTimeout;
  late.method = "POST";
  late.path_contains = "/Api/V8/module";
  crm_.AddFault(late);
  SuiteCrmFault check_down;
  check_down.method = "GET";
  check_down.path_contains = "/module/Tasks";
  check_down.skip = 1;   // the lookup before the create goes through
  check_down.times = 4;  // every attempt of the transport
  crm_.AddFault(check_down);
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->succeeded()) << first->error();
  EXPECT_EQ(first->tasks_failed(), 1);
  EXPECT_EQ(first->tasks_pending(), 5);
  EXPECT_EQ(crm_.Records("Tasks").size(), 1u) << "SuiteCRM stored the one whose answer was lost";

  MakeOutboxDue();
  auto second = Sweep();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->tasks_pending(), 0);
  EXPECT_EQ(crm_.Records("Tasks").size(), 5u);
  const std::map<std::string, int> keys = CrmTaskKeys();
  EXPECT_EQ(keys.size(), 5u);
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(crm_.RequestsTo("/Api/V8/module", "POST").size(), 5u);
}

TEST_F(SuiteCrmSweepTest, AHandoffLandsOnceAndIsReadBack) {
  ASSERT_THAT(Sweep(), IsOk());
  OwnerChangeRequest change;
  change.key = "handoff:orphaned:u-desk";
  change.account_id = "orphaned";
  change.from_owner_id = "u-gone";
  change.to_owner_id = "u-desk";
  change.changed_at = crm_.Now();
  crm_.Advance(absl::Minutes(5));
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult first, adapter_->ChangeOwner(change));
  EXPECT_FALSE(first.already_applied);
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult second, adapter_->ChangeOwner(change));
  EXPECT_TRUE(second.already_applied);
  EXPECT_EQ(crm_.RequestsTo("/Api/V8/module", "PATCH").size(), 1u);
  crm_.Advance(absl::Minutes(5));
  ASSERT_THAT(Sweep(), IsOk());
  auto data = store_->LoadCustomerData();
  ASSERT_THAT(data, IsOk());
  for (const Account& a : data->accounts) {
    if (a.id == "orphaned") {
      EXPECT_EQ(a.owner_id, "u-desk");
    }
  }
}

TEST_F(SuiteCrmSweepTest, ADeletedAccountLeavesTheStore) {
  ASSERT_THAT(Sweep(), IsOk());
  crm_.Advance(absl::Minutes(10));
  crm_.Delete("Accounts", "steady");
  ASSERT_THAT(Sweep(), IsOk());
  auto data = store_->LoadCustomerData();
  ASSERT_THAT(data, IsOk());
  std::set<std::string> ids;
  for (const Account& a : data->accounts) ids.insert(a.id);
  EXPECT_EQ(ids.count("steady"), 0u);
  EXPECT_EQ(ids.size(), 5u);
}

TEST(SuiteCrmFromConfigTest, TheYamlAndACredentialsFileMakeAWorkingAdapter) {
  SuiteCrmDouble crm;
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream secret(dir + "/suitecrm-secret");
    secret << "client_secret=" << crm.options().client_secret << "\n";
  }
  const std::string yaml = absl::StrCat("store: {path: ':memory:'}\nadapter:\n  type: suitecrm\n",
                                        "  credentials_file: suitecrm-secret\n  suitecrm:\n    base_url: ",
                                        crm.BaseUrl(), "\n    client_id: ", crm.options().client_id,
                                        "\n    task_module: Calls\n");
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig config, ParseConfig(yaml, dir));
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<CrmAdapter> adapter, MakeAdapter(config.adapter));
  EXPECT_EQ(adapter->Name(), "suitecrm");
  EXPECT_THAT(adapter->TaskDestination(), ::testing::HasSubstr("SuiteCRM Calls at"));
  EXPECT_THAT(adapter->Ping(), IsOk());
  std::remove((dir + "/suitecrm-secret").c_str());
}

}  // namespace
}  // namespace pulse
