// A minimal parallel for-loop over an index range, for the engine's
// per-account passes (each account's work is independent and writes only its
// own slot, so results do not depend on the number of threads).
#ifndef PULSE_SIDECAR_COMMON_PARALLEL_H_
#define PULSE_SIDECAR_COMMON_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace pulse {

// Threads to use for `requested`: 0 = the hardware's (at least 1), capped at 64.
int ResolveThreadCount(int requested);

// Calls body(begin, end) over consecutive chunks of [0, n) of about `chunk`
// indices, on up to `threads` threads (the caller's included), and returns
// when all are done. `body` must be safe to call concurrently for disjoint
// ranges. An exception in `body` terminates the process (the engine's code
// does not throw). With threads <= 1 or a single chunk it runs inline.
void ParallelFor(size_t n, int threads, size_t chunk, const std::function<void(size_t begin, size_t end)>& body);

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_PARALLEL_H_
