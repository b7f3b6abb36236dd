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

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  return OpenSqliteStore(options, StoreMigrations());
}

}  // namespace pulse
