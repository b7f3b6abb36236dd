// Delivery of single outbox entries (owner changes, tasks), shared by the
// sweep and by handoff apply/revert.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sidecar/common/failpoint.h"
#include "sidecar/common/logging.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {
namespace {

constexpr char kLog[] = "outbox";

}  // namespace

bool IsPermanent(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

absl::Duration Backoff(int attempts) {
  const double minutes = std::min(360.0, std::pow(4.0, std::max(0, attempts - 1)));
  return absl::Minutes(minutes);
}

bool IsCrmWideFailure(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

absl::Status DeliverOwnerChange(CrmAdapter& adapter, Store& store, const OwnerChangeRecord& change) {
  absl::StatusOr<OwnerChangeResult> result = adapter.ChangeOwner(change.request);
  // The CRM has the new owner (or said no); the store does not know yet.
  Failpoint("handoff.after_crm_owner_change");
  const absl::Time now = absl::Now();
  if (result.ok()) {
    absl::Status marked = store.MarkOwnerChangeDelivered(change.request.key, now);
    Failpoint("handoff.after_mark_owner_change");
    return marked;
  }
  const bool permanent = IsPermanent(result.status());
  (void)store.MarkOwnerChangeAttemptFailed(change.request.key, Redact(result.status().ToString()),
                                           now + Backoff(change.attempts + 1), permanent);
  LogWarning(kLog, "owner change ", change.request.key, permanent ? " failed for good: " : " failed, will retry: ",
             result.status().ToString());
  return result.status();
}

absl::Status DeliverTask(CrmAdapter& adapter, Store& store, const TaskRecord& task) {
  Failpoint("deliver.before_crm_write");
  absl::StatusOr<TaskWriteResult> written = adapter.WriteTask(task.request);
  Failpoint("deliver.after_crm_write");
  const absl::Time now = absl::Now();
  if (written.ok()) {
    absl::Status marked = store.MarkTaskDelivered(task.request.key, written->crm_id, now);
    if (marked.ok()) Failpoint("deliver.after_mark_delivered");
    return marked;
  }
  const bool permanent = IsPermanent(written.status());
  (void)store.MarkTaskAttemptFailed(task.request.key, Redact(written.status().ToString()),
                                    now + Backoff(task.attempts + 1), permanent);
  LogWarning(kLog, "task ", task.request.key, permanent ? " failed for good: " : " failed, will retry: ",
             written.status().ToString());
  return written.status();
}

}  // namespace pulse
