// Full sweeps (the Sweeper with a real SQLite store) against the Odoo double,
// over JSON-RPC (Odoo 17) and JSON-2 (Odoo 19): every entity is read, each
// call task reaches Odoo exactly once across repeated sweeps, a lost answer
// and a lost store, and a handoff changes the salesperson once.
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "adapters/odoo/odoo_adapter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "sidecar/store/store.h"
#include "sidecar/sweep/sweeper.h"
#include "tests/adapters/odoo/odoo_double.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::Json;
using ::pulse::testing::OdooDouble;
using ::pulse::testing::OdooDoubleOptions;
using ::pulse::testing::OdooFault;
using ::testing::HasSubstr;

std::string OdooDay(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::UTCTimeZone()); }

class OdooSweepTest : public ::testing::TestWithParam<int> {
 protected:
  OdooSweepTest() : odoo_(DoubleOptions()) {}

  OdooDoubleOptions DoubleOptions() {
    OdooDoubleOptions o;
    o.version = GetParam();
    return o;
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("odoo_sweep_", getpid(), "_", GetParam());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    odoo_.SetNow("2025-11-24 08:00:00");
    const int64_t eur = odoo_.Add("res.currency", {{"name", "EUR"}});
    const int64_t alice_p = odoo_.Add("res.partner", {{"name", "Alice"}});
    const int64_t cs_p = odoo_.Add("res.partner", {{"name", "Customer Service"}});
    alice_ = odoo_.Add("res.users", {{"name", "Alice"}, {"login", "alice"}, {"partner_id", alice_p}});
    cs_ = odoo_.Add("res.users", {{"name", "Customer Service"}, {"login", "cs"}, {"partner_id", cs_p}});
    auto orders = [&](int64_t partner, const char* first, const char* last, int gap_days, double amount) {
      for (absl::Time t = *ParseIsoTime(first); t <= *ParseIsoTime(last); t += absl::Hours(24) * gap_days) {
        odoo_.Add("sale.order", {{"name", "S"}, {"partner_id", partner}, {"date_order", OdooDay(t)},
                                 {"amount_total", amount}, {"currency_id", eur}, {"state", "sale"}});
      }
    };
    for (int i = 0; i < 4; ++i) {
      const int64_t id = odoo_.Add("res.partner", {{"name", absl::StrCat("Stopped ", i)},
                                                   {"is_company", true},
                                                   {"user_id", i % 2 == 0 ? Json(alice_) : Json(false)}});
      stopped_.push_back(id);
      orders(id, "2024-01-05", "2025-06-20", 21, 500 + i);
    }
    steady_ = odoo_.Add("res.partner", {{"name", "Steady"}, {"is_company", true}, {"user_id", alice_}});
    orders(steady_, "2024-01-05", "2025-11-20", 14, 300);
    const int64_t buyer = odoo_.Add("res.partner", {{"name", "Buyer"}, {"parent_id", steady_}});
    odoo_.Add("mail.message", {{"model", "res.partner"}, {"res_id", buyer}, {"message_type", "email"},
                               {"date", "2025-11-10 10:00:00"}, {"author_id", buyer}, {"subject", "Order"}});
    odoo_.Add("calendar.event", {{"name", "Visit"}, {"start", "2025-11-12 10:00:00"}, {"user_id", alice_},
                                 {"partner_ids", {alice_p, buyer}}});
    odoo_.Add("helpdesk.ticket", {{"name", "Late delivery"}, {"partner_id", buyer}, {"priority", "1"}});
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  OdooOptions Options() {
    OdooOptions o;
    o.url = odoo_.url();
    o.database = odoo_.options().database;
    o.username = odoo_.options().login;
    o.api_key = odoo_.options().api_key;
    o.page_size = 40;
    o.http.timeout = absl::Milliseconds(800);
    o.http.retry.sleep = [](absl::Duration) {};
    return o;
  }

  // A sweep with a fresh adapter (as after a restart) over the store at `db`.
  absl::StatusOr<pulse::v1::SweepReport> Sweep(const std::string& db) {
    StoreOptions so;
    so.path = (dir_ / db).string();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(so);
    if (!store.ok()) return store.status();
    absl::StatusOr<std::unique_ptr<CrmAdapter>> adapter = MakeOdooAdapter(Options());
    if (!adapter.ok()) return adapter.status();
    PulseConfig config;
    config.store_path = so.path;
    config.engine.contact.pool_user_ids = {absl::StrCat(cs_)};
    // Every planned task is written: no holdout in these tests.
    config.engine.contact.holdout_share = {{"key", 0}, {"mid", 0}, {"tail", 0}};
    config.engine.feedback.enabled = false;  // risk tasks only
    config.engine.recognition.enabled = false;
    Sweeper sweeper(std::move(*adapter), store->get(), config);
    SweepRequest r;
    r.as_of = *ParseIsoTime("2025-11-25");
    return sweeper.Run(r, nullptr);
  }

  int64_t Read(const pulse::v1::SweepReport& report, const std::string& entity) {
    for (const auto& e : report.entities()) {
      if (e.entity() == entity) return e.read();
    }
    return -1;
  }

  OdooDouble odoo_;
  std::filesystem::path dir_;
  int64_t alice_ = 0, cs_ = 0, steady_ = 0;
  std::vector<int64_t> stopped_;
};

INSTANTIATE_TEST_SUITE_P(Apis, OdooSweepTest, ::testing::Values(17, 19),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param >= 19 ? std::string("Json2") : std::string("JsonRpc");
                         });

TEST_P(OdooSweepTest, ReadsEveryEntityAndWritesEachTaskOnce) {
  // The first create's answer is lost: the adapter finds the activity instead
  // of writing it again.
  OdooFault lost;
  lost.kind = OdooFault::Kind::kStallAfterWork;
  lost.model = "mail.activity";
  lost.method = "create";
  odoo_.AddFault(lost);
  PULSE_ASSERT_OK_AND_ASSIGN(pulse::v1::SweepReport first, Sweep("pulse.db"));
  ASSERT_TRUE(first.succeeded()) << first.error();
  EXPECT_EQ(first.rejected_total(), 0);
  EXPECT_EQ(Read(first, "users"), 3);  // the bot, Alice, customer service
  EXPECT_EQ(Read(first, "accounts"), 6);  // the own company too
  EXPECT_GE(Read(first, "contacts"), 1);
  EXPECT_GT(Read(first, "orders"), 100);
  EXPECT_EQ(Read(first, "cases"), 1);
  EXPECT_EQ(Read(first, "activities"), 2);
  EXPECT_EQ(first.tasks_planned(), 4) << "the four companies that stopped ordering";
  EXPECT_EQ(first.tasks_pending(), 0);
  EXPECT_THAT(first.task_destination(), HasSubstr("Odoo at http://127.0.0.1"));
  std::vector<Json> activities = odoo_.All("mail.activity");
  ASSERT_EQ(activities.size(), 4u);
  for (const Json& a : activities) {
    const int64_t partner = a["res_id"].get<int64_t>();
    const bool owned = partner == stopped_[0] || partner == stopped_[2];
    EXPECT_EQ(a["user_id"], owned ? alice_ : cs_) << "unowned accounts go to the pool";
    EXPECT_EQ(a["activity_type_id"], odoo_.Ref("mail.mail_activity_data_call"));
    EXPECT_THAT(a["note"].get<std::string>(), HasSubstr("Pulse task key: pulse:"));
  }

  // Again, with the same store: nothing new is even attempted.
  const int creates = odoo_.Calls("mail.activity", "create");
  PULSE_ASSERT_OK_AND_ASSIGN(pulse::v1::SweepReport second, Sweep("pulse.db"));
  ASSERT_TRUE(second.succeeded()) << second.error();
  EXPECT_EQ(second.tasks_planned(), 0);
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), creates);

  // The store is lost (a crash before it recorded anything): the same tasks
  // are planned again and found in Odoo by their keys.
  PULSE_ASSERT_OK_AND_ASSIGN(pulse::v1::SweepReport after_crash, Sweep("fresh.db"));
  ASSERT_TRUE(after_crash.succeeded()) << after_crash.error();
  EXPECT_EQ(after_crash.tasks_planned(), 4);
  EXPECT_EQ(after_crash.tasks_pending(), 0);
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), creates);
  EXPECT_EQ(odoo_.All("mail.activity").size(), 4u);
}

TEST_P(OdooSweepTest, AHandoffChangesTheSalespersonOnce) {
  ASSERT_THAT(Sweep("pulse.db"), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<CrmAdapter> adapter, MakeOdooAdapter(Options()));
  OwnerChangeRequest handoff;
  handoff.key = "handoff:1";
  handoff.account_id = absl::StrCat(stopped_[1]);
  handoff.from_owner_id = "";
  handoff.to_owner_id = absl::StrCat(alice_);
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult first, adapter->ChangeOwner(handoff));
  EXPECT_FALSE(first.already_applied);
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult again, adapter->ChangeOwner(handoff));
  EXPECT_TRUE(again.already_applied);
  EXPECT_EQ(odoo_.Calls("res.partner", "write"), 1);
  // The next sweep reads the account with its new salesperson, though the
  // write has the same write_date (to the second) as the last read's newest.
  ASSERT_THAT(Sweep("pulse.db"), IsOk());
  StoreOptions so;
  so.path = (dir_ / "pulse.db").string();
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(so));
  PULSE_ASSERT_OK_AND_ASSIGN(CustomerData data, store->LoadCustomerData());
  bool found = false;
  for (const Account& a : data.accounts) {
    if (a.id == absl::StrCat(stopped_[1])) {
      found = true;
      EXPECT_EQ(a.owner_id, absl::StrCat(alice_));
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace pulse
