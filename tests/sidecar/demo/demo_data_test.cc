// Invariants of the generated data set, checked in memory: the story it tells
// must be the one demo_truth says, and nothing may be dated after end_day.
#include "sidecar/demo/demo_data.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kAccounts = 3000;
const absl::CivilDay kEndDay(2025, 11, 25);

DemoParams Params() {
  DemoParams p;
  p.accounts = kAccounts;
  p.seed = 20251125;
  p.end_day = kEndDay;
  p.years_of_history = 3;
  return p;
}

class DemoDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    truth_ = new DemoTruth;
    auto data = GenerateDemoData(Params(), truth_);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = new CustomerData(std::move(*data));
    for (size_t i = 0; i < truth_->accounts.size(); ++i) by_id_[truth_->accounts[i].account_id] = i;
  }
  static void TearDownTestSuite() {
    delete data_;
    delete truth_;
    data_ = nullptr;
    truth_ = nullptr;
  }

  static const DemoAccountTruth& Truth(const std::string& account_id) {
    return truth_->accounts[by_id_.at(account_id)];
  }
  static absl::flat_hash_map<std::string, std::vector<const Order*>> OrdersByAccount() {
    absl::flat_hash_map<std::string, std::vector<const Order*>> out;
    for (const Order& o : data_->orders) out[o.account_id].push_back(&o);
    return out;
  }
  static std::vector<const DemoAccountTruth*> WithScenario(DemoScenario s) {
    std::vector<const DemoAccountTruth*> out;
    for (const auto& t : truth_->accounts) {
      if (t.scenario == s) out.push_back(&t);
    }
    return out;
  }

  static CustomerData* data_;
  static DemoTruth* truth_;
  static std::map<std::string, size_t> by_id_;
};

CustomerData* DemoDataTest::data_ = nullptr;
DemoTruth* DemoDataTest::truth_ = nullptr;
std::map<std::string, size_t> DemoDataTest::by_id_;

TEST_F(DemoDataTest, GeneratesTheRequestedAccountsAndTruthForEach) {
  ASSERT_EQ(data_->accounts.size(), static_cast<size_t>(kAccounts));
  ASSERT_EQ(truth_->accounts.size(), static_cast<size_t>(kAccounts));
  for (size_t i = 0; i < data_->accounts.size(); ++i) {
    EXPECT_EQ(truth_->accounts[i].account_id, data_->accounts[i].id);
  }
}

TEST_F(DemoDataTest, IdsAreUnique) {
  auto unique = [](const auto& records) {
    absl::flat_hash_set<std::string> ids;
    for (const auto& r : records) {
      if (!ids.insert(r.id).second) return false;
    }
    return true;
  };
  EXPECT_TRUE(unique(data_->users));
  EXPECT_TRUE(unique(data_->accounts));
  EXPECT_TRUE(unique(data_->contacts));
  EXPECT_TRUE(unique(data_->orders));
  EXPECT_TRUE(unique(data_->cases));
  EXPECT_TRUE(unique(data_->activities));
  EXPECT_TRUE(unique(data_->engagement));
  EXPECT_TRUE(unique(data_->feedback));
}

TEST_F(DemoDataTest, NothingIsDatedAfterEndDay) {
  auto check = [](absl::Time t, const std::string& what) {
    EXPECT_LE(UtcDay(t), kEndDay) << what << " at " << FormatIsoTime(t);
  };
  for (const Account& a : data_->accounts) check(*a.created_at, a.id);
  for (const Contact& c : data_->contacts) check(*c.updated_at, c.id);
  for (const Order& o : data_->orders) check(o.ordered_at, o.id);
  for (const Case& c : data_->cases) {
    check(c.opened_at, c.id);
    if (c.first_response_at) check(*c.first_response_at, c.id);
    if (c.closed_at) check(*c.closed_at, c.id);
  }
  for (const Activity& a : data_->activities) check(a.occurred_at, a.id);
  for (const EngagementPeriod& e : data_->engagement) EXPECT_LE(e.period_start, kEndDay) << e.id;
  for (const Feedback& f : data_->feedback) check(f.received_at, f.id);
  for (const auto& t : truth_->accounts) {
    if (t.fade_start) {
      EXPECT_LE(*t.fade_start, kEndDay) << t.account_id;
    }
  }
}

TEST_F(DemoDataTest, HistorySpansTheRequestedYears) {
  absl::Time first = absl::InfiniteFuture();
  for (const Order& o : data_->orders) first = std::min(first, o.ordered_at);
  const absl::CivilDay start(2022, 11, 26);
  EXPECT_GE(UtcDay(first), start);
  EXPECT_LE(UtcDay(first), start + 14);
}

TEST_F(DemoDataTest, OrderLinesSumToOrderAmounts) {
  for (const Order& o : data_->orders) {
    ASSERT_FALSE(o.lines.empty()) << o.id;
    double sum = 0;
    for (const OrderLine& l : o.lines) {
      sum += l.amount;
      EXPECT_FALSE(l.sku.empty());
      EXPECT_NE(l.quantity, 0) << o.id;
      EXPECT_EQ(l.quantity > 0, l.amount > 0) << o.id;  // a return credits what it takes back
    }
    ASSERT_NEAR(sum, o.amount, 0.01) << o.id;
    EXPECT_EQ(o.currency, "EUR");
    // Two decimals: amounts are whole cents.
    EXPECT_NEAR(o.amount * 100, std::round(o.amount * 100), 1e-6) << o.id;
  }
}

TEST_F(DemoDataTest, EveryRecordReferencesAnExistingAccountAndUser) {
  absl::flat_hash_set<std::string> accounts, users;
  for (const Account& a : data_->accounts) accounts.insert(a.id);
  for (const User& u : data_->users) users.insert(u.id);
  for (const Account& a : data_->accounts) {
    if (!a.owner_id.empty()) {
      EXPECT_TRUE(users.contains(a.owner_id)) << a.id;
    }
  }
  for (const Contact& c : data_->contacts) EXPECT_TRUE(accounts.contains(c.account_id)) << c.id;
  for (const Order& o : data_->orders) EXPECT_TRUE(accounts.contains(o.account_id)) << o.id;
  for (const Case& c : data_->cases) EXPECT_TRUE(accounts.contains(c.account_id)) << c.id;
  for (const Activity& a : data_->activities) {
    EXPECT_TRUE(accounts.contains(a.account_id)) << a.id;
    EXPECT_TRUE(users.contains(a.user_id)) << a.id;
  }
  for (const EngagementPeriod& e : data_->engagement) EXPECT_TRUE(accounts.contains(e.account_id)) << e.id;
  for (const Feedback& f : data_->feedback) EXPECT_TRUE(accounts.contains(f.account_id)) << f.id;
}

TEST_F(DemoDataTest, SellersCoverAboutSixtyAccountsEach) {
  int sellers = 0;
  for (const User& u : data_->users) {
    if (absl::string_view(u.id).substr(0, 3) == "cs-") continue;
    ++sellers;
    ASSERT_TRUE(u.weekly_capacity.has_value());
    EXPECT_GE(*u.weekly_capacity, 10);
    EXPECT_LE(*u.weekly_capacity, 25);
  }
  EXPECT_EQ(sellers, kAccounts / 60);
}

TEST_F(DemoDataTest, ExactlyOneInactiveSellerAndTheyStillOwnAccounts) {
  std::vector<std::string> inactive;
  for (const User& u : data_->users) {
    if (!u.active) inactive.push_back(u.id);
  }
  ASSERT_EQ(inactive.size(), 1u);
  EXPECT_EQ(inactive[0], truth_->departed_user_id);
  int owned = 0;
  for (const Account& a : data_->accounts) {
    if (a.owner_id == inactive[0]) {
      ++owned;
      EXPECT_EQ(Truth(a.id).scenario, DemoScenario::kOwnerLeft) << a.id;
    }
  }
  EXPECT_GE(owned, 1);
  for (const auto* t : WithScenario(DemoScenario::kOwnerLeft)) {
    ASSERT_TRUE(t->fade_start.has_value());
    // The departed seller logs nothing after leaving.
    for (const Activity& a : data_->activities) {
      if (a.account_id == t->account_id && a.user_id == inactive[0]) {
        EXPECT_LT(UtcDay(a.occurred_at), *t->fade_start) << a.id;
      }
    }
  }
}

TEST_F(DemoDataTest, PoolUsersAreActiveAndOwnNoAccounts) {
  EXPECT_THAT(truth_->pool_user_ids, ::testing::ElementsAre("cs-1", "cs-2"));
  for (const User& u : data_->users) {
    if (u.id == "cs-1" || u.id == "cs-2") {
      EXPECT_TRUE(u.active);
      EXPECT_EQ(u.weekly_capacity, 30);
    }
  }
  for (const Account& a : data_->accounts) {
    EXPECT_NE(a.owner_id, "cs-1");
    EXPECT_NE(a.owner_id, "cs-2");
  }
}

TEST_F(DemoDataTest, KeyAccountsAreFewAndHoldMuchOfTheRevenue) {
  absl::flat_hash_map<std::string, double> revenue;
  double total = 0;
  for (const Order& o : data_->orders) {
    revenue[o.account_id] += o.amount;
    total += o.amount;
  }
  double key = 0;
  int keys = 0, mids = 0;
  for (const auto& t : truth_->accounts) {
    if (t.tier == Tier::kKey) {
      ++keys;
      key += revenue[t.account_id];
    }
    if (t.tier == Tier::kMid) ++mids;
  }
  EXPECT_GT(keys, kAccounts * 0.015);
  EXPECT_LT(keys, kAccounts * 0.05);
  EXPECT_GT(mids, kAccounts * 0.15);
  EXPECT_LT(mids, kAccounts * 0.25);
  EXPECT_GT(key / total, 0.35);
  EXPECT_LT(key / total, 0.60);
}

TEST_F(DemoDataTest, ManyTailAccountsAreUnownedButKeyAndMidAreOwned) {
  int tail = 0, unowned_tail = 0, unowned = 0;
  for (const Account& a : data_->accounts) {
    const Tier tier = Truth(a.id).tier;
    if (a.owner_id.empty()) ++unowned;
    if (tier == Tier::kTail) {
      ++tail;
      if (a.owner_id.empty()) ++unowned_tail;
    } else {
      EXPECT_FALSE(a.owner_id.empty()) << a.id;
    }
  }
  EXPECT_NEAR(static_cast<double>(unowned_tail) / tail, 0.60, 0.05);
  EXPECT_NEAR(static_cast<double>(unowned) / kAccounts, 0.46, 0.05);
}

TEST_F(DemoDataTest, CrmTierIsMostlyEmptyAndDoNotContactIsRare) {
  int with_tier = 0, dnc = 0;
  for (const Account& a : data_->accounts) {
    if (a.crm_tier != Tier::kUnspecified) {
      ++with_tier;
      EXPECT_EQ(a.crm_tier, Truth(a.id).tier) << a.id;
    }
    if (a.do_not_contact) ++dnc;
  }
  EXPECT_LT(with_tier, kAccounts * 0.1);
  EXPECT_GT(dnc, 0);
  EXPECT_LT(dnc, kAccounts * 0.03);
}

TEST_F(DemoDataTest, ScenarioSharesAreNearTheirTargets) {
  std::map<DemoScenario, int> count;
  for (const auto& t : truth_->accounts) ++count[t.scenario];
  auto share = [&](DemoScenario s) { return static_cast<double>(count[s]) / kAccounts; };
  EXPECT_NEAR(share(DemoScenario::kFading), 0.08, 0.02);
  EXPECT_NEAR(share(DemoScenario::kStopped), 0.04, 0.015);
  EXPECT_NEAR(share(DemoScenario::kComplaints), 0.04, 0.015);
  EXPECT_NEAR(share(DemoScenario::kContactGap), 0.05, 0.015);
  EXPECT_NEAR(share(DemoScenario::kKeyContactLeft), 0.03, 0.015);
  EXPECT_NEAR(share(DemoScenario::kGrowing), 0.06, 0.02);
  EXPECT_NEAR(share(DemoScenario::kSeasonal), 0.06, 0.02);
  EXPECT_NEAR(share(DemoScenario::kNew), 0.04, 0.015);
  EXPECT_GT(share(DemoScenario::kSteady), 0.5);
  EXPECT_GT(count[DemoScenario::kOwnerLeft], 0);
}

TEST_F(DemoDataTest, FadingAccountsOrderLessInTheLast180Days) {
  const auto orders = OrdersByAccount();
  const absl::CivilDay cut = kEndDay - 180;
  const absl::CivilDay history_start(2022, 11, 26);
  int lower = 0, total = 0;
  double recent_sum = 0, expected_sum = 0;
  for (const auto* t : WithScenario(DemoScenario::kFading)) {
    ASSERT_TRUE(t->fade_start.has_value());
    const Account& a = data_->accounts[by_id_.at(t->account_id)];
    const absl::CivilDay first = std::max(history_start, UtcDay(*a.created_at));
    int recent = 0, earlier = 0;
    auto it = orders.find(t->account_id);
    if (it != orders.end()) {
      for (const Order* o : it->second) {
        if (o->amount < 0) continue;
        (UtcDay(o->ordered_at) > cut ? recent : earlier)++;
      }
    }
    const double expected = earlier * 180.0 / static_cast<double>(cut - first);
    ++total;
    if (recent < expected) ++lower;
    recent_sum += recent;
    expected_sum += expected;
  }
  ASSERT_GT(total, 100);
  EXPECT_GE(lower, total * 0.95) << lower << " of " << total;
  EXPECT_LT(recent_sum, expected_sum * 0.5);
}

TEST_F(DemoDataTest, FadingAccountsOpenFewerNewsletters) {
  absl::flat_hash_map<std::string, std::pair<double, double>> before, after;  // opened, sent
  for (const EngagementPeriod& e : data_->engagement) {
    const auto& t = Truth(e.account_id);
    if (t.scenario != DemoScenario::kFading) continue;
    auto& bucket = e.period_start < absl::CivilDay(*t.fade_start) ? before : after;
    bucket[""].first += e.opened;
    bucket[""].second += e.sent;
  }
  ASSERT_GT(before[""].second, 0);
  ASSERT_GT(after[""].second, 0);
  EXPECT_LT(after[""].first / after[""].second, 0.7 * before[""].first / before[""].second);
}

TEST_F(DemoDataTest, StoppedAccountsHaveNoOrdersAfterTheStop) {
  const auto orders = OrdersByAccount();
  for (const auto* t : WithScenario(DemoScenario::kStopped)) {
    ASSERT_TRUE(t->fade_start.has_value());
    EXPECT_GE(kEndDay - *t->fade_start, 60);
    EXPECT_LE(kEndDay - *t->fade_start, 180);
    auto it = orders.find(t->account_id);
    if (it == orders.end()) continue;
    for (const Order* o : it->second) {
      if (o->amount > 0) {
        EXPECT_LE(UtcDay(o->ordered_at), *t->fade_start) << o->id;
      }
    }
  }
}

TEST_F(DemoDataTest, ComplainingAccountsHaveARecentBurstOfSlowCases) {
  absl::flat_hash_map<std::string, std::vector<const Case*>> cases;
  for (const Case& c : data_->cases) cases[c.account_id].push_back(&c);
  const auto complaining = WithScenario(DemoScenario::kComplaints);
  ASSERT_FALSE(complaining.empty());
  int unresolved = 0;
  for (const auto* t : complaining) {
    ASSERT_TRUE(t->fade_start.has_value());
    EXPECT_LE(kEndDay - *t->fade_start, 90);
    std::map<std::string, int> by_category;
    int recent = 0, responded = 0, slow = 0;
    for (const Case* c : cases[t->account_id]) {
      if (UtcDay(c->opened_at) < *t->fade_start) continue;
      ++recent;
      ++by_category[c->category];
      if (c->IsOpen()) ++unresolved;
      if (c->first_response_at) {
        ++responded;
        if (*c->first_response_at - c->opened_at >= absl::Hours(24)) ++slow;
      }
    }
    EXPECT_GE(recent, 3) << t->account_id;
    // The burst's cases wait for days; an ordinary case in between may not.
    EXPECT_GT(slow * 2, responded) << t->account_id;
    int most = 0;
    for (const auto& [category, n] : by_category) most = std::max(most, n);
    EXPECT_GE(most, 3) << t->account_id << ": the same problem repeats";
  }
  EXPECT_GT(unresolved, static_cast<int>(complaining.size()));
}

TEST_F(DemoDataTest, OrdinaryCasesGetAnswersWithinHours) {
  std::vector<double> hours;
  int closed = 0, all = 0;
  for (const Case& c : data_->cases) {
    if (Truth(c.account_id).scenario == DemoScenario::kComplaints) continue;
    ++all;
    if (c.closed_at) ++closed;
    if (c.first_response_at) hours.push_back(absl::ToDoubleHours(*c.first_response_at - c.opened_at));
  }
  ASSERT_FALSE(hours.empty());
  std::sort(hours.begin(), hours.end());
  EXPECT_LT(hours[hours.size() / 2], 4.0);
  EXPECT_GT(closed, all * 0.9);
}

TEST_F(DemoDataTest, ContactGapAccountsHaveNoContactForSixMonths) {
  absl::flat_hash_map<std::string, absl::Time> last_activity;
  for (const Activity& a : data_->activities) {
    auto [it, inserted] = last_activity.try_emplace(a.account_id, a.occurred_at);
    if (!inserted) it->second = std::max(it->second, a.occurred_at);
  }
  for (const auto* t : WithScenario(DemoScenario::kContactGap)) {
    ASSERT_TRUE(t->fade_start.has_value());
    EXPECT_GE(kEndDay - *t->fade_start, 183);
    EXPECT_FALSE(data_->accounts[by_id_.at(t->account_id)].owner_id.empty()) << t->account_id;
    auto it = last_activity.find(t->account_id);
    if (it != last_activity.end()) {
      EXPECT_LT(UtcDay(it->second), *t->fade_start) << t->account_id;
    }
  }
}

TEST_F(DemoDataTest, OwnedSteadyAccountsHearFromTheirOwner) {
  absl::flat_hash_map<std::string, absl::Time> last_by_owner;
  absl::flat_hash_map<std::string, std::string> owner;
  for (const Account& a : data_->accounts) owner[a.id] = a.owner_id;
  for (const Activity& a : data_->activities) {
    if (a.user_id != owner[a.account_id]) continue;
    auto [it, inserted] = last_by_owner.try_emplace(a.account_id, a.occurred_at);
    if (!inserted) it->second = std::max(it->second, a.occurred_at);
  }
  int steady = 0, recent = 0;
  for (const auto* t : WithScenario(DemoScenario::kSteady)) {
    if (owner[t->account_id].empty() || t->tier == Tier::kTail) continue;
    ++steady;
    auto it = last_by_owner.find(t->account_id);
    if (it != last_by_owner.end() && kEndDay - UtcDay(it->second) < 120) ++recent;
  }
  ASSERT_GT(steady, 0);
  EXPECT_GT(recent, steady * 0.95);
}

TEST_F(DemoDataTest, KeyContactLeftAccountsHaveARecentlyDeactivatedBuyer) {
  absl::flat_hash_map<std::string, std::vector<const Contact*>> contacts;
  for (const Contact& c : data_->contacts) contacts[c.account_id].push_back(&c);
  for (const auto* t : WithScenario(DemoScenario::kKeyContactLeft)) {
    ASSERT_TRUE(t->fade_start.has_value());
    EXPECT_LE(kEndDay - *t->fade_start, 90);
    bool found = false;
    for (const Contact* c : contacts[t->account_id]) {
      if (!c->active && UtcDay(*c->updated_at) == *t->fade_start) found = true;
    }
    EXPECT_TRUE(found) << t->account_id;
  }
}

TEST_F(DemoDataTest, NewAccountsAreRecentWithOneToThreeOrders) {
  const auto orders = OrdersByAccount();
  for (const auto* t : WithScenario(DemoScenario::kNew)) {
    const Account& a = data_->accounts[by_id_.at(t->account_id)];
    EXPECT_LE(kEndDay - UtcDay(*a.created_at), 90) << a.id;
    EXPECT_NE(t->tier, Tier::kKey);
    auto it = orders.find(t->account_id);
    ASSERT_NE(it, orders.end()) << a.id;
    int positive = 0;
    for (const Order* o : it->second) positive += o->amount > 0 ? 1 : 0;
    EXPECT_GE(positive, 1) << a.id;
    EXPECT_LE(positive, 3) << a.id;
  }
}

TEST_F(DemoDataTest, GrowingAccountsOrderMoreInTheLastYear) {
  const auto orders = OrdersByAccount();
  double first_year = 0, last_year = 0;
  for (const auto* t : WithScenario(DemoScenario::kGrowing)) {
    auto it = orders.find(t->account_id);
    if (it == orders.end()) continue;
    for (const Order* o : it->second) {
      const absl::CivilDay d = UtcDay(o->ordered_at);
      if (d > kEndDay - 365) last_year += o->amount;
      if (d < absl::CivilDay(2023, 11, 26)) first_year += o->amount;
    }
  }
  EXPECT_GT(last_year, 1.5 * first_year);
}

TEST_F(DemoDataTest, SeasonalAccountsOrderInAFewMonthsOnly) {
  const auto orders = OrdersByAccount();
  for (const auto* t : WithScenario(DemoScenario::kSeasonal)) {
    auto it = orders.find(t->account_id);
    if (it == orders.end()) continue;
    std::set<int> months;
    for (const Order* o : it->second) {
      if (o->amount > 0) months.insert(UtcDay(o->ordered_at).month());
    }
    EXPECT_LE(months.size(), 7u) << t->account_id;  // a season of up to six months, weekend spill-over
    EXPECT_EQ(months.count(12) + months.count(1), 0u) << t->account_id;
  }
}

TEST_F(DemoDataTest, PriceTalkAppearsAroundFadingAccounts) {
  int price_talk = 0;
  for (const Activity& a : data_->activities) {
    const auto s = Truth(a.account_id).scenario;
    if ((s == DemoScenario::kFading || s == DemoScenario::kStopped) &&
        (a.subject == "Asking for a discount" || a.subject == "Hintapyyntö / alennus" ||
         a.subject == "Competitor offered lower price")) {
      ++price_talk;
    }
  }
  EXPECT_GT(price_talk, 10);
}

TEST_F(DemoDataTest, FeedbackScoresAreOnTheirScales) {
  for (const Feedback& f : data_->feedback) {
    if (f.scale == FeedbackScale::kNps) {
      EXPECT_GE(f.score, 0);
      EXPECT_LE(f.score, 10);
    } else {
      EXPECT_GE(f.score, 1);
      EXPECT_LE(f.score, 5);
    }
  }
  for (const EngagementPeriod& e : data_->engagement) {
    EXPECT_GT(e.sent, 0);
    EXPECT_LE(e.opened, e.sent);
    EXPECT_LE(e.clicked, e.opened);
    EXPECT_EQ(e.period_start.day(), 1);
  }
}

TEST(DemoDataParamsTest, SameParamsGiveTheSameData) {
  DemoParams p = Params();
  p.accounts = 200;
  auto a = GenerateDemoData(p, nullptr);
  auto b = GenerateDemoData(p, nullptr);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_EQ(a->orders.size(), b->orders.size());
  for (size_t i = 0; i < a->orders.size(); ++i) {
    EXPECT_EQ(a->orders[i].id, b->orders[i].id);
    EXPECT_EQ(a->orders[i].ordered_at, b->orders[i].ordered_at);
    EXPECT_EQ(a->orders[i].amount, b->orders[i].amount);
  }
  p.seed += 1;
  auto c = GenerateDemoData(p, nullptr);
  ASSERT_THAT(c, IsOk());
  EXPECT_NE(a->accounts[0].name + a->accounts[1].name + a->accounts[2].name,
            c->accounts[0].name + c->accounts[1].name + c->accounts[2].name);
}

TEST(DemoDataParamsTest, SmallestDataSetStillHasADepartedSellerWithAccounts) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    DemoParams p = Params();
    p.accounts = 10;
    p.seed = seed;
    p.years_of_history = 1;
    DemoTruth truth;
    auto data = GenerateDemoData(p, &truth);
    ASSERT_THAT(data, IsOk());
    EXPECT_EQ(data->users.size(), 5u);  // three sellers and the pool
    int owned = 0;
    for (const Account& a : data->accounts) owned += a.owner_id == truth.departed_user_id ? 1 : 0;
    EXPECT_GE(owned, 1) << "seed " << seed;
  }
}

TEST(DemoDataParamsTest, RejectsBadParams) {
  DemoParams p = Params();
  p.accounts = 9;
  EXPECT_THAT(GenerateDemoData(p, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("accounts")));
  p.accounts = 2000001;
  EXPECT_THAT(GenerateDemoData(p, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("accounts")));
  p.accounts = 10;
  p.years_of_history = 0;
  EXPECT_THAT(GenerateDemoData(p, nullptr), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("years")));
  p.years_of_history = 1;
  EXPECT_THAT(GenerateDemoData(p, nullptr), IsOk());
}

TEST(DemoDataParamsTest, ScenarioNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(DemoScenario::kOwnerLeft); ++i) {
    const auto s = static_cast<DemoScenario>(i);
    EXPECT_EQ(ParseDemoScenario(DemoScenarioName(s)), s);
  }
  EXPECT_EQ(ParseDemoScenario("bogus"), std::nullopt);
}

}  // namespace
}  // namespace pulse
