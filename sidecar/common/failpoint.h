// Failpoints: named places in a write path where a crash test can kill the
// process, to prove that an outbox survives a crash at exactly that point.
//
// They are off unless the environment variable PULSE_FAILPOINTS is set when
// the process starts: a comma-separated list of NAME=kill (SIGKILL at the
// first hit) or NAME=kill@N (at the N-th hit, N >= 1). Unknown names are
// harmless; a malformed entry is reported once on stderr and ignored.
// Production deployments never set it; `docs/RELIABILITY.md` lists the names.
//
// Thread-safe.
#ifndef PULSE_SIDECAR_COMMON_FAILPOINT_H_
#define PULSE_SIDECAR_COMMON_FAILPOINT_H_

#include "absl/strings/string_view.h"

namespace pulse {

// Kills the process with SIGKILL when `name` is armed and its hit count is
// reached; otherwise returns at once.
void Failpoint(absl::string_view name);

// For tests of the parser: replaces the armed set as if PULSE_FAILPOINTS
// held `spec`. Returns false when any entry is malformed.
bool SetFailpointsForTesting(absl::string_view spec);
// How many times `name` was hit since it was armed (0 when not armed).
int FailpointHits(absl::string_view name);

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_FAILPOINT_H_
