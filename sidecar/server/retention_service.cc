#include "sidecar/server/retention_service.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "grpc/support/time.h"
#include "grpcpp/alarm.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/time_util.h"
#include "sidecar/server/auth.h"
#include "sidecar/report/account_view.h"

namespace pulse {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxIdLength = 256;
// Longer than any token or filter value this server issues or knows; checked
// before a value is parsed or echoed in a message.
constexpr size_t kMaxTokenLength = 64;
constexpr size_t kMaxFilterLength = 64;

absl::Status CheckLength(absl::string_view field, const std::string& value, size_t max) {
  if (value.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", max, " characters"));
}

absl::Status NoSweepYet() {
  return absl::FailedPreconditionError(
      "no sweep has finished yet: wait for the first one or start it with `pulsectl sweep`");
}

pulse::v1::Tier ToProto(Tier t) { return static_cast<pulse::v1::Tier>(static_cast<int>(t)); }
pulse::v1::Action ToProto(ActionKind a) { return static_cast<pulse::v1::Action>(static_cast<int>(a)); }

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

void FillReasons(const std::vector<Signal>& signals, google::protobuf::RepeatedPtrField<pulse::v1::Reason>* out) {
  for (const Signal& s : signals) {
    auto* r = out->Add();
    r->set_signal_id(s.id);
    r->set_strength(s.strength);
    r->set_evidence(s.evidence);
  }
}

std::string UserName(const Portfolio& p, const std::string& id) {
  auto it = p.users.find(id);
  return it == p.users.end() ? "" : it->second.name;
}

// Streams one sweep's progress and ends with its report.
class SweepStreamReactor final : public grpc::ServerWriteReactor<pulse::v1::RunSweepResponse> {
 public:
  SweepStreamReactor() : shared_(std::make_shared<Shared>()) { shared_->reactor = this; }

  void Begin(SweepRunner* runner, const SweepRequest& request) {
    std::shared_ptr<Shared> shared = shared_;
    const bool started = runner->Start(
        request,
        [shared](const pulse::v1::SweepProgress& p) {
          absl::MutexLock lock(&shared->mu);
          shared->progress = p;
          shared->has_progress = true;
          if (shared->reactor != nullptr) shared->reactor->Pump(lock);
        },
        [shared](const absl::StatusOr<pulse::v1::SweepReport>& result) {
          absl::MutexLock lock(&shared->mu);
          shared->result = result;
          if (shared->reactor != nullptr) shared->reactor->Pump(lock);
        });
    if (!started) {
      absl::MutexLock lock(&shared->mu);
      shared->result = absl::UnavailableError("the server is shutting down");
      Pump(lock);
    }
  }

  // Ends the stream with DEADLINE_EXCEEDED after `after` unless it has ended
  // by then: for clients that set no deadline of their own.
  void ExpireAfter(absl::Duration after) {
    std::shared_ptr<Shared> shared = shared_;
    {
      absl::MutexLock lock(&shared->mu);
      shared->expire_after = after;
    }
    alarm_.Set(absl::ToChronoTime(absl::Now() + after), [shared](bool fired) {
      if (!fired) return;
      absl::MutexLock lock(&shared->mu);
      shared->expired = true;
      if (shared->reactor != nullptr) shared->reactor->Pump(lock);
    });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&shared_->mu);
    shared_->writing = false;
    if (!ok) shared_->broken = true;
    Pump(lock);
  }

  void OnCancel() override {
    absl::MutexLock lock(&shared_->mu);
    // The client went away. The sweep itself goes on (it is real work that
    // must finish consistently); only the stream ends.
    shared_->broken = true;
    Pump(lock);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->reactor = nullptr;
    }
    alarm_.Cancel();
    delete this;
  }

 private:
  struct Shared {
    absl::Mutex mu;
    SweepStreamReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
    pulse::v1::SweepProgress progress ABSL_GUARDED_BY(mu);
    bool has_progress ABSL_GUARDED_BY(mu) = false;
    std::optional<absl::StatusOr<pulse::v1::SweepReport>> result ABSL_GUARDED_BY(mu);
    bool writing ABSL_GUARDED_BY(mu) = false;
    bool report_sent ABSL_GUARDED_BY(mu) = false;
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool broken ABSL_GUARDED_BY(mu) = false;
    bool expired ABSL_GUARDED_BY(mu) = false;
    absl::Duration expire_after ABSL_GUARDED_BY(mu);
  };

  // Decides the next stream operation under the lock and starts it with the
  // lock released (gRPC may run reactions inline).
  void Pump(absl::MutexLock& held) {
    (void)held;
    Shared& s = *shared_;
    s.mu.AssertHeld();
    if (s.finished || s.writing) return;
    std::optional<grpc::Status> finish;
    bool write = false;
    if (s.broken) {
      finish = grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled; the sweep continues on the server");
    } else if (s.expired && !s.report_sent) {
      finish = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            absl::StrCat("the call set no deadline and ran for the server's default of ",
                                         absl::FormatDuration(s.expire_after),
                                         " (limits.default_deadline); the sweep continues on the server"));
    } else if (s.has_progress && !s.report_sent) {
      message_.Clear();
      *message_.mutable_progress() = s.progress;
      s.has_progress = false;
      write = true;
    } else if (s.result.has_value() && !s.report_sent) {
      if (s.result->ok()) {
        message_.Clear();
        *message_.mutable_report() = **s.result;
        s.report_sent = true;
        write = true;
      } else {
        finish = ToGrpcStatus(s.result->status());
      }
    } else if (s.report_sent) {
      finish = grpc::Status::OK;
    }
    if (write) {
      s.writing = true;
      s.mu.Unlock();
      StartWrite(&message_);
      s.mu.Lock();
    } else if (finish.has_value()) {
      s.finished = true;
      s.mu.Unlock();
      Finish(*finish);
      s.mu.Lock();
    }
  }

  std::shared_ptr<Shared> shared_;
  pulse::v1::RunSweepResponse message_;
  grpc::Alarm alarm_;
};

void FillSegment(const SegmentFigures& s, pulse::v1::CoverageSegment* out) {
  out->set_segment(s.segment);
  out->set_accounts(s.accounts);
  out->set_revenue(s.revenue);
  out->set_revenue_share(s.revenue_share);
  out->set_accounts_without_active_owner(s.accounts_without_active_owner);
  out->set_without_active_owner_share(s.without_active_owner_share);
  out->set_churn_base(s.churn_base);
  out->set_churned(s.churned);
  out->set_churn_rate(s.churn_rate);
  out->set_contacted(s.contacted);
  out->set_contacted_share(s.contacted_share);
  out->set_accounts_with_two_way_contact(s.accounts_with_two_way_contact);
  out->set_median_days_since_two_way_contact(s.median_days_since_two_way_contact);
  out->set_open_complaints(s.open_complaints);
  out->set_accounts_at_risk(s.accounts_at_risk);
  out->set_value_at_risk(s.value_at_risk);
  out->set_accounts_outside_care(s.accounts_outside_care);
  out->set_revenue_outside_care(s.revenue_outside_care);
}

void FillFigures(const CoverageFigures& f, pulse::v1::CoverageFigures* out) {
  out->set_as_of(FormatIsoDay(f.as_of));
  out->set_accounts(f.accounts);
  out->set_revenue(f.revenue);
  out->set_accounts_outside_care(f.accounts_outside_care);
  out->set_accounts_outside_care_share(f.accounts_outside_care_share);
  out->set_revenue_outside_care(f.revenue_outside_care);
  out->set_revenue_outside_care_share(f.revenue_outside_care_share);
  for (const SegmentFigures& s : f.segments) FillSegment(s, out->add_segments());
}

grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(status.code())),
                      Redact(std::string(status.message())));
}

absl::Status LatestCoverageReport(const Sweeper& sweeper, pulse::v1::CoverageReport* out) {
  std::shared_ptr<const SweepSnapshot> snap = sweeper.Latest();
  if (snap == nullptr) return NoSweepYet();
  const CoverageReport& r = snap->coverage;
  out->set_sweep_id(snap->sweep_id);
  out->set_as_of(FormatIsoDay(snap->as_of));
  out->set_summary(r.summary);
  out->set_currency(r.currency);
  out->set_period_days(r.period_days);
  out->set_contact_window_days(r.contact_window_days);
  out->set_at_risk_probability(r.at_risk_probability);
  out->set_activities_available(r.activities_available);
  FillFigures(r.current, out->mutable_current());
  out->set_ask_interval_days(r.ask_interval_days);
  out->set_answer_window_days(r.answer_window_days);
  for (const SurveyFigures& f : r.survey) {
    auto* survey = out->add_survey();
    survey->set_segment(f.segment);
    survey->set_accounts(f.accounts);
    survey->set_revenue(f.revenue);
    survey->set_asked(f.asked);
    survey->set_asked_share(f.asked_share);
    survey->set_revenue_asked(f.revenue_asked);
    survey->set_revenue_asked_share(f.revenue_asked_share);
    survey->set_requests(f.requests);
    survey->set_answered(f.answered);
    survey->set_answer_rate(f.answer_rate);
  }
  for (const OwnerFigures& o : r.owners) {
    auto* owner = out->add_owners();
    owner->set_user_id(o.user_id);
    owner->set_name(o.name);
    owner->set_active(o.active);
    owner->set_pool(o.pool);
    owner->set_accounts(o.accounts);
    owner->set_revenue(o.revenue);
    owner->set_accounts_at_risk(o.accounts_at_risk);
    owner->set_value_at_risk(o.value_at_risk);
    owner->set_open_tasks(o.open_tasks);
    owner->set_weekly_capacity(o.weekly_capacity);
    owner->set_tasks_this_week(o.tasks_this_week);
    owner->set_capacity_used(o.capacity_used);
  }
  for (const CoverageFigures& f : r.trend) FillFigures(f, out->add_trend());
  for (const UncoveredAccount& a : r.largest_outside_care) {
    auto* account = out->add_largest_outside_care();
    account->set_account_id(a.account_id);
    account->set_name(a.name);
    account->set_tier(ToProto(a.tier));
    account->set_owner_id(a.owner_id);
    account->set_owner_active(a.owner_active);
    account->set_revenue(a.revenue);
    account->set_churn_probability(a.churn_probability);
    account->set_value_at_risk(a.value_at_risk);
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<pulse::v1::RunSweepResponse>* RetentionServiceImpl::RunSweep(
    grpc::CallbackServerContext* context, const pulse::v1::RunSweepRequest* request) {
  auto* reactor = new SweepStreamReactor();
  SweepRequest sweep;
  sweep.dry_run = request->dry_run();
  if (absl::Status s = CheckLength("as_of", request->as_of(), kMaxFilterLength); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  if (!request->as_of().empty()) {
    absl::StatusOr<absl::CivilDay> day = ParseIsoDay(request->as_of());
    if (!day.ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   absl::StrCat("as_of: ", day.status().message())));
      return reactor;
    }
    // The end of that day: everything dated on it is visible.
    sweep.as_of = StartOfDay(*day + 1) - absl::Seconds(1);
    if (*sweep.as_of > absl::Now()) sweep.as_of = absl::Now();
  }
  // gRPC marks "no deadline" as the infinite future.
  const gpr_timespec deadline = gpr_convert_clock_type(context->raw_deadline(), GPR_CLOCK_REALTIME);
  if (gpr_time_cmp(deadline, gpr_inf_future(GPR_CLOCK_REALTIME)) == 0) reactor->ExpireAfter(default_deadline_);
  reactor->Begin(runner_, sweep);
  return reactor;
}

absl::Status RetentionServiceImpl::DoListContactQueue(const pulse::v1::ListContactQueueRequest& request,
                                                      pulse::v1::ListContactQueueResponse* response) const {
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size must be between 0 and ", kMaxPageSize, ", got ",
                                                   request.page_size()));
  }
  if (request.owner_id().size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("owner_id is longer than ", kMaxIdLength, " characters"));
  }
  if (absl::Status s = CheckLength("page_token", request.page_token(), kMaxTokenLength); !s.ok()) return s;
  if (!pulse::v1::Tier_IsValid(request.tier())) return absl::InvalidArgumentError("tier is not a known value");
  if (!pulse::v1::Action_IsValid(request.action())) return absl::InvalidArgumentError("action is not a known value");
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  if (snap == nullptr) return NoSweepYet();
  int64_t offset = 0;
  if (!request.page_token().empty()) {
    // "<sweep id>.<offset>": bound to the sweep whose queue it pages through.
    std::vector<std::string> parts = absl::StrSplit(request.page_token(), '.');
    int64_t token_sweep = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &token_sweep) || !absl::SimpleAtoi(parts[1], &offset) ||
        offset < 0) {
      return absl::InvalidArgumentError("page_token is not a token this server issued");
    }
    if (token_sweep != snap->sweep_id) {
      return absl::AbortedError(absl::StrCat("page_token belongs to sweep ", token_sweep,
                                             "; the queue has changed since (sweep ", snap->sweep_id,
                                             "): list again from the first page"));
    }
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  const Portfolio& portfolio = snap->portfolio;
  QueueFilter filter;
  filter.include_all = request.include_all();
  filter.assignee_id = request.owner_id();
  if (request.tier() != pulse::v1::TIER_UNSPECIFIED) filter.tier = static_cast<Tier>(static_cast<int>(request.tier()));
  if (request.action() != pulse::v1::ACTION_UNSPECIFIED) {
    filter.action = static_cast<ActionKind>(static_cast<int>(request.action()));
  }
  // The snapshot's index: a page costs the page, not a scan of the queue.
  const ContactQueueIndex::Page page = snap->queue_index.Find(filter, offset, page_size);
  const int64_t matched = page.total;
  for (const size_t i : page.positions) {
    const QueueItem& item = snap->plan.queue[i];
    const AccountAssessment& a = portfolio.accounts[item.account];
    auto* e = response->add_entries();
    e->set_rank(static_cast<int>(i + 1));
    e->set_account_id(a.account_id);
    e->set_account_name(a.name);
    e->set_tier(ToProto(a.tier));
    e->set_owner_id(a.owner_id);
    e->set_assignee_id(item.assignee_id);
    e->set_assignee_name(UserName(portfolio, item.assignee_id));
    e->set_action(ToProto(item.action));
    e->set_priority(item.priority);
    e->set_churn_probability(a.churn_probability);
    e->set_annual_value(a.annual_value);
    e->set_value_at_risk(a.value_at_risk);
    if (item.status == PlanStatus::kTaskPlanned) e->set_due_date(FormatIsoDay(item.due_day));
    e->set_subject(item.subject);
    FillReasons(a.signals, e->mutable_reasons());
    e->set_status(static_cast<pulse::v1::QueueStatus>(static_cast<int>(item.status)));
    e->set_task_key(item.status == PlanStatus::kTaskPlanned ? item.task_key : "");
    e->set_pool(item.pool);
    e->set_status_detail(item.status_detail);
    e->set_backfill(item.backfill);
    e->set_proactive(item.proactive);
  }
  response->set_total_size(static_cast<int>(matched));
  if (offset + response->entries_size() < matched) {
    response->set_next_page_token(absl::StrCat(snap->sweep_id, ".", offset + response->entries_size()));
  }
  response->set_sweep_id(snap->sweep_id);
  response->set_as_of(FormatIsoDay(snap->as_of));
  return absl::OkStatus();
}

absl::Status LatestAccountView(const Sweeper& sweeper, const std::string& account_id, pulse::v1::AccountView* out) {
  // The argument first: a malformed id is the caller's error whatever the server's state.
  if (absl::Status s = ValidateAccountId(account_id); !s.ok()) return s;
  std::shared_ptr<const SweepSnapshot> snap = sweeper.Latest();
  if (snap == nullptr) return NoSweepYet();
  AccountViewParams params;
  params.sweep_id = snap->sweep_id;
  params.as_of = snap->as_of;
  if (auto it = snap->rank.find(account_id); it != snap->rank.end()) params.queue_rank = it->second;
  params.first_response_sla_hours = sweeper.config().engine.signals.first_response_sla_hours;
  return BuildAccountView(*sweeper.store(), snap->portfolio, account_id, params, out);
}

absl::Status RetentionServiceImpl::DoGetAccountView(const pulse::v1::GetAccountViewRequest& request,
                                                    pulse::v1::AccountView* response) const {
  return LatestAccountView(*sweeper_, request.account_id(), response);
}

grpc::ServerUnaryReactor* RetentionServiceImpl::GetAccountView(grpc::CallbackServerContext* context,
                                                               const pulse::v1::GetAccountViewRequest* request,
                                                               pulse::v1::AccountView* response) {
  return Respond(context, DoGetAccountView(*request, response));
}

absl::Status RetentionServiceImpl::DoGetAccountHealth(const pulse::v1::GetAccountHealthRequest& request,
                                                      pulse::v1::AccountHealth* out) const {
  if (request.account_id().empty()) return absl::InvalidArgumentError("account_id is required");
  if (request.account_id().size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("account_id is longer than ", kMaxIdLength, " characters"));
  }
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  if (snap == nullptr) return NoSweepYet();
  const AccountAssessment* a = snap->portfolio.Find(request.account_id());
  if (a == nullptr) {
    return absl::NotFoundError(absl::StrCat("account '", request.account_id(), "' is not in the latest sweep (",
                                            snap->sweep_id, ")"));
  }
  out->set_account_id(a->account_id);
  out->set_name(a->name);
  out->set_tier(ToProto(a->tier));
  out->set_owner_id(a->owner_id);
  out->set_owner_name(UserName(snap->portfolio, a->owner_id));
  out->set_owner_active(a->owner_active);
  out->set_churn_probability(a->churn_probability);
  out->set_annual_value(a->annual_value);
  out->set_value_at_risk(a->value_at_risk);
  FillReasons(a->signals, out->mutable_signals());
  out->set_recommended_action(ToProto(a->action));
  out->set_recommended_reason(a->action_reason);
  if (a->last_order_day.has_value()) out->set_last_order_date(FormatIsoDay(*a->last_order_day));
  out->set_orders_total(a->orders_total);
  out->set_mean_days_between_orders(a->mean_gap_days);
  out->set_open_cases(a->open_cases);
  if (a->last_two_way_contact_day.has_value()) {
    out->set_last_two_way_contact_date(FormatIsoDay(*a->last_two_way_contact_day));
  }
  out->set_sweep_id(snap->sweep_id);
  out->set_as_of(FormatIsoDay(snap->as_of));
  out->set_do_not_contact(a->do_not_contact);
  if (auto it = snap->rank.find(a->account_id); it != snap->rank.end()) out->set_queue_rank(it->second);
  out->set_churn_model(a->cadence_model);
  for (const FeatureContribution& c : a->contributions) {
    auto* contribution = out->add_contributions();
    contribution->set_feature(c.feature);
    contribution->set_log_odds(c.log_odds);
  }
  absl::StatusOr<std::vector<TaskRecord>> tasks = sweeper_->store()->TasksForAccount(a->account_id);
  if (!tasks.ok()) return tasks.status();
  for (const TaskRecord& t : *tasks) {
    if (t.status == DeliveryStatus::kFailed) continue;
    auto* task = out->add_open_tasks();
    task->set_key(t.request.key);
    task->set_assignee_id(t.request.assignee_id);
    if (auto action = ParseActionId(t.action)) task->set_action(ToProto(*action));
    task->set_type(std::string(TaskTypeName(t.request.type)));
    task->set_due_date(FormatIsoDay(t.request.due_at));
    task->set_subject(t.request.subject);
    task->set_description(t.request.description);
    task->set_status(DeliveryStatusName(t.status));
    *task->mutable_created_at() = ToProtoTime(t.request.created_at);
    task->set_crm_id(t.crm_id);
    task->set_last_error(t.last_error);
  }
  return absl::OkStatus();
}

absl::Status RetentionServiceImpl::DoListSweeps(const pulse::v1::ListSweepsRequest& request,
                                                pulse::v1::ListSweepsResponse* response) const {
  if (request.limit() < 0 || request.limit() > 500) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be between 0 and 500, got ", request.limit()));
  }
  absl::StatusOr<std::vector<SweepRecord>> sweeps =
      sweeper_->store()->RecentSweeps(request.limit() == 0 ? 20 : request.limit());
  if (!sweeps.ok()) return sweeps.status();
  for (const SweepRecord& r : *sweeps) {
    auto* s = response->add_sweeps();
    s->set_sweep_id(r.id);
    *s->mutable_started_at() = ToProtoTime(r.started_at);
    if (r.finished_at.has_value()) *s->mutable_finished_at() = ToProtoTime(*r.finished_at);
    s->set_as_of(FormatIsoDay(r.as_of));
    s->set_dry_run(r.dry_run);
    s->set_status(r.status);
    if (!r.report_json.empty()) {
      google::protobuf::util::JsonParseOptions opts;
      opts.ignore_unknown_fields = true;
      (void)google::protobuf::util::JsonStringToMessage(r.report_json, s->mutable_report(), opts);
    }
  }
  return absl::OkStatus();
}

absl::Status RetentionServiceImpl::DoGetUpliftReport(const pulse::v1::GetUpliftReportRequest& request,
                                                     pulse::v1::UpliftReport* response) const {
  if (absl::Status s = CheckLength("action", request.action(), kMaxFilterLength); !s.ok()) return s;
  if (absl::Status s = CheckLength("tier", request.tier(), kMaxFilterLength); !s.ok()) return s;
  if (!request.action().empty() && !ParseActionId(request.action()).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("action: unknown action id '", request.action(), "'"));
  }
  if (!request.tier().empty() && !ParseTier(request.tier()).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("tier: must be key, mid or tail, got '", request.tier(), "'"));
  }
  std::shared_ptr<const SweepSnapshot> snap = sweeper_->Latest();
  if (snap == nullptr) return NoSweepYet();
  const UpliftReport& u = snap->uplift;
  response->set_sweep_id(snap->sweep_id);
  response->set_as_of(FormatIsoDay(snap->as_of));
  response->set_horizon_days(u.horizon_days);
  response->set_accounts(u.accounts);
  response->set_holdout_accounts(u.holdout_accounts);
  auto fill_arm = [](const ArmOutcome& a, pulse::v1::UpliftArm* out) {
    out->set_decisions(a.decisions);
    out->set_ordered(a.ordered);
    out->set_order_rate(a.OrderRate());
    out->set_revenue_per_account(a.RevenuePerAccount());
    out->set_maturing(a.maturing);
  };
  for (const UpliftCell& c : u.cells) {
    if (!request.action().empty() && c.action != request.action()) continue;
    if (!request.tier().empty() && c.tier != request.tier()) continue;
    auto* cell = response->add_cells();
    cell->set_action(c.action);
    cell->set_tier(c.tier);
    fill_arm(c.treated, cell->mutable_treated());
    fill_arm(c.holdout, cell->mutable_holdout());
    cell->set_comparable(c.comparable);
    if (c.comparable) {
      cell->set_effect(c.effect);
      cell->set_effect_low(c.effect_ci.low);
      cell->set_effect_high(c.effect_ci.high);
      cell->set_revenue_effect(c.revenue_effect);
      cell->set_revenue_effect_low(c.revenue_effect_ci.low);
      cell->set_revenue_effect_high(c.revenue_effect_ci.high);
    }
  }
  for (const ActionEffectiveness& e : u.effectiveness) {
    if (!request.action().empty() && e.action != request.action()) continue;
    auto* out = response->add_effectiveness();
    out->set_action(e.action);
    out->set_prior(e.prior);
    out->set_measured(e.measured);
    out->set_measured_value(e.measured_value);
    out->set_smaller_arm(e.smaller_arm);
    out->set_used(e.used);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RetentionServiceImpl::GetUpliftReport(grpc::CallbackServerContext* context,
                                                                const pulse::v1::GetUpliftReportRequest* request,
                                                                pulse::v1::UpliftReport* response) {
  return Respond(context, DoGetUpliftReport(*request, response));
}

absl::Status RetentionServiceImpl::DoGetCoverageReport(const pulse::v1::GetCoverageReportRequest& request,
                                                       pulse::v1::CoverageReport* response) const {
  return LatestCoverageReport(*sweeper_, response);
}

grpc::ServerUnaryReactor* RetentionServiceImpl::ListContactQueue(grpc::CallbackServerContext* context,
                                                                 const pulse::v1::ListContactQueueRequest* request,
                                                                 pulse::v1::ListContactQueueResponse* response) {
  return Respond(context, DoListContactQueue(*request, response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::GetAccountHealth(grpc::CallbackServerContext* context,
                                                                 const pulse::v1::GetAccountHealthRequest* request,
                                                                 pulse::v1::AccountHealth* response) {
  return Respond(context, DoGetAccountHealth(*request, response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::ListSweeps(grpc::CallbackServerContext* context,
                                                           const pulse::v1::ListSweepsRequest* request,
                                                           pulse::v1::ListSweepsResponse* response) {
  return Respond(context, DoListSweeps(*request, response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::GetCoverageReport(grpc::CallbackServerContext* context,
                                                                  const pulse::v1::GetCoverageReportRequest* request,
                                                                  pulse::v1::CoverageReport* response) {
  return Respond(context, DoGetCoverageReport(*request, response));
}

namespace {
// Apply and revert write to the CRM; the callback API wants handlers that
// never block on it, so these two run on a thread of their own.
template <typename Request, typename Fn>
grpc::ServerUnaryReactor* RespondOffThread(grpc::CallbackServerContext* context, Request request,
                                           pulse::v1::HandoffPlan* response, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::thread([reactor, request = std::move(request), response, fn] {
    reactor->Finish(ToGrpcStatus(fn(request, response)));
  }).detach();
  return reactor;
}

// The authenticated caller's name from the tokens file; empty without auth.
std::string CallerIdentity(const grpc::CallbackServerContext* context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr) return "";
  const std::vector<grpc::string_ref> values = auth->FindPropertyValues(kCallerIdentityProperty);
  return values.empty() ? "" : std::string(values.front().data(), values.front().size());
}

// The request with requested_by set to the authenticated caller, whatever
// the client sent: with auth on, the audit log names the token's holder.
// Without auth nobody is authenticated and the client's name is kept.
template <typename Request>
Request WithCaller(const grpc::CallbackServerContext* context, const Request& request) {
  Request copy = request;
  if (std::string identity = CallerIdentity(context); !identity.empty()) copy.set_requested_by(identity);
  return copy;
}
}  // namespace

grpc::ServerUnaryReactor* RetentionServiceImpl::ListHandoffs(grpc::CallbackServerContext* context,
                                                             const pulse::v1::ListHandoffsRequest* request,
                                                             pulse::v1::ListHandoffsResponse* response) {
  return Respond(context, handoffs_.List(*request, response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::PlanHandoff(grpc::CallbackServerContext* context,
                                                            const pulse::v1::PlanHandoffRequest* request,
                                                            pulse::v1::HandoffPlan* response) {
  return Respond(context, handoffs_.Plan(WithCaller(context, *request), response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::GetHandoffPlan(grpc::CallbackServerContext* context,
                                                               const pulse::v1::GetHandoffPlanRequest* request,
                                                               pulse::v1::HandoffPlan* response) {
  return Respond(context, handoffs_.Get(*request, response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::MoveHandoffAccount(grpc::CallbackServerContext* context,
                                                                   const pulse::v1::MoveHandoffAccountRequest* request,
                                                                   pulse::v1::HandoffPlan* response) {
  return Respond(context, handoffs_.Move(WithCaller(context, *request), response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::DiscardHandoffPlan(grpc::CallbackServerContext* context,
                                                                   const pulse::v1::DiscardHandoffPlanRequest* request,
                                                                   pulse::v1::HandoffPlan* response) {
  return Respond(context, handoffs_.Discard(WithCaller(context, *request), response));
}

grpc::ServerUnaryReactor* RetentionServiceImpl::ApplyHandoff(grpc::CallbackServerContext* context,
                                                             const pulse::v1::ApplyHandoffRequest* request,
                                                             pulse::v1::HandoffPlan* response) {
  HandoffWorkflow* handoffs = &handoffs_;
  return RespondOffThread(context, WithCaller(context, *request), response,
                          [handoffs](const pulse::v1::ApplyHandoffRequest& r, pulse::v1::HandoffPlan* out) {
                            return handoffs->Apply(r, out);
                          });
}

grpc::ServerUnaryReactor* RetentionServiceImpl::RevertHandoff(grpc::CallbackServerContext* context,
                                                              const pulse::v1::RevertHandoffRequest* request,
                                                              pulse::v1::HandoffPlan* response) {
  HandoffWorkflow* handoffs = &handoffs_;
  return RespondOffThread(context, WithCaller(context, *request), response,
                          [handoffs](const pulse::v1::RevertHandoffRequest& r, pulse::v1::HandoffPlan* out) {
                            return handoffs->Revert(r, out);
                          });
}

}  // namespace pulse
