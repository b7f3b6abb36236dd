// Forward-mode automatic differentiation with a fixed number of directions,
// used to get exact gradients of likelihood terms that have no convenient
// closed-form derivative (the hypergeometric parts of the Pareto/NBD
// likelihood). Internal to pulse_stats.
//
// The derivative of an iterative computation (a series or continued
// fraction) is the derivative of what was computed; it converges with the
// value because the loops here stop only once terms are negligible.
#ifndef PULSE_SIDECAR_STATS_DUAL_H_
#define PULSE_SIDECAR_STATS_DUAL_H_

#include <array>
#include <cmath>

namespace pulse::stats::internal {

// A value with its partial derivatives with respect to N parameters.
template <int N>
struct Dual {
  double v = 0;
  std::array<double, N> d{};

  Dual() = default;
  Dual(double value) : v(value) {}  // NOLINT: constants mix freely with duals.
  // The `i`-th parameter itself: derivative 1 in direction i.
  static Dual Variable(double value, int i) {
    Dual x(value);
    x.d[i] = 1;
    return x;
  }
};

// The value of a number or a dual.
inline double Value(double x) { return x; }
template <int N>
double Value(const Dual<N>& x) {
  return x.v;
}

// f(x) given f(x.v) and f'(x.v).
template <int N>
Dual<N> Chain(const Dual<N>& x, double f, double df) {
  Dual<N> r(f);
  for (int i = 0; i < N; ++i) r.d[i] = df * x.d[i];
  return r;
}

template <int N>
Dual<N> operator+(const Dual<N>& a, const Dual<N>& b) {
  Dual<N> r(a.v + b.v);
  for (int i = 0; i < N; ++i) r.d[i] = a.d[i] + b.d[i];
  return r;
}
template <int N>
Dual<N> operator-(const Dual<N>& a, const Dual<N>& b) {
  Dual<N> r(a.v - b.v);
  for (int i = 0; i < N; ++i) r.d[i] = a.d[i] - b.d[i];
  return r;
}
template <int N>
Dual<N> operator-(const Dual<N>& a) {
  Dual<N> r(-a.v);
  for (int i = 0; i < N; ++i) r.d[i] = -a.d[i];
  return r;
}
template <int N>
Dual<N> operator*(const Dual<N>& a, const Dual<N>& b) {
  Dual<N> r(a.v * b.v);
  for (int i = 0; i < N; ++i) r.d[i] = a.d[i] * b.v + a.v * b.d[i];
  return r;
}
template <int N>
Dual<N> operator/(const Dual<N>& a, const Dual<N>& b) {
  const double inv = 1.0 / b.v;
  Dual<N> r(a.v * inv);
  for (int i = 0; i < N; ++i) r.d[i] = (a.d[i] - r.v * b.d[i]) * inv;
  return r;
}
template <int N>
Dual<N> operator+(const Dual<N>& a, double b) {
  Dual<N> r = a;
  r.v += b;
  return r;
}
template <int N>
Dual<N> operator+(double a, const Dual<N>& b) {
  return b + a;
}
template <int N>
Dual<N> operator-(const Dual<N>& a, double b) {
  Dual<N> r = a;
  r.v -= b;
  return r;
}
template <int N>
Dual<N> operator-(double a, const Dual<N>& b) {
  Dual<N> r = -b;
  r.v += a;
  return r;
}
template <int N>
Dual<N> operator*(const Dual<N>& a, double b) {
  Dual<N> r(a.v * b);
  for (int i = 0; i < N; ++i) r.d[i] = a.d[i] * b;
  return r;
}
template <int N>
Dual<N> operator*(double a, const Dual<N>& b) {
  return b * a;
}
template <int N>
Dual<N> operator/(const Dual<N>& a, double b) {
  return a * (1.0 / b);
}
template <int N>
Dual<N> operator/(double a, const Dual<N>& b) {
  const double inv = 1.0 / b.v;
  Dual<N> r(a * inv);
  for (int i = 0; i < N; ++i) r.d[i] = -r.v * b.d[i] * inv;
  return r;
}
template <int N>
Dual<N>& operator+=(Dual<N>& a, const Dual<N>& b) {
  a.v += b.v;
  for (int i = 0; i < N; ++i) a.d[i] += b.d[i];
  return a;
}
template <int N>
Dual<N>& operator*=(Dual<N>& a, const Dual<N>& b) {
  a = a * b;
  return a;
}

template <int N>
Dual<N> log(const Dual<N>& x) {
  return Chain(x, std::log(x.v), 1.0 / x.v);
}
template <int N>
Dual<N> exp(const Dual<N>& x) {
  const double e = std::exp(x.v);
  return Chain(x, e, e);
}
template <int N>
Dual<N> expm1(const Dual<N>& x) {
  return Chain(x, std::expm1(x.v), std::exp(x.v));
}
template <int N>
Dual<N> log1p(const Dual<N>& x) {
  return Chain(x, std::log1p(x.v), 1.0 / (1.0 + x.v));
}

// Scalar overloads so that templates read the same for double and Dual.
using std::exp;
using std::expm1;
using std::log;
using std::log1p;

}  // namespace pulse::stats::internal

#endif  // PULSE_SIDECAR_STATS_DUAL_H_
