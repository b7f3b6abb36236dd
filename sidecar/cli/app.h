// Wiring shared by the binaries: the adapter a config names, and the store
// and sweeper built from a config.
#ifndef PULSE_SIDECAR_CLI_APP_H_
#define PULSE_SIDECAR_CLI_APP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "adapters/crm_adapter.h"
#include "sidecar/config/config.h"
#include "sidecar/store/store.h"
#include "sidecar/store/store_backup.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {

// The one place that knows every adapter. InvalidArgument for an unknown
// type; the adapter's own error when it cannot start.
absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeAdapter(const AdapterConfig& config);

// A store and a sweeper over the configured adapter.
struct PulseApp {
  std::unique_ptr<Store> store;
  std::unique_ptr<Sweeper> sweeper;
};
// DataLoss (a damaged store) carries what to do: where the newest backup is
// and the command that restores it.
absl::StatusOr<PulseApp> OpenPulseApp(const PulseConfig& config);

// `status` unchanged unless it is DataLoss; then its message followed by how
// to recover the store of `config` (docs/RELIABILITY.md, "Restore").
absl::Status WithRestoreAdvice(const absl::Status& status, const PulseConfig& config);

// Reads every record the adapter has, without a store (for batch scoring).
// Rejected records are appended to `rejected` when it is not null.
absl::StatusOr<CustomerData> ReadAllRecords(CrmAdapter& adapter, std::vector<RejectedRecord>* rejected);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_APP_H_
