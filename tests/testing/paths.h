// Where the source tree and the build tree are, for tests that read shared
// data or run the built binaries. The environment (PULSE_SOURCE_DIR,
// PULSE_BINARY_DIR) wins; otherwise the paths CMake compiled in.
#ifndef PULSE_TESTS_TESTING_PATHS_H_
#define PULSE_TESTS_TESTING_PATHS_H_

#include <cstdlib>
#include <string>

namespace pulse::testing {

inline std::string SourceDir() {
  if (const char* env = std::getenv("PULSE_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
#ifdef PULSE_SOURCE_DIR_DEFAULT
  return PULSE_SOURCE_DIR_DEFAULT;
#else
  return ".";
#endif
}

inline std::string BinaryDir() {
  if (const char* env = std::getenv("PULSE_BINARY_DIR"); env != nullptr && *env != '\0') return env;
#ifdef PULSE_BINARY_DIR_DEFAULT
  return PULSE_BINARY_DIR_DEFAULT;
#else
  return "build";
#endif
}

// A built binary of sidecar/cli: "pulsed", "pulsectl".
inline std::string CliBinary(const std::string& name) { return BinaryDir() + "/sidecar/cli/" + name; }

}  // namespace pulse::testing

#endif  // PULSE_TESTS_TESTING_PATHS_H_
