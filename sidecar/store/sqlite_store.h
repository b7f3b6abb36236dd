// The SQLite implementation of Store, and its schema migrations. Code outside
// the store uses Store::Open(); this header is for the store's own tests,
// which open a store with an extra migration to exercise upgrades.
#ifndef PULSE_SIDECAR_STORE_SQLITE_STORE_H_
#define PULSE_SIDECAR_STORE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sidecar/store/store.h"

namespace pulse {

// One step of the schema. Migration i (0-based) takes a file from schema
// version i to version i + 1 (PRAGMA user_version). Migrations are only ever
// appended: a released one never changes.
struct StoreMigration {
  const char* description;  // for error messages: "initial schema"
  const char* sql;          // one or more statements, no parameters
};

// The migrations of this build, oldest first; the schema version this build
// writes is their number.
absl::Span<const StoreMigration> StoreMigrations();

// The SQLite file format's application_id for Pulse stores ("Puls"), so a
// file of another application is refused rather than migrated.
inline constexpr int32_t kStoreApplicationId = 0x50756c73;

// Opens the store at options.path and applies, in one transaction, those of
// `migrations` the file does not have yet. Errors as for Store::Open.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options,
                                                       absl::Span<const StoreMigration> migrations);

}  // namespace pulse

#endif  // PULSE_SIDECAR_STORE_SQLITE_STORE_H_
