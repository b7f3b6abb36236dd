#include "sidecar/engine/uplift.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::Day;

// Published values: Newcombe, "Two-sided confidence intervals for the single
// proportion" and "Interval estimation for the difference between
// independent proportions", Statistics in Medicine 17 (1998).
TEST(WilsonInterval, MatchesNewcombesTable) {
  const Interval a = WilsonInterval(81, 263);
  EXPECT_NEAR(a.low, 0.2553, 5e-5);
  EXPECT_NEAR(a.high, 0.3662, 5e-5);
  const Interval b = WilsonInterval(0, 20);
  EXPECT_NEAR(b.low, 0.0, 1e-12);
  EXPECT_NEAR(b.high, 0.1611, 5e-5);
  const Interval c = WilsonInterval(29, 29);
  EXPECT_NEAR(c.low, 0.8830, 5e-5);
  EXPECT_NEAR(c.high, 1.0, 1e-12);
}

TEST(NewcombeDifference, MatchesNewcombesMethod10) {
  const Interval a = NewcombeDifference(56, 70, 48, 80);
  EXPECT_NEAR(a.low, 0.0524, 5e-5);
  EXPECT_NEAR(a.high, 0.3339, 5e-5);
  const Interval b = NewcombeDifference(9, 10, 3, 10);
  EXPECT_NEAR(b.low, 0.1705, 5e-5);
  EXPECT_NEAR(b.high, 0.8090, 5e-5);
  const Interval c = NewcombeDifference(5, 56, 0, 29);
  EXPECT_NEAR(c.low, -0.0381, 5e-5);
  EXPECT_NEAR(c.high, 0.1926, 5e-5);
}

ContactDecision Decision(const std::string& account, const char* day, bool holdout, const std::string& action = "win_back",
                         const std::string& tier = "tail") {
  ContactDecision d;
  d.key = absl::StrCat("pulse:", account, ":", action, ":", day);
  d.account_id = account;
  d.action = action;
  d.tier = tier;
  d.holdout = holdout;
  d.decided_at = Day(day);
  return d;
}

Order OrderOn(const std::string& account, const char* day, double amount) {
  Order o;
  o.id = absl::StrCat(account, "-", day);
  o.account_id = account;
  o.ordered_at = Day(day);
  o.amount = amount;
  return o;
}

TEST(ComputeUplift, ComparesArmsByOrdersWithinTheHorizonOnlyForMaturedDecisions) {
  std::vector<ContactDecision> d = {
      Decision("t1", "2025-01-10", false), Decision("t2", "2025-01-10", false), Decision("t3", "2025-01-10", false),
      Decision("t4", "2025-01-10", false), Decision("h1", "2025-01-10", true),  Decision("h2", "2025-01-10", true),
      // Not matured by the as-of: counted as maturing only.
      Decision("t5", "2025-05-01", false),
  };
  ContactDecision backfill = Decision("t6", "2025-01-10", false);
  backfill.backfill = true;
  d.push_back(backfill);
  std::vector<Order> orders = {
      OrderOn("t1", "2025-02-01", 100), OrderOn("t1", "2025-03-01", 50),  // 150 within
      OrderOn("t2", "2025-04-01", 70),                                     // within 90 days (81 days later)
      OrderOn("t3", "2025-04-15", 999),                                    // 95 days later: outside
      OrderOn("t4", "2025-01-10", 500),                                    // the decision day itself: before it
      OrderOn("h1", "2025-02-10", 40),
      OrderOn("t6", "2025-02-10", 1000),  // backfill: ignored
  };
  ContactPolicy policy;
  UpliftParams params;
  params.as_of = Day("2025-06-01");
  params.horizon_days = 90;
  UpliftReport r = ComputeUplift(d, orders, policy, params);
  ASSERT_EQ(r.cells.size(), 3u);  // (win_back, tail), (win_back, all), total
  const UpliftCell& c = r.cells[0];
  EXPECT_EQ(c.action, "win_back");
  EXPECT_EQ(c.tier, "tail");
  EXPECT_EQ(c.treated.decisions, 4);
  EXPECT_EQ(c.treated.ordered, 2);
  EXPECT_EQ(c.treated.maturing, 1);
  EXPECT_DOUBLE_EQ(c.treated.revenue, 220);
  EXPECT_EQ(c.holdout.decisions, 2);
  EXPECT_EQ(c.holdout.ordered, 1);
  EXPECT_TRUE(c.comparable);
  EXPECT_DOUBLE_EQ(c.effect, 0.0);
  EXPECT_DOUBLE_EQ(c.revenue_effect, 55 - 20);
  const Interval ci = NewcombeDifference(2, 4, 1, 2);
  EXPECT_DOUBLE_EQ(c.effect_ci.low, ci.low);
  // Revenue: treated {150, 70, 0, 0} var 5100 -> 1275/4... Welch by hand:
  // treated mean 55, sample var ((95^2 + 15^2 + 55^2 + 55^2) / 3) = 5100, /4 = 1275;
  // holdout {40, 0} mean 20, var 800, /2 = 400; se = sqrt(1675).
  EXPECT_NEAR(c.revenue_effect_ci.high - c.revenue_effect, 1.959963984540054 * std::sqrt(1675.0), 1e-9);
  EXPECT_EQ(r.cells[1].tier, "");
  EXPECT_EQ(r.cells[2].action, "");
  EXPECT_EQ(r.cells[2].treated.decisions, 4);
}

TEST(ComputeUplift, EachAccountCountsOnceByItsFirstDecision) {
  // a1: win_back twice, then check_in; a2 held out twice. Backfilled b1 is
  // left out, and so is its later decision.
  std::vector<ContactDecision> d = {
      Decision("a1", "2025-02-10", false), Decision("a1", "2025-01-10", false),
      Decision("a1", "2025-03-10", false, "check_in"), Decision("a2", "2025-01-10", true),
      Decision("a2", "2025-02-10", true)};
  ContactDecision b = Decision("b1", "2025-01-10", false);
  b.backfill = true;
  d.push_back(b);
  d.push_back(Decision("b1", "2025-02-10", false));
  // a1 orders only after its second decision's day: its first one (Jan 10) counts.
  std::vector<Order> orders = {OrderOn("a1", "2025-02-15", 10), OrderOn("b1", "2025-02-15", 10)};
  UpliftParams params;
  params.as_of = Day("2025-09-01");
  UpliftReport r = ComputeUplift(d, orders, ContactPolicy{}, params);
  const UpliftCell* win_back = nullptr;
  const UpliftCell* check_in = nullptr;
  const UpliftCell* total = nullptr;
  for (const UpliftCell& c : r.cells) {
    if (c.action == "win_back" && c.tier.empty()) win_back = &c;
    if (c.action == "check_in" && c.tier.empty()) check_in = &c;
    if (c.action.empty()) total = &c;
  }
  ASSERT_NE(win_back, nullptr);
  EXPECT_EQ(win_back->treated.decisions, 1);
  EXPECT_EQ(win_back->treated.ordered, 1);  // Jan 10 + 90 days covers Feb 15
  EXPECT_EQ(win_back->holdout.decisions, 1);
  ASSERT_NE(check_in, nullptr);
  EXPECT_EQ(check_in->treated.decisions, 1);  // a1's first check_in
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->treated.decisions, 1);  // a1 once; b1 not at all
  EXPECT_EQ(total->holdout.decisions, 1);
}

TEST(ComputeUplift, MeasuredEffectivenessNeedsEnoughDecisionsAndIsBlendedWithThePrior) {
  // 40 treated, 30 re-ordered; 40 held out, 20 re-ordered: churn 0.25 vs 0.5,
  // a relative reduction of 0.5.
  std::vector<ContactDecision> d;
  std::vector<Order> orders;
  for (int i = 0; i < 40; ++i) {
    d.push_back(Decision(absl::StrCat("t", i), "2025-01-10", false));
    d.push_back(Decision(absl::StrCat("h", i), "2025-01-10", true));
    if (i < 30) orders.push_back(OrderOn(absl::StrCat("t", i), "2025-02-01", 10));
    if (i < 20) orders.push_back(OrderOn(absl::StrCat("h", i), "2025-02-01", 10));
  }
  ContactPolicy policy;
  policy.effect_min_per_arm = 30;
  policy.effect_prior_weight = 60;
  UpliftParams params;
  params.as_of = Day("2025-06-01");
  UpliftReport r = ComputeUplift(d, orders, policy, params);
  const ActionEffectiveness* wb = nullptr;
  for (const ActionEffectiveness& e : r.effectiveness) {
    if (e.action == "win_back") wb = &e;
  }
  ASSERT_NE(wb, nullptr);
  EXPECT_TRUE(wb->measured);
  EXPECT_DOUBLE_EQ(wb->measured_value, 0.5);
  EXPECT_EQ(wb->smaller_arm, 40);
  EXPECT_DOUBLE_EQ(wb->used, 0.4 * 0.5 + 0.6 * 0.30);
  EXPECT_DOUBLE_EQ(EffectivenessOverrides(r).at("win_back"), wb->used);
  EXPECT_EQ(EffectivenessOverrides(r).count("check_in"), 0u);
  // Below the minimum the prior stays.
  policy.effect_min_per_arm = 41;
  r = ComputeUplift(d, orders, policy, params);
  EXPECT_TRUE(EffectivenessOverrides(r).empty());
}

TEST(HoldoutDraw, IsStableUniformAndDependsOnTheSalt) {
  EXPECT_EQ(HoldoutDraw("salt", "acc-1"), HoldoutDraw("salt", "acc-1"));
  EXPECT_NE(HoldoutDraw("salt", "acc-1"), HoldoutDraw("other", "acc-1"));
  // Sequential ids spread evenly: about 10 % of 20,000 fall below 0.1.
  int below = 0;
  int below_other = 0;
  for (int i = 0; i < 20000; ++i) {
    const double u = HoldoutDraw("salt", absl::StrCat("ACC-", i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    if (u < 0.1) ++below;
    if (HoldoutDraw("salt2", absl::StrCat("ACC-", i)) < 0.1) ++below_other;
  }
  // Binomial(20000, 0.1): sd = 42; 5 sd either side.
  EXPECT_NEAR(below, 2000, 212);
  EXPECT_NEAR(below_other, 2000, 212);
}

}  // namespace
}  // namespace pulse
