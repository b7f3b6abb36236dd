#include "sidecar/store/store.h"

#include <cmath>

#include "sidecar/store/sqlite_store.h"

namespace pulse {

const char* DeliveryStatusName(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kPending: return "pending";
    case DeliveryStatus::kDelivered: return "delivered";
    case DeliveryStatus::kFailed: return "failed";
  }
  return "pending";
}

bool ParseIntegrityCheck(const std::string& text, IntegrityCheck* out) {
  for (IntegrityCheck check : {IntegrityCheck::kOff, IntegrityCheck::kQuick, IntegrityCheck::kFull}) {
    if (text == IntegrityCheckName(check)) {
      *out = check;
      return true;
    }
  }
  return false;
}

const char* IntegrityCheckName(IntegrityCheck check) {
  switch (check) {
    case IntegrityCheck::kOff: return "off";
    case IntegrityCheck::kQuick: return "quick";
    case IntegrityCheck::kFull: return "full";
  }
  return "quick";
}

bool ShouldRecordScore(const ScoreRecord* last, const ScoreRecord& now, const ScoreHistoryRule& rule) {
  if (last == nullptr) return true;
  if (now.as_of <= last->as_of) return false;
  // A hair under min_change still counts: 0.30 - 0.25 is 0.04999... in doubles.
  if (std::abs(now.churn_probability - last->churn_probability) >= rule.min_change - 1e-9) return true;
  return now.as_of - last->as_of >= rule.max_age;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  return OpenSqliteStore(options, StoreMigrations());
}

}  // namespace pulse
