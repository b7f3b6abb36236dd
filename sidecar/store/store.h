// The embedded state store: one SQLite file (WAL) holding what Pulse has read
// from the CRM, the sync watermarks, account snapshots (to see owners and key
// contacts change over time), the task and owner-change ledgers (outboxes),
// and the history of sweeps. The schema is versioned and migrated on Open().
//
// Outbox rule: an intent (task or owner change) is stored before the CRM is
// written, and marked delivered after; a crash in between leaves it pending,
// and the next delivery retries it with the same key, which the adapter
// deduplicates. So nothing is lost and nothing is written twice.
//
// Thread-safety: all methods are thread-safe (one connection behind a mutex).
#ifndef PULSE_SIDECAR_STORE_STORE_H_
#define PULSE_SIDECAR_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/crm_adapter.h"
#include "sidecar/domain/records.h"

namespace pulse {

// How thoroughly Open() checks the file before using it (docs/RELIABILITY.md).
enum class IntegrityCheck {
  kOff = 0,    // no check
  kQuick = 1,  // PRAGMA quick_check: every page and b-tree, O(file size)
  kFull = 2,   // PRAGMA integrity_check: also that every index matches its table
};
// "off", "quick", "full"; false for anything else.
bool ParseIntegrityCheck(const std::string& text, IntegrityCheck* out);
const char* IntegrityCheckName(IntegrityCheck check);

struct StoreOptions {
  // A file path, or ":memory:" for a private in-memory store (tests).
  std::string path;
  IntegrityCheck integrity_check = IntegrityCheck::kQuick;
};

enum class DeliveryStatus {
  kPending = 0,    // stored, not yet confirmed by the CRM
  kDelivered = 1,  // the CRM holds it
  kFailed = 2,     // given up: a permanent error (see last_error)
};
const char* DeliveryStatusName(DeliveryStatus s);  // "pending", "delivered", "failed"

// One task Pulse decided on, and where its delivery stands.
struct TaskRecord {
  TaskRequest request;
  std::string action;   // "win_back", "service_recovery", ... (engine's id)
  std::string reasons;  // signal ids, comma separated
  int64_t sweep_id = 0;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;
  std::string last_error;
  std::optional<absl::Time> next_attempt_at;
  std::string crm_id;
  std::optional<absl::Time> delivered_at;
};

struct OwnerChangeRecord {
  OwnerChangeRequest request;
  std::string plan_id;  // the handoff plan it belongs to; may be empty
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;
  std::string last_error;
  std::optional<absl::Time> next_attempt_at;
  std::optional<absl::Time> delivered_at;
};

// What Pulse saw of an account at one time, to notice changes between sweeps.
struct AccountSnapshot {
  std::string account_id;
  std::string owner_id;
  std::vector<std::string> active_contact_ids;  // sorted
  absl::Time observed_at;
};

// Whether an account is in the holdout, which gets no Pulse tasks so the
// effect of the tasks can be measured. Assigned once, on first sight, and
// kept: a later change of tier or share does not move an account.
struct HoldoutAssignment {
  std::string account_id;
  bool holdout = false;
  std::string tier;   // at assignment: "key", "mid", "tail"
  double share = 0;   // the tier's holdout share then
  absl::Time assigned_at;
};

// One account of a handoff plan (docs/HANDOFF.md).
struct HandoffAccountRecord {
  std::string account_id;
  std::string account_name;
  std::string tier;  // "key", "mid", "tail"
  double annual_value = 0;
  double churn_probability = 0;
  double weight = 0;
  std::string to_user_id;  // empty: unassigned
  std::string reason;
};

// A recipient's book when the plan was made.
struct HandoffLoadRecord {
  std::string user_id;
  std::string name;
  int weekly_capacity = 0;
  bool key_account_holder = false;
  int64_t accounts_before = 0;
  double annual_value_before = 0;
  double load_before = 0;
  double capacity = 0;
};

struct HandoffAuditRecord {
  int64_t plan_id = 0;
  absl::Time at;
  std::string requested_by;
  std::string action;  // "plan", "move", "discard", "apply", "applied", "revert", "reverted"
  std::string detail;
};

struct HandoffPlanRecord {
  int64_t id = 0;  // assigned by AddHandoffPlan
  std::string from_user_id;
  // "planned", "applying", "applied", "reverting", "reverted", "discarded".
  std::string status = "planned";
  std::string effective_day;  // YYYY-MM-DD
  absl::Time created_at;
  std::string requested_by;
  int64_t sweep_id = 0;
  // Filled by GetHandoffPlan only.
  std::vector<HandoffAccountRecord> accounts;  // ordered by weight, heaviest first
  std::vector<HandoffLoadRecord> loads;        // by user id
  std::vector<HandoffAuditRecord> audit;       // oldest first
};

// A handed-over account's watch period.
struct HandoffWatch {
  std::string account_id;
  int64_t plan_id = 0;
  absl::Time until;
};

// One account's records, as LoadCustomerData holds them for every account
// (orders without their lines).
struct AccountRecords {
  std::optional<Account> account;  // absent when the CRM has no such account
  std::vector<Contact> contacts;
  std::vector<Order> orders;
  std::vector<Case> cases;
  std::vector<Activity> activities;
  std::vector<EngagementPeriod> engagement;
  std::vector<Feedback> feedback;
};

// An account's churn probability as one sweep scored it (the sparse score
// history: see ScoreHistoryRule).
struct ScoreRecord {
  std::string account_id;
  absl::Time as_of;
  int64_t sweep_id = 0;
  double churn_probability = 0;
  double value_at_risk = 0;
  Tier tier = Tier::kTail;
};

// When a sweep's score is worth keeping: the account has no record yet, or
// its churn probability moved by at least `min_change` from its last record,
// or that record is at least `max_age` old. Scores as of a time not after the
// last record's are never recorded (history only moves forward).
struct ScoreHistoryRule {
  double min_change = 0.05;
  absl::Duration max_age = absl::Hours(24 * 28);
};
// Whether `now` is recorded after `last` (null: none yet) under `rule`.
bool ShouldRecordScore(const ScoreRecord* last, const ScoreRecord& now, const ScoreHistoryRule& rule);

struct SweepRecord {
  int64_t id = 0;
  absl::Time started_at;
  std::optional<absl::Time> finished_at;
  absl::Time as_of;
  bool dry_run = false;
  std::string status;       // "running", "succeeded", "failed"
  std::string report_json;  // the SweepReport as JSON, when finished
};

class Store {
 public:
  // Opens or creates the store, checks its integrity as
  // options.integrity_check says, and migrates its schema to the current
  // version. FailedPrecondition when the file's schema is newer than this
  // build knows, or the file is another application's SQLite database;
  // DataLoss when it is not a database at all, or corrupt (the integrity
  // check's first finding is in the message; nothing was written); Internal/
  // Unavailable on I/O errors (message names the path).
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  virtual int SchemaVersion() = 0;

  // --- CRM records -------------------------------------------------------
  // Each Apply stores the batch's upserts, removes its deleted ids (and, for
  // a full snapshot, every stored record of that entity not in upserts), and
  // saves its watermark, all in one transaction. Upserting an order replaces
  // its lines. Rejected records are not stored. InvalidArgument (and nothing
  // stored) when a record holds a value the store cannot keep (a NaN).
  virtual absl::Status Apply(const ChangeBatch<User>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<Account>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<Contact>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<Order>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<Case>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<Activity>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<EngagementPeriod>& batch) = 0;
  virtual absl::Status Apply(const ChangeBatch<Feedback>& batch) = 0;
  // The watermark last saved for `entity`; empty when never synced.
  virtual absl::StatusOr<std::string> GetWatermark(Entity entity) = 0;
  // Forgets every watermark so the next sync reads everything again.
  virtual absl::Status ResetWatermarks() = 0;
  // Every stored record. Orders carry their lines.
  virtual absl::StatusOr<CustomerData> LoadCustomerData() = 0;

  // One account's records (by the account indexes; no full scan). An
  // unknown id gives an empty result, not an error.
  virtual absl::StatusOr<AccountRecords> LoadAccountRecords(const std::string& account_id) = 0;

  // --- Account snapshots -------------------------------------------------
  // Stores those snapshots whose owner or contacts differ from the latest
  // stored one for the account (so history grows only with changes).
  virtual absl::Status RecordAccountSnapshots(const std::vector<AccountSnapshot>& snapshots) = 0;
  // The latest snapshot of every account.
  virtual absl::StatusOr<std::vector<AccountSnapshot>> LatestAccountSnapshots() = 0;
  // All snapshots of one account, oldest first.
  virtual absl::StatusOr<std::vector<AccountSnapshot>> AccountHistory(const std::string& account_id) = 0;

  // --- Task ledger (outbox) ---------------------------------------------
  // Inserts the records whose request.key is not stored yet, as given
  // (normally kPending). Existing keys are left untouched. Returns how many
  // were inserted. All-or-nothing.
  virtual absl::StatusOr<int> AddTasks(const std::vector<TaskRecord>& tasks) = 0;
  // Pending tasks whose next_attempt_at is absent or <= now, oldest first.
  virtual absl::StatusOr<std::vector<TaskRecord>> DueTasks(absl::Time now) = 0;
  // NotFound when the key is unknown.
  virtual absl::Status MarkTaskDelivered(const std::string& key, const std::string& crm_id,
                                         absl::Time at) = 0;
  // Counts an attempt; keeps the task pending until next_attempt_at, or marks
  // it failed when `permanent`.
  virtual absl::Status MarkTaskAttemptFailed(const std::string& key, const std::string& error,
                                             absl::Time next_attempt_at, bool permanent) = 0;
  virtual absl::StatusOr<std::optional<TaskRecord>> GetTask(const std::string& key) = 0;
  virtual absl::StatusOr<std::vector<TaskRecord>> TasksForAccount(const std::string& account_id) = 0;
  // Tasks whose request.created_at >= since, any status.
  virtual absl::StatusOr<std::vector<TaskRecord>> TasksCreatedSince(absl::Time since) = 0;

  // --- Owner-change ledger (outbox) --------------------------------------
  virtual absl::StatusOr<int> AddOwnerChanges(const std::vector<OwnerChangeRecord>& changes) = 0;
  virtual absl::StatusOr<std::vector<OwnerChangeRecord>> DueOwnerChanges(absl::Time now) = 0;
  virtual absl::Status MarkOwnerChangeDelivered(const std::string& key, absl::Time at) = 0;
  virtual absl::Status MarkOwnerChangeAttemptFailed(const std::string& key, const std::string& error,
                                                    absl::Time next_attempt_at, bool permanent) = 0;

  // Every owner change of a handoff plan, any status, oldest first.
  virtual absl::StatusOr<std::vector<OwnerChangeRecord>> OwnerChangesForPlan(const std::string& plan_id) = 0;

  // --- Handoff plans (docs/HANDOFF.md) ----------------------------------
  // Stores a plan with its accounts and loads, and `audit` (its plan_id is
  // set), in one transaction. Returns the new plan's id.
  virtual absl::StatusOr<int64_t> AddHandoffPlan(const HandoffPlanRecord& plan, const HandoffAuditRecord& audit) = 0;
  // The plan with its accounts, loads and audit log; nullopt when unknown.
  virtual absl::StatusOr<std::optional<HandoffPlanRecord>> GetHandoffPlan(int64_t id) = 0;
  // Every plan without accounts, loads and audit, newest first.
  virtual absl::StatusOr<std::vector<HandoffPlanRecord>> ListHandoffPlans() = 0;
  // Moves the plan from one of `from` to `to` and records `audit`, in one
  // transaction. FailedPrecondition (naming the current status) when the
  // plan's status is not in `from`; NotFound for an unknown plan. When `from`
  // already holds `to` and the plan is in it, only the audit is added.
  virtual absl::Status SetHandoffPlanStatus(int64_t id, const std::vector<std::string>& from, const std::string& to,
                                            const HandoffAuditRecord& audit) = 0;
  // Reassigns one account of a "planned" plan and records `audit`.
  // FailedPrecondition when the plan is not "planned"; NotFound when the
  // plan or the account in it is unknown.
  virtual absl::Status MoveHandoffAccount(int64_t id, const std::string& account_id, const std::string& to_user_id,
                                          const std::string& reason, const HandoffAuditRecord& audit) = 0;
  // Inserts or replaces watch periods (by account).
  virtual absl::Status SetHandoffWatches(const std::vector<HandoffWatch>& watches) = 0;
  // Ends the watch periods a plan started.
  virtual absl::Status RemoveHandoffWatches(int64_t plan_id) = 0;
  // Watches with until > now.
  virtual absl::StatusOr<std::vector<HandoffWatch>> ActiveHandoffWatches(absl::Time now) = 0;

  // --- Holdout and contact decisions ------------------------------------
  // Inserts the assignments of accounts that have none; existing ones are
  // kept as they are. Returns how many were inserted.
  virtual absl::StatusOr<int> AddHoldoutAssignments(const std::vector<HoldoutAssignment>& assignments) = 0;
  // Every assignment, ordered by account id.
  virtual absl::StatusOr<std::vector<HoldoutAssignment>> HoldoutAssignments() = 0;
  // Inserts the decisions whose key is new; returns how many. All-or-nothing.
  virtual absl::StatusOr<int> AddContactDecisions(const std::vector<ContactDecision>& decisions) = 0;
  // Decisions with decided_at >= since, oldest first.
  virtual absl::StatusOr<std::vector<ContactDecision>> ContactDecisionsSince(absl::Time since) = 0;

  // One account's decisions, oldest first.
  virtual absl::StatusOr<std::vector<ContactDecision>> ContactDecisionsForAccount(const std::string& account_id) = 0;

  // --- Score history (sparse) --------------------------------------------
  // Records those of `scores` that `rule` keeps, in one transaction, reading
  // each account's last record in one ordered pass (so a sweep of a million
  // accounts costs one scan and the inserts). Duplicate account ids: the
  // first wins. Returns how many were recorded.
  virtual absl::StatusOr<int64_t> RecordScores(const std::vector<ScoreRecord>& scores,
                                               const ScoreHistoryRule& rule) = 0;
  // One account's recorded scores, oldest first.
  virtual absl::StatusOr<std::vector<ScoreRecord>> ScoreHistory(const std::string& account_id) = 0;

  // --- Sweep history -----------------------------------------------------
  virtual absl::StatusOr<int64_t> BeginSweep(absl::Time started_at, absl::Time as_of, bool dry_run) = 0;
  virtual absl::Status FinishSweep(int64_t id, absl::Time finished_at, const std::string& status,
                                   const std::string& report_json) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<SweepRecord>> RecentSweeps(int limit) = 0;

  // --- Small settings Pulse keeps for itself (e.g. a holdout salt) -------
  virtual absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual absl::Status SetMeta(const std::string& key, const std::string& value) = 0;

 protected:
  Store() = default;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_STORE_STORE_H_
