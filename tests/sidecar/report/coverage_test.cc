// The coverage figures on a small hand-built customer base. Every expected
// value below was worked out by hand from the data (see the comments), not by
// running the code under test.
#include "sidecar/report/coverage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/scorer.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::CustomerBuilder;
using ::pulse::testing::Day;
using ::testing::ElementsAre;

// The end of 2026-06-30: the as-of day. Its windows (day granularity, UTC):
//   revenue:     2025-07-01 .. 2026-06-30 (365 days)
//   churn period 2026-04-02 .. 2026-06-30 (90 days), base 2025-04-02 .. 2026-04-01
//   contacted:   a two-way contact on 2026-04-02 .. 2026-06-30 (under 90 days ago)
absl::Time AsOf() { return Day("2026-07-01") - absl::Seconds(1); }

absl::CivilDay CivilDay(const char* iso) { return *ParseIsoDay(iso); }

class CoverageFiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    portfolio_.as_of = AsOf();
    for (auto [id, active, capacity] : {std::tuple<const char*, bool, std::optional<int>>{"u1", true, 5},
                                        {"u2", true, std::nullopt},
                                        {"u9", false, std::nullopt},
                                        {"cs", true, 10}}) {
      User u;
      u.id = id;
      u.name = absl::StrCat("User ", id);
      u.active = active;
      u.weekly_capacity = capacity;
      portfolio_.users[id] = u;
    }
    // K1: key, active owner u1. Revenue 3000 + 1000 = 4000 (the 2025-06-30
    // order is one day too old, the 2026-07-05 one is after the as-of).
    // In the churn base (2026-01-15) and ordered in the period (2026-06-01).
    Add("K1", Tier::kKey, "u1", true, 0.6, 2400, 1, "2026-06-20");
    Order("K1", "2025-06-30", 500);
    Order("K1", "2026-01-15", 3000);
    Order("K1", "2026-06-01", 1000);
    Order("K1", "2026-07-05", 9999);
    // K2: key, owner u9 is inactive. Revenue 2000; in the base, churned.
    // Last contact exactly 90 days ago: not contacted.
    Add("K2", Tier::kKey, "u9", false, 0.8, 1600, 2, "2026-04-01");
    Order("K2", "2026-03-01", 2000);
    // M1: mid, owner u1. Revenue 1500 - 200 = 1300; only orders in the
    // period, so not in the base. Contact 89 days ago: contacted. Churn
    // probability exactly at the threshold: at risk.
    Add("M1", Tier::kMid, "u1", true, 0.5, 650, 0, "2026-04-02");
    Order("M1", "2026-05-10", 1500);
    Order("M1", "2026-05-10", -200);
    // T1: tail, owner u2. Revenue 600; in the base, churned. Never contacted.
    Add("T1", Tier::kTail, "u2", true, 0.2, 120, 0, nullptr);
    Order("T1", "2025-12-01", 600);
    // T2: tail, no owner. Revenue -50 floored to 0; in the base (2025-05-01),
    // churned. Contact 181 days ago.
    Add("T2", Tier::kTail, "", false, 0.9, 45, 1, "2025-12-31");
    Order("T2", "2025-05-01", 100);
    Order("T2", "2025-08-01", -50);
    // T3: tail, no owner, no orders, no contact.
    Add("T3", Tier::kTail, "", false, 0.0, 0, 0, nullptr);
    // An order of an account the CRM does not list: ignored.
    Order("ghost", "2026-06-01", 100000);
  }

  void Add(const char* id, Tier tier, const char* owner, bool owner_active, double churn, double var, int open_cases,
           const char* last_contact) {
    AccountAssessment a;
    a.account_id = id;
    a.name = absl::StrCat("Company ", id);
    a.tier = tier;
    a.owner_id = owner;
    a.owner_active = owner_active;
    a.churn_probability = churn;
    a.value_at_risk = var;
    a.open_cases = open_cases;
    if (last_contact != nullptr) a.last_two_way_contact_day = CivilDay(last_contact);
    portfolio_.index[id] = portfolio_.accounts.size();
    portfolio_.accounts.push_back(a);
  }

  void Order(const char* account, const char* day, double amount) {
    pulse::Order o;
    o.id = absl::StrCat("o", data_.orders.size() + 1);
    o.account_id = account;
    o.ordered_at = Day(day) + absl::Hours(10);
    o.amount = amount;
    o.currency = "EUR";
    data_.orders.push_back(o);
  }

  CustomerData data_;
  Portfolio portfolio_;
};

TEST_F(CoverageFiguresTest, CareModelIsKeyOrMidWithAnActiveOwner) {
  EXPECT_TRUE(InCareModel(portfolio_.accounts[0]));   // K1
  EXPECT_FALSE(InCareModel(portfolio_.accounts[1]));  // K2: owner inactive
  EXPECT_TRUE(InCareModel(portfolio_.accounts[2]));   // M1
  EXPECT_FALSE(InCareModel(portfolio_.accounts[3]));  // T1: tail, even with an owner
  EXPECT_FALSE(InCareModel(portfolio_.accounts[4]));  // T2
}

TEST_F(CoverageFiguresTest, FiguresPerSegmentMatchTheHandComputation) {
  const CoverageFigures f = ComputeCoverageFigures(data_, portfolio_, CoverageParams());
  EXPECT_EQ(f.as_of, CivilDay("2026-06-30"));
  ASSERT_EQ(f.segments.size(), 5u);
  EXPECT_EQ(f.segments[0].segment, "key");
  EXPECT_EQ(f.segments[1].segment, "mid");
  EXPECT_EQ(f.segments[2].segment, "tail");
  EXPECT_EQ(f.segments[3].segment, "unowned");
  EXPECT_EQ(f.segments[4].segment, "all");

  // Revenue: K1 4000 + K2 2000 + M1 1300 + T1 600 = 7900. Outside care: K2,
  // T1, T2, T3 (4 of 6 accounts), 2000 + 600 = 2600.
  EXPECT_EQ(f.accounts, 6);
  EXPECT_DOUBLE_EQ(f.revenue, 7900);
  EXPECT_EQ(f.accounts_outside_care, 4);
  EXPECT_DOUBLE_EQ(f.accounts_outside_care_share, 4.0 / 6);
  EXPECT_DOUBLE_EQ(f.revenue_outside_care, 2600);
  EXPECT_DOUBLE_EQ(f.revenue_outside_care_share, 2600.0 / 7900);

  const SegmentFigures& key = *f.Segment("key");  // K1, K2
  EXPECT_EQ(key.accounts, 2);
  EXPECT_DOUBLE_EQ(key.revenue, 6000);
  EXPECT_DOUBLE_EQ(key.revenue_share, 6000.0 / 7900);
  EXPECT_EQ(key.accounts_without_active_owner, 1);
  EXPECT_DOUBLE_EQ(key.without_active_owner_share, 0.5);
  EXPECT_EQ(key.churn_base, 2);
  EXPECT_EQ(key.churned, 1);
  EXPECT_DOUBLE_EQ(key.churn_rate, 0.5);
  EXPECT_EQ(key.contacted, 1);
  EXPECT_DOUBLE_EQ(key.contacted_share, 0.5);
  EXPECT_EQ(key.accounts_with_two_way_contact, 2);
  EXPECT_DOUBLE_EQ(key.median_days_since_two_way_contact, 50);  // of 10 and 90
  EXPECT_EQ(key.open_complaints, 3);
  EXPECT_EQ(key.accounts_at_risk, 2);
  EXPECT_DOUBLE_EQ(key.value_at_risk, 4000);
  EXPECT_EQ(key.accounts_outside_care, 1);
  EXPECT_DOUBLE_EQ(key.revenue_outside_care, 2000);

  const SegmentFigures& mid = *f.Segment("mid");  // M1
  EXPECT_EQ(mid.accounts, 1);
  EXPECT_DOUBLE_EQ(mid.revenue, 1300);
  EXPECT_EQ(mid.accounts_without_active_owner, 0);
  EXPECT_EQ(mid.churn_base, 0);
  EXPECT_DOUBLE_EQ(mid.churn_rate, 0);
  EXPECT_EQ(mid.contacted, 1);
  EXPECT_DOUBLE_EQ(mid.median_days_since_two_way_contact, 89);
  EXPECT_EQ(mid.accounts_at_risk, 1);
  EXPECT_DOUBLE_EQ(mid.value_at_risk, 650);
  EXPECT_EQ(mid.accounts_outside_care, 0);

  const SegmentFigures& tail = *f.Segment("tail");  // T1, T2, T3
  EXPECT_EQ(tail.accounts, 3);
  EXPECT_DOUBLE_EQ(tail.revenue, 600);
  EXPECT_EQ(tail.accounts_without_active_owner, 2);
  EXPECT_DOUBLE_EQ(tail.without_active_owner_share, 2.0 / 3);
  EXPECT_EQ(tail.churn_base, 2);
  EXPECT_EQ(tail.churned, 2);
  EXPECT_DOUBLE_EQ(tail.churn_rate, 1.0);
  EXPECT_EQ(tail.contacted, 0);
  EXPECT_EQ(tail.accounts_with_two_way_contact, 1);
  EXPECT_DOUBLE_EQ(tail.median_days_since_two_way_contact, 181);
  EXPECT_EQ(tail.open_complaints, 1);
  EXPECT_EQ(tail.accounts_at_risk, 1);
  EXPECT_DOUBLE_EQ(tail.value_at_risk, 45);
  EXPECT_EQ(tail.accounts_outside_care, 3);
  EXPECT_DOUBLE_EQ(tail.revenue_outside_care, 600);

  const SegmentFigures& unowned = *f.Segment("unowned");  // K2, T2, T3
  EXPECT_EQ(unowned.accounts, 3);
  EXPECT_DOUBLE_EQ(unowned.revenue, 2000);
  EXPECT_DOUBLE_EQ(unowned.without_active_owner_share, 1.0);
  EXPECT_EQ(unowned.churn_base, 2);
  EXPECT_EQ(unowned.churned, 2);
  EXPECT_EQ(unowned.contacted, 0);
  EXPECT_EQ(unowned.accounts_with_two_way_contact, 2);
  EXPECT_DOUBLE_EQ(unowned.median_days_since_two_way_contact, 135.5);  // of 90 and 181
  EXPECT_EQ(unowned.open_complaints, 3);
  EXPECT_EQ(unowned.accounts_at_risk, 2);
  EXPECT_DOUBLE_EQ(unowned.value_at_risk, 1645);
  EXPECT_EQ(unowned.accounts_outside_care, 3);

  const SegmentFigures& all = *f.Segment("all");
  EXPECT_EQ(all.accounts, 6);
  EXPECT_DOUBLE_EQ(all.revenue_share, 1.0);
  EXPECT_EQ(all.accounts_without_active_owner, 3);
  EXPECT_EQ(all.churn_base, 4);  // K1, K2, T1, T2
  EXPECT_EQ(all.churned, 3);     // K2, T1, T2
  EXPECT_DOUBLE_EQ(all.churn_rate, 0.75);
  EXPECT_EQ(all.contacted, 2);  // K1, M1
  EXPECT_DOUBLE_EQ(all.contacted_share, 2.0 / 6);
  EXPECT_EQ(all.accounts_with_two_way_contact, 4);
  EXPECT_DOUBLE_EQ(all.median_days_since_two_way_contact, 89.5);  // of 10, 89, 90, 181
  EXPECT_EQ(all.open_complaints, 4);
  EXPECT_EQ(all.accounts_at_risk, 4);
  EXPECT_DOUBLE_EQ(all.value_at_risk, 4695);
}

TEST_F(CoverageFiguresTest, ContactWindowAndPeriodAreParameters) {
  CoverageParams params;
  params.contact_window_days = 91;  // K2's contact, 90 days ago, now counts
  params.period_days = 30;          // period 2026-06-01 .. 06-30
  const CoverageFigures f = ComputeCoverageFigures(data_, portfolio_, params);
  EXPECT_EQ(f.Segment("key")->contacted, 2);
  // Base 2025-06-01 .. 2026-05-31: K1, K2, M1, T1; not T2, whose only order
  // in it is a credit (2025-08-01). Ordered after 05-31: K1 only.
  EXPECT_EQ(f.Segment("all")->churn_base, 4);
  EXPECT_EQ(f.Segment("all")->churned, 3);
}

TEST_F(CoverageFiguresTest, SummarySentenceStatesMoneyShareAndAccounts) {
  const CoverageFigures f = ComputeCoverageFigures(data_, portfolio_, CoverageParams());
  EXPECT_EQ(CoverageSentence(f, "EUR"),
            "EUR 2,600 of EUR 7,900 revenue in the 365 days to 2026-06-30 (32.9 %) comes from 4 of 6 accounts "
            "(66.7 %) outside any care model: the long tail and accounts without an active owner.");
  CoverageFigures empty;
  empty.as_of = CivilDay("2026-06-30");
  EXPECT_EQ(CoverageSentence(empty, "EUR"), "No accounts as of 2026-06-30: nothing to cover yet.");
}

TEST_F(CoverageFiguresTest, SurveyCoverageByTierAndTheAnswerRate) {
  auto answer = [&](const char* account, const char* day) {
    Feedback f;
    f.account_id = account;
    f.received_at = Day(day) + absl::Hours(9);
    f.score = 8;
    data_.feedback.push_back(f);
  };
  auto request = [&](const char* account, const char* day, bool failed = false) {
    LedgerTask t;
    t.key = absl::StrCat("pulse:", account, ":feedback_request:", day);
    t.account_id = account;
    t.assignee_id = "u1";
    t.action = "feedback_request";
    t.created_at = Day(day) + absl::Hours(8);
    t.failed = failed;
    return t;
  };
  answer("K1", "2026-03-01");  // answered within the year: asked
  answer("K2", "2025-06-01");  // over 365 days ago: not asked
  answer("T1", "2026-05-20");  // 19 days after Pulse's request
  answer("T3", "2026-06-01");  // 61 days after Pulse's request: not an answer to it, but asked
  CoverageWork work;
  work.recent_tasks = {
      request("T1", "2026-05-01"),
      request("T2", "2026-06-20"),  // asked; its answer window is still open
      request("T3", "2026-04-01"),
      request("M1", "2025-06-01"),        // older than the interval
      request("M1", "2026-05-01", true),  // failed: never sent
  };
  LedgerTask check_in = request("K2", "2026-06-01");
  check_in.action = "check_in";  // not a survey
  work.recent_tasks.push_back(check_in);
  CoverageParams params;
  params.trend_periods = 0;
  const CoverageReport r = BuildCoverageReport(data_, EngineConfig(), portfolio_, work, params);
  EXPECT_EQ(r.ask_interval_days, 365);
  EXPECT_EQ(r.answer_window_days, 30);
  ASSERT_EQ(r.survey.size(), 4u);
  const SurveyFigures& key = r.survey[0];
  EXPECT_EQ(key.segment, "key");
  EXPECT_EQ(key.accounts, 2);
  EXPECT_EQ(key.asked, 1);
  EXPECT_DOUBLE_EQ(key.asked_share, 0.5);
  EXPECT_DOUBLE_EQ(key.revenue, 6000);
  EXPECT_DOUBLE_EQ(key.revenue_asked, 4000);
  EXPECT_DOUBLE_EQ(key.revenue_asked_share, 4000.0 / 6000);
  EXPECT_EQ(key.requests, 0);
  EXPECT_DOUBLE_EQ(key.answer_rate, 0);
  const SurveyFigures& mid = r.survey[1];
  EXPECT_EQ(mid.segment, "mid");
  EXPECT_EQ(mid.asked, 0);
  EXPECT_DOUBLE_EQ(mid.revenue_asked_share, 0);
  const SurveyFigures& tail = r.survey[2];
  EXPECT_EQ(tail.segment, "tail");
  EXPECT_EQ(tail.accounts, 3);
  EXPECT_EQ(tail.asked, 3);
  EXPECT_DOUBLE_EQ(tail.revenue_asked_share, 1.0);
  EXPECT_EQ(tail.requests, 2);  // T1 and T3; T2's window is open
  EXPECT_EQ(tail.answered, 1);  // T1
  EXPECT_DOUBLE_EQ(tail.answer_rate, 0.5);
  const SurveyFigures& all = r.survey[3];
  EXPECT_EQ(all.segment, "all");
  EXPECT_EQ(all.accounts, 6);
  EXPECT_EQ(all.asked, 4);
  EXPECT_DOUBLE_EQ(all.revenue, 7900);
  EXPECT_DOUBLE_EQ(all.revenue_asked, 4600);
  EXPECT_EQ(all.requests, 2);
  EXPECT_EQ(all.answered, 1);

  // A shorter interval and answer window are parameters.
  params.ask_interval_days = 100;
  params.answer_window_days = 10;
  const CoverageReport shorter = BuildCoverageReport(data_, EngineConfig(), portfolio_, work, params);
  EXPECT_EQ(shorter.survey[0].asked, 0);  // K1's answer is 121 days old
  EXPECT_EQ(shorter.survey[2].asked, 3);  // T1, T2, T3 all within 100 days
  EXPECT_EQ(shorter.survey[2].requests, 3);  // T2's 10-day window has passed too
  EXPECT_EQ(shorter.survey[2].answered, 0);  // T1 answered after 19 days
}

TEST_F(CoverageFiguresTest, OwnersBookTasksAndCapacity) {
  const absl::Time as_of = AsOf();
  auto task = [&](const char* assignee, absl::Duration before, bool failed) {
    LedgerTask t;
    t.key = absl::StrCat("pulse:", assignee, ":", absl::ToInt64Hours(before));
    t.assignee_id = assignee;
    t.created_at = as_of - before;
    t.failed = failed;
    return t;
  };
  CoverageWork work;
  work.recent_tasks = {
      task("u1", absl::Hours(48), false),        // open
      task("u1", absl::Hours(24 * 40), false),   // older than the 30-day window
      task("u2", absl::Hours(24), true),         // failed
      task("cs", absl::Hours(24 * 29), false),   // open
      task("cs", -absl::Hours(24), false),       // after the as-of
  };
  ContactPlan plan;
  QueueItem planned_cs;
  planned_cs.assignee_id = "cs";
  planned_cs.status = PlanStatus::kTaskPlanned;
  QueueItem planned_u1 = planned_cs;
  planned_u1.assignee_id = "u1";
  QueueItem deferred_u1 = planned_u1;
  deferred_u1.status = PlanStatus::kDeferredCapacity;
  plan.queue = {planned_cs, planned_u1, deferred_u1};
  plan.loads = {{"cs", ContactPlan::Load{10, 0, 1}}, {"u1", ContactPlan::Load{5, 1, 1}}};
  work.plan = &plan;
  CoverageParams params;
  params.trend_periods = 0;
  params.pool_user_ids = {"cs"};
  const CoverageReport r = BuildCoverageReport(data_, EngineConfig(), portfolio_, work, params);

  ASSERT_EQ(r.owners.size(), 4u);
  // By value at risk: u1 (K1 2400 + M1 650), u9 (K2 1600), then cs and u2 with none, by id.
  const OwnerFigures& u1 = r.owners[0];
  EXPECT_EQ(u1.user_id, "u1");
  EXPECT_EQ(u1.name, "User u1");
  EXPECT_TRUE(u1.active);
  EXPECT_EQ(u1.accounts, 2);
  EXPECT_DOUBLE_EQ(u1.revenue, 5300);
  EXPECT_EQ(u1.accounts_at_risk, 2);
  EXPECT_DOUBLE_EQ(u1.value_at_risk, 3050);
  EXPECT_EQ(u1.open_tasks, 2);  // one from two days ago, one planned now
  EXPECT_EQ(u1.weekly_capacity, 5);
  EXPECT_EQ(u1.tasks_this_week, 2);
  EXPECT_DOUBLE_EQ(u1.capacity_used, 0.4);

  const OwnerFigures& u9 = r.owners[1];
  EXPECT_EQ(u9.user_id, "u9");
  EXPECT_FALSE(u9.active);
  EXPECT_EQ(u9.accounts, 1);
  EXPECT_DOUBLE_EQ(u9.value_at_risk, 1600);
  EXPECT_EQ(u9.open_tasks, 0);

  const OwnerFigures& cs = r.owners[2];
  EXPECT_EQ(cs.user_id, "cs");
  EXPECT_TRUE(cs.pool);
  EXPECT_EQ(cs.accounts, 0);
  EXPECT_EQ(cs.open_tasks, 2);  // 29 days ago, and one planned now
  EXPECT_EQ(cs.weekly_capacity, 10);
  EXPECT_DOUBLE_EQ(cs.capacity_used, 0.1);

  const OwnerFigures& u2 = r.owners[3];
  EXPECT_EQ(u2.user_id, "u2");
  EXPECT_EQ(u2.accounts, 1);
  EXPECT_EQ(u2.open_tasks, 0);  // its only task failed
  EXPECT_EQ(u2.weekly_capacity, 15) << "the default capacity";
  EXPECT_DOUBLE_EQ(u2.capacity_used, 0);

  // Outside care with revenue, largest first: K2 (2000), T1 (600).
  ASSERT_EQ(r.largest_outside_care.size(), 2u);
  EXPECT_EQ(r.largest_outside_care[0].account_id, "K2");
  EXPECT_DOUBLE_EQ(r.largest_outside_care[0].revenue, 2000);
  EXPECT_EQ(r.largest_outside_care[1].account_id, "T1");
  EXPECT_EQ(r.currency, "EUR");
  EXPECT_EQ(r.summary, CoverageSentence(r.current, "EUR"));
  EXPECT_FALSE(r.activities_available);
  // Only the current point when no earlier period is asked for.
  ASSERT_EQ(r.trend.size(), 1u);
  EXPECT_EQ(r.trend[0].as_of, r.current.as_of);
}

// The trend replays the engine as of earlier days. Tiers come from the CRM
// (A key, B and C tail) so that they do not move with revenue.
//   A (key, owner u1): orders 2025-03-01, 2025-09-01, 2026-03-01, 2026-06-01, 1000 each
//   B (tail, no owner): orders 2025-03-15, 2025-11-15, 400 each
//   C (tail, no owner): one order 2026-05-01, 500
TEST(CoverageTrendTest, EarlierPeriodsSeeOnlyTheirPast) {
  CustomerBuilder b;
  b.User("u1");
  b.Account("A", "u1", Tier::kKey).Account("B", "", Tier::kTail).Account("C", "", Tier::kTail);
  for (const char* day : {"2025-03-01", "2025-09-01", "2026-03-01", "2026-06-01"}) b.Order("A", Day(day), 1000);
  for (const char* day : {"2025-03-15", "2025-11-15"}) b.Order("B", Day(day), 400);
  b.Order("C", Day("2026-05-01"), 500);
  const CustomerData& data = b.data();
  EngineConfig config;
  ScoreParams score;
  score.as_of = AsOf();
  const Portfolio portfolio = AssessPortfolio(data, config, score);
  CoverageParams params;
  params.trend_periods = 2;
  const CoverageReport r = BuildCoverageReport(data, config, portfolio, CoverageWork(), params);

  ASSERT_EQ(r.trend.size(), 3u);
  EXPECT_EQ(r.trend[0].as_of, CivilDay("2026-01-01"));
  EXPECT_EQ(r.trend[1].as_of, CivilDay("2026-04-01"));
  EXPECT_EQ(r.trend[2].as_of, CivilDay("2026-06-30"));
  // Revenue in the 365 days to each day; outside care is B and C.
  //   2026-01-01: A 2025-03-01 + 2025-09-01 = 2000, B 800       -> 2800, outside 800
  //   2026-04-01: A 2025-09-01 + 2026-03-01 = 2000, B 400       -> 2400, outside 400
  //   2026-06-30: A 3000, B 400, C 500                          -> 3900, outside 900
  std::vector<double> revenue, outside;
  for (const CoverageFigures& f : r.trend) {
    revenue.push_back(f.revenue);
    outside.push_back(f.revenue_outside_care);
  }
  EXPECT_THAT(revenue, ElementsAre(2800, 2400, 3900));
  EXPECT_THAT(outside, ElementsAre(800, 400, 900));
  // Churn, 90-day periods:
  //   to 2026-01-01 (base to 2025-10-03): A ordered nothing in the period -> churned; B did (11-15)
  //   to 2026-04-01: A ordered (03-01); B did not -> churned
  //   to 2026-06-30: A ordered (06-01); B did not -> churned; C is not in the base
  std::vector<int64_t> key_churned, tail_churned, tail_base;
  for (const CoverageFigures& f : r.trend) {
    key_churned.push_back(f.Segment("key")->churned);
    tail_churned.push_back(f.Segment("tail")->churned);
    tail_base.push_back(f.Segment("tail")->churn_base);
  }
  EXPECT_THAT(key_churned, ElementsAre(1, 0, 0));
  EXPECT_THAT(tail_churned, ElementsAre(0, 1, 1));
  EXPECT_THAT(tail_base, ElementsAre(1, 1, 1));
  EXPECT_EQ(r.trend[2].Segment("unowned")->accounts, 2);
  EXPECT_DOUBLE_EQ(r.trend[2].revenue_outside_care_share, 900.0 / 3900);
}

}  // namespace
}  // namespace pulse
