#include "sidecar/handoff/handoff_workflow.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/account_brief.h"
#include "sidecar/engine/handoff.h"
#include "sidecar/engine/planner.h"
#include "sidecar/engine/task_text.h"

namespace pulse {
namespace {

constexpr char kLog[] = "handoff";
constexpr size_t kMaxIdLength = 256;

absl::Status NoSweepYet() {
  return absl::FailedPreconditionError(
      "no sweep has finished yet: a handoff needs the latest assessment (run `pulsectl sweep`)");
}

absl::Status CheckId(const std::string& field, const std::string& value, bool required) {
  if (required && value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", kMaxIdLength, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckPlanId(int64_t id) {
  if (id <= 0) return absl::InvalidArgumentError(absl::StrCat("plan_id must be a positive plan id, got ", id));
  return absl::OkStatus();
}

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

HandoffAuditRecord Audit(const std::string& requested_by, const std::string& action, const std::string& detail) {
  HandoffAuditRecord a;
  a.at = absl::Now();
  a.requested_by = requested_by.empty() ? "unknown" : requested_by;
  a.action = action;
  a.detail = detail;
  return a;
}

std::string IntroTaskKey(const std::string& account_id, const std::string& effective_day) {
  absl::StatusOr<absl::CivilDay> day = ParseIsoDay(effective_day);
  return MakeTaskKey(account_id, ActionKind::kHandoverIntro, day.ok() ? *day : absl::CivilDay());
}

bool Closed(const std::string& status) { return status == "discarded" || status == "reverted"; }

// The intro task of one account: the brief as its description.
TaskRecord IntroTask(const SweepSnapshot& snap, const CustomerData& data, const std::vector<TaskRecord>& open,
                     const HandoffPlanRecord& plan, const HandoffAccountRecord& account, const PulseConfig& config) {
  AccountBriefInput in = BriefInputFor(data, account.account_id);
  in.assessment = snap.portfolio.Find(account.account_id);
  in.users = &snap.portfolio.users;
  in.previous_owner_id = plan.from_user_id;
  in.new_owner_id = account.to_user_id;
  in.as_of = UtcDay(snap.as_of);
  for (const TaskRecord& t : open) {
    BriefTask b;
    b.subject = t.request.subject;
    b.assignee_id = t.request.assignee_id;
    b.due_day = UtcDay(t.request.due_at);
    in.open_tasks.push_back(std::move(b));
  }
  absl::StatusOr<absl::CivilDay> effective = ParseIsoDay(plan.effective_day);
  const absl::CivilDay day = effective.ok() ? *effective : UtcDay(absl::Now());
  TaskRecord r;
  r.request.key = IntroTaskKey(account.account_id, plan.effective_day);
  r.request.account_id = account.account_id;
  r.request.assignee_id = account.to_user_id;
  r.request.type = TaskTypeFor(ActionKind::kHandoverIntro);
  // Within the first week of the new ownership.
  r.request.due_at = StartOfDay(day + 3) + absl::Hours(9);
  r.request.subject = absl::StrCat(ActionTitle(ActionKind::kHandoverIntro, config.engine.contact.language), ": ",
                                   account.account_name.empty() ? account.account_id : account.account_name);
  r.request.description = AccountBrief(in, r.request.key);
  r.request.created_at = absl::Now();
  r.action = std::string(ActionId(ActionKind::kHandoverIntro));
  r.reasons = kSignalOwnerInactive;
  return r;
}

// Tasks of the account that are not failed and were created within the
// same-reason cooldown: what the brief lists as open.
absl::StatusOr<std::vector<TaskRecord>> OpenTasks(Store& store, const std::string& account_id, absl::Time as_of,
                                                  int cooldown_days) {
  absl::StatusOr<std::vector<TaskRecord>> all = store.TasksForAccount(account_id);
  if (!all.ok()) return all.status();
  std::vector<TaskRecord> open;
  for (TaskRecord& t : *all) {
    if (t.status == DeliveryStatus::kFailed || t.request.created_at < as_of - absl::Hours(24) * cooldown_days) continue;
    open.push_back(std::move(t));
  }
  return open;
}

}  // namespace

std::string HandoffOwnerChangeKey(int64_t plan_id, const std::string& account_id, bool revert) {
  return absl::StrCat("handoff:", plan_id, ":", account_id, revert ? ":revert" : "");
}

absl::Status HandoffWorkflow::List(const pulse::v1::ListHandoffsRequest& request,
                                   pulse::v1::ListHandoffsResponse* response) {
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  if (snap == nullptr) return NoSweepYet();
  absl::StatusOr<std::vector<HandoffPlanRecord>> plans = sweeper_->store()->ListHandoffPlans();
  if (!plans.ok()) return plans.status();
  response->Clear();
  response->set_sweep_id(snap->sweep_id);
  response->set_as_of(FormatIsoDay(snap->as_of));
  std::map<std::string, pulse::v1::PendingHandoff> pending;  // by user id
  for (const AccountAssessment& a : snap->portfolio.accounts) {
    auto u = snap->portfolio.users.find(a.owner_id);
    if (a.owner_id.empty() || u == snap->portfolio.users.end() || u->second.active) continue;
    pulse::v1::PendingHandoff& p = pending[a.owner_id];
    p.set_user_id(a.owner_id);
    p.set_name(u->second.name);
    p.set_accounts(p.accounts() + 1);
    p.set_annual_value(p.annual_value() + a.annual_value);
    if (a.tier == Tier::kKey) p.set_key_accounts(p.key_accounts() + 1);
  }
  for (const HandoffPlanRecord& plan : *plans) {
    if (auto it = pending.find(plan.from_user_id); it != pending.end() && !Closed(plan.status)) {
      it->second.add_open_plan_ids(plan.id);
    }
    if (Closed(plan.status) && !request.include_closed()) continue;
    pulse::v1::HandoffPlan* out = response->add_plans();
    out->set_plan_id(plan.id);
    out->set_from_user_id(plan.from_user_id);
    if (auto u = snap->portfolio.users.find(plan.from_user_id); u != snap->portfolio.users.end()) {
      out->set_from_user_name(u->second.name);
    }
    out->set_status(plan.status);
    out->set_effective_date(plan.effective_day);
    *out->mutable_created_at() = ToProtoTime(plan.created_at);
    out->set_requested_by(plan.requested_by);
    out->set_sweep_id(plan.sweep_id);
  }
  for (auto& [user, p] : pending) *response->add_pending() = std::move(p);
  return absl::OkStatus();
}

absl::Status HandoffWorkflow::Plan(const pulse::v1::PlanHandoffRequest& request, pulse::v1::HandoffPlan* response) {
  if (absl::Status s = CheckId("from_user_id", request.from_user_id(), true); !s.ok()) return s;
  if (absl::Status s = CheckId("requested_by", request.requested_by(), false); !s.ok()) return s;
  std::vector<std::string> to;
  for (const std::string& id : request.to_user_ids()) {
    if (absl::Status s = CheckId("to_user_ids", id, true); !s.ok()) return s;
    if (id == request.from_user_id()) {
      return absl::InvalidArgumentError(
          absl::StrCat("to_user_ids: ", id, " is the departing owner and cannot be a recipient"));
    }
    to.push_back(id);
  }
  absl::CivilDay effective = UtcDay(absl::Now());
  if (!request.effective_date().empty()) {
    absl::StatusOr<absl::CivilDay> day = ParseIsoDay(request.effective_date());
    if (!day.ok()) return absl::InvalidArgumentError(absl::StrCat("effective_date: ", day.status().message()));
    effective = *day;
  }
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  if (snap == nullptr) return NoSweepYet();
  const Portfolio& portfolio = snap->portfolio;
  if (portfolio.users.find(request.from_user_id()) == portfolio.users.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_user_id: '", request.from_user_id(), "' is not a CRM user in sweep ", snap->sweep_id));
  }
  const PulseConfig& config = sweeper_->config();
  if (to.empty()) to = DefaultHandoffRecipients(portfolio, request.from_user_id(), config.engine.contact.pool_user_ids);
  Store& store = *sweeper_->store();
  absl::StatusOr<CustomerData> data = store.LoadCustomerData();
  if (!data.ok()) return data.status();
  absl::StatusOr<HandoffInput> input = MakeHandoffInput(portfolio, data->accounts, request.from_user_id(), to,
                                                        config.engine.contact, config.engine.handoff);
  if (!input.ok()) return input.status();
  size_t departing = 0;
  for (const HandoffAccount& a : input->accounts) departing += a.owner_id == request.from_user_id() ? 1 : 0;
  if (departing == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(request.from_user_id(), " owns no accounts in sweep ", snap->sweep_id, ": nothing to hand over"));
  }
  absl::StatusOr<HandoffDistribution> dist = DistributeHandoff(*input);
  if (!dist.ok()) return dist.status();

  HandoffPlanRecord plan;
  plan.from_user_id = request.from_user_id();
  plan.effective_day = FormatIsoDay(effective);
  plan.created_at = absl::Now();
  plan.requested_by = request.requested_by().empty() ? "unknown" : request.requested_by();
  plan.sweep_id = snap->sweep_id;
  absl::flat_hash_map<std::string, const HandoffAccount*> by_id;
  for (const HandoffAccount& a : input->accounts) by_id.emplace(a.account_id, &a);
  for (const HandoffAssignment& as : dist->assignments) {
    const HandoffAccount& a = *by_id.at(as.account_id);
    HandoffAccountRecord r;
    r.account_id = a.account_id;
    r.account_name = a.name;
    r.tier = std::string(TierName(a.tier));
    r.annual_value = a.annual_value;
    r.churn_probability = a.churn_probability;
    r.weight = as.weight;
    r.to_user_id = as.to_user_id;
    r.reason = as.reason;
    plan.accounts.push_back(std::move(r));
  }
  for (const RecipientLoad& l : dist->loads) {
    HandoffLoadRecord r;
    r.user_id = l.user_id;
    r.name = l.name;
    r.weekly_capacity = l.weekly_capacity;
    r.key_account_holder = l.key_account_holder;
    r.accounts_before = l.accounts_before;
    r.annual_value_before = l.annual_value_before;
    r.load_before = l.load_before;
    r.capacity = l.capacity;
    plan.loads.push_back(std::move(r));
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<int64_t> id = store.AddHandoffPlan(
      plan, Audit(plan.requested_by, "plan",
                  absl::StrCat(departing, " accounts of ", plan.from_user_id, " over ", dist->loads.size(),
                               " recipients (", absl::StrJoin(to, ", "), "); ", dist->unassigned, " unassigned")));
  if (!id.ok()) return id.status();
  LogInfo(kLog, "plan ", *id, ": ", departing, " accounts of ", plan.from_user_id, " by ", plan.requested_by);
  return Fill(*id, false, response);
}

absl::Status HandoffWorkflow::Get(const pulse::v1::GetHandoffPlanRequest& request, pulse::v1::HandoffPlan* response) {
  if (absl::Status s = CheckPlanId(request.plan_id()); !s.ok()) return s;
  return Fill(request.plan_id(), request.include_briefs(), response);
}

absl::Status HandoffWorkflow::Fill(int64_t plan_id, bool include_briefs, pulse::v1::HandoffPlan* out) {
  out->Clear();
  Store& store = *sweeper_->store();
  absl::StatusOr<std::optional<HandoffPlanRecord>> found = store.GetHandoffPlan(plan_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("no handoff plan ", plan_id));
  const HandoffPlanRecord& plan = **found;
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  out->set_plan_id(plan.id);
  out->set_from_user_id(plan.from_user_id);
  if (snap != nullptr) {
    if (auto u = snap->portfolio.users.find(plan.from_user_id); u != snap->portfolio.users.end()) {
      out->set_from_user_name(u->second.name);
    }
  }
  out->set_status(plan.status);
  out->set_effective_date(plan.effective_day);
  *out->mutable_created_at() = ToProtoTime(plan.created_at);
  out->set_requested_by(plan.requested_by);
  out->set_sweep_id(plan.sweep_id);

  absl::StatusOr<std::vector<OwnerChangeRecord>> changes = store.OwnerChangesForPlan(absl::StrCat(plan.id));
  if (!changes.ok()) return changes.status();
  absl::flat_hash_map<std::string, const OwnerChangeRecord*> forward;
  for (const OwnerChangeRecord& c : *changes) {
    if (c.request.key == HandoffOwnerChangeKey(plan.id, c.request.account_id, false)) {
      forward.emplace(c.request.account_id, &c);
    }
  }
  std::optional<CustomerData> data;
  std::vector<HandoffAssignment> assignments;
  std::vector<HandoffAccount> accounts;
  for (const HandoffAccountRecord& a : plan.accounts) {
    pulse::v1::HandoffAssignment* as = out->add_assignments();
    as->set_account_id(a.account_id);
    as->set_account_name(a.account_name);
    if (std::optional<Tier> tier = ParseTier(a.tier)) {
      as->set_tier(static_cast<pulse::v1::Tier>(static_cast<int>(*tier)));
    }
    as->set_annual_value(a.annual_value);
    as->set_churn_probability(a.churn_probability);
    as->set_weight(a.weight);
    as->set_to_user_id(a.to_user_id);
    as->set_reason(a.reason);
    if (a.to_user_id.empty()) out->set_unassigned(out->unassigned() + 1);
    const std::string key = IntroTaskKey(a.account_id, plan.effective_day);
    as->set_intro_task_key(key);
    if (auto it = forward.find(a.account_id); it != forward.end()) {
      as->set_owner_change_status(DeliveryStatusName(it->second->status));
      as->set_last_error(it->second->last_error);
    }
    absl::StatusOr<std::optional<TaskRecord>> task = store.GetTask(key);
    if (!task.ok()) return task.status();
    if (task->has_value()) {
      as->set_intro_task_status(DeliveryStatusName((*task)->status));
      if (include_briefs) as->set_brief((*task)->request.description);
    } else if (include_briefs && snap != nullptr) {
      if (!data.has_value()) {
        absl::StatusOr<CustomerData> loaded = store.LoadCustomerData();
        if (!loaded.ok()) return loaded.status();
        data = std::move(*loaded);
      }
      absl::StatusOr<std::vector<TaskRecord>> open = OpenTasks(
          store, a.account_id, snap->as_of, sweeper_->config().engine.contact.same_reason_cooldown_days);
      if (!open.ok()) return open.status();
      as->set_brief(IntroTask(*snap, *data, *open, plan, a, sweeper_->config()).request.description);
    }
    HandoffAssignment h;
    h.account_id = a.account_id;
    h.to_user_id = a.to_user_id;
    h.weight = a.weight;
    assignments.push_back(std::move(h));
    HandoffAccount acc;
    acc.account_id = a.account_id;
    acc.annual_value = a.annual_value;
    accounts.push_back(std::move(acc));
  }
  std::vector<RecipientLoad> loads;
  for (const HandoffLoadRecord& l : plan.loads) {
    RecipientLoad r;
    r.user_id = l.user_id;
    r.name = l.name;
    r.weekly_capacity = l.weekly_capacity;
    r.key_account_holder = l.key_account_holder;
    r.accounts_before = l.accounts_before;
    r.annual_value_before = l.annual_value_before;
    r.load_before = l.load_before;
    r.capacity = l.capacity;
    loads.push_back(std::move(r));
  }
  RecomputeHandoffLoads(assignments, accounts, &loads);
  double total_load = 0;
  double total_capacity = 0;
  for (const RecipientLoad& l : loads) {
    pulse::v1::RecipientLoad* r = out->add_loads();
    r->set_user_id(l.user_id);
    r->set_name(l.name);
    r->set_weekly_capacity(l.weekly_capacity);
    r->set_key_account_holder(l.key_account_holder);
    r->set_accounts_before(l.accounts_before);
    r->set_accounts_after(l.accounts_after);
    r->set_annual_value_before(l.annual_value_before);
    r->set_annual_value_after(l.annual_value_after);
    r->set_load_before(l.load_before);
    r->set_load_after(l.load_after);
    r->set_capacity(l.capacity);
    r->set_relative_load_before(l.RelativeBefore());
    r->set_relative_load_after(l.RelativeAfter());
    total_load += l.load_after;
    total_capacity += l.weekly_capacity;
    out->set_max_relative_load(std::max(out->max_relative_load(), l.RelativeAfter()));
  }
  out->set_mean_relative_load(total_capacity > 0 ? total_load / total_capacity : 0);
  for (const HandoffAuditRecord& e : plan.audit) {
    pulse::v1::HandoffAuditEntry* entry = out->add_audit();
    *entry->mutable_at() = ToProtoTime(e.at);
    entry->set_requested_by(e.requested_by);
    entry->set_action(e.action);
    entry->set_detail(e.detail);
  }
  return absl::OkStatus();
}

absl::Status HandoffWorkflow::Move(const pulse::v1::MoveHandoffAccountRequest& request,
                                   pulse::v1::HandoffPlan* response) {
  if (absl::Status s = CheckPlanId(request.plan_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("account_id", request.account_id(), true); !s.ok()) return s;
  if (absl::Status s = CheckId("to_user_id", request.to_user_id(), true); !s.ok()) return s;
  if (absl::Status s = CheckId("requested_by", request.requested_by(), false); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  Store& store = *sweeper_->store();
  absl::StatusOr<std::optional<HandoffPlanRecord>> plan = store.GetHandoffPlan(request.plan_id());
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return absl::NotFoundError(absl::StrCat("no handoff plan ", request.plan_id()));
  const HandoffLoadRecord* recipient = nullptr;
  for (const HandoffLoadRecord& l : (*plan)->loads) {
    if (l.user_id == request.to_user_id()) recipient = &l;
  }
  if (recipient == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("to_user_id: ", request.to_user_id(),
                                                   " is not a recipient of plan ", request.plan_id(),
                                                   " (plan again with --to to add recipients)"));
  }
  const HandoffAccountRecord* account = nullptr;
  for (const HandoffAccountRecord& a : (*plan)->accounts) {
    if (a.account_id == request.account_id()) account = &a;
  }
  if (account == nullptr) {
    return absl::NotFoundError(absl::StrCat("account_id: '", request.account_id(), "' is not in plan ",
                                            request.plan_id()));
  }
  if (account->tier == "key" && !recipient->key_account_holder) {
    return absl::InvalidArgumentError(absl::StrCat("to_user_id: ", request.to_user_id(),
                                                   " may not hold key accounts (handoff.key_account_holders)"));
  }
  const std::string by = request.requested_by().empty() ? "unknown" : request.requested_by();
  absl::Status moved = store.MoveHandoffAccount(
      request.plan_id(), request.account_id(), request.to_user_id(), absl::StrCat("moved by ", by),
      Audit(by, "move",
            absl::StrCat(request.account_id(), ": ", account->to_user_id.empty() ? "unassigned" : account->to_user_id,
                         " -> ", request.to_user_id())));
  if (!moved.ok()) return moved;
  return Fill(request.plan_id(), false, response);
}

absl::Status HandoffWorkflow::Discard(const pulse::v1::DiscardHandoffPlanRequest& request,
                                      pulse::v1::HandoffPlan* response) {
  if (absl::Status s = CheckPlanId(request.plan_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("requested_by", request.requested_by(), false); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  absl::Status s = sweeper_->store()->SetHandoffPlanStatus(
      request.plan_id(), {"planned"}, "discarded", Audit(request.requested_by(), "discard", ""));
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(absl::StrCat(s.message(), ": only a plan not applied can be discarded"));
    }
    return s;
  }
  return Fill(request.plan_id(), false, response);
}

absl::Status HandoffWorkflow::Apply(const pulse::v1::ApplyHandoffRequest& request, pulse::v1::HandoffPlan* response) {
  if (absl::Status s = CheckPlanId(request.plan_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("requested_by", request.requested_by(), false); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  Store& store = *sweeper_->store();
  const PulseConfig& config = sweeper_->config();
  absl::StatusOr<std::optional<HandoffPlanRecord>> found = store.GetHandoffPlan(request.plan_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("no handoff plan ", request.plan_id()));
  const HandoffPlanRecord& plan = **found;
  if (plan.status != "planned" && plan.status != "applying" && plan.status != "applied") {
    return absl::FailedPreconditionError(absl::StrCat("handoff plan ", plan.id, " is ", plan.status,
                                                      ": only a planned plan can be applied"));
  }
  std::vector<std::string> unassigned;
  for (const HandoffAccountRecord& a : plan.accounts) {
    if (a.to_user_id.empty()) unassigned.push_back(a.account_id);
  }
  if (!unassigned.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("handoff plan ", plan.id, " has accounts without a recipient (", absl::StrJoin(unassigned, ", "),
                     "): assign them with `pulsectl handoff move` first"));
  }
  if (request.dry_run()) {
    if (absl::Status s = Fill(plan.id, false, response); !s.ok()) return s;
    for (const HandoffAccountRecord& a : plan.accounts) {
      response->add_messages(absl::StrCat("would change the owner of ", a.account_id, " from ", plan.from_user_id,
                                          " to ", a.to_user_id, " and write the intro task ",
                                          IntroTaskKey(a.account_id, plan.effective_day)));
    }
    return absl::OkStatus();
  }
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  if (snap == nullptr && plan.status == "planned") return NoSweepYet();
  const std::string by = request.requested_by().empty() ? "unknown" : request.requested_by();
  int64_t changes_delivered = 0;
  int64_t tasks_delivered = 0;
  int64_t pending = 0;
  std::vector<std::string> messages;
  absl::Status status = sweeper_->RunExclusive([&](CrmAdapter& adapter) -> absl::Status {
    // 1. The plan is applying from here on: no more moves or discards. A
    // crash after this point resumes below on the next apply.
    if (plan.status != "applied") {
      absl::Status s = store.SetHandoffPlanStatus(
          plan.id, {"planned", "applying"}, "applying",
          Audit(by, "apply", plan.status == "planned" ? "" : "resumed"));
      if (!s.ok()) return s;
    }
    // 2. The intents, idempotent by key.
    if (plan.status != "applied" && snap != nullptr) {
      absl::StatusOr<CustomerData> data = store.LoadCustomerData();
      if (!data.ok()) return data.status();
      std::vector<OwnerChangeRecord> changes;
      std::vector<TaskRecord> tasks;
      std::vector<HandoffWatch> watches;
      absl::StatusOr<absl::CivilDay> effective = ParseIsoDay(plan.effective_day);
      const absl::Time watch_from = effective.ok() ? StartOfDay(*effective) : absl::Now();
      for (const HandoffAccountRecord& a : plan.accounts) {
        OwnerChangeRecord c;
        c.request.key = HandoffOwnerChangeKey(plan.id, a.account_id, false);
        c.request.account_id = a.account_id;
        c.request.from_owner_id = plan.from_user_id;
        c.request.to_owner_id = a.to_user_id;
        c.request.changed_at = absl::Now();
        c.plan_id = absl::StrCat(plan.id);
        changes.push_back(std::move(c));
        absl::StatusOr<std::vector<TaskRecord>> open =
            OpenTasks(store, a.account_id, snap->as_of, config.engine.contact.same_reason_cooldown_days);
        if (!open.ok()) return open.status();
        tasks.push_back(IntroTask(*snap, *data, *open, plan, a, config));
        HandoffWatch w;
        w.account_id = a.account_id;
        w.plan_id = plan.id;
        w.until = watch_from + absl::Hours(24) * config.engine.handoff.watch_days;
        watches.push_back(std::move(w));
      }
      if (absl::StatusOr<int> n = store.AddOwnerChanges(changes); !n.ok()) return n.status();
      if (absl::StatusOr<int> n = store.AddTasks(tasks); !n.ok()) return n.status();
      if (absl::Status s = store.SetHandoffWatches(watches); !s.ok()) return s;
    }
    // 3. Deliver the owner changes, then the intro tasks of the accounts
    // whose owner changed.
    absl::StatusOr<std::vector<OwnerChangeRecord>> stored = store.OwnerChangesForPlan(absl::StrCat(plan.id));
    if (!stored.ok()) return stored.status();
    if (snap == nullptr && stored->size() < plan.accounts.size()) return NoSweepYet();  // intents still missing
    absl::flat_hash_map<std::string, OwnerChangeRecord> forward;
    for (const OwnerChangeRecord& c : *stored) {
      if (c.request.key == HandoffOwnerChangeKey(plan.id, c.request.account_id, false)) {
        forward.emplace(c.request.account_id, c);
      }
    }
    bool crm_down = false;  // a CRM-wide error: the rest waits in the outbox
    for (const HandoffAccountRecord& a : plan.accounts) {
      if (crm_down) break;
      auto it = forward.find(a.account_id);
      if (it == forward.end() || it->second.status != DeliveryStatus::kPending) continue;
      absl::Status s = DeliverOwnerChange(adapter, store, it->second);
      if (s.ok()) {
        it->second.status = DeliveryStatus::kDelivered;
        ++changes_delivered;
        continue;
      }
      messages.push_back(absl::StrCat("owner change of ", a.account_id, ": ", s.message()));
      if (IsCrmWideFailure(s)) {
        crm_down = true;
        continue;
      }
      absl::StatusOr<std::vector<OwnerChangeRecord>> again = store.OwnerChangesForPlan(absl::StrCat(plan.id));
      if (again.ok()) {
        for (const OwnerChangeRecord& c : *again) {
          if (c.request.key == it->second.request.key) it->second = c;
        }
      }
    }
    for (const HandoffAccountRecord& a : plan.accounts) {
      if (crm_down) break;
      const std::string key = IntroTaskKey(a.account_id, plan.effective_day);
      absl::StatusOr<std::optional<TaskRecord>> task = store.GetTask(key);
      if (!task.ok()) return task.status();
      if (!task->has_value() || (*task)->status != DeliveryStatus::kPending) continue;
      auto change = forward.find(a.account_id);
      if (change == forward.end() || change->second.status == DeliveryStatus::kPending) continue;
      if (change->second.status == DeliveryStatus::kFailed) {
        // No intro for an owner change the CRM refused.
        (void)store.MarkTaskAttemptFailed(key, absl::StrCat("owner change failed: ", change->second.last_error),
                                          absl::Now(), true);
        continue;
      }
      absl::Status s = DeliverTask(adapter, store, **task);
      if (s.ok()) {
        ++tasks_delivered;
        continue;
      }
      messages.push_back(absl::StrCat("intro task of ", a.account_id, ": ", s.message()));
      crm_down = IsCrmWideFailure(s);
    }
    // 4. Applied once nothing is pending.
    int64_t failed = 0;
    for (const HandoffAccountRecord& a : plan.accounts) {
      auto change = forward.find(a.account_id);
      if (change == forward.end() || change->second.status == DeliveryStatus::kPending) ++pending;
      if (change != forward.end() && change->second.status == DeliveryStatus::kFailed) ++failed;
      absl::StatusOr<std::optional<TaskRecord>> task = store.GetTask(IntroTaskKey(a.account_id, plan.effective_day));
      if (!task.ok()) return task.status();
      if (task->has_value() && (*task)->status == DeliveryStatus::kPending) ++pending;
    }
    if (pending == 0 && plan.status != "applied") {
      return store.SetHandoffPlanStatus(
          plan.id, {"applying"}, "applied",
          Audit(by, "applied",
                absl::StrCat(plan.accounts.size() - failed, " owners changed, ", failed, " refused by the CRM")));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (absl::Status s = Fill(plan.id, false, response); !s.ok()) return s;
  response->set_owner_changes_delivered(changes_delivered);
  response->set_intro_tasks_delivered(tasks_delivered);
  response->set_pending(pending);
  for (const std::string& m : messages) response->add_messages(m);
  if (pending > 0) response->add_messages("some changes wait in the outbox: apply again, or the next sweep delivers them");
  return absl::OkStatus();
}

absl::Status HandoffWorkflow::Revert(const pulse::v1::RevertHandoffRequest& request,
                                     pulse::v1::HandoffPlan* response) {
  if (absl::Status s = CheckPlanId(request.plan_id()); !s.ok()) return s;
  if (absl::Status s = CheckId("requested_by", request.requested_by(), false); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  Store& store = *sweeper_->store();
  absl::StatusOr<std::optional<HandoffPlanRecord>> found = store.GetHandoffPlan(request.plan_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("no handoff plan ", request.plan_id()));
  const HandoffPlanRecord& plan = **found;
  if (plan.status != "applying" && plan.status != "applied" && plan.status != "reverting") {
    return absl::FailedPreconditionError(absl::StrCat("handoff plan ", plan.id, " is ", plan.status,
                                                      ": only an applied plan can be reverted"));
  }
  const std::string by = request.requested_by().empty() ? "unknown" : request.requested_by();
  int64_t changes_delivered = 0;
  int64_t pending = 0;
  std::vector<std::string> messages;
  absl::Status status = sweeper_->RunExclusive([&](CrmAdapter& adapter) -> absl::Status {
    absl::Status s = store.SetHandoffPlanStatus(plan.id, {"applying", "applied", "reverting"}, "reverting",
                                                Audit(by, "revert", plan.status == "reverting" ? "resumed" : ""));
    if (!s.ok()) return s;
    const std::string plan_key = absl::StrCat(plan.id);
    absl::StatusOr<std::vector<OwnerChangeRecord>> stored = store.OwnerChangesForPlan(plan_key);
    if (!stored.ok()) return stored.status();
    // Forward changes still pending are delivered first (the CRM may hold
    // them already: a crash between its write and the mark), so that every
    // account is reverted from a known state.
    std::vector<OwnerChangeRecord> reverse;
    for (OwnerChangeRecord& c : *stored) {
      if (c.request.key != HandoffOwnerChangeKey(plan.id, c.request.account_id, false)) continue;
      if (c.status == DeliveryStatus::kPending) {
        absl::Status d = DeliverOwnerChange(adapter, store, c);
        if (!d.ok()) {
          messages.push_back(absl::StrCat("owner change of ", c.request.account_id, ": ", d.message()));
          if (IsCrmWideFailure(d)) return absl::OkStatus();
          continue;
        }
        c.status = DeliveryStatus::kDelivered;
      }
      if (c.status != DeliveryStatus::kDelivered) continue;
      OwnerChangeRecord r;
      r.request.key = HandoffOwnerChangeKey(plan.id, c.request.account_id, true);
      r.request.account_id = c.request.account_id;
      r.request.from_owner_id = c.request.to_owner_id;
      r.request.to_owner_id = c.request.from_owner_id;
      r.request.changed_at = absl::Now();
      r.plan_id = plan_key;
      reverse.push_back(std::move(r));
    }
    if (absl::StatusOr<int> n = store.AddOwnerChanges(reverse); !n.ok()) return n.status();
    // Intro tasks not yet written are not written any more.
    for (const HandoffAccountRecord& a : plan.accounts) {
      const std::string key = IntroTaskKey(a.account_id, plan.effective_day);
      absl::StatusOr<std::optional<TaskRecord>> task = store.GetTask(key);
      if (!task.ok()) return task.status();
      if (task->has_value() && (*task)->status == DeliveryStatus::kPending) {
        (void)store.MarkTaskAttemptFailed(key, "the handoff plan was reverted", absl::Now(), true);
      }
    }
    if (absl::Status w = store.RemoveHandoffWatches(plan.id); !w.ok()) return w;
    absl::StatusOr<std::vector<OwnerChangeRecord>> now = store.OwnerChangesForPlan(plan_key);
    if (!now.ok()) return now.status();
    for (const OwnerChangeRecord& c : *now) {
      if (c.request.key != HandoffOwnerChangeKey(plan.id, c.request.account_id, true)) continue;
      if (c.status != DeliveryStatus::kPending) continue;
      absl::Status d = DeliverOwnerChange(adapter, store, c);
      if (d.ok()) {
        ++changes_delivered;
        continue;
      }
      ++pending;
      messages.push_back(absl::StrCat("owner change of ", c.request.account_id, " back to ", plan.from_user_id, ": ",
                                      d.message()));
      if (IsCrmWideFailure(d)) return absl::OkStatus();
    }
    absl::StatusOr<std::vector<OwnerChangeRecord>> last = store.OwnerChangesForPlan(plan_key);
    if (!last.ok()) return last.status();
    pending = 0;
    for (const OwnerChangeRecord& c : *last) pending += c.status == DeliveryStatus::kPending ? 1 : 0;
    if (pending == 0) {
      return store.SetHandoffPlanStatus(plan.id, {"reverting"}, "reverted",
                                        Audit(by, "reverted", absl::StrCat(reverse.size(), " owners changed back")));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (absl::Status s = Fill(plan.id, false, response); !s.ok()) return s;
  response->set_owner_changes_delivered(changes_delivered);
  response->set_pending(pending);
  for (const std::string& m : messages) response->add_messages(m);
  return absl::OkStatus();
}

}  // namespace pulse
