// A small quasi-Newton minimiser for the cadence-model fits: BFGS with a
// weak-Wolfe line search inside a box (lower <= x <= upper), for smooth
// objectives of a few variables whose gradient is exact. Internal to
// pulse_stats; exposed for its tests.
//
// Variables at a bound whose gradient pushes outward are held there (a
// projected BFGS); the caller learns which ones from `at_bound`.
#ifndef PULSE_SIDECAR_STATS_OPTIMIZER_H_
#define PULSE_SIDECAR_STATS_OPTIMIZER_H_

#include <functional>
#include <string>
#include <vector>

namespace pulse::stats::internal {

// Returns f(x) and writes the gradient into `*gradient` (same size as x).
// May return a non-finite value where f is undefined or overflows; the line
// search then steps back.
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>* gradient)>;

struct BoxBfgsOptions {
  int max_iterations = 200;
  // Converged when every free gradient component is at most this.
  double gradient_tolerance = 1e-9;
  // Also converged when the gain still expected from the quadratic model,
  // g' H^-1 g / 2, times `gain_scale` is below `gain_tolerance` (and the
  // gradient is below `gain_gradient_ceiling`). With f a mean over n
  // customers and gain_scale = n this is the log-likelihood still to gain.
  double gain_scale = 0;  // 0: criterion off
  double gain_tolerance = 1e-7;
  double gain_gradient_ceiling = 1e-6;
  // Largest change of any variable in one step (guards against wild first
  // steps before the curvature is known).
  double max_step = 4.0;
  std::vector<double> lower;  // empty: unbounded
  std::vector<double> upper;  // empty: unbounded
};

struct BoxBfgsResult {
  std::vector<double> x;
  double f = 0;
  std::vector<double> gradient;
  // The BFGS estimate of the inverse Hessian, row-major; reusable as the
  // starting estimate of a related problem.
  std::vector<double> inverse_hessian;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
  std::vector<bool> at_bound;  // held at a bound at the end
  std::string message;         // why it stopped
};

// Minimises `objective` from `x0` (clamped into the box). Uses
// `initial_inverse_hessian` (row-major n*n) when given, else a scaled
// identity. Never fails: a start where f is not finite returns at once with
// converged = false and a message.
BoxBfgsResult MinimizeBoxBfgs(const Objective& objective, std::vector<double> x0,
                              const BoxBfgsOptions& options,
                              const std::vector<double>* initial_inverse_hessian = nullptr);

}  // namespace pulse::stats::internal

#endif  // PULSE_SIDECAR_STATS_OPTIMIZER_H_
