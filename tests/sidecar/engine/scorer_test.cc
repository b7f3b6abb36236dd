#include "sidecar/engine/scorer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/engine/cadence_model.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::CustomerBuilder;
using ::pulse::testing::Day;
using ::testing::HasSubstr;

const Signal* FindSignal(const AccountAssessment& a, absl::string_view id) {
  for (const Signal& s : a.signals) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

Portfolio Score(CustomerData& data, const char* as_of, EngineConfig config = {}) {
  ScoreParams p;
  p.as_of = Day(as_of);
  return AssessPortfolio(data, config, p);
}

TEST(CadenceModel, SilenceBeyondTheRhythmRaisesTheProbabilityOfNoOrder) {
  std::vector<OrderDay> days;
  for (int i = 0; i < 12; ++i) days.push_back({1000 + 30 * i, 100});
  CadenceParams params;
  params.horizon_days = 90;
  double previous = -1;
  for (int silent : {5, 30, 60, 90, 150, 240, 400}) {
    const CadenceEstimate e = EstimateCadence(days, days.back().day + silent, params);
    EXPECT_TRUE(e.own_cadence);
    EXPECT_DOUBLE_EQ(e.typical_gap_days, 30);
    EXPECT_GE(e.p_no_order, previous) << "silent " << silent;
    previous = e.p_no_order;
  }
  EXPECT_LT(EstimateCadence(days, days.back().day + 10, params).p_no_order, 0.15);
  EXPECT_GT(EstimateCadence(days, days.back().day + 240, params).p_no_order, 0.9);
}

TEST(CadenceModel, NoOrdersMeansNoEstimate) {
  const CadenceEstimate e = EstimateCadence({}, 100, CadenceParams{});
  EXPECT_FALSE(e.has_orders);
}

TEST(Scorer, StoppedBuyerGetsReadableEvidenceAndWinBack) {
  CustomerBuilder b;
  b.User("u1").Account("a1", "u1").Orders("a1", "2024-01-05", "2025-06-20", 21, 500);
  b.Account("a2", "u1").Orders("a2", "2024-01-05", "2025-11-20", 21, 500);
  Portfolio p = Score(b.data(), "2025-11-25");
  const AccountAssessment* stopped = p.Find("a1");
  ASSERT_NE(stopped, nullptr);
  const Signal* s = FindSignal(*stopped, kSignalStoppedOrdering);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("days ago"));
  EXPECT_THAT(s->evidence, HasSubstr("orders every 21 days typically"));
  EXPECT_EQ(stopped->action, ActionKind::kWinBack);
  const AccountAssessment* steady = p.Find("a2");
  EXPECT_EQ(FindSignal(*steady, kSignalStoppedOrdering), nullptr);
  EXPECT_GT(stopped->churn_probability, 0.8);
  EXPECT_LT(steady->churn_probability, 0.3);
  EXPECT_GT(stopped->value_at_risk, steady->value_at_risk);
}

TEST(Scorer, NoLookAhead) {
  CustomerBuilder b;
  b.User("u1").Account("a1", "u1").Orders("a1", "2024-01-05", "2025-11-20", 14, 100);
  // As of mid-2025 the later orders must be invisible: the same account
  // scored at two cuts sees only its past.
  Portfolio mid = Score(b.data(), "2025-06-30");
  const AccountAssessment* a = mid.Find("a1");
  ASSERT_TRUE(a->last_order_day.has_value());
  EXPECT_LE(*a->last_order_day, absl::CivilDay(2025, 6, 30));
  // An account created after the cut does not exist yet.
  b.Account("late", "u1");
  b.data().accounts.back().created_at = Day("2025-09-01");
  EXPECT_EQ(Score(b.data(), "2025-06-30").Find("late"), nullptr);
  EXPECT_NE(Score(b.data(), "2025-10-01").Find("late"), nullptr);
}

TEST(Scorer, SeasonalBuyerIsComparedWithItsOwnSeason) {
  CustomerBuilder b;
  b.User("u1").Account("s", "u1");
  for (int year : {2022, 2023, 2024, 2025}) {
    for (int month = 3; month <= 8; ++month) {
      b.Order("s", absl::FromCivil(absl::CivilDay(year, month, 10), absl::UTCTimeZone()), 1000);
    }
  }
  // December: no orders since August, as every year. Volume vs the same
  // period last year is unchanged, and the silence is its off-season.
  Portfolio p = Score(b.data(), "2025-12-15");
  EXPECT_EQ(FindSignal(*p.Find("s"), kSignalVolumeFalling), nullptr);
  EXPECT_EQ(FindSignal(*p.Find("s"), kSignalStoppedOrdering), nullptr);
  EXPECT_EQ(p.Find("s")->action, ActionKind::kNone);
  // Its season starts in March; by late May 2026 with no order, it is missing
  // its own season: now the silence counts.
  Portfolio late = Score(b.data(), "2026-05-25");
  EXPECT_NE(FindSignal(*late.Find("s"), kSignalStoppedOrdering), nullptr);
  EXPECT_GT(late.Find("s")->churn_probability, p.Find("s")->churn_probability);
}

TEST(CadenceModel, SeasonalSilenceNeedsEveryCoveredYearToAgree) {
  // Ordered year-round in 2023 and 2024, then only in spring-summer 2025:
  // the autumn silence is new, not a season.
  std::vector<OrderDay> days;
  const int64_t jan2023 = EpochDay(Day("2023-01-10"));
  for (int64_t d = jan2023; d < EpochDay(Day("2025-01-01")); d += 30) days.push_back({d, 100});
  for (int64_t d = EpochDay(Day("2025-03-10")); d < EpochDay(Day("2025-08-20")); d += 30) days.push_back({d, 100});
  const CadenceEstimate e = EstimateCadence(days, EpochDay(Day("2025-12-15")), CadenceParams{});
  EXPECT_FALSE(e.seasonal_silence);
  EXPECT_GT(e.p_no_order, 0.8);
}

TEST(Scorer, VolumeFallingAgainstLastYear) {
  CustomerBuilder b;
  b.User("u1").Account("v", "u1");
  b.Orders("v", "2023-01-02", "2025-05-31", 14, 1000);
  b.Orders("v", "2025-06-01", "2025-11-20", 14, 300);
  Portfolio p = Score(b.data(), "2025-11-25");
  const Signal* s = FindSignal(*p.Find("v"), kSignalVolumeFalling);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("same period last year"));
  EXPECT_GT(s->strength, 0.5);
  EXPECT_EQ(p.Find("v")->action, ActionKind::kCheckIn);
}

TEST(Scorer, RepeatedUnresolvedComplaintsLeadToServiceRecovery) {
  CustomerBuilder b;
  b.User("u1").Account("c", "u1").Orders("c", "2024-01-01", "2025-11-20", 14, 400);
  b.CaseOpened("c", "2025-09-10", "delivery", false);
  b.CaseOpened("c", "2025-10-15", "delivery", true);
  b.CaseOpened("c", "2025-11-10", "delivery", true);
  Portfolio p = Score(b.data(), "2025-11-25");
  const AccountAssessment* a = p.Find("c");
  const Signal* s = FindSignal(*a, kSignalComplaintsRising);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("3 cases in the last 90 days"));
  EXPECT_THAT(s->evidence, HasSubstr("2 still open"));
  EXPECT_THAT(s->evidence, HasSubstr("about delivery"));
  EXPECT_EQ(a->action, ActionKind::kServiceRecovery);
  EXPECT_EQ(a->open_cases, 2);
}

TEST(Scorer, ComplaintsAtTheUsualRateAreNotRising) {
  CustomerBuilder b;
  b.User("u1").Account("c", "u1").Orders("c", "2024-01-01", "2025-11-20", 14, 400);
  // About two closed cases a quarter all year, and two this quarter.
  for (const char* d : {"2024-12-01", "2025-01-15", "2025-03-01", "2025-04-10", "2025-06-01", "2025-07-20"}) {
    b.CaseOpened("c", d, d[6] == '1' ? "delivery" : "invoicing", false);
  }
  b.CaseOpened("c", "2025-09-10", "delivery", false).CaseOpened("c", "2025-10-20", "invoicing", false);
  EXPECT_EQ(FindSignal(*Score(b.data(), "2025-11-25").Find("c"), kSignalComplaintsRising), nullptr);
}

TEST(Scorer, ContactGapOnlyWhenTheCrmHasActivities) {
  CustomerBuilder b;
  b.User("u1").Account("g", "u1", Tier::kMid).Orders("g", "2024-01-01", "2025-11-20", 14, 400);
  EXPECT_EQ(FindSignal(*Score(b.data(), "2025-11-25").Find("g"), kSignalContactGap), nullptr)
      << "no activities at all: absent data is an absent signal, not a gap";
  b.Account("h", "u1", Tier::kMid).Orders("h", "2024-01-01", "2025-11-20", 14, 400).Call("h", "2025-11-01", "u1");
  b.Call("g", "2025-01-10", "u1");
  Portfolio p = Score(b.data(), "2025-11-25");
  const Signal* gap = FindSignal(*p.Find("g"), kSignalContactGap);
  ASSERT_NE(gap, nullptr);
  EXPECT_THAT(gap->evidence, HasSubstr("since 2025-01-10"));
  EXPECT_EQ(FindSignal(*p.Find("h"), kSignalContactGap), nullptr);
}

TEST(Scorer, OwnerSignals) {
  CustomerBuilder b;
  b.User("gone", /*active=*/false).Account("x", "gone").Orders("x", "2025-01-01", "2025-11-20", 14, 100);
  b.Account("y").Orders("y", "2025-01-01", "2025-11-20", 14, 100);
  b.Account("z", "nobody-knows").Orders("z", "2025-01-01", "2025-11-20", 14, 100);
  Portfolio p = Score(b.data(), "2025-11-25");
  EXPECT_NE(FindSignal(*p.Find("x"), kSignalOwnerInactive), nullptr);
  EXPECT_THAT(FindSignal(*p.Find("x"), kSignalOwnerInactive)->evidence, HasSubstr("inactive"));
  EXPECT_NE(FindSignal(*p.Find("y"), kSignalNoOwner), nullptr);
  EXPECT_THAT(FindSignal(*p.Find("z"), kSignalOwnerInactive)->evidence, HasSubstr("not a user"));
  EXPECT_FALSE(p.Find("x")->owner_active);
}

TEST(Scorer, TiersByRevenueUnlessTheCrmSays) {
  CustomerBuilder b;
  b.User("u1");
  for (int i = 0; i < 40; ++i) {
    const std::string id = absl::StrCat("t", i);
    b.Account(id, "u1").Orders(id, "2025-01-01", "2025-11-20", 30, i == 0 ? 100000 : 100 + i);
  }
  b.Account("forced", "u1", Tier::kKey).Orders("forced", "2025-01-01", "2025-11-20", 30, 1);
  Portfolio p = Score(b.data(), "2025-11-25");
  EXPECT_EQ(p.Find("t0")->tier, Tier::kKey);
  EXPECT_EQ(p.Find("t39")->tier, Tier::kMid);
  EXPECT_EQ(p.Find("t1")->tier, Tier::kTail);
  EXPECT_EQ(p.Find("forced")->tier, Tier::kKey);
}

TEST(Scorer, PerTierThresholdChangesTheSignalForThatTierOnly) {
  // Two accounts with the same rhythm (every 30 days) and the same 58 days of
  // silence; only their tier differs.
  CustomerBuilder b;
  b.User("u1");
  b.Account("key", "u1", Tier::kKey).Orders("key", "2025-01-01", "2025-09-30", 30, 500);
  b.Account("tail", "u1", Tier::kTail).Orders("tail", "2025-01-01", "2025-09-30", 30, 500);
  EngineConfig config;
  config.churn_model.learn = false;
  Portfolio defaults = Score(b.data(), "2025-11-25", config);
  EXPECT_EQ(FindSignal(*defaults.Find("key"), kSignalStoppedOrdering), nullptr) << "58 days < 2 x 30";
  EXPECT_EQ(FindSignal(*defaults.Find("tail"), kSignalStoppedOrdering), nullptr);
  // Key accounts are flagged after 1.5 gaps; the long tail keeps the default 2.
  config.signals.overdue_ratio.key = 1.5;
  Portfolio tiered = Score(b.data(), "2025-11-25", config);
  EXPECT_NE(FindSignal(*tiered.Find("key"), kSignalStoppedOrdering), nullptr);
  EXPECT_EQ(FindSignal(*tiered.Find("tail"), kSignalStoppedOrdering), nullptr);
  // And the other way round.
  config.signals.overdue_ratio = PerTier<double>(2.0, 2.0, 1.5);
  Portfolio tail_only = Score(b.data(), "2025-11-25", config);
  EXPECT_EQ(FindSignal(*tail_only.Find("key"), kSignalStoppedOrdering), nullptr);
  EXPECT_NE(FindSignal(*tail_only.Find("tail"), kSignalStoppedOrdering), nullptr);
}

TEST(Scorer, OverdueRegularProductsAreListed) {
  CustomerBuilder b;
  b.User("u1").Account("p", "u1");
  b.Orders("p", "2024-01-01", "2025-06-01", 30, 100, "SKU-1");
  b.Orders("p", "2024-01-15", "2025-11-15", 30, 50, "SKU-2");
  Portfolio p = Score(b.data(), "2025-11-25");
  const auto& overdue = p.Find("p")->overdue_products;
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].sku, "SKU-1");
  EXPECT_NEAR(overdue[0].usual_interval_days, 30, 0.5);
}

TEST(FormatMoney, Groups) {
  EXPECT_EQ(FormatMoney(1234567.4, "EUR"), "EUR 1,234,567");
  EXPECT_EQ(FormatMoney(12.5, ""), "12.50");
  EXPECT_EQ(FormatMoney(-4200, "EUR"), "EUR -4,200");
}

}  // namespace
}  // namespace pulse
