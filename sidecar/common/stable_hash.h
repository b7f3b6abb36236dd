// A hash that is the same on every build, machine and standard library (unlike
// std::hash and absl::Hash, which may be salted per process): for ids that are
// stored or sent elsewhere, holdout draws and deterministic random streams.
#ifndef PULSE_SIDECAR_COMMON_STABLE_HASH_H_
#define PULSE_SIDECAR_COMMON_STABLE_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace pulse {

inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ull;

// FNV-1a, 64 bits, of `bytes`, continuing from `h` (pass an earlier result to
// hash several pieces as one).
inline uint64_t Fnv1a64(absl::string_view bytes, uint64_t h = kFnv1a64Offset) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_STABLE_HASH_H_
