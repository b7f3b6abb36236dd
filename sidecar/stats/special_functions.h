// Special functions the cadence models need and the C++ library lacks:
// digamma, and two hypergeometric-type sums that make up the Pareto/NBD
// likelihood. Templates work for double and for internal::Dual (to carry
// exact derivatives). Internal to pulse_stats; exposed for its tests.
#ifndef PULSE_SIDECAR_STATS_SPECIAL_FUNCTIONS_H_
#define PULSE_SIDECAR_STATS_SPECIAL_FUNCTIONS_H_

#include <cmath>
#include <limits>

#include "sidecar/stats/dual.h"

namespace pulse::stats::internal {

// The digamma function psi(x) = d/dx ln Gamma(x) for x > 0, to about 1e-15
// relative. Returns NaN for x <= 0 or NaN.
double Digamma(double x);

// phi(y) = (1 - e^-y) / y, with phi(0) = 1; accurate near 0.
double Phi(double y);

// ln G where G = 2F1(e_big, 1; rho + 1; z) for 0 <= z < 1, rho > 0,
// 0 < e_big <= rho + 1 (so every term is positive). Power series for small
// z, the incomplete-beta continued fraction (modified Lentz) otherwise; the
// continued fraction needs about 1/sqrt(1 - z) steps, and callers keep
// 1 - z >= 1 / (2 rho). At most `kMaxSteps` steps.
template <typename S>
S LogHyp2F1UnitB(const S& e_big, const S& rho, const S& z) {
  constexpr int kMaxSteps = 20000;
  constexpr double kEps = 1e-16;
  using std::abs;
  if (Value(z) <= 0.25) {
    S sum = 1.0;
    S term = 1.0;
    for (int k = 0; k < kMaxSteps; ++k) {
      term = term * ((e_big + static_cast<double>(k)) / (rho + static_cast<double>(k + 1))) * z;
      sum += term;
      if (Value(term) < kEps * Value(sum)) break;
    }
    return log(sum);
  }
  // DLMF 8.17.22 with a = rho, b = e_big - rho: 2F1(a+b, 1; a+1; z) =
  // 1 / (1 + d1 / (1 + d2 / (1 + ...))).
  const S& a = rho;
  const S b = e_big - rho;
  constexpr double kTiny = 1e-300;
  S h = 1.0, c = 1.0, d = 0.0;
  for (int n = 1; n < kMaxSteps; ++n) {
    const double m = static_cast<double>(n / 2);
    S coef;
    if (n % 2 == 1) {
      coef = -((a + m) * (a + b + m) * z) / ((a + 2 * m) * (a + (2 * m + 1)));
    } else {
      coef = (m * (b - m) * z) / ((a + (2 * m - 1)) * (a + 2 * m));
    }
    d = 1.0 + coef * d;
    if (abs(Value(d)) < kTiny) d = kTiny;
    c = 1.0 + coef / c;
    if (abs(Value(c)) < kTiny) c = kTiny;
    d = 1.0 / d;
    const S delta = c * d;
    h = h * delta;
    if (abs(Value(delta) - 1.0) < kEps) break;
  }
  return -log(h);
}

// (e^{p*l1} - e^{p*l0}) / p / e^{shift} for l0 < l1, without cancellation
// when p is near 0 and without overflow when the caller picks `shift` at
// least max(p*l0, p*l1) - 700.
template <typename S>
S ScaledPowerDifference(const S& p, const S& l0, const S& l1, const S& shift) {
  const S h = l1 - l0;
  const bool rising = Value(p) >= 0;
  const S ph = rising ? p * h : -(p * h);  // |p| h >= 0
  // phi(y) = (1 - e^{-y}) / y, with phi(0) = 1.
  S phi;
  if (Value(ph) < 1e-6) {
    phi = 1.0 - ph * (0.5 - ph * (1.0 / 6.0));
  } else {
    phi = -expm1(-ph) / ph;
  }
  const S top = rising ? p * l1 : p * l0;
  return exp(top - shift) * h * phi;
}

// ln of J = integral over u in [e^{l0}, e^{l1}] of u^{-e} (1 - u)^q, for
// l0 < l1 <= ln(u_max) with u_max * max(1, |q|) <= 1/2, by expanding
// (1 - u)^q in powers of u (the terms then shrink at least geometrically
// and the first dominates, so there is no cancellation).
template <typename S>
S LogSmallBetaIntegral(const S& e, const S& q, const S& l0, const S& l1) {
  constexpr double kEps = 1e-17;
  const S one_minus_e = 1.0 - e;
  // The largest u^{1-e} over the interval, as the scale of every term.
  const S shift = Value(one_minus_e) >= 0 ? one_minus_e * l1 : one_minus_e * l0;
  S sum = ScaledPowerDifference(one_minus_e, l0, l1, shift);
  S coef = 1.0;
  // The stopping test uses a majorant of |coef| that never vanishes: for a
  // whole q the coefficients become exactly 0 (a polynomial) while their
  // derivatives in q do not.
  double majorant = 1.0;
  for (int k = 1; k < 10000; ++k) {
    const double qv = Value(q);
    coef = coef * ((static_cast<double>(k - 1) - q) / static_cast<double>(k));
    majorant *= (std::abs(static_cast<double>(k - 1) - qv) + 1.0) / static_cast<double>(k);
    const S power = ScaledPowerDifference(one_minus_e + static_cast<double>(k), l0, l1, shift);
    sum += coef * power;
    if (majorant * std::abs(Value(power)) < kEps * std::abs(Value(sum))) break;
  }
  return log(sum) + shift;
}

}  // namespace pulse::stats::internal

#endif  // PULSE_SIDECAR_STATS_SPECIAL_FUNCTIONS_H_
