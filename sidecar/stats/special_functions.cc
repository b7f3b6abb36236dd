// Digamma by recurrence to x >= 6 and the asymptotic series.
#include "sidecar/stats/special_functions.h"

#include <cmath>
#include <limits>

namespace pulse::stats::internal {

double Digamma(double x) {
  if (!(x > 0)) return std::numeric_limits<double>::quiet_NaN();
  double result = 0;
  // Tiny arguments: psi(x) = -1/x - gamma + O(x).
  if (x < 1e-8) return -1.0 / x - 0.57721566490153286061 + 1.6449340668482264 * x;
  // From x >= 10 the series below is exact to ~1e-16 (next term x^-14 / 12).
  while (x < 10) {
    result -= 1.0 / x;
    x += 1;
  }
  const double inv = 1.0 / x;
  const double inv2 = inv * inv;
  // Bernoulli terms B_2k / (2k x^2k).
  const double series =
      inv2 * (1.0 / 12 -
              inv2 * (1.0 / 120 -
                      inv2 * (1.0 / 252 -
                              inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760))))));
  return result + std::log(x) - 0.5 * inv - series;
}

double Phi(double y) { return std::abs(y) < 1e-8 ? 1.0 - 0.5 * y : -std::expm1(-y) / y; }

}  // namespace pulse::stats::internal
