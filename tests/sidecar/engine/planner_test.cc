#include "sidecar/engine/planner.h"

#include <map>

#include "absl/container/flat_hash_set.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/engine/scorer.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::CustomerBuilder;
using ::pulse::testing::Day;
using ::testing::HasSubstr;

// Accounts that all stopped ordering in the summer: every one is at risk.
CustomerBuilder StoppedAccounts(const std::string& prefix, int n, const std::string& owner, double amount = 500) {
  CustomerBuilder b;
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrCat(prefix, i);
    b.Account(id, owner).Orders(id, "2024-01-05", "2025-06-20", 21, amount + i);
  }
  return b;
}

struct Planned {
  Portfolio portfolio;
  ContactPlan plan;
};

Planned Plan(CustomerData& data, const EngineConfig& config, const char* now,
             std::vector<LedgerTask> ledger = {}, absl::flat_hash_set<std::string> holdout = {}) {
  Planned out;
  ScoreParams sp;
  sp.as_of = Day(now);
  out.portfolio = AssessPortfolio(data, config, sp);
  PlanParams pp;
  pp.now = Day(now);
  pp.recent_tasks = std::move(ledger);
  pp.holdout_accounts = std::move(holdout);
  out.plan = PlanContacts(out.portfolio, config, pp);
  return out;
}

const QueueItem* ItemFor(const Planned& p, const std::string& account) {
  for (const QueueItem& q : p.plan.queue) {
    if (p.portfolio.accounts[q.account].account_id == account) return &q;
  }
  return nullptr;
}

TEST(Planner, RespectsCapacityAndRanksByValue) {
  CustomerBuilder b = StoppedAccounts("a", 5, "u1");
  b.User("u1", true, /*capacity=*/2);
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25");
  ASSERT_EQ(p.plan.queue.size(), 5u);
  EXPECT_EQ(p.plan.planned, 2);
  EXPECT_EQ(p.plan.deferred_capacity, 3);
  // Highest value first: a4 has the largest orders.
  EXPECT_EQ(p.portfolio.accounts[p.plan.queue[0].account].account_id, "a4");
  EXPECT_EQ(p.plan.queue[0].status, PlanStatus::kTaskPlanned);
  EXPECT_EQ(p.plan.queue[4].status, PlanStatus::kDeferredCapacity);
  for (size_t i = 1; i < p.plan.queue.size(); ++i) {
    EXPECT_GE(p.plan.queue[i - 1].priority, p.plan.queue[i].priority);
  }
}

TEST(Planner, CountsTasksAlreadyCreatedThisWeekAgainstCapacity) {
  CustomerBuilder b = StoppedAccounts("a", 3, "u1");
  b.User("u1", true, 2);
  // 2025-11-25 is a Tuesday; a task created Monday counts.
  LedgerTask earlier{"k", "other", "u1", "check_in", Day("2025-11-24"), false};
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25", {earlier});
  EXPECT_EQ(p.plan.planned, 1);
}

TEST(Planner, UnownedGoToThePoolByLoadButKeyAccountsNever) {
  CustomerBuilder b = StoppedAccounts("t", 4, "");
  b.User("cs-1", true, 10).User("cs-2", true, 10).User("gone", false);
  b.Account("key", "gone", Tier::kKey).Orders("key", "2024-01-05", "2025-06-20", 21, 9000);
  EngineConfig config;
  config.contact.pool_user_ids = {"cs-1", "cs-2"};
  Planned p = Plan(b.data(), config, "2025-11-25");
  std::map<std::string, int> per_user;
  for (int i = 0; i < 4; ++i) {
    const QueueItem* q = ItemFor(p, absl::StrCat("t", i));
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(q->pool);
    ++per_user[q->assignee_id];
  }
  EXPECT_EQ(per_user["cs-1"], 2);
  EXPECT_EQ(per_user["cs-2"], 2);
  const QueueItem* key = ItemFor(p, "key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->status, PlanStatus::kUnassigned);
  EXPECT_THAT(key->status_detail, HasSubstr("never go to the pool"));
  // With a key-account fallback user, it is assigned to them.
  b.User("manager", true, 5);
  config.contact.key_account_user_ids = {"manager"};
  Planned q = Plan(b.data(), config, "2025-11-25");
  EXPECT_EQ(ItemFor(q, "key")->assignee_id, "manager");
  EXPECT_EQ(ItemFor(q, "key")->status, PlanStatus::kTaskPlanned);
}

TEST(Planner, HoldoutAccountsGetNoTaskAndTheirCapacityIsBackfilled) {
  // Six stopped accounts, a4 and a5 the most valuable, capacity 3: without a
  // holdout a5, a4, a3 are planned.
  CustomerBuilder b = StoppedAccounts("a", 6, "u1");
  b.User("u1", true, 3);
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25", {}, {"a4"});
  EXPECT_EQ(ItemFor(p, "a5")->status, PlanStatus::kTaskPlanned);
  const QueueItem* held = ItemFor(p, "a4");
  EXPECT_EQ(held->status, PlanStatus::kHoldout);
  EXPECT_TRUE(held->held_out_now);
  EXPECT_THAT(held->status_detail, HasSubstr("holdout"));
  EXPECT_TRUE(held->description.empty());
  EXPECT_EQ(ItemFor(p, "a3")->status, PlanStatus::kTaskPlanned);
  EXPECT_FALSE(ItemFor(p, "a3")->backfill);
  // a2 was deferred in the first pass and takes the slot a4 left, with its due day.
  const QueueItem* filled = ItemFor(p, "a2");
  EXPECT_EQ(filled->status, PlanStatus::kTaskPlanned);
  EXPECT_TRUE(filled->backfill);
  EXPECT_EQ(filled->due_day, held->due_day);
  EXPECT_FALSE(filled->description.empty());
  EXPECT_EQ(ItemFor(p, "a1")->status, PlanStatus::kDeferredCapacity);
  EXPECT_EQ(p.plan.planned, 3);
  EXPECT_EQ(p.plan.holdout, 1);
  EXPECT_EQ(p.plan.deferred_capacity, 2);
  ASSERT_EQ(p.plan.loads.size(), 1u);
  EXPECT_EQ(p.plan.loads[0].second.planned, 3);
}

TEST(Planner, AHoldoutReservationWithNothingToBackfillLeavesTheLoadAtRealTasks) {
  CustomerBuilder b = StoppedAccounts("a", 2, "u1");
  b.User("u1", true, 5);
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25", {}, {"a0"});
  EXPECT_EQ(p.plan.planned, 1);
  EXPECT_EQ(p.plan.holdout, 1);
  EXPECT_EQ(p.plan.loads[0].second.planned, 1);
}

TEST(Planner, AWithheldDecisionBlocksARepeatLikeATaskButUsesNoCapacity) {
  CustomerBuilder b = StoppedAccounts("a", 2, "u1");
  b.User("u1", true, 1);
  LedgerTask withheld{"k", "a1", "u1", "win_back", Day("2025-11-24"), false, /*holdout=*/true};
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25", {withheld}, {"a1"});
  const QueueItem* a1 = ItemFor(p, "a1");
  EXPECT_EQ(a1->status, PlanStatus::kHoldout);
  EXPECT_FALSE(a1->held_out_now);  // decided in the earlier sweep, not again
  // The withheld decision did not count against u1's one task this week.
  EXPECT_EQ(ItemFor(p, "a0")->status, PlanStatus::kTaskPlanned);
}

TEST(Planner, ExemptActionsAreNeverWithheld) {
  CustomerBuilder b = StoppedAccounts("a", 1, "u1");
  b.User("u1", true, 5);
  EngineConfig config;
  config.contact.holdout_exempt_actions = {"win_back"};
  Planned p = Plan(b.data(), config, "2025-11-25", {}, {"a0"});
  EXPECT_EQ(ItemFor(p, "a0")->status, PlanStatus::kTaskPlanned);
}

TEST(Planner, MeasuredEffectivenessReplacesThePrior) {
  CustomerBuilder b = StoppedAccounts("a", 1, "u1");
  b.User("u1");
  Planned prior = Plan(b.data(), EngineConfig{}, "2025-11-25");
  ScoreParams sp;
  sp.as_of = Day("2025-11-25");
  PlanParams pp;
  pp.now = Day("2025-11-25");
  pp.effectiveness = {{"win_back", 0.6}};
  ContactPlan measured = PlanContacts(prior.portfolio, EngineConfig{}, pp);
  ASSERT_EQ(prior.plan.queue[0].action, ActionKind::kWinBack);
  EXPECT_DOUBLE_EQ(measured.queue[0].priority, prior.plan.queue[0].priority * 0.6 / 0.30);
}

TEST(Planner, LongTailReorderRemindersGoToThePoolWithTheirTextReady) {
  CustomerBuilder b;
  b.User("u1", true, 10).User("cs-1", true, 10);
  // An unowned long-tail account whose monthly SKU-1 orders stopped.
  b.Account("t1", "", Tier::kTail);
  for (const char* day : {"2025-03-03", "2025-04-02", "2025-05-02", "2025-06-01", "2025-07-01", "2025-08-01",
                          "2025-09-01"}) {
    b.Order("t1", Day(day), 100, "SKU-1");
  }
  EngineConfig config;
  config.contact.pool_user_ids = {"cs-1"};
  config.contact.min_churn_probability = 0;
  Planned p = Plan(b.data(), config, "2025-11-25");
  const QueueItem* q = ItemFor(p, "t1");
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->action, ActionKind::kReorderReminder);
  EXPECT_EQ(q->assignee_id, "cs-1");
  EXPECT_TRUE(q->pool);
  EXPECT_EQ(q->task_type, TaskType::kEmailDraft);
  EXPECT_THAT(q->description, HasSubstr("SKU-1 Product SKU-1"));
}

TEST(Planner, NoSecondTaskForTheSameReasonWithinTheCooldown) {
  CustomerBuilder b = StoppedAccounts("a", 1, "u1");
  b.User("u1");
  LedgerTask open{"k1", "a0", "u1", "win_back", Day("2025-11-10"), false};
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25", {open});
  EXPECT_EQ(ItemFor(p, "a0")->status, PlanStatus::kAlreadyOpen);
  EXPECT_EQ(p.plan.planned, 0);
  // A failed (given-up) task does not block.
  open.failed = true;
  EXPECT_EQ(Plan(b.data(), EngineConfig{}, "2025-11-25", {open}).plan.planned, 1);
  // Past the cooldown, a new task is due.
  open.failed = false;
  open.created_at = Day("2025-09-01");
  EXPECT_EQ(Plan(b.data(), EngineConfig{}, "2025-11-25", {open}).plan.planned, 1);
}

TEST(Planner, ComplaintsGetServiceRecoveryEvenWhileOrdersContinue) {
  CustomerBuilder b;
  b.User("u1");
  b.Account("c", "u1").Orders("c", "2024-01-01", "2025-11-20", 14, 400);
  b.CaseOpened("c", "2025-10-15", "quality", true).CaseOpened("c", "2025-11-10", "quality", true);
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25");
  const QueueItem* q = ItemFor(p, "c");
  ASSERT_NE(q, nullptr);
  EXPECT_LT(p.portfolio.Find("c")->churn_probability, EngineConfig{}.contact.min_churn_probability);
  EXPECT_EQ(q->action, ActionKind::kServiceRecovery);
  EXPECT_EQ(q->status, PlanStatus::kTaskPlanned);
}

TEST(Planner, DoNotContactIsSuppressed) {
  CustomerBuilder b = StoppedAccounts("a", 1, "u1");
  b.User("u1");
  b.data().accounts[0].do_not_contact = true;
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25");
  EXPECT_EQ(ItemFor(p, "a0")->status, PlanStatus::kSuppressed);
}

TEST(Planner, DueDatesAreWorkingDaysSpreadOverTheWeek) {
  CustomerBuilder b = StoppedAccounts("a", 10, "u1");
  b.User("u1", true, 10);
  // Friday: the first due day is the next Monday.
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-28");
  std::set<absl::CivilDay> days;
  for (const QueueItem& q : p.plan.queue) {
    ASSERT_EQ(q.status, PlanStatus::kTaskPlanned);
    const absl::Weekday w = absl::GetWeekday(q.due_day);
    EXPECT_NE(w, absl::Weekday::saturday);
    EXPECT_NE(w, absl::Weekday::sunday);
    EXPECT_GE(q.due_day, absl::CivilDay(2025, 12, 1));
    days.insert(q.due_day);
  }
  EXPECT_GT(days.size(), 1u) << "tasks are spread, not all due the same day";
}

TEST(Planner, TaskTextSaysWhy) {
  CustomerBuilder b = StoppedAccounts("a", 1, "u1");
  b.User("u1");
  Planned p = Plan(b.data(), EngineConfig{}, "2025-11-25");
  const QueueItem* q = ItemFor(p, "a0");
  EXPECT_EQ(q->subject, "Win-back call: Company a0");
  EXPECT_THAT(q->description, HasSubstr("last order"));
  EXPECT_THAT(q->description, HasSubstr("What to do:"));
  EXPECT_THAT(q->description, HasSubstr("Pulse task key: pulse:a0:win_back:2025-W48"));
  EXPECT_EQ(q->task_key, "pulse:a0:win_back:2025-W48");
  EngineConfig fi;
  fi.contact.language = "fi";
  EXPECT_EQ(ItemFor(Plan(b.data(), fi, "2025-11-25"), "a0")->subject, "Palautuspuhelu: Company a0");
}

TEST(MakeTaskKey, IsoWeeks) {
  EXPECT_EQ(MakeTaskKey("x", ActionKind::kCheckIn, absl::CivilDay(2024, 12, 30)), "pulse:x:check_in:2025-W01");
  EXPECT_EQ(MakeTaskKey("x", ActionKind::kCheckIn, absl::CivilDay(2021, 1, 3)), "pulse:x:check_in:2020-W53");
  EXPECT_EQ(MakeTaskKey("x", ActionKind::kCheckIn, absl::CivilDay(2026, 11, 25)), "pulse:x:check_in:2026-W48");
}

TEST(Planner, Deterministic) {
  CustomerBuilder b = StoppedAccounts("a", 6, "");
  b.User("cs-1", true, 3).User("cs-2", true, 3);
  EngineConfig config;
  config.contact.pool_user_ids = {"cs-1", "cs-2"};
  Planned x = Plan(b.data(), config, "2025-11-25");
  Planned y = Plan(b.data(), config, "2025-11-25");
  ASSERT_EQ(x.plan.queue.size(), y.plan.queue.size());
  for (size_t i = 0; i < x.plan.queue.size(); ++i) {
    EXPECT_EQ(x.plan.queue[i].task_key, y.plan.queue[i].task_key);
    EXPECT_EQ(x.plan.queue[i].assignee_id, y.plan.queue[i].assignee_id);
    EXPECT_EQ(x.plan.queue[i].due_day, y.plan.queue[i].due_day);
  }
}

}  // namespace
}  // namespace pulse

namespace pulse {
namespace {

TEST(Planner, WatchedAccountsGetRiskTasksFromALowerThreshold) {
  CustomerBuilder b = StoppedAccounts("w", 2, "u1");
  b.User("u1", true, 10);
  EngineConfig config;
  Planned base = Plan(b.data(), config, "2025-11-25");
  const AccountAssessment* a = base.portfolio.Find("w0");
  ASSERT_NE(a, nullptr);
  ASSERT_GT(a->churn_probability, 0.5);
  ASSERT_LT(a->churn_probability, 1.0);
  ASSERT_NE(ItemFor(base, "w0"), nullptr) << "planned with the default threshold";
  // Above the account's probability: no risk task, unless watched (1.0 x 0.5).
  config.contact.min_churn_probability = 1.0;
  config.handoff.watch_threshold_factor = 0.5;
  PlanParams pp;
  pp.now = Day("2025-11-25");
  ContactPlan unwatched = PlanContacts(base.portfolio, config, pp);
  pp.watched_accounts = {"w0"};
  ContactPlan watched = PlanContacts(base.portfolio, config, pp);
  auto has = [&](const ContactPlan& plan, const std::string& id) {
    for (const QueueItem& q : plan.queue) {
      if (base.portfolio.accounts[q.account].account_id == id) return true;
    }
    return false;
  };
  EXPECT_FALSE(has(unwatched, "w0"));
  EXPECT_TRUE(has(watched, "w0"));
  EXPECT_EQ(has(watched, "w1"), has(unwatched, "w1")) << "only the watched account changes";
}

}  // namespace
}  // namespace pulse
