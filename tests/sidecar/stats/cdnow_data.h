// Where the tests find the CDNOW reference data: the shared folder beside
// the checkout ($PULSE_SOURCE_DIR/../shared/data/cdnow), as on CI.
#ifndef PULSE_TESTS_SIDECAR_STATS_CDNOW_DATA_H_
#define PULSE_TESTS_SIDECAR_STATS_CDNOW_DATA_H_

#include "tests/testing/paths.h"

#include <cstdlib>
#include <string>

namespace pulse::stats::testing {

// The path of `file` in the CDNOW data folder.
inline std::string CdnowPath(const std::string& file) {
  return ::pulse::testing::SourceDir() + "/../shared/data/cdnow/" + file;
}

}  // namespace pulse::stats::testing

#endif  // PULSE_TESTS_SIDECAR_STATS_CDNOW_DATA_H_
