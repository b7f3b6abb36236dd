// The fit procedure both cadence models share: prepare the data, pick a
// start on a small grid, warm up on a subsample when the data is large, then
// run BFGS on the log-parameters over all the data. Internal to pulse_stats.
#ifndef PULSE_SIDECAR_STATS_FIT_DRIVER_H_
#define PULSE_SIDECAR_STATS_FIT_DRIVER_H_

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sidecar/stats/cadence_fit.h"
#include "sidecar/stats/fit_data.h"
#include "sidecar/stats/rfm.h"

namespace pulse::stats::internal {

using Params4 = std::array<double, 4>;

struct ModelSpec {
  // Mean per-customer log-likelihood over `data` at `params` (in the data's
  // scaled time unit), and when `gradient` is not null its gradient with
  // respect to the params. Non-finite where undefined.
  std::function<double(const FitData& data, const Params4& params, Params4* gradient, int threads)>
      mean_log_likelihood;
  // Which params are times (scale with the time unit): alpha, and beta.
  std::array<bool, 4> is_time_scale{};
  // Starting candidates for scaled data with purchase rate `rate` per unit
  // time (the time unit being the mean T).
  std::function<std::vector<Params4>(double rate)> start_candidates;
};

struct DriverResult {
  Params4 params{};  // in the original time unit
  double mean_log_likelihood = 0;  // scaled data
  double log_likelihood = 0;       // total, in the original time unit
  int iterations = 0;
  bool converged = false;
  std::array<bool, 4> at_bound{};
  std::string message;
  FitData data;  // the prepared full data, for degeneracy checks
};

// Bounds of the log-parameters (scaled units) beyond which a parameter is
// taken to have run away.
inline constexpr double kLogParamBound = 18.0;

// Fits `spec` to `data`. InvalidArgument for invalid rows ("row N: ..."),
// for empty data and when no customer has a repeat purchase.
absl::StatusOr<DriverResult> RunFit(absl::Span<const RfmSummary> data, const FitOptions& options,
                                    const ModelSpec& spec);

// One reason per parameter that ran to the edge of the search, named by
// `names` ("r", "alpha", ...): the likelihood has no interior maximum there.
std::vector<std::string> EdgeOfSearchReasons(const DriverResult& result, const std::array<const char*, 4>& names);

}  // namespace pulse::stats::internal

#endif  // PULSE_SIDECAR_STATS_FIT_DRIVER_H_
