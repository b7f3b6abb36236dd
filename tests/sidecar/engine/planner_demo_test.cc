// The contact queue on the demo data: every owner's capacity respected, no
// duplicate, every task with a readable reason, holdout accounts without
// tasks, and the injected leaving accounts near the top.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/planner.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/engine/task_text.h"
#include "sidecar/engine/uplift.h"

namespace pulse {
namespace {

TEST(PlannerOnDemoData, RespectsCapacityHasNoDuplicatesAndSaysWhy) {
  DemoParams demo;
  demo.accounts = 1500;
  demo.seed = 17;
  demo.end_day = absl::CivilDay(2026, 6, 30);
  DemoTruth truth;
  absl::StatusOr<CustomerData> data = GenerateDemoData(demo, &truth);
  ASSERT_TRUE(data.ok()) << data.status();
  EngineConfig config;
  config.contact.pool_user_ids = truth.pool_user_ids;
  ScoreParams sp;
  sp.as_of = StartOfDay(demo.end_day) + absl::Hours(12);
  const Portfolio portfolio = AssessPortfolio(*data, config, sp);
  PlanParams pp;
  pp.now = sp.as_of;
  for (const AccountAssessment& a : portfolio.accounts) {
    if (HoldoutDraw("demo-salt", a.account_id) < 0.1) pp.holdout_accounts.insert(a.account_id);
  }
  const ContactPlan plan = PlanContacts(portfolio, config, pp);
  ASSERT_GT(plan.planned, 50);
  EXPECT_GT(plan.holdout, 0);

  std::map<std::string, int> per_assignee;
  std::set<std::string> keys;
  std::set<std::string> accounts;
  std::map<std::string, int> capacity;
  for (const User& u : data->users) capacity[u.id] = u.weekly_capacity.value_or(config.contact.default_weekly_capacity);
  for (const QueueItem& q : plan.queue) {
    const AccountAssessment& a = portfolio.accounts[q.account];
    if (q.status == PlanStatus::kHoldout) {
      EXPECT_TRUE(pp.holdout_accounts.contains(a.account_id));
      EXPECT_TRUE(q.description.empty());
      continue;
    }
    if (q.status != PlanStatus::kTaskPlanned) continue;
    // Feedback requests and recognition are holdout-exempt (docs/CONTACT_POLICY.md).
    if (!q.proactive) EXPECT_FALSE(pp.holdout_accounts.contains(a.account_id)) << a.account_id;
    ++per_assignee[q.assignee_id];
    EXPECT_TRUE(keys.insert(q.task_key).second) << "duplicate key " << q.task_key;
    EXPECT_TRUE(accounts.insert(a.account_id).second) << "two tasks for " << a.account_id;
    // A readable reason: the subject names the action and the account, the
    // description lists the evidence and what to do.
    EXPECT_THAT(q.subject, ::testing::HasSubstr(ActionTitle(q.action, "en")));
    EXPECT_THAT(q.description, ::testing::HasSubstr("\n- ")) << q.description;
    EXPECT_THAT(q.description, ::testing::HasSubstr("What to do: "));
    EXPECT_THAT(q.description, ::testing::EndsWith("Pulse task key: " + q.task_key));
    // Key accounts never go to the pool.
    if (a.tier == Tier::kKey) {
      EXPECT_FALSE(q.pool) << a.account_id;
    }
  }
  for (const auto& [user, n] : per_assignee) {
    ASSERT_TRUE(capacity.count(user)) << user;
    EXPECT_LE(n, capacity[user]) << user;
  }

  // The stopped and fading accounts that are planned sit high in the queue:
  // the median rank of the planned leaving accounts is in the first half.
  std::map<std::string, DemoScenario> scenario;
  for (const DemoAccountTruth& t : truth.accounts) scenario[t.account_id] = t.scenario;
  std::vector<size_t> ranks;
  for (size_t i = 0; i < plan.queue.size(); ++i) {
    const DemoScenario s = scenario[portfolio.accounts[plan.queue[i].account].account_id];
    if (s == DemoScenario::kStopped || s == DemoScenario::kFading) ranks.push_back(i);
  }
  ASSERT_FALSE(ranks.empty());
  EXPECT_LT(ranks[ranks.size() / 2], plan.queue.size() / 2);
}

// The demo's survey history is the yearly October NPS survey (answered by
// about 70 % of key, 40 % of mid and 20 % of tail accounts) and CSAT after
// some closed cases: most of the tail has not answered within a year.
TEST(PlannerOnDemoData, FeedbackRequestsForTheUnaskedTailAndRecognitionForLoyalAccounts) {
  DemoParams demo;
  demo.accounts = 1500;
  demo.seed = 17;
  demo.end_day = absl::CivilDay(2026, 6, 30);
  DemoTruth truth;
  absl::StatusOr<CustomerData> data = GenerateDemoData(demo, &truth);
  ASSERT_TRUE(data.ok()) << data.status();
  EngineConfig config;
  config.contact.pool_user_ids = truth.pool_user_ids;
  ScoreParams sp;
  sp.as_of = StartOfDay(demo.end_day) + absl::Hours(12);
  const Portfolio portfolio = AssessPortfolio(*data, config, sp);
  PlanParams pp;
  pp.now = sp.as_of;
  const ContactPlan plan = PlanContacts(portfolio, config, pp);

  std::map<Tier, int> tier_size;
  for (const AccountAssessment& a : portfolio.accounts) ++tier_size[a.tier];
  std::map<std::string, absl::Time> last_answer;
  for (const Feedback& f : data->feedback) {
    if (f.received_at <= sp.as_of) last_answer[f.account_id] = std::max(last_answer[f.account_id], f.received_at);
  }
  std::map<Tier, int> asked;
  std::map<std::string, int> recognised;
  std::set<std::string> risk_accounts;
  bool proactive_seen = false;
  for (const QueueItem& q : plan.queue) {
    const AccountAssessment& a = portfolio.accounts[q.account];
    if (!q.proactive) {
      EXPECT_FALSE(proactive_seen) << "a risk item after a proactive one: " << a.account_id;
      risk_accounts.insert(a.account_id);
      continue;
    }
    proactive_seen = true;
    EXPECT_EQ(q.status, PlanStatus::kTaskPlanned);
    EXPECT_EQ(risk_accounts.count(a.account_id), 0u) << a.account_id;
    EXPECT_FALSE(a.do_not_contact) << a.account_id;
    EXPECT_THAT(q.status_detail, ::testing::StartsWith("not a risk task: "));
    if (q.action == ActionKind::kFeedbackRequest) {
      ++asked[a.tier];
      EXPECT_NE(a.tier, Tier::kKey) << a.account_id;
      auto answer = last_answer.find(a.account_id);
      if (answer != last_answer.end()) {
        EXPECT_GE(sp.as_of - answer->second, absl::Hours(24) * 365) << a.account_id;
      }
    } else {
      ASSERT_EQ(q.action, ActionKind::kRecognition);
      EXPECT_NE(a.tier, Tier::kTail) << a.account_id;
      EXPECT_EQ(q.assignee_id, a.owner_id);
      EXPECT_LE(a.churn_probability, config.recognition.max_churn_probability);
      ASSERT_TRUE(a.first_order_day.has_value());
      EXPECT_GE(demo.end_day - *a.first_order_day, config.recognition.min_tenure_days) << a.account_id;
      if (a.last_proactive_contact_day.has_value()) {
        EXPECT_GE(demo.end_day - *a.last_proactive_contact_day, config.recognition.quiet_days) << a.account_id;
      }
      EXPECT_LE(++recognised[q.assignee_id], config.recognition.max_per_owner_per_week) << q.assignee_id;
    }
  }
  // Both kinds are there, the feedback requests within the week's sample.
  EXPECT_GT(asked[Tier::kTail], 0);
  EXPECT_FALSE(recognised.empty());
  for (Tier tier : {Tier::kMid, Tier::kTail}) {
    const int month_cap =
        static_cast<int>(std::ceil(config.feedback.monthly_share.at(std::string(TierName(tier))) * tier_size[tier]));
    EXPECT_LE(asked[tier], (month_cap + 3) / 4) << TierName(tier);
  }
  // Every person's load stays within capacity plus nothing: this is the first
  // sweep, so proactive tasks only used what the risk tasks left.
  for (const auto& [user, load] : plan.loads) EXPECT_LE(load.used_before + load.planned, load.capacity) << user;
}

}  // namespace
}  // namespace pulse
