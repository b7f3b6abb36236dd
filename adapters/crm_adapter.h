// The one boundary between Pulse and a CRM. Every CRM (the CSV folder,
// SuiteCRM, Odoo, ...) implements CrmAdapter; the sweep only talks to this.
//
// Reading is incremental: each Read* call takes the watermark the previous
// call returned for that entity (empty on the first sync) and returns what
// changed since then, plus the next watermark. An adapter that cannot tell
// what changed returns everything with `full_snapshot = true`; the store then
// treats records it does not list as deleted.
//
// Writing is idempotent: WriteTask with a key that the CRM already holds
// returns the existing task (already_existed = true) and creates nothing.
//
// Errors: every method returns absl::Status codes a caller can act on:
//   Unavailable / DeadlineExceeded - the CRM is down or slow; retry later.
//   Unauthenticated / PermissionDenied - credentials are wrong or expired.
//   InvalidArgument / FailedPrecondition - the request or the data is wrong.
//   NotFound - a required source (file, endpoint, record) is missing.
// A malformed individual record is not an error: it is listed in
// `rejected` and the rest of the batch is returned.
//
// Thread-safety: an adapter is used by one sweep at a time; implementations
// need not be thread-safe unless they say so. Adapters own no Pulse state.
#ifndef PULSE_ADAPTERS_CRM_ADAPTER_H_
#define PULSE_ADAPTERS_CRM_ADAPTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sidecar/domain/records.h"

namespace pulse {

// The kinds of record an adapter reads, in the order a sweep reads them.
enum class Entity {
  kUsers = 0,
  kAccounts,
  kContacts,
  kOrders,
  kCases,
  kActivities,
  kEngagement,
  kFeedback,
};
inline constexpr Entity kAllEntities[] = {Entity::kUsers,      Entity::kAccounts, Entity::kContacts,
                                          Entity::kOrders,     Entity::kCases,    Entity::kActivities,
                                          Entity::kEngagement, Entity::kFeedback};
// "users", "accounts", ...
const char* EntityName(Entity e);

// One input record the adapter could not use, and why. ToString() gives
// "orders.csv:812: amount 'abc' is not a number".
struct RejectedRecord {
  std::string source;  // file name or API resource
  int64_t line = 0;    // 0 when the source has no lines
  std::string reason;
  std::string ToString() const;
};

// What changed in one entity since a watermark.
template <typename T>
struct ChangeBatch {
  std::vector<T> upserts;
  std::vector<std::string> deleted_ids;
  // True when `upserts` is the whole current set: ids not in it are gone.
  bool full_snapshot = false;
  // Pass to the next read of this entity. Unchanged when nothing changed.
  std::string watermark;
  std::vector<RejectedRecord> rejected;
};

struct ReadParams {
  // The watermark from the previous read of this entity; empty = from scratch.
  std::string since_watermark;
  // Called now and then with the number of records read so far, so a long
  // first sync can show progress. May be empty.
  std::function<void(int64_t records_read)> on_progress;
};

struct Capabilities {
  bool users = true;
  bool accounts = true;
  bool contacts = false;
  bool orders = true;
  bool order_lines = false;
  bool cases = false;
  bool activities = false;
  bool engagement = false;
  bool feedback = false;
  bool write_tasks = true;
  bool change_owner = true;
  // True when the adapter reports deletions (or full snapshots).
  bool deletions = false;
  bool Has(Entity e) const;
};

struct TaskWriteResult {
  std::string crm_id;           // the CRM's id of the task
  bool already_existed = false;  // the key was there before this call
};

struct OwnerChangeResult {
  bool already_applied = false;  // the account already had the new owner
};

class CrmAdapter {
 public:
  CrmAdapter() = default;
  CrmAdapter(const CrmAdapter&) = delete;
  CrmAdapter& operator=(const CrmAdapter&) = delete;
  virtual ~CrmAdapter() = default;

  // A short name for logs and reports ("csv", "suitecrm").
  virtual std::string Name() const = 0;
  // Where written tasks land, for people: "/data/crm/tasks.csv",
  // "SuiteCRM at https://crm.example.com". Never contains credentials.
  virtual std::string TaskDestination() const { return Name(); }
  // Which records this CRM (as configured) has. An entity it lacks is read
  // as an empty batch and its signals are absent.
  virtual Capabilities GetCapabilities() const = 0;
  // Checks that the CRM is reachable and the credentials work.
  virtual absl::Status Ping() = 0;

  virtual absl::StatusOr<ChangeBatch<User>> ReadUsers(const ReadParams& params) = 0;
  virtual absl::StatusOr<ChangeBatch<Account>> ReadAccounts(const ReadParams& params) = 0;
  virtual absl::StatusOr<ChangeBatch<Contact>> ReadContacts(const ReadParams& params) = 0;
  // Orders come with their lines when the CRM has them.
  virtual absl::StatusOr<ChangeBatch<Order>> ReadOrders(const ReadParams& params) = 0;
  virtual absl::StatusOr<ChangeBatch<Case>> ReadCases(const ReadParams& params) = 0;
  virtual absl::StatusOr<ChangeBatch<Activity>> ReadActivities(const ReadParams& params) = 0;
  virtual absl::StatusOr<ChangeBatch<EngagementPeriod>> ReadEngagement(const ReadParams& params) = 0;
  virtual absl::StatusOr<ChangeBatch<Feedback>> ReadFeedback(const ReadParams& params) = 0;

  // Creates the task unless one with task.key exists. Idempotent.
  virtual absl::StatusOr<TaskWriteResult> WriteTask(const TaskRequest& task) = 0;
  // Sets the account's owner to change.to_owner_id. Idempotent by change.key.
  // FailedPrecondition when the account's owner is neither from_owner_id nor
  // to_owner_id (someone else changed it meanwhile).
  virtual absl::StatusOr<OwnerChangeResult> ChangeOwner(const OwnerChangeRequest& change) = 0;
};

}  // namespace pulse

#endif  // PULSE_ADAPTERS_CRM_ADAPTER_H_
