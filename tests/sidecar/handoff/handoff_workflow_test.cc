#include "sidecar/handoff/handoff_workflow.h"

#include <algorithm>
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

class HandoffWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CustomerBuilder b;
    b.User("u1", true, 10).User("u2", true, 10).User("cs-1", true, 10).User("gone", false, 10);
    for (int i = 0; i < 4; ++i) {
      const std::string id = absl::StrCat("g", i);
      b.Account(id, "gone").Orders(id, "2024-01-05", "2025-11-10", 14 + i, 300 + 100 * i);
    }
    b.Account("s1", "u1").Orders("s1", "2024-01-05", "2025-11-20", 14, 300);
    b.Account("s2", "u2").Orders("s2", "2024-01-05", "2025-11-20", 21, 300);
    b.Call("g1", "2025-10-01", "gone");
    state_ = std::make_shared<MemoryCrmState>();
    state_->data = b.data();
    StoreOptions options;
    options.path = ":memory:";
    auto store = Store::Open(options);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    PulseConfig config;
    config.engine.contact.pool_user_ids = {"cs-1"};
    config.engine.contact.holdout_share = {{"key", 0}, {"mid", 0}, {"tail", 0}};
    sweeper_ = std::make_unique<Sweeper>(std::make_unique<MemoryCrm>(state_), store_.get(), config);
    handoffs_ = std::make_unique<HandoffWorkflow>(sweeper_.get());
  }

  void Sweep() {
    SweepRequest r;
    r.as_of = Day("2025-11-25");
    auto report = sweeper_->Run(r, nullptr);
    ASSERT_THAT(report, IsOk());
    ASSERT_TRUE(report->succeeded()) << report->error();
  }

  pulse::v1::HandoffPlan PlanGone() {
    pulse::v1::PlanHandoffRequest request;
    request.set_from_user_id("gone");
    request.set_effective_date("2025-12-01");
    request.set_requested_by("manager");
    pulse::v1::HandoffPlan plan;
    EXPECT_THAT(handoffs_->Plan(request, &plan), IsOk());
    return plan;
  }

  absl::Status Apply(int64_t id, pulse::v1::HandoffPlan* out, bool dry_run = false) {
    pulse::v1::ApplyHandoffRequest request;
    request.set_plan_id(id);
    request.set_dry_run(dry_run);
    request.set_requested_by("manager");
    return handoffs_->Apply(request, out);
  }

  std::map<std::string, std::string> CrmOwners() {
    absl::MutexLock lock(&state_->mu);
    return state_->owners;
  }
  std::vector<std::string> TaskWrites() {
    absl::MutexLock lock(&state_->mu);
    return state_->task_write_log;
  }
  std::vector<std::string> OwnerChangeWrites() {
    absl::MutexLock lock(&state_->mu);
    return state_->owner_change_log;
  }

  std::shared_ptr<MemoryCrmState> state_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Sweeper> sweeper_;
  std::unique_ptr<HandoffWorkflow> handoffs_;
};

TEST_F(HandoffWorkflowTest, NeedsASweepFirst) {
  pulse::v1::ListHandoffsResponse list;
  EXPECT_THAT(handoffs_->List({}, &list), StatusIs(absl::StatusCode::kFailedPrecondition));
  pulse::v1::PlanHandoffRequest request;
  request.set_from_user_id("gone");
  pulse::v1::HandoffPlan plan;
  EXPECT_THAT(handoffs_->Plan(request, &plan), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(HandoffWorkflowTest, BadArgumentsAreNamed) {
  Sweep();
  pulse::v1::HandoffPlan plan;
  pulse::v1::PlanHandoffRequest p;
  EXPECT_THAT(handoffs_->Plan(p, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from_user_id")));
  p.set_from_user_id("nobody");
  EXPECT_THAT(handoffs_->Plan(p, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from_user_id")));
  p.set_from_user_id("gone");
  p.set_effective_date("1.12.2025");
  EXPECT_THAT(handoffs_->Plan(p, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("effective_date")));
  p.set_effective_date("");
  p.add_to_user_ids("gone");
  EXPECT_THAT(handoffs_->Plan(p, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_user_ids")));
  p.clear_to_user_ids();
  p.add_to_user_ids("nobody");
  EXPECT_THAT(handoffs_->Plan(p, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_user_ids")));
  p.clear_to_user_ids();
  p.set_requested_by(std::string(300, 'x'));
  EXPECT_THAT(handoffs_->Plan(p, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("requested_by")));
  pulse::v1::GetHandoffPlanRequest g;
  EXPECT_THAT(handoffs_->Get(g, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plan_id")));
  g.set_plan_id(99);
  EXPECT_THAT(handoffs_->Get(g, &plan), StatusIs(absl::StatusCode::kNotFound));
  const pulse::v1::HandoffPlan made = PlanGone();
  pulse::v1::MoveHandoffAccountRequest m;
  m.set_plan_id(made.plan_id());
  m.set_to_user_id("u1");
  EXPECT_THAT(handoffs_->Move(m, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("account_id")));
  m.set_account_id("g1");
  m.set_to_user_id("cs-1");
  EXPECT_THAT(handoffs_->Move(m, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_user_id")));
  m.set_account_id("s1");
  m.set_to_user_id("u1");
  EXPECT_THAT(handoffs_->Move(m, &plan), StatusIs(absl::StatusCode::kNotFound, HasSubstr("account_id")));
  EXPECT_THAT(Apply(0, &plan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plan_id")));
}

TEST_F(HandoffWorkflowTest, DetectsPlansMovesAndDiscards) {
  Sweep();
  pulse::v1::ListHandoffsResponse list;
  ASSERT_THAT(handoffs_->List({}, &list), IsOk());
  ASSERT_EQ(list.pending_size(), 1);
  EXPECT_EQ(list.pending(0).user_id(), "gone");
  EXPECT_EQ(list.pending(0).accounts(), 4);

  const pulse::v1::HandoffPlan plan = PlanGone();
  EXPECT_EQ(plan.status(), "planned");
  EXPECT_EQ(plan.assignments_size(), 4);
  EXPECT_EQ(plan.unassigned(), 0);
  ASSERT_EQ(plan.loads_size(), 2) << "u1 and u2; not the pool (cs-1) nor the departed";
  EXPECT_EQ(plan.loads(0).user_id(), "u1");
  EXPECT_EQ(plan.loads(0).accounts_before(), 1);
  EXPECT_EQ(plan.loads(0).accounts_after() + plan.loads(1).accounts_after(), 6);
  for (const auto& a : plan.assignments()) EXPECT_FALSE(a.reason().empty()) << a.account_id();
  ASSERT_EQ(plan.audit_size(), 1);
  EXPECT_EQ(plan.audit(0).requested_by(), "manager");

  std::string g1_to;
  for (const auto& a : plan.assignments()) {
    if (a.account_id() == "g1") g1_to = a.to_user_id();
  }
  const std::string other = g1_to == "u1" ? "u2" : "u1";
  pulse::v1::MoveHandoffAccountRequest m;
  m.set_plan_id(plan.plan_id());
  m.set_account_id("g1");
  m.set_to_user_id(other);
  m.set_requested_by("manager");
  pulse::v1::HandoffPlan moved;
  ASSERT_THAT(handoffs_->Move(m, &moved), IsOk());
  for (const auto& a : moved.assignments()) {
    if (a.account_id() == "g1") {
      EXPECT_EQ(a.to_user_id(), other);
      EXPECT_EQ(a.reason(), "moved by manager");
    }
  }
  ASSERT_THAT(handoffs_->List({}, &list), IsOk());
  ASSERT_EQ(list.pending(0).open_plan_ids_size(), 1);
  ASSERT_EQ(list.plans_size(), 1);

  pulse::v1::DiscardHandoffPlanRequest d;
  d.set_plan_id(plan.plan_id());
  pulse::v1::HandoffPlan discarded;
  ASSERT_THAT(handoffs_->Discard(d, &discarded), IsOk());
  EXPECT_EQ(discarded.status(), "discarded");
  EXPECT_THAT(handoffs_->Move(m, &moved), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Apply(plan.plan_id(), &moved), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("discarded")));
  ASSERT_THAT(handoffs_->List({}, &list), IsOk());
  EXPECT_EQ(list.plans_size(), 0) << "closed plans only with include_closed";
  EXPECT_TRUE(CrmOwners().empty());
}

TEST_F(HandoffWorkflowTest, ApplyIsExactlyOnceAndResumesAfterACrmFailure) {
  Sweep();
  const pulse::v1::HandoffPlan plan = PlanGone();
  const size_t tasks_before = TaskWrites().size();
  pulse::v1::HandoffPlan out;
  ASSERT_THAT(Apply(plan.plan_id(), &out, /*dry_run=*/true), IsOk());
  EXPECT_EQ(out.messages_size(), 4);
  EXPECT_EQ(out.status(), "planned");
  EXPECT_TRUE(CrmOwners().empty());

  // The CRM is down for the first owner change...
  {
    absl::MutexLock lock(&state_->mu);
    state_->fail_next_owner_changes = 1;
  }
  ASSERT_THAT(Apply(plan.plan_id(), &out), IsOk());
  EXPECT_EQ(out.status(), "applying");
  EXPECT_GT(out.pending(), 0);
  EXPECT_EQ(out.owner_changes_delivered(), 0) << "a CRM-wide failure stops the apply";
  EXPECT_EQ(TaskWrites().size(), tasks_before);

  // ...and again with the CRM back: everything once.
  ASSERT_THAT(Apply(plan.plan_id(), &out), IsOk());
  EXPECT_EQ(out.status(), "applied");
  EXPECT_EQ(out.pending(), 0);
  EXPECT_EQ(out.owner_changes_delivered(), 4);
  EXPECT_EQ(out.intro_tasks_delivered(), 4);
  std::map<std::string, std::string> owners = CrmOwners();
  for (const auto& a : out.assignments()) {
    EXPECT_EQ(owners[a.account_id()], a.to_user_id());
    EXPECT_EQ(a.owner_change_status(), "delivered");
    EXPECT_EQ(a.intro_task_status(), "delivered");
    EXPECT_THAT(a.intro_task_key(), HasSubstr(":handover_intro:2025-W49"));
  }
  // A third apply writes nothing.
  ASSERT_THAT(Apply(plan.plan_id(), &out), IsOk());
  EXPECT_EQ(out.owner_changes_delivered() + out.intro_tasks_delivered(), 0);
  const std::vector<std::string> changes = OwnerChangeWrites();
  EXPECT_EQ(changes.size(), 4u);
  EXPECT_EQ(std::set<std::string>(changes.begin(), changes.end()).size(), 4u);
  std::vector<std::string> intro;
  for (const std::string& k : TaskWrites()) {
    if (k.find(":handover_intro:") != std::string::npos) intro.push_back(k);
  }
  EXPECT_EQ(intro.size(), 4u);

  // The intro task carries the brief, for the new owner.
  {
    absl::MutexLock lock(&state_->mu);
    const TaskRequest& t = state_->tasks.at(out.assignments(0).intro_task_key());
    EXPECT_EQ(t.assignee_id, out.assignments(0).to_user_id());
    EXPECT_THAT(t.description, HasSubstr("# Handover brief"));
    EXPECT_THAT(t.description, HasSubstr("## What the previous owner last did"));
  }
  // Watched from the effective day.
  absl::StatusOr<std::vector<HandoffWatch>> watches = store_->ActiveHandoffWatches(Day("2025-12-02"));
  ASSERT_THAT(watches, IsOk());
  EXPECT_EQ(watches->size(), 4u);
  // The audit log tells who did what.
  std::vector<std::string> actions;
  for (const auto& e : out.audit()) actions.push_back(e.action());
  EXPECT_THAT(actions, ::testing::ElementsAre("plan", "apply", "apply", "applied"))
      << "the third apply changed nothing: no entry";
}

TEST_F(HandoffWorkflowTest, ApplyIsRefusedWhileASweepRunsAndTheSweepFinishesAHalfDoneApply) {
  Sweep();
  const pulse::v1::HandoffPlan plan = PlanGone();
  pulse::v1::HandoffPlan out;
  absl::Status inside;
  ASSERT_THAT(sweeper_->RunExclusive([&](CrmAdapter&) {
    inside = Apply(plan.plan_id(), &out);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(inside, StatusIs(absl::StatusCode::kAborted));

  {
    absl::MutexLock lock(&state_->mu);
    state_->fail_next_owner_changes = 1;
  }
  ASSERT_THAT(Apply(plan.plan_id(), &out), IsOk());
  EXPECT_EQ(out.status(), "applying");
  EXPECT_TRUE(CrmOwners().empty());
  // The next sweep delivers the owner changes (after their backoff) and the intro tasks.
  SweepRequest r;
  r.as_of = Day("2025-11-25");
  absl::SleepFor(absl::Milliseconds(1));
  auto report = sweeper_->Run(r, nullptr);
  ASSERT_THAT(report, IsOk());
  // The failed change waits for its backoff; the other three went through.
  EXPECT_EQ(CrmOwners().size(), 3u);
  ASSERT_THAT(Apply(plan.plan_id(), &out), IsOk());
  EXPECT_EQ(out.status(), "applied");
  EXPECT_EQ(CrmOwners().size(), 4u);
  EXPECT_EQ(OwnerChangeWrites().size(), 4u);
}

TEST_F(HandoffWorkflowTest, RevertGivesTheAccountsBack) {
  Sweep();
  const pulse::v1::HandoffPlan plan = PlanGone();
  pulse::v1::HandoffPlan out;
  pulse::v1::RevertHandoffRequest revert;
  revert.set_plan_id(plan.plan_id());
  revert.set_requested_by("manager");
  EXPECT_THAT(handoffs_->Revert(revert, &out), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("planned")));
  ASSERT_THAT(Apply(plan.plan_id(), &out), IsOk());
  ASSERT_EQ(out.status(), "applied");
  ASSERT_THAT(handoffs_->Revert(revert, &out), IsOk());
  EXPECT_EQ(out.status(), "reverted");
  EXPECT_EQ(out.owner_changes_delivered(), 4);
  for (const auto& [account, owner] : CrmOwners()) EXPECT_EQ(owner, "gone") << account;
  absl::StatusOr<std::vector<HandoffWatch>> watches = store_->ActiveHandoffWatches(Day("2025-12-02"));
  ASSERT_THAT(watches, IsOk());
  EXPECT_TRUE(watches->empty());
  // Again: nothing more happens.
  ASSERT_THAT(handoffs_->Revert(revert, &out), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reverted")));
  EXPECT_EQ(OwnerChangeWrites().size(), 8u);
}

}  // namespace
}  // namespace pulse
