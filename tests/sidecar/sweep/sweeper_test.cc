#include "sidecar/sweep/sweeper.h"

#include <map>
#include <set>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/metrics.h"
#include "tests/sidecar/engine/engine_test_util.h"
#include "tests/testing/memory_crm.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::CustomerBuilder;
using ::pulse::testing::Day;
using ::pulse::testing::IsOk;
using ::pulse::testing::MemoryCrm;
using ::pulse::testing::MemoryCrmState;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

class SweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CustomerBuilder b;
    b.User("u1", true, 10).User("cs-1", true, 10).User("gone", false);
    for (int i = 0; i < 4; ++i) {
      const std::string id = absl::StrCat("stopped", i);
      b.Account(id, i % 2 == 0 ? "u1" : "").Orders(id, "2024-01-05", "2025-06-20", 21, 500 + i);
    }
    b.Account("steady", "u1").Orders("steady", "2024-01-05", "2025-11-20", 14, 300);
    b.Account("orphaned", "gone").Orders("orphaned", "2024-01-05", "2025-06-20", 21, 800);
    state_ = std::make_shared<MemoryCrmState>();
    state_->data = b.data();
    StoreOptions options;
    options.path = ":memory:";
    auto store = Store::Open(options);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    config_.store_path = ":memory:";
    config_.engine.contact.pool_user_ids = {"cs-1"};
    // Counts below assume every task is written; the holdout has its own test.
    config_.engine.contact.holdout_share = {{"key", 0}, {"mid", 0}, {"tail", 0}};
    // ...and only the risk tasks: feedback requests and recognitions have their own tests.
    config_.engine.feedback.enabled = false;
    config_.engine.recognition.enabled = false;
    sweeper_ = std::make_unique<Sweeper>(std::make_unique<MemoryCrm>(state_), store_.get(), config_);
  }

  absl::StatusOr<pulse::v1::SweepReport> Sweep(bool dry_run = false) {
    SweepRequest r;
    r.dry_run = dry_run;
    r.as_of = Day("2025-11-25");
    return sweeper_->Run(r, nullptr);
  }

  size_t CrmTasks() {
    absl::MutexLock lock(&state_->mu);
    return state_->tasks.size();
  }

  std::shared_ptr<MemoryCrmState> state_;
  std::unique_ptr<Store> store_;
  PulseConfig config_;
  std::unique_ptr<Sweeper> sweeper_;
};

TEST_F(SweeperTest, SyncsScoresPlansAndWritesTasks) {
  std::vector<pulse::v1::SweepPhase> phases;
  SweepRequest r;
  r.as_of = Day("2025-11-25");
  auto report = sweeper_->Run(r, [&](const pulse::v1::SweepProgress& p) {
    if (phases.empty() || phases.back() != p.phase()) phases.push_back(p.phase());
  });
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->succeeded()) << report->error();
  EXPECT_EQ(report->accounts_scored(), 6);
  EXPECT_EQ(report->tasks_planned(), 5);  // 4 stopped + the inactive owner's account
  EXPECT_EQ(report->tasks_created(), 5);
  EXPECT_EQ(report->tasks_pending(), 0);
  EXPECT_EQ(CrmTasks(), 5u);
  EXPECT_TRUE(sweeper_->HasSynced());
  EXPECT_THAT(phases, ::testing::ElementsAre(pulse::v1::SWEEP_PHASE_SYNC, pulse::v1::SWEEP_PHASE_SCORE,
                                             pulse::v1::SWEEP_PHASE_PLAN, pulse::v1::SWEEP_PHASE_DELIVER,
                                             pulse::v1::SWEEP_PHASE_DONE));
  auto latest = sweeper_->Latest();
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->sweep_id, report->sweep_id());
  // Unowned and inactive-owner accounts went to the pool; the rest to u1.
  absl::MutexLock lock(&state_->mu);
  for (const auto& [key, task] : state_->tasks) {
    if (task.account_id == "stopped1" || task.account_id == "stopped3" || task.account_id == "orphaned") {
      EXPECT_EQ(task.assignee_id, "cs-1") << key;
    } else {
      EXPECT_EQ(task.assignee_id, "u1") << key;
    }
    EXPECT_THAT(task.description, HasSubstr("Pulse task key: " + key));
  }
}

TEST_F(SweeperTest, SecondSweepCreatesNoDuplicate) {
  ASSERT_THAT(Sweep(), IsOk());
  auto second = Sweep();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->tasks_planned(), 0);
  EXPECT_EQ(second->tasks_skipped_open(), 5);
  EXPECT_EQ(second->tasks_created(), 0);
  EXPECT_EQ(CrmTasks(), 5u);
  absl::MutexLock lock(&state_->mu);
  EXPECT_EQ(state_->task_write_log.size(), 5u) << "no write was even attempted twice";
}

TEST_F(SweeperTest, HoldoutAccountsGetNoTaskAndBothArmsAreRecordedOnce) {
  config_.engine.contact.holdout_share = {{"key", 0.5}, {"mid", 0.5}, {"tail", 0.5}};
  sweeper_ = std::make_unique<Sweeper>(std::make_unique<MemoryCrm>(state_), store_.get(), config_);
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<HoldoutAssignment> arms, store_->HoldoutAssignments());
  ASSERT_EQ(arms.size(), 6u);  // every scored account, once
  std::set<std::string> held_out;
  for (const HoldoutAssignment& a : arms) {
    if (a.holdout) held_out.insert(a.account_id);
    EXPECT_DOUBLE_EQ(a.share, 0.5);
  }
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ContactDecision> decisions,
                             store_->ContactDecisionsSince(absl::InfinitePast()));
  // The five accounts that need a call are decided, in one arm or the other.
  ASSERT_EQ(decisions.size(), 5u);
  int64_t withheld = 0;
  for (const ContactDecision& d : decisions) {
    EXPECT_EQ(d.holdout, held_out.count(d.account_id) == 1) << d.account_id;
    if (d.holdout) ++withheld;
  }
  EXPECT_EQ(first->tasks_held_out(), withheld);
  EXPECT_EQ(first->tasks_created(), 5 - withheld);
  {
    absl::MutexLock lock(&state_->mu);
    for (const auto& [key, task] : state_->tasks) EXPECT_EQ(held_out.count(task.account_id), 0u) << key;
  }
  // The next sweep decides nothing new and writes nothing: a withheld
  // decision blocks a repeat like a task does.
  auto second = Sweep();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->tasks_planned(), 0);
  EXPECT_EQ(second->tasks_created(), 0);
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ContactDecision> again, store_->ContactDecisionsSince(absl::InfinitePast()));
  EXPECT_EQ(again.size(), 5u);
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<HoldoutAssignment> arms_again, store_->HoldoutAssignments());
  for (size_t i = 0; i < arms.size(); ++i) EXPECT_EQ(arms_again[i].holdout, arms[i].holdout);
  // The uplift report counts them as maturing (the horizon is not over).
  const UpliftReport& uplift = sweeper_->Latest()->uplift;
  ASSERT_FALSE(uplift.cells.empty());
  const UpliftCell& total = uplift.cells.back();
  EXPECT_EQ(total.action, "");
  EXPECT_EQ(total.treated.maturing, 5 - withheld);
  EXPECT_EQ(total.holdout.maturing, withheld);
  EXPECT_EQ(uplift.holdout_accounts, static_cast<int64_t>(held_out.size()));
}

TEST_F(SweeperTest, ADryRunRecordsNoHoldoutAssignmentOrDecision) {
  config_.engine.contact.holdout_share = {{"key", 0.5}, {"mid", 0.5}, {"tail", 0.5}};
  sweeper_ = std::make_unique<Sweeper>(std::make_unique<MemoryCrm>(state_), store_.get(), config_);
  ASSERT_THAT(Sweep(/*dry_run=*/true), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<HoldoutAssignment> arms, store_->HoldoutAssignments());
  EXPECT_TRUE(arms.empty());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ContactDecision> decisions,
                             store_->ContactDecisionsSince(absl::InfinitePast()));
  EXPECT_TRUE(decisions.empty());
}

TEST_F(SweeperTest, ScoresAreRecordedAfterRealSweepsOnlyOnChangeOrAge) {
  ASSERT_THAT(Sweep(/*dry_run=*/true), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ScoreRecord> history, store_->ScoreHistory("steady"));
  EXPECT_TRUE(history.empty()) << "a dry run records nothing";

  ASSERT_THAT(Sweep(), IsOk());
  const AccountAssessment* steady = sweeper_->Latest()->portfolio.Find("steady");
  ASSERT_NE(steady, nullptr);
  for (const AccountAssessment& a : sweeper_->Latest()->portfolio.accounts) {
    PULSE_ASSERT_OK_AND_ASSIGN(history, store_->ScoreHistory(a.account_id));
    ASSERT_EQ(history.size(), 1u) << a.account_id;
    EXPECT_DOUBLE_EQ(history[0].churn_probability, a.churn_probability);
    EXPECT_DOUBLE_EQ(history[0].value_at_risk, a.value_at_risk);
    EXPECT_EQ(history[0].tier, a.tier);
    EXPECT_EQ(history[0].as_of, Day("2025-11-25"));
  }
  // A day later nothing changed much: nothing recorded. Four weeks after the first: everything again.
  SweepRequest next;
  next.as_of = Day("2025-11-26");
  ASSERT_THAT(sweeper_->Run(next, nullptr), IsOk());
  next.as_of = Day("2025-12-23");
  ASSERT_THAT(sweeper_->Run(next, nullptr), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(history, store_->ScoreHistory("steady"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].as_of, Day("2025-12-23"));
}

TEST_F(SweeperTest, SnapshotCarriesTheCoverageReport) {
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  auto open_tasks = [this]() {
    std::map<std::string, int64_t> out;
    for (const OwnerFigures& o : sweeper_->Latest()->coverage.owners) out[o.user_id] = o.open_tasks;
    return out;
  };
  const CoverageReport& c = sweeper_->Latest()->coverage;
  EXPECT_EQ(c.current.accounts, first->accounts_scored());
  const SegmentFigures* all = c.current.Segment(kSegmentAll);
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->accounts_at_risk, first->accounts_at_risk());
  EXPECT_DOUBLE_EQ(all->value_at_risk, first->value_at_risk());
  // stopped1 and stopped3 have no owner; orphaned's owner is inactive.
  EXPECT_EQ(c.current.Segment(kSegmentUnowned)->accounts, 3);
  EXPECT_EQ(c.trend.size(), 5u) << "four earlier quarters and now";
  EXPECT_EQ(c.trend.back().as_of, c.current.as_of);
  // This sweep's tasks: stopped0 and stopped2 to u1, the other three to the pool.
  using Open = std::map<std::string, int64_t>;
  EXPECT_EQ(open_tasks(), (Open{{"cs-1", 3}, {"gone", 0}, {"u1", 2}}));
  // A second sweep plans nothing new: the same tasks, now read from the ledger.
  ASSERT_THAT(Sweep(), IsOk());
  EXPECT_EQ(open_tasks(), (Open{{"cs-1", 3}, {"gone", 0}, {"u1", 2}}));
}

TEST_F(SweeperTest, TrendPointsAreReplayedOnlyWhenBackDatedRecordsArrive) {
  state_->incremental = true;
  auto trend_revenue = [this]() {
    std::vector<double> out;
    for (const CoverageFigures& f : sweeper_->Latest()->coverage.trend) out.push_back(f.revenue);
    return out;
  };
  ASSERT_THAT(Sweep(), IsOk());
  EXPECT_EQ(sweeper_->Latest()->coverage.trend_replayed, 4);
  const std::vector<double> before = trend_revenue();
  // Nothing new: every earlier point is kept.
  ASSERT_THAT(Sweep(), IsOk());
  EXPECT_EQ(sweeper_->Latest()->coverage.trend_replayed, 0);
  EXPECT_EQ(trend_revenue(), before);
  // A new order of this week changes none of the earlier days.
  {
    absl::MutexLock lock(&state_->mu);
    CustomerBuilder b;
    b.Order("steady", Day("2025-11-24"), 50);
    pulse::Order o = b.data().orders.front();
    o.id = "new-1";
    state_->data.orders.push_back(o);
  }
  ASSERT_THAT(Sweep(), IsOk());
  EXPECT_EQ(sweeper_->Latest()->coverage.trend_replayed, 0);
  // A back-dated order (2025-03-01) changes the points of 2025-05-29 and
  // 2025-08-27, not those of 2024-11-30 and 2025-02-28.
  {
    absl::MutexLock lock(&state_->mu);
    CustomerBuilder b;
    b.Order("steady", Day("2025-03-01"), 1000);
    pulse::Order o = b.data().orders.front();
    o.id = "late-1";
    state_->data.orders.push_back(o);
  }
  ASSERT_THAT(Sweep(), IsOk());
  EXPECT_EQ(sweeper_->Latest()->coverage.trend_replayed, 2);
  const std::vector<double> after = trend_revenue();
  ASSERT_EQ(after.size(), 5u);
  EXPECT_DOUBLE_EQ(after[0], before[0]);
  EXPECT_DOUBLE_EQ(after[1], before[1]);
  EXPECT_DOUBLE_EQ(after[2], before[2] + 1000);
  EXPECT_DOUBLE_EQ(after[3], before[3] + 1000);
  EXPECT_DOUBLE_EQ(after[4], before[4] + 1050);
}

TEST_F(SweeperTest, ASecondSweepTheSameDayReusesTheLearnedModel) {
  ASSERT_THAT(Sweep(), IsOk());
  const std::shared_ptr<const SweepSnapshot> first = sweeper_->Latest();
  ASSERT_NE(first->portfolio.learned, nullptr);
  EXPECT_THAT(first->portfolio.churn_model_summary, ::testing::Not(HasSubstr("reused")));
  ASSERT_THAT(Sweep(), IsOk());
  const std::shared_ptr<const SweepSnapshot> second = sweeper_->Latest();
  EXPECT_EQ(second->portfolio.learned, first->portfolio.learned);
  EXPECT_THAT(second->portfolio.churn_model_summary, HasSubstr("reused from earlier today"));
  for (const AccountAssessment& a : second->portfolio.accounts) {
    const AccountAssessment* earlier = first->portfolio.Find(a.account_id);
    ASSERT_NE(earlier, nullptr);
    EXPECT_DOUBLE_EQ(a.churn_probability, earlier->churn_probability) << a.account_id;
  }
  // Another day trains again.
  SweepRequest next_day;
  next_day.as_of = Day("2025-11-26");
  ASSERT_THAT(sweeper_->Run(next_day, nullptr), IsOk());
  EXPECT_NE(sweeper_->Latest()->portfolio.learned, first->portfolio.learned);
  EXPECT_THAT(sweeper_->Latest()->portfolio.churn_model_summary, ::testing::Not(HasSubstr("reused")));
}

TEST_F(SweeperTest, CrmDownDuringWritesLosesNothing) {
  state_->fail_next_writes = 100;
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->succeeded());
  EXPECT_EQ(first->tasks_planned(), 5);
  EXPECT_EQ(first->tasks_created(), 0);
  EXPECT_EQ(first->tasks_failed(), 1) << "delivery stops at the first CRM-wide failure";
  EXPECT_EQ(first->tasks_pending(), 5);
  EXPECT_THAT(first->warnings(), ::testing::Contains(HasSubstr("wait in the outbox")));
  EXPECT_EQ(CrmTasks(), 0u);
  // The CRM is back; retries are due after their backoff.
  state_->fail_next_writes = 0;
  auto due = store_->DueTasks(absl::Now() + absl::Hours(1));
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(due->size(), 5u);
  // Pretend the backoff has passed by delivering with a clock an hour ahead:
  // the outbox is what the next sweep reads.
  for (const TaskRecord& t : *due) {
    ASSERT_THAT(store_->MarkTaskAttemptFailed(t.request.key, "test", absl::Now() - absl::Seconds(1), false), IsOk());
  }
  auto second = Sweep();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->tasks_planned(), 0);
  EXPECT_EQ(second->tasks_created(), 5);
  EXPECT_EQ(second->tasks_pending(), 0);
  EXPECT_EQ(CrmTasks(), 5u);
}

TEST_F(SweeperTest, WriteAcceptedThenTimedOutIsNotDuplicated) {
  state_->accept_then_timeout = 1;
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->tasks_failed(), 1);
  EXPECT_EQ(CrmTasks(), 1u) << "the CRM stored the task although it timed out";
  auto due = store_->DueTasks(absl::Now() + absl::Hours(1));
  ASSERT_THAT(due, IsOk());
  for (const TaskRecord& t : *due) {
    ASSERT_THAT(store_->MarkTaskAttemptFailed(t.request.key, "test", absl::Now() - absl::Seconds(1), false), IsOk());
  }
  auto second = Sweep();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->tasks_pending(), 0);
  EXPECT_EQ(CrmTasks(), 5u);
  absl::MutexLock lock(&state_->mu);
  std::set<std::string> keys(state_->task_write_log.begin(), state_->task_write_log.end());
  EXPECT_EQ(keys.size(), 5u);
}

TEST_F(SweeperTest, PermanentWriteErrorsAreNotRetriedForever) {
  state_->fail_next_writes = 1;
  state_->write_error = absl::InvalidArgumentError("assigned user does not exist");
  auto report = Sweep();
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->tasks_failed(), 1);
  EXPECT_EQ(report->tasks_created(), 4) << "a permanent error does not stop the others";
  EXPECT_EQ(report->tasks_pending(), 0);
}

TEST_F(SweeperTest, RequiredEntityDownFailsTheSweepAndPlansNothing) {
  state_->entity_errors[Entity::kOrders] = absl::UnavailableError("connection refused");
  auto report = Sweep();
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->succeeded());
  EXPECT_THAT(report->error(), HasSubstr("reading orders"));
  EXPECT_EQ(report->tasks_planned(), 0);
  EXPECT_EQ(CrmTasks(), 0u);
  EXPECT_FALSE(sweeper_->HasSynced());
  EXPECT_EQ(sweeper_->Latest(), nullptr);
  bool found = false;
  for (const auto& e : report->entities()) {
    if (e.entity() == "orders") {
      found = true;
      EXPECT_THAT(e.error(), HasSubstr("connection refused"));
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(SweeperTest, OptionalEntityDownIsAWarning) {
  state_->entity_errors[Entity::kCases] = absl::UnavailableError("helpdesk module offline");
  auto report = Sweep();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->succeeded());
  EXPECT_THAT(report->warnings(), ::testing::Contains(HasSubstr("cases could not be read")));
  EXPECT_EQ(report->tasks_created(), 5);
}

TEST_F(SweeperTest, DryRunWritesNothing) {
  auto report = Sweep(/*dry_run=*/true);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->tasks_planned(), 5);
  EXPECT_EQ(report->tasks_created(), 0);
  EXPECT_EQ(CrmTasks(), 0u);
  auto ledger = store_->TasksCreatedSince(absl::InfinitePast());
  ASSERT_THAT(ledger, IsOk());
  EXPECT_TRUE(ledger->empty());
  // A real sweep afterwards still plans them.
  EXPECT_EQ(Sweep()->tasks_created(), 5);
}

TEST_F(SweeperTest, RejectedRowsAreReportedWithSourceAndLine) {
  state_->rejected_orders = {{"orders.csv", 812, "amount 'abc' is not a number"}};
  auto report = Sweep();
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rejected_total(), 1);
  ASSERT_EQ(report->rejected_size(), 1);
  EXPECT_EQ(report->rejected(0).line(), 812);
  EXPECT_THAT(FormatSweepReport(*report), HasSubstr("orders.csv:812: amount 'abc' is not a number"));
}

TEST_F(SweeperTest, RefusesTheFutureAndConcurrentSweeps) {
  SweepRequest future;
  future.as_of = absl::Now() + absl::Hours(48);
  EXPECT_THAT(sweeper_->Run(future, nullptr), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("future")));

  absl::Notification in_sweep, release;
  std::thread t([&] {
    SweepRequest r;
    r.as_of = Day("2025-11-25");
    (void)sweeper_->Run(r, [&](const pulse::v1::SweepProgress&) {
      if (!in_sweep.HasBeenNotified()) {
        in_sweep.Notify();
        release.WaitForNotification();
      }
    });
  });
  in_sweep.WaitForNotification();
  EXPECT_THAT(Sweep(), StatusIs(absl::StatusCode::kAborted));
  release.Notify();
  t.join();
}

TEST_F(SweeperTest, SweepHistoryIsRecorded) {
  ASSERT_THAT(Sweep(), IsOk());
  ASSERT_THAT(Sweep(true), IsOk());
  auto sweeps = store_->RecentSweeps(10);
  ASSERT_THAT(sweeps, IsOk());
  ASSERT_EQ(sweeps->size(), 2u);
  EXPECT_TRUE((*sweeps)[0].dry_run);
  EXPECT_EQ((*sweeps)[1].status, "succeeded");
  EXPECT_THAT((*sweeps)[1].report_json, HasSubstr("tasks_created"));
}

}  // namespace
}  // namespace pulse

namespace pulse {
namespace {

TEST_F(SweeperTest, RecordsMetricsForSweepsTasksAndCrmRequests) {
  MetricsRegistry metrics;
  sweeper_->SetMetrics(&metrics);
  state_->fail_next_writes = 1;
  state_->entity_errors[Entity::kCases] = absl::UnavailableError("helpdesk module offline");
  auto first = Sweep();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->succeeded()) << first->error();
  EXPECT_EQ(metrics.Counter("pulse_sweeps_total", "", {"outcome"}).Value({"succeeded"}), 1);
  EXPECT_EQ(metrics.Counter("pulse_tasks_created_total", "").Value({}), first->tasks_created());
  EXPECT_EQ(metrics.Counter("pulse_tasks_failed_total", "").Value({}), 1);
  EXPECT_EQ(metrics.Gauge("pulse_tasks_pending", "").Value({}), first->tasks_pending());
  EXPECT_EQ(metrics.Gauge("pulse_accounts_scored", "").Value({}), 6);
  EXPECT_EQ(metrics.Counter("pulse_records_read_total", "", {"entity"}).Value({"accounts"}), 6);
  auto& errors = metrics.Counter("pulse_crm_request_errors_total", "", {"adapter", "operation", "code"});
  EXPECT_EQ(errors.Value({"memory", "write_task", "UNAVAILABLE"}), 1);
  EXPECT_EQ(errors.Value({"memory", "read_cases", "UNAVAILABLE"}), 1);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("pulse_crm_request_duration_seconds_count{adapter=\"memory\",operation=\"read_orders\","
                              "code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pulse_sweep_duration_seconds_count{outcome=\"succeeded\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE pulse_last_successful_sweep_timestamp_seconds gauge\n"));
  double queued = 0;
  for (const char* tier : {"key", "mid", "tail"}) {
    queued += metrics.Gauge("pulse_queue_size", "", {"tier"}).Value({tier});
  }
  EXPECT_GT(queued, 0);

  // A failed sweep counts as failed; dry runs leave the task counters alone.
  state_->entity_errors[Entity::kOrders] = absl::UnavailableError("connection refused");
  ASSERT_THAT(Sweep(), IsOk());
  EXPECT_EQ(metrics.Counter("pulse_sweeps_total", "", {"outcome"}).Value({"failed"}), 1);
  state_->entity_errors.clear();
  ASSERT_THAT(Sweep(/*dry_run=*/true), IsOk());
  EXPECT_EQ(metrics.Counter("pulse_sweeps_total", "", {"outcome"}).Value({"succeeded"}), 2);
  EXPECT_EQ(metrics.Counter("pulse_tasks_created_total", "").Value({}), first->tasks_created());
}

}  // namespace
}  // namespace pulse
