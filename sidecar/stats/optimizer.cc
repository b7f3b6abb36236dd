// Projected BFGS with a weak-Wolfe line search (bracketing with safeguarded
// quadratic interpolation), following Nocedal & Wright, Numerical
// Optimization, ch. 3 and 6.
#include "sidecar/stats/optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace pulse::stats::internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double MaxAbs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

struct Box {
  std::vector<double> lo, hi;
  double Clamp(size_t i, double v) const { return std::min(hi[i], std::max(lo[i], v)); }
};

// The trial point x + a d, clamped into the box.
std::vector<double> Trial(const Box& box, const std::vector<double>& x,
                          const std::vector<double>& d, double a) {
  std::vector<double> t(x.size());
  for (size_t i = 0; i < x.size(); ++i) t[i] = box.Clamp(i, x[i] + a * d[i]);
  return t;
}

}  // namespace

BoxBfgsResult MinimizeBoxBfgs(const Objective& objective, std::vector<double> x0,
                              const BoxBfgsOptions& options,
                              const std::vector<double>* initial_inverse_hessian) {
  const size_t n = x0.size();
  Box box;
  box.lo = options.lower.empty() ? std::vector<double>(n, -kInf) : options.lower;
  box.hi = options.upper.empty() ? std::vector<double>(n, kInf) : options.upper;

  BoxBfgsResult res;
  res.x.resize(n);
  for (size_t i = 0; i < n; ++i) res.x[i] = box.Clamp(i, x0[i]);
  res.gradient.assign(n, 0.0);
  res.at_bound.assign(n, false);
  res.f = objective(res.x, &res.gradient);
  res.evaluations = 1;
  if (!std::isfinite(res.f) || !std::isfinite(MaxAbs(res.gradient))) {
    res.message = "objective is not finite at the starting point";
    return res;
  }

  // Inverse Hessian estimate.
  std::vector<double>& h = res.inverse_hessian;
  bool h_from_caller = initial_inverse_hessian != nullptr && initial_inverse_hessian->size() == n * n;
  auto reset_h = [&](double scale) {
    h.assign(n * n, 0.0);
    for (size_t i = 0; i < n; ++i) h[i * n + i] = scale;
  };
  if (h_from_caller) {
    h = *initial_inverse_hessian;
  } else {
    reset_h(1.0);
  }
  bool h_is_identity_guess = !h_from_caller;

  const double c1 = 1e-4, c2 = 0.9;
  int stalled = 0;
  std::vector<double> d(n), g_free(n), x_new, g_new(n);
  for (res.iterations = 0; res.iterations < options.max_iterations;) {
    // Free variables: not at a bound with the gradient pushing outward.
    for (size_t i = 0; i < n; ++i) {
      res.at_bound[i] = (res.x[i] <= box.lo[i] && res.gradient[i] > 0) ||
                        (res.x[i] >= box.hi[i] && res.gradient[i] < 0);
      g_free[i] = res.at_bound[i] ? 0.0 : res.gradient[i];
    }
    if (MaxAbs(g_free) <= options.gradient_tolerance) {
      res.converged = true;
      res.message = "gradient below tolerance";
      return res;
    }
    if (options.gain_scale > 0 && !h_is_identity_guess &&
        MaxAbs(g_free) <= options.gain_gradient_ceiling) {
      double gain = 0;
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) gain += g_free[i] * h[i * n + j] * g_free[j];
      }
      if (0.5 * gain * options.gain_scale <= options.gain_tolerance) {
        res.converged = true;
        res.message = "expected remaining gain below tolerance";
        return res;
      }
    }
    // d = -H g over the free variables.
    for (size_t i = 0; i < n; ++i) {
      d[i] = 0;
      if (res.at_bound[i]) continue;
      for (size_t j = 0; j < n; ++j) {
        if (!res.at_bound[j]) d[i] -= h[i * n + j] * g_free[j];
      }
    }
    // A move out of the box along a variable sitting on a bound is dropped.
    auto drop_outward = [&]() {
      for (size_t i = 0; i < n; ++i) {
        if ((res.x[i] <= box.lo[i] && d[i] < 0) || (res.x[i] >= box.hi[i] && d[i] > 0)) d[i] = 0;
      }
    };
    drop_outward();
    double slope = Dot(d, g_free);
    if (!(slope < 0)) {
      reset_h(1.0);
      h_is_identity_guess = true;
      for (size_t i = 0; i < n; ++i) d[i] = -g_free[i];
      drop_outward();
      slope = Dot(d, g_free);
      if (!(slope < 0)) {
        res.converged = true;
        res.message = "every descent direction leaves the box";
        return res;
      }
    }
    // Longest step: at most max_step per variable, and up to the nearest bound.
    const double dmax = MaxAbs(d);
    double a_max = dmax > options.max_step ? options.max_step / dmax : kInf;
    for (size_t i = 0; i < n; ++i) {
      if (d[i] < 0 && std::isfinite(box.lo[i])) a_max = std::min(a_max, (box.lo[i] - res.x[i]) / d[i]);
      if (d[i] > 0 && std::isfinite(box.hi[i])) a_max = std::min(a_max, (box.hi[i] - res.x[i]) / d[i]);
    }
    double a = std::min(1.0, a_max);

    // Weak-Wolfe line search.
    double lo = 0, hi = kInf, f_new = kInf;
    bool accepted = false;
    for (int k = 0; k < 60 && a > 0; ++k) {
      x_new = Trial(box, res.x, d, a);
      f_new = objective(x_new, &g_new);
      ++res.evaluations;
      if (x_new == res.x) break;  // the step no longer moves x
      const double slope_new = Dot(d, g_new);
      const bool finite = std::isfinite(f_new) && std::isfinite(MaxAbs(g_new));
      // Hager & Zhang's approximate Wolfe conditions: near the optimum the
      // decrease is below the rounding of f but the exact gradient still
      // tells a good step.
      if (finite && f_new <= res.f + 1e-12 * std::abs(res.f) && slope_new >= c2 * slope &&
          slope_new <= -0.8 * slope) {
        accepted = true;
        break;
      }
      if (!finite || f_new > res.f + c1 * a * slope) {
        hi = a;
      } else if (slope_new < c2 * slope) {
        if (a >= a_max * (1 - 1e-12)) {  // stopped by a bound or the step cap
          accepted = true;
          break;
        }
        lo = a;
      } else {
        accepted = true;
        break;
      }
      if (hi < kInf) {
        const double width = hi - lo;
        double next = lo + 0.5 * width;
        if (a != hi) {
          // The last trial moved `lo`: bisect.
        } else if (std::isfinite(f_new)) {
          // Minimiser of the quadratic through f(0), f'(0) and f(hi).
          const double denom = 2 * (f_new - res.f - slope * hi);
          if (denom > 0) next = -slope * hi * hi / denom;
          next = std::min(std::max(next, lo + 0.1 * width), hi - 0.1 * width);
        } else {
          next = lo + 0.2 * width;
        }
        if (width < 1e-16 * std::max(1.0, hi)) break;
        a = next;
      } else {
        a = std::min(4 * a, a_max);
      }
    }
    if (!accepted) {
      if (!h_is_identity_guess) {
        // The curvature estimate may be stale; start again from steepest descent.
        reset_h(1.0);
        h_is_identity_guess = true;
        continue;
      }
      res.converged = MaxAbs(g_free) <= 1e3 * options.gradient_tolerance;
      res.message = res.converged ? "no further decrease possible (gradient near tolerance)"
                                  : "line search failed: no decrease along the search direction";
      return res;
    }
    ++res.iterations;

    // BFGS update with s, y over the free variables.
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = x_new[i] - res.x[i];
      y[i] = res.at_bound[i] ? 0.0 : g_new[i] - res.gradient[i];
      if (res.at_bound[i]) s[i] = 0;
    }
    const double sy = Dot(s, y);
    const double f_old = res.f;
    if (sy > 1e-12 * std::sqrt(Dot(s, s) * Dot(y, y)) && sy > 0) {
      if (h_is_identity_guess) {
        // Nocedal & Wright (6.20): scale the first guess to the curvature seen.
        reset_h(sy / Dot(y, y));
        h_is_identity_guess = false;
      }
      const double rho = 1.0 / sy;
      std::vector<double> hy(n, 0.0);
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) hy[i] += h[i * n + j] * y[j];
      }
      const double yhy = Dot(y, hy);
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
          h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
      }
    }
    res.x = x_new;
    res.f = f_new;
    res.gradient = g_new;
    // A floor of rounding: f no longer moves although the gradient is not
    // below tolerance.
    if (f_old - res.f <= 1e-15 * std::abs(res.f)) {
      if (++stalled >= 3) {
        for (size_t i = 0; i < n; ++i) {
          g_free[i] = res.at_bound[i] ? 0.0 : res.gradient[i];
        }
        res.converged = MaxAbs(g_free) <= 1e3 * options.gradient_tolerance;
        res.message = "objective stopped decreasing";
        return res;
      }
    } else {
      stalled = 0;
    }
  }
  res.message = absl::StrCat("iteration limit ", options.max_iterations, " reached");
  return res;
}

}  // namespace pulse::stats::internal
