#include "sidecar/sweep/sweeper.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "sidecar/common/failpoint.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/metrics.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

constexpr int kMaxRejectedInReport = 1000;
constexpr char kLog[] = "sweep";
constexpr char kHoldoutSaltKey[] = "holdout_salt";
// Decisions older than the horizon plus this are left out of the uplift
// report: the market has moved on since.
constexpr int kUpliftLookbackDays = 730;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

}  // namespace

// The Sweeper's metrics, registered once in the registry it was given.
struct SweepMetrics {
  explicit SweepMetrics(MetricsRegistry& r)
      : sweep_duration(r.Histogram("pulse_sweep_duration_seconds", "Duration of sweeps, by outcome.", {"outcome"},
                                   {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800})),
        sweeps(r.Counter("pulse_sweeps_total", "Sweeps finished, by outcome (succeeded or failed).", {"outcome"})),
        records_read(r.Counter("pulse_records_read_total", "Records read from the CRM, by entity.", {"entity"})),
        rows_rejected(r.Counter("pulse_rows_rejected_total", "Input rows rejected as malformed, by entity.",
                                {"entity"})),
        tasks_created(r.Counter("pulse_tasks_created_total", "Tasks written to the CRM.")),
        tasks_skipped(r.Counter("pulse_tasks_skipped_total",
                                "Planned tasks skipped: an open task for the same reason exists.")),
        tasks_deferred(r.Counter("pulse_tasks_deferred_total", "Planned tasks deferred for the assignee's capacity.")),
        tasks_failed(r.Counter("pulse_tasks_failed_total",
                               "Task writes the CRM refused (retried later or failed for good).")),
        tasks_pending(r.Gauge("pulse_tasks_pending", "Tasks waiting in the outbox after the latest sweep.")),
        crm_duration(r.Histogram("pulse_crm_request_duration_seconds",
                                 "Duration of CRM requests, by adapter, operation and status code.",
                                 {"adapter", "operation", "code"},
                                 {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})),
        crm_errors(r.Counter("pulse_crm_request_errors_total",
                             "CRM requests that failed, by adapter, operation and status code.",
                             {"adapter", "operation", "code"})),
        queue_size(r.Gauge("pulse_queue_size", "Accounts in the contact queue of the latest sweep, by tier.",
                           {"tier"})),
        accounts_scored(r.Gauge("pulse_accounts_scored", "Accounts scored by the latest sweep.")),
        accounts_at_risk(r.Gauge("pulse_accounts_at_risk", "Accounts at risk after the latest sweep.")),
        value_at_risk(r.Gauge("pulse_value_at_risk", "Value at risk (churn probability x annual value) of the "
                                                     "accounts at risk after the latest sweep.")),
        last_success(r.Gauge("pulse_last_successful_sweep_timestamp_seconds",
                             "Unix time the latest successful sweep finished.")) {}

  void CrmRequest(const std::string& adapter, const std::string& operation, const absl::Status& status,
                  absl::Duration duration) {
    const LabelValues labels = {adapter, operation, absl::StatusCodeToString(status.code())};
    crm_duration.Observe(labels, absl::ToDoubleSeconds(duration));
    if (!status.ok()) crm_errors.Add(labels);
  }

  HistogramFamily& sweep_duration;
  CounterFamily& sweeps;
  CounterFamily& records_read;
  CounterFamily& rows_rejected;
  CounterFamily& tasks_created;
  CounterFamily& tasks_skipped;
  CounterFamily& tasks_deferred;
  CounterFamily& tasks_failed;
  GaugeFamily& tasks_pending;
  HistogramFamily& crm_duration;
  CounterFamily& crm_errors;
  GaugeFamily& queue_size;
  GaugeFamily& accounts_scored;
  GaugeFamily& accounts_at_risk;
  GaugeFamily& value_at_risk;
  GaugeFamily& last_success;
};

struct Sweeper::Pass {
  SweepRequest request;
  const SweepProgressCallback* progress = nullptr;
  absl::Time started;
  absl::Time as_of;
  pulse::v1::SweepReport report;
  pulse::v1::SweepProgress state;
  absl::Time last_progress = absl::InfinitePast();
  bool required_sync_failed = false;
  SweepMetrics* metrics = nullptr;  // null: not recorded
  // The earliest time a record this sync stored or deleted is dated (see
  // EarliestChange); InfiniteFuture when nothing dated changed.
  absl::Time earliest_change = absl::InfiniteFuture();

  void Emit(bool force) {
    const absl::Time now = absl::Now();
    if (!force && now - last_progress < absl::Milliseconds(200)) return;
    last_progress = now;
    state.set_elapsed_seconds(absl::ToDoubleSeconds(now - started));
    if (progress != nullptr && *progress) (*progress)(state);
  }
  void Phase(pulse::v1::SweepPhase phase, const std::string& message) {
    state.set_phase(phase);
    state.set_message(message);
    LogInfo(kLog, "sweep ", report.sweep_id(), ": ", message);
    Emit(true);
  }
};

Sweeper::Sweeper(std::unique_ptr<CrmAdapter> adapter, Store* store, PulseConfig config)
    : adapter_(std::move(adapter)), store_(store), config_(std::move(config)) {}

Sweeper::~Sweeper() = default;

void Sweeper::SetMetrics(MetricsRegistry* metrics) {
  absl::MutexLock lock(&run_mu_);
  metrics_ = metrics == nullptr ? nullptr : std::make_unique<SweepMetrics>(*metrics);
}

std::shared_ptr<const SweepSnapshot> Sweeper::Latest() const {
  absl::MutexLock lock(&latest_mu_);
  return latest_;
}

absl::Status Sweeper::PrepareHoldout(const Portfolio& portfolio, bool dry_run, absl::Time as_of,
                                     PlanParams* params) {
  absl::StatusOr<std::optional<std::string>> salt = store_->GetMeta(kHoldoutSaltKey);
  if (!salt.ok()) return salt.status();
  if (!salt->has_value()) {
    // A secret salt, made once per store: nobody can steer accounts into or
    // out of the holdout by their ids.
    absl::BitGen gen;
    *salt = absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen));
    if (absl::Status s = store_->SetMeta(kHoldoutSaltKey, **salt); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<HoldoutAssignment>> stored = store_->HoldoutAssignments();
  if (!stored.ok()) return stored.status();
  absl::flat_hash_map<std::string, bool> arm;
  arm.reserve(stored->size());
  for (const HoldoutAssignment& a : *stored) arm.emplace(a.account_id, a.holdout);
  const auto& shares = config_.engine.contact.holdout_share;
  std::vector<HoldoutAssignment> added;
  for (const AccountAssessment& a : portfolio.accounts) {
    auto it = arm.find(a.account_id);
    if (it == arm.end()) {
      HoldoutAssignment h;
      h.account_id = a.account_id;
      h.tier = std::string(TierName(a.tier));
      auto share = shares.find(h.tier);
      h.share = share == shares.end() ? 0 : share->second;
      h.holdout = HoldoutDraw(**salt, a.account_id) < h.share;
      h.assigned_at = as_of;
      it = arm.emplace(a.account_id, h.holdout).first;
      added.push_back(std::move(h));
    }
    if (it->second) params->holdout_accounts.insert(a.account_id);
  }
  if (!dry_run && !added.empty()) {
    if (absl::StatusOr<int> n = store_->AddHoldoutAssignments(added); !n.ok()) return n.status();
  }
  return absl::OkStatus();
}

LedgerTask ToLedgerTask(const TaskRecord& record) {
  LedgerTask t;
  t.key = record.request.key;
  t.account_id = record.request.account_id;
  t.assignee_id = record.request.assignee_id;
  t.action = record.action;
  t.created_at = record.request.created_at;
  t.failed = record.status == DeliveryStatus::kFailed;
  return t;
}

namespace {

// The date a record is about, for records the engine replays by date
// (orders, cases, activities, engagement, feedback); nullopt for the others.
std::optional<absl::Time> RecordTime(const User&) { return std::nullopt; }
std::optional<absl::Time> RecordTime(const Account&) { return std::nullopt; }
std::optional<absl::Time> RecordTime(const Contact&) { return std::nullopt; }
std::optional<absl::Time> RecordTime(const Order& o) { return o.ordered_at; }
std::optional<absl::Time> RecordTime(const Case& c) { return c.opened_at; }
std::optional<absl::Time> RecordTime(const Activity& a) { return a.occurred_at; }
std::optional<absl::Time> RecordTime(const EngagementPeriod& e) { return StartOfDay(e.period_start); }
std::optional<absl::Time> RecordTime(const Feedback& f) { return f.received_at; }

// The earliest day whose replay (as of that day) `batch` may change: the
// earliest dated record it stores; InfinitePast when it deletes records or
// replaces the accounts or a dated entity wholesale (dates unknown here);
// InfiniteFuture when it changes nothing dated. Upserted users, accounts and
// contacts do not count: a kept replay keeps the owners it was computed with
// (docs/COVERAGE.md).
template <typename T>
absl::Time EarliestChange(const ChangeBatch<T>& batch) {
  // Accounts are the population each replay counts.
  const bool replayed = RecordTime(T{}).has_value() || std::is_same_v<T, Account>;
  if (!batch.deleted_ids.empty() || (replayed && batch.full_snapshot)) return absl::InfinitePast();
  absl::Time earliest = absl::InfiniteFuture();
  for (const T& record : batch.upserts) {
    if (std::optional<absl::Time> t = RecordTime(record); t.has_value()) earliest = std::min(earliest, *t);
  }
  return earliest;
}

// Reads one entity from the adapter and applies it to the store.
template <typename T, typename ReadFn>
absl::Status SyncEntity(Entity entity, CrmAdapter& adapter, Store& store, ReadFn read,
                        pulse::v1::EntitySyncReport* out, pulse::v1::SweepReport* report,
                        pulse::v1::EntityProgress* progress, const std::function<void()>& emit,
                        SweepMetrics* metrics, absl::Time* earliest_change) {
  absl::StatusOr<std::string> watermark = store.GetWatermark(entity);
  if (!watermark.ok()) return watermark.status();
  ReadParams params;
  params.since_watermark = *watermark;
  params.on_progress = [&](int64_t n) {
    progress->set_records_read(n);
    emit();
  };
  const absl::Time started = absl::Now();
  absl::StatusOr<ChangeBatch<T>> batch = (adapter.*read)(params);
  if (metrics != nullptr) {
    metrics->CrmRequest(adapter.Name(), absl::StrCat("read_", EntityName(entity)), batch.status(),
                        absl::Now() - started);
  }
  if (!batch.ok()) return batch.status();
  if (metrics != nullptr) {
    const std::string name(EntityName(entity));
    metrics->records_read.Add({name}, static_cast<double>(batch->upserts.size()));
    metrics->rows_rejected.Add({name}, static_cast<double>(batch->rejected.size()));
  }
  out->set_read(static_cast<int64_t>(batch->upserts.size()));
  out->set_deleted(static_cast<int64_t>(batch->deleted_ids.size()));
  out->set_rejected(static_cast<int64_t>(batch->rejected.size()));
  out->set_full_snapshot(batch->full_snapshot);
  for (const RejectedRecord& r : batch->rejected) {
    if (report->rejected_size() < kMaxRejectedInReport) {
      auto* row = report->add_rejected();
      row->set_source(r.source);
      row->set_line(r.line);
      row->set_reason(r.reason);
    }
    report->set_rejected_total(report->rejected_total() + 1);
  }
  progress->set_records_read(static_cast<int64_t>(batch->upserts.size()));
  progress->set_done(true);
  if (absl::Status s = store.Apply(*batch); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("storing ", EntityName(entity), ": ", s.message()));
  }
  *earliest_change = std::min(*earliest_change, EarliestChange(*batch));
  return absl::OkStatus();
}

}  // namespace

absl::Status Sweeper::Sync(Pass& pass) {
  const Capabilities caps = adapter_->GetCapabilities();
  pass.Phase(pulse::v1::SWEEP_PHASE_SYNC, absl::StrCat("reading from ", adapter_->Name()));
  for (Entity e : kAllEntities) {
    if (cancel_.load()) return absl::CancelledError("sweep cancelled during sync");
    auto* entity_report = pass.report.add_entities();
    entity_report->set_entity(EntityName(e));
    entity_report->set_supported(caps.Has(e));
    if (!caps.Has(e)) continue;
    auto* progress = pass.state.add_entities();
    progress->set_entity(EntityName(e));
    std::function<void()> emit = [&pass] { pass.Emit(false); };
    absl::Status s;
    switch (e) {
      case Entity::kUsers:
        s = SyncEntity<User>(e, *adapter_, *store_, &CrmAdapter::ReadUsers, entity_report, &pass.report, progress, emit,
                             pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kAccounts:
        s = SyncEntity<Account>(e, *adapter_, *store_, &CrmAdapter::ReadAccounts, entity_report, &pass.report, progress,
                                emit, pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kContacts:
        s = SyncEntity<Contact>(e, *adapter_, *store_, &CrmAdapter::ReadContacts, entity_report, &pass.report, progress,
                                emit, pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kOrders:
        s = SyncEntity<Order>(e, *adapter_, *store_, &CrmAdapter::ReadOrders, entity_report, &pass.report, progress,
                              emit, pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kCases:
        s = SyncEntity<Case>(e, *adapter_, *store_, &CrmAdapter::ReadCases, entity_report, &pass.report, progress, emit,
                             pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kActivities:
        s = SyncEntity<Activity>(e, *adapter_, *store_, &CrmAdapter::ReadActivities, entity_report, &pass.report,
                                 progress, emit, pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kEngagement:
        s = SyncEntity<EngagementPeriod>(e, *adapter_, *store_, &CrmAdapter::ReadEngagement, entity_report,
                                         &pass.report, progress, emit, pass.metrics,
                             &pass.earliest_change);
        break;
      case Entity::kFeedback:
        s = SyncEntity<Feedback>(e, *adapter_, *store_, &CrmAdapter::ReadFeedback, entity_report, &pass.report,
                                 progress, emit, pass.metrics,
                             &pass.earliest_change);
        break;
    }
    pass.Emit(true);
    if (!s.ok()) {
      entity_report->set_error(Redact(s.ToString()));
      const bool required = e == Entity::kUsers || e == Entity::kAccounts || e == Entity::kOrders;
      LogWarning(kLog, "reading ", EntityName(e), " failed: ", s.ToString());
      if (required) {
        pass.required_sync_failed = true;
        return absl::Status(s.code(), absl::StrCat("reading ", EntityName(e), ": ", s.message()));
      }
      pass.report.add_warnings(
          absl::StrCat(EntityName(e), " could not be read (", s.message(), "); using what was stored before"));
    }
  }
  return absl::OkStatus();
}

void Sweeper::Deliver(Pass& pass) {
  pass.Phase(pulse::v1::SWEEP_PHASE_DELIVER, absl::StrCat("writing tasks to ", adapter_->TaskDestination()));
  // Owner changes first: a handoff applied half-way finishes here, before
  // its intro tasks below.
  absl::StatusOr<std::vector<OwnerChangeRecord>> changes = store_->DueOwnerChanges(absl::Now());
  for (const OwnerChangeRecord& c : changes.ok() ? *changes : std::vector<OwnerChangeRecord>()) {
    if (cancel_.load()) break;
    if (absl::Status s = DeliverOwnerChange(*adapter_, *store_, c); !s.ok()) {
      pass.report.add_warnings(absl::StrCat("owner change ", c.request.key, " not written: ", s.message()));
      if (IsCrmWideFailure(s)) return;
    }
  }
  absl::StatusOr<std::vector<TaskRecord>> due = store_->DueTasks(absl::Now());
  if (!due.ok()) {
    pass.report.add_warnings(absl::StrCat("could not read the task outbox: ", due.status().message()));
    return;
  }
  for (const TaskRecord& t : *due) {
    if (cancel_.load()) break;
    const absl::Time write_started = absl::Now();
    // Writes, then marks; a failed attempt is recorded with its backoff.
    const absl::Status err = DeliverTask(*adapter_, *store_, t);
    if (pass.metrics != nullptr) {
      pass.metrics->CrmRequest(adapter_->Name(), "write_task", err, absl::Now() - write_started);
    }
    if (err.ok()) {
      pass.report.set_tasks_created(pass.report.tasks_created() + 1);
      continue;
    }
    pass.report.set_tasks_failed(pass.report.tasks_failed() + 1);
    if (IsCrmWideFailure(err)) {
      pass.report.add_warnings(
          absl::StrCat("the CRM refused task writes (", err.message(), "); the rest wait in the outbox"));
      break;
    }
  }
}

absl::Status Sweeper::RunExclusive(const std::function<absl::Status(CrmAdapter&)>& work) {
  if (!run_mu_.TryLock()) return absl::AbortedError("a sweep is running; try again when it has finished");
  absl::Status status = work(*adapter_);
  run_mu_.Unlock();
  return status;
}

absl::StatusOr<pulse::v1::SweepReport> Sweeper::Run(const SweepRequest& request,
                                                     const SweepProgressCallback& progress) {
  if (!run_mu_.TryLock()) return absl::AbortedError("a sweep is already running; try again when it has finished");
  struct Unlock {
    absl::Mutex* mu;
    ~Unlock() { mu->Unlock(); }
  } unlock{&run_mu_};
  cancel_.store(false);

  Pass pass;
  pass.metrics = metrics_.get();
  pass.request = request;
  pass.progress = &progress;
  pass.started = absl::Now();
  pass.as_of = request.as_of.value_or(pass.started);
  if (pass.as_of > pass.started + absl::Minutes(5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of ", FormatIsoDay(pass.as_of), " is in the future; Pulse never scores ahead of its data"));
  }
  absl::StatusOr<int64_t> id = store_->BeginSweep(pass.started, pass.as_of, request.dry_run);
  if (!id.ok()) return id.status();
  pulse::v1::SweepReport& report = pass.report;
  report.set_sweep_id(*id);
  *report.mutable_started_at() = ToProto(pass.started);
  report.set_as_of(FormatIsoDay(pass.as_of));
  report.set_dry_run(request.dry_run);
  report.set_adapter(adapter_->Name());
  report.set_task_destination(adapter_->TaskDestination());

  auto finish = [&](const absl::Status& status) -> absl::StatusOr<pulse::v1::SweepReport> {
    const absl::Time end = absl::Now();
    *report.mutable_finished_at() = ToProto(end);
    report.set_duration_seconds(absl::ToDoubleSeconds(end - pass.started));
    report.set_succeeded(status.ok());
    if (!status.ok()) report.set_error(Redact(status.ToString()));
    if (pass.metrics != nullptr) {
      const std::string outcome = status.ok() ? "succeeded" : "failed";
      pass.metrics->sweep_duration.Observe({outcome}, report.duration_seconds());
      pass.metrics->sweeps.Add({outcome});
      if (status.ok()) pass.metrics->last_success.Set({}, absl::ToDoubleSeconds(end - absl::UnixEpoch()));
    }
    std::string json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(report, &json, opts);
    if (absl::Status s = store_->FinishSweep(*id, end, status.ok() ? "succeeded" : "failed", json); !s.ok()) {
      LogWarning(kLog, "could not record the end of sweep ", *id, ": ", s.ToString());
    }
    pass.state.set_phase(pulse::v1::SWEEP_PHASE_DONE);
    pass.state.set_message(status.ok() ? "done" : "failed");
    pass.Emit(true);
    LogInfo(kLog, "sweep ", *id, status.ok() ? " finished" : " failed", " in ",
            absl::StrFormat("%.2f s", report.duration_seconds()),
            status.ok() ? "" : absl::StrCat(": ", status.ToString()));
    if (status.code() == absl::StatusCode::kCancelled) return status;
    return report;
  };

  // 1. Sync.
  if (absl::Status s = Sync(pass); !s.ok()) return finish(s);
  synced_.store(true);
  // Trend points whose replay the synced records may change are replayed again.
  for (auto it = trend_cache_.begin(); it != trend_cache_.end();) {
    it = StartOfDay(it->first + 1) > pass.earliest_change ? trend_cache_.erase(it) : std::next(it);
  }

  // 2. Score.
  if (cancel_.load()) return finish(absl::CancelledError("sweep cancelled"));
  absl::StatusOr<CustomerData> data = store_->LoadCustomerData();
  if (!data.ok()) return finish(data.status());
  pass.Phase(pulse::v1::SWEEP_PHASE_SCORE, absl::StrCat("scoring ", data->accounts.size(), " accounts"));
  ScoreParams score_params;
  score_params.as_of = pass.as_of;
  // A sweep later the same day reuses the day's learned model.
  if (std::shared_ptr<const SweepSnapshot> previous = Latest(); previous != nullptr) {
    score_params.reuse_learned = previous->portfolio.learned;
  }
  score_params.on_progress = [&pass](int64_t done, int64_t total) {
    pass.state.set_accounts_scored(done);
    pass.state.set_accounts_total(total);
    pass.Emit(done == total);
  };
  auto snapshot = std::make_shared<SweepSnapshot>();
  snapshot->sweep_id = *id;
  snapshot->as_of = pass.as_of;
  snapshot->dry_run = request.dry_run;
  snapshot->portfolio = AssessPortfolio(*data, config_.engine, score_params);
  const Portfolio& portfolio = snapshot->portfolio;
  for (const std::string& w : portfolio.warnings) report.add_warnings(w);
  report.set_churn_model(portfolio.cadence_model);
  report.set_churn_model_summary(portfolio.churn_model_summary);
  report.set_accounts_scored(static_cast<int64_t>(portfolio.accounts.size()));
  double var = 0;
  int64_t at_risk = 0;
  for (const AccountAssessment& a : portfolio.accounts) {
    if (a.churn_probability >= config_.engine.contact.at_risk_probability) {
      ++at_risk;
      var += a.value_at_risk;
    }
  }
  report.set_accounts_at_risk(at_risk);
  report.set_value_at_risk(var);

  // 3. Plan.
  if (cancel_.load()) return finish(absl::CancelledError("sweep cancelled"));
  pass.Phase(pulse::v1::SWEEP_PHASE_PLAN, "planning the contact queue");
  const ContactPolicy& policy = config_.engine.contact;
  // Back far enough for every cooldown, the month's feedback sample, and the
  // feedback and recognition intervals (an account asked within the interval
  // is not asked again; the coverage report counts who was asked in it).
  const int lookback_days =
      std::max({policy.same_reason_cooldown_days, policy.account_cooldown_days, 31,
                config_.engine.feedback.ask_interval_days,
                config_.engine.recognition.enabled ? config_.engine.recognition.interval_days : 0});
  absl::StatusOr<std::vector<TaskRecord>> recent = store_->TasksCreatedSince(pass.as_of - absl::Hours(24) * lookback_days);
  if (!recent.ok()) return finish(recent.status());
  PlanParams plan_params;
  plan_params.now = pass.as_of;
  for (const TaskRecord& t : *recent) plan_params.recent_tasks.push_back(ToLedgerTask(t));
  absl::StatusOr<std::vector<HandoffWatch>> watches = store_->ActiveHandoffWatches(pass.as_of);
  if (!watches.ok()) return finish(watches.status());
  for (const HandoffWatch& w : *watches) plan_params.watched_accounts.insert(w.account_id);
  if (absl::Status s = PrepareHoldout(portfolio, request.dry_run, pass.as_of, &plan_params); !s.ok()) {
    return finish(s);
  }
  // The measured effect of earlier decisions, fed into the priorities.
  absl::StatusOr<std::vector<ContactDecision>> decided =
      store_->ContactDecisionsSince(pass.as_of - absl::Hours(24) * (policy.horizon_days + kUpliftLookbackDays));
  if (!decided.ok()) return finish(decided.status());
  UpliftParams uplift_params;
  uplift_params.as_of = pass.as_of;
  uplift_params.horizon_days = policy.horizon_days;
  snapshot->uplift = ComputeUplift(*decided, data->orders, policy, uplift_params);
  plan_params.effectiveness = EffectivenessOverrides(snapshot->uplift);
  snapshot->uplift.accounts = static_cast<int64_t>(portfolio.accounts.size());
  snapshot->uplift.holdout_accounts = static_cast<int64_t>(plan_params.holdout_accounts.size());
  const absl::Time cooldown_start = pass.as_of - absl::Hours(24) * lookback_days;
  for (const ContactDecision& d : *decided) {
    if (!d.holdout || d.decided_at < cooldown_start) continue;
    LedgerTask t;
    t.key = d.key;
    t.account_id = d.account_id;
    t.action = d.action;
    t.created_at = d.decided_at;
    t.holdout = true;
    plan_params.recent_tasks.push_back(std::move(t));
  }
  snapshot->plan = PlanContacts(portfolio, config_.engine, plan_params);
  const ContactPlan& plan = snapshot->plan;
  report.set_tasks_planned(plan.planned);
  report.set_tasks_skipped_open(plan.already_open);
  report.set_tasks_deferred_capacity(plan.deferred_capacity);
  report.set_tasks_held_out(plan.holdout);
  report.set_uplift_summary(UpliftSummary(snapshot->uplift));
  for (size_t i = 0; i < plan.queue.size(); ++i) {
    snapshot->rank.emplace(portfolio.accounts[plan.queue[i].account].account_id, static_cast<int>(i + 1));
  }
  snapshot->queue_index = ContactQueueIndex(plan, portfolio);
  // The coverage report: this portfolio and plan, and earlier periods
  // replayed from the same records (nothing after each day is seen).
  if (cancel_.load()) return finish(absl::CancelledError("sweep cancelled"));
  const CoverageParams coverage_params = CoverageParamsFrom(config_.engine);
  pass.Phase(pulse::v1::SWEEP_PHASE_PLAN, absl::StrCat("coverage report, replaying ", coverage_params.trend_periods,
                                                       " earlier periods"));
  CoverageWork work;
  work.plan = &plan;
  work.recent_tasks = plan_params.recent_tasks;
  work.trend_cache = &trend_cache_;
  snapshot->coverage = BuildCoverageReport(*data, config_.engine, portfolio, work, coverage_params);

  if (!request.dry_run) {
    // 4. Record the decisions (both arms), then the intents in the outbox,
    // before any CRM write. A crash between the two leaves a decision whose
    // task is planned again by the next sweep of the same week; the uplift
    // report counts by intent to treat either way.
    std::vector<ContactDecision> decisions;
    for (const QueueItem& item : plan.queue) {
      const bool treated = item.status == PlanStatus::kTaskPlanned;
      if (!treated && !item.held_out_now) continue;
      const AccountAssessment& a = portfolio.accounts[item.account];
      ContactDecision d;
      d.key = item.task_key;
      d.account_id = a.account_id;
      d.action = std::string(ActionId(item.action));
      d.tier = std::string(TierName(a.tier));
      d.holdout = !treated;
      d.backfill = item.backfill;
      d.decided_at = pass.as_of;
      d.sweep_id = *id;
      d.churn_probability = a.churn_probability;
      d.annual_value = a.annual_value;
      decisions.push_back(std::move(d));
    }
    if (absl::StatusOr<int> n = store_->AddContactDecisions(decisions); !n.ok()) return finish(n.status());
    Failpoint("sweep.after_decisions");
    std::vector<TaskRecord> intents;
    for (const QueueItem& item : plan.queue) {
      if (item.status != PlanStatus::kTaskPlanned) continue;
      const AccountAssessment& a = portfolio.accounts[item.account];
      TaskRecord r;
      r.request.key = item.task_key;
      r.request.account_id = a.account_id;
      r.request.assignee_id = item.assignee_id;
      r.request.type = item.task_type;
      r.request.due_at = StartOfDay(item.due_day) + absl::Hours(9);
      r.request.subject = item.subject;
      r.request.description = item.description;
      r.request.created_at = pass.as_of;
      r.action = std::string(ActionId(item.action));
      std::vector<std::string> reasons;
      for (const Signal& s : a.signals) reasons.push_back(s.id);
      r.reasons = absl::StrJoin(reasons, ",");
      r.sweep_id = *id;
      intents.push_back(std::move(r));
    }
    absl::StatusOr<int> added = store_->AddTasks(intents);
    if (!added.ok()) return finish(added.status());
    Failpoint("sweep.after_outbox");
    std::vector<AccountSnapshot> snapshots;
    snapshots.reserve(data->accounts.size());
    absl::flat_hash_map<std::string, std::vector<std::string>> contacts;
    for (const Contact& c : data->contacts) {
      if (c.active) contacts[c.account_id].push_back(c.id);
    }
    for (const Account& acc : data->accounts) {
      AccountSnapshot s;
      s.account_id = acc.id;
      s.owner_id = acc.owner_id;
      s.active_contact_ids = contacts[acc.id];
      std::sort(s.active_contact_ids.begin(), s.active_contact_ids.end());
      s.observed_at = pass.started;
      snapshots.push_back(std::move(s));
    }
    if (absl::Status s = store_->RecordAccountSnapshots(snapshots); !s.ok()) {
      report.add_warnings(absl::StrCat("account snapshots not recorded: ", s.message()));
    }
    // The sparse score history the account page draws (docs/ACCOUNT_VIEW.md).
    std::vector<ScoreRecord> scores;
    scores.reserve(portfolio.accounts.size());
    for (const AccountAssessment& a : portfolio.accounts) {
      ScoreRecord r;
      r.account_id = a.account_id;
      r.as_of = pass.as_of;
      r.sweep_id = *id;
      r.churn_probability = a.churn_probability;
      r.value_at_risk = a.value_at_risk;
      r.tier = a.tier;
      scores.push_back(std::move(r));
    }
    if (absl::StatusOr<int64_t> n = store_->RecordScores(scores, ScoreHistoryRule()); !n.ok()) {
      report.add_warnings(absl::StrCat("score history not recorded: ", n.status().message()));
    }
    // 5. Deliver the outbox (this sweep's tasks and earlier ones waiting).
    if (config_.sweep.write_tasks) {
      Deliver(pass);
    } else {
      report.add_warnings("sweep.write_tasks is false: tasks are recorded but not written to the CRM");
    }
    absl::StatusOr<std::vector<TaskRecord>> pending = store_->DueTasks(absl::InfiniteFuture());
    if (pending.ok()) report.set_tasks_pending(static_cast<int64_t>(pending->size()));
    // Dry runs (often as of a past day) leave the task and portfolio metrics alone.
    if (SweepMetrics* m = pass.metrics; m != nullptr) {
      m->tasks_created.Add({}, static_cast<double>(report.tasks_created()));
      m->tasks_skipped.Add({}, static_cast<double>(report.tasks_skipped_open()));
      m->tasks_deferred.Add({}, static_cast<double>(report.tasks_deferred_capacity()));
      m->tasks_failed.Add({}, static_cast<double>(report.tasks_failed()));
      if (pending.ok()) m->tasks_pending.Set({}, static_cast<double>(report.tasks_pending()));
      m->accounts_scored.Set({}, static_cast<double>(report.accounts_scored()));
      m->accounts_at_risk.Set({}, static_cast<double>(report.accounts_at_risk()));
      m->value_at_risk.Set({}, report.value_at_risk());
      absl::flat_hash_map<Tier, int64_t> by_tier;
      for (const QueueItem& item : plan.queue) ++by_tier[portfolio.accounts[item.account].tier];
      for (Tier tier : {Tier::kKey, Tier::kMid, Tier::kTail}) {
        m->queue_size.Set({std::string(TierName(tier))}, static_cast<double>(by_tier[tier]));
      }
    }
  }

  absl::StatusOr<pulse::v1::SweepReport> result = finish(absl::OkStatus());
  snapshot->report = report;
  // The previous snapshot is freed here, outside the lock and on the sweep's
  // thread (unless a reader still holds it): freeing a large portfolio under
  // latest_mu_ would stall every API call that asks for the latest one.
  std::shared_ptr<const SweepSnapshot> previous;
  {
    absl::MutexLock lock(&latest_mu_);
    previous = std::move(latest_);
    latest_ = std::move(snapshot);
  }
  previous.reset();
  return result;
}

std::string FormatSweepReport(const pulse::v1::SweepReport& r) {
  std::string out;
  absl::StrAppend(&out, "Sweep ", r.sweep_id(), r.dry_run() ? " (dry run)" : "", " as of ", r.as_of(), " from ",
                  r.adapter(), ": ", r.succeeded() ? "succeeded" : "FAILED",
                  absl::StrFormat(" in %.2f s\n", r.duration_seconds()));
  if (!r.succeeded()) absl::StrAppend(&out, "Error: ", r.error(), "\n");
  for (const auto& e : r.entities()) {
    if (!e.supported()) continue;
    absl::StrAppend(&out, absl::StrFormat("  %-11s read %8d  deleted %6d  rejected %5d%s%s\n", e.entity(), e.read(),
                                          e.deleted(), e.rejected(), e.full_snapshot() ? "  (full)" : "",
                                          e.error().empty() ? "" : absl::StrCat("  ERROR: ", e.error())));
  }
  if (r.rejected_total() > 0) {
    absl::StrAppend(&out, "Rejected input rows (", r.rejected_total(), "):\n");
    for (const auto& row : r.rejected()) {
      absl::StrAppend(&out, "  ", row.source(), row.line() > 0 ? absl::StrCat(":", row.line()) : "", ": ",
                      row.reason(), "\n");
    }
    if (r.rejected_total() > r.rejected_size()) {
      absl::StrAppend(&out, "  ... and ", r.rejected_total() - r.rejected_size(), " more\n");
    }
  }
  if (!r.churn_model().empty()) absl::StrAppend(&out, "Churn model: ", r.churn_model_summary().empty() ? r.churn_model() : r.churn_model_summary(), "\n");
  absl::StrAppend(&out, absl::StrFormat("Accounts scored %d, at risk %d, value at risk %s\n", r.accounts_scored(),
                                        r.accounts_at_risk(), FormatMoney(r.value_at_risk(), "")));
  absl::StrAppend(&out, absl::StrFormat(
                            "Tasks: %d planned, %d written to the CRM, %d skipped (open task for the same reason), "
                            "%d deferred (capacity), %d held out (holdout), %d failed, %d pending in the outbox\n",
                            r.tasks_planned(), r.tasks_created(), r.tasks_skipped_open(), r.tasks_deferred_capacity(),
                            r.tasks_held_out(), r.tasks_failed(), r.tasks_pending()));
  if (!r.task_destination().empty() && !r.dry_run()) absl::StrAppend(&out, "Tasks go to: ", r.task_destination(), "\n");
  if (!r.uplift_summary().empty()) absl::StrAppend(&out, "Measured effect (pulsectl uplift): ", r.uplift_summary(), "\n");
  for (const auto& w : r.warnings()) absl::StrAppend(&out, "Warning: ", w, "\n");
  return out;
}

}  // namespace pulse
