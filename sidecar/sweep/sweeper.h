// A sweep: sync what changed from the CRM into the store, score every
// account, plan the contact queue, record the planned tasks in the outbox,
// and deliver the outbox to the CRM. One sweep runs at a time; the latest
// result is kept for the API to read without waiting.
#ifndef PULSE_SIDECAR_SWEEP_SWEEPER_H_
#define PULSE_SIDECAR_SWEEP_SWEEPER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/crm_adapter.h"
#include "pulse/v1/retention.pb.h"
#include "sidecar/config/config.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/planner.h"
#include "sidecar/engine/queue_index.h"
#include "sidecar/engine/uplift.h"
#include "sidecar/report/coverage.h"
#include "sidecar/store/store.h"

namespace pulse {

class MetricsRegistry;
struct SweepMetrics;

struct SweepRequest {
  bool dry_run = false;
  // Score and plan as of this instant; absent = now. Must not be in the future.
  std::optional<absl::Time> as_of;
};

// What the latest finished sweep concluded. Immutable once published.
struct SweepSnapshot {
  int64_t sweep_id = 0;
  absl::Time as_of;
  bool dry_run = false;
  Portfolio portfolio;
  ContactPlan plan;
  // The measured effect of earlier tasks against the holdout, as of this sweep.
  UpliftReport uplift;
  pulse::v1::SweepReport report;
  // Queue rank (1-based) by account id, for GetAccountHealth.
  absl::flat_hash_map<std::string, int> rank;
  // The queue's positions by ListContactQueue's filters.
  ContactQueueIndex queue_index;
  // The coverage and portfolio report of this sweep, trend included.
  CoverageReport coverage;
};

using SweepProgressCallback = std::function<void(const pulse::v1::SweepProgress&)>;

// Thread-safe: Run() may be called from any thread (one sweep at a time);
// Latest() and HasSynced() never wait for a running sweep.
class Sweeper {
 public:
  // `store` must outlive the sweeper.
  Sweeper(std::unique_ptr<CrmAdapter> adapter, Store* store, PulseConfig config);
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;
  ~Sweeper();

  // Records the pulse_* sweep, sync, task and CRM request metrics into
  // `metrics` (which must outlive the sweeper) from the next sweep on; null
  // stops recording. Waits for a running sweep.
  void SetMetrics(MetricsRegistry* metrics);

  // Runs one sweep and returns its report (also when the sweep failed: then
  // report.succeeded() is false and report.error() says why).
  // Errors: Aborted when another sweep is running; InvalidArgument for an
  // as_of in the future; Cancelled when Cancel() was called.
  absl::StatusOr<pulse::v1::SweepReport> Run(const SweepRequest& request, const SweepProgressCallback& progress);

  // The latest finished sweep (successful or dry run), or null.
  std::shared_ptr<const SweepSnapshot> Latest() const;
  // True once a sweep has read the CRM successfully.
  bool HasSynced() const { return synced_.load(); }
  // Asks a running sweep to stop at its next safe point (between entities,
  // before planning, between task deliveries). State stays consistent.
  void Cancel() { cancel_.store(true); }

  // Runs `work` with the CRM adapter while no sweep runs (a handoff apply
  // must not interleave with one). Aborted when a sweep is running;
  // otherwise what `work` returns.
  absl::Status RunExclusive(const std::function<absl::Status(CrmAdapter&)>& work);

  const PulseConfig& config() const { return config_; }
  Store* store() const { return store_; }
  const CrmAdapter& adapter() const { return *adapter_; }

 private:
  struct Pass;  // one sweep's working state
  absl::Status Sync(Pass& pass);
  void Deliver(Pass& pass);
  // Assigns accounts seen for the first time to the holdout or not (recorded
  // unless `dry_run`) and fills params->holdout_accounts.
  absl::Status PrepareHoldout(const Portfolio& portfolio, bool dry_run, absl::Time as_of, PlanParams* params);

  std::unique_ptr<CrmAdapter> adapter_;
  Store* store_;
  const PulseConfig config_;
  absl::Mutex run_mu_;  // held for the whole of a sweep
  std::unique_ptr<SweepMetrics> metrics_ ABSL_GUARDED_BY(run_mu_);
  // The coverage trend's replayed points, kept across sweeps and dropped
  // when a sync stores records dated on or before them.
  std::map<absl::CivilDay, CoverageFigures> trend_cache_ ABSL_GUARDED_BY(run_mu_);
  mutable absl::Mutex latest_mu_;
  std::shared_ptr<const SweepSnapshot> latest_ ABSL_GUARDED_BY(latest_mu_);
  std::atomic<bool> synced_{false};
  std::atomic<bool> cancel_{false};
};

// Writes one stored owner change to the CRM and records the outcome in the
// store: delivered, or a failed attempt (retried with backoff, or failed for
// good on a permanent error). Returns the CRM's (or the store's) error.
// Failpoints: handoff.after_crm_owner_change, handoff.after_mark_owner_change.
absl::Status DeliverOwnerChange(CrmAdapter& adapter, Store& store, const OwnerChangeRecord& change);

// The same for one stored task (failpoints deliver.before_crm_write,
// deliver.after_crm_write, deliver.after_mark_delivered).
absl::Status DeliverTask(CrmAdapter& adapter, Store& store, const TaskRecord& task);

// True for errors that concern the whole CRM (down, credentials): stop
// writing and leave the rest in the outbox.
bool IsCrmWideFailure(const absl::Status& status);
// True when writing the record again cannot succeed (the CRM refuses the
// record itself): it is marked failed instead of retried.
bool IsPermanent(const absl::Status& status);
// The wait before the next delivery attempt: 1 min, 4, 16, ... at most 6 h.
absl::Duration Backoff(int attempts);

// Converts a stored task to the planner's view.
LedgerTask ToLedgerTask(const TaskRecord& record);

// Human-readable lines for a report: counts, rejected rows as
// "file:line: reason", warnings, where tasks went.
std::string FormatSweepReport(const pulse::v1::SweepReport& report);

}  // namespace pulse

#endif  // PULSE_SIDECAR_SWEEP_SWEEPER_H_
