#include "sidecar/store/store.h"

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

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  return OpenSqliteStore(options, StoreMigrations());
}

}  // namespace pulse
