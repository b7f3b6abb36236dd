// The contact queue on the demo data: every owner's capacity respected, no
// duplicate, every task with a readable reason, holdout accounts without
// tasks, and the injected leaving accounts near the top.
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
    EXPECT_FALSE(pp.holdout_accounts.contains(a.account_id)) << a.account_id;
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

}  // namespace
}  // namespace pulse
