// The contact queue index answers every filter, offset and limit exactly as a
// scan of the queue does, on the demo's plan.
#include "sidecar/engine/queue_index.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/planner.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/engine/uplift.h"

namespace pulse {
namespace {

// The reference: scan the whole queue.
ContactQueueIndex::Page Scan(const ContactPlan& plan, const Portfolio& portfolio, const QueueFilter& filter,
                             int64_t offset, int64_t limit) {
  ContactQueueIndex::Page page;
  for (size_t i = 0; i < plan.queue.size(); ++i) {
    if (!MatchesQueueFilter(plan.queue[i], portfolio.accounts[plan.queue[i].account].tier, filter)) continue;
    if (page.total >= offset && page.total < offset + limit) page.positions.push_back(i);
    ++page.total;
  }
  return page;
}

TEST(ContactQueueIndex, AnswersEveryFilterLikeAScanOfTheQueue) {
  DemoParams demo;
  demo.accounts = 1500;
  demo.seed = 23;
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
    if (HoldoutDraw("index-salt", a.account_id) < 0.1) pp.holdout_accounts.insert(a.account_id);
  }
  const ContactPlan plan = PlanContacts(portfolio, config, pp);
  // The queue has entries shown by default and others (deferred, held out).
  ASSERT_GT(plan.planned, 50);
  ASSERT_GT(plan.holdout, 0);
  const ContactQueueIndex index(plan, portfolio);

  std::set<std::string> assignees = {"", "nobody"};
  for (const QueueItem& item : plan.queue) assignees.insert(item.assignee_id);
  const std::vector<std::optional<Tier>> tiers = {std::nullopt, Tier::kKey, Tier::kMid, Tier::kTail};
  std::vector<std::optional<ActionKind>> actions = {std::nullopt};
  for (int a = 0; a <= static_cast<int>(ActionKind::kHandoverIntro); ++a) actions.push_back(static_cast<ActionKind>(a));
  int64_t compared = 0, nonempty = 0;
  for (const bool include_all : {false, true}) {
    for (const std::string& assignee : assignees) {
      for (const auto& tier : tiers) {
        for (const auto& action : actions) {
          QueueFilter filter;
          filter.include_all = include_all;
          filter.assignee_id = assignee;
          filter.tier = tier;
          filter.action = action;
          const int64_t total = Scan(plan, portfolio, filter, 0, 0).total;
          for (const auto& [offset, limit] : std::vector<std::pair<int64_t, int64_t>>{
                   {0, 1}, {0, 50}, {0, 100000}, {7, 3}, {total - 1, 10}, {total, 10}, {total + 5, 10}, {0, 0}}) {
            const ContactQueueIndex::Page want = Scan(plan, portfolio, filter, offset, limit);
            const ContactQueueIndex::Page got = index.Find(filter, offset, limit);
            ASSERT_EQ(got.total, want.total) << "include_all " << include_all << " assignee '" << assignee << "'";
            ASSERT_EQ(got.positions, want.positions)
                << "include_all " << include_all << " assignee '" << assignee << "' offset " << offset;
            ++compared;
            if (!got.positions.empty()) ++nonempty;
          }
        }
      }
    }
  }
  EXPECT_GT(nonempty, 100) << "the comparison saw real pages, not only empty ones (" << compared << " compared)";
  // Without filters, include_all lists the whole queue in rank order.
  QueueFilter all;
  all.include_all = true;
  const ContactQueueIndex::Page whole = index.Find(all, 0, static_cast<int64_t>(plan.queue.size()));
  ASSERT_EQ(whole.total, static_cast<int64_t>(plan.queue.size()));
  for (size_t i = 0; i < whole.positions.size(); ++i) ASSERT_EQ(whole.positions[i], i);
  // An empty plan's index finds nothing.
  EXPECT_EQ(ContactQueueIndex().Find(all, 0, 10).total, 0);
}

}  // namespace
}  // namespace pulse
