// Options shared by the cadence-model fits (BG/NBD in bgnbd.h, Pareto/NBD in
// pareto_nbd.h).
#ifndef PULSE_SIDECAR_STATS_CADENCE_FIT_H_
#define PULSE_SIDECAR_STATS_CADENCE_FIT_H_

#include <array>
#include <cstdint>
#include <optional>

namespace pulse::stats {

struct FitOptions {
  int max_iterations = 200;
  // Threads for the likelihood sums; 0 = the hardware's. Results do not
  // depend on it (sums are added in a fixed order).
  int threads = 0;
  // Converged when no component of the gradient of the mean per-customer
  // log-likelihood with respect to the log-parameters exceeds this.
  double gradient_tolerance = 1e-9;
  // With more customers than this, first fit a systematic subsample of
  // about `subsample_size` customers and start the full fit from its
  // optimum and curvature: the full data then needs only a few iterations.
  int64_t subsample_above = 100000;
  int64_t subsample_size = 25000;
  // Starting parameters in the model's order (r, alpha, a, b or
  // r, alpha, s, beta) and the data's time unit, e.g. yesterday's fit;
  // unset = a small grid chosen from the data.
  std::optional<std::array<double, 4>> start;
};

}  // namespace pulse::stats

#endif  // PULSE_SIDECAR_STATS_CADENCE_FIT_H_
