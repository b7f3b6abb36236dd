// Pareto/NBD likelihood, gradient, fit and predictions.
//
// The integral I (see the header) is computed by cases on
// m = min(alpha, beta), M = max(alpha, beta), with e_m, e_M the exponents
// going with them (r+x for alpha, s+1 for beta), rho = r+s+x, D = M-m:
//  * F(tau) = integral from tau to infinity
//           = (M+tau)^-e_M (m+tau)^(1-e_m) 2F1(e_M, 1; rho+1; z) / rho,
//    z = D/(M+tau); I = F(t_x) - F(T). This is Fader & Hardie's 2F1
//    expression after an Euler transformation, which makes every series term
//    positive. Fine while z <= 1 - u_c.
//  * With u = (m+tau)/(M+tau), I = D^-rho * integral of u^-e_m (1-u)^(rho-1)
//    du; for u below u_c = 1/(2 max(1, |rho-1|)) the binomial series of
//    (1-u)^(rho-1) converges fast without cancellation. This covers z -> 1,
//    where the 2F1 converges slowly (one parameter dwarfs the other, as when
//    a fit runs towards no dropout).
// An interval straddling u_c is split there.
#include "sidecar/stats/pareto_nbd.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "sidecar/stats/dual.h"
#include "sidecar/stats/fit_data.h"
#include "sidecar/stats/fit_driver.h"
#include "sidecar/stats/special_functions.h"

namespace pulse::stats {
namespace {

using internal::Digamma;
using internal::Dual;
using internal::FitData;
using internal::Params4;
using internal::Value;
using D4 = Dual<4>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool ParamsOk(const ParetoNbdParams& p) {
  return std::isfinite(p.r) && std::isfinite(p.alpha) && std::isfinite(p.s) &&
         std::isfinite(p.beta) && p.r > 0 && p.alpha > 0 && p.s > 0 && p.beta > 0;
}

template <typename S>
struct Theta {
  S r, alpha, s, beta;
};

template <typename S>
S LogAddExp(const S& a, const S& b) {
  using internal::exp;
  using internal::log1p;
  if (Value(a) < Value(b)) return b + log1p(exp(a - b));
  return a + log1p(exp(b - a));
}

// Number of power-series coefficients kept per x: enough for z <= 0.6
// (beyond it the continued fraction is used). The series on plain arrays is
// several times cheaper than the continued fraction in dual numbers.
constexpr int kSeriesTerms = 80;
constexpr double kSeriesMaxZ = 0.6;

// What a likelihood evaluation shares across all customers.
template <typename S>
struct Shared {
  Shared(const Theta<S>& p) : theta(p) {
    using internal::log;
    alpha_small = Value(p.alpha) < Value(p.beta);
    m = alpha_small ? p.alpha : p.beta;
    big = alpha_small ? p.beta : p.alpha;
    d = big - m;
    if (Value(d) > 0) ln_d = log(d);
    ln_s = log(p.s);
  }
  Theta<S> theta;
  bool alpha_small;
  S m, big, d, ln_d, ln_s;
};

// What customers with the same x share: the exponents, the split point
// u_c, the 2F1 series coefficients and F at tau_c (see the file comment).
template <typename S>
struct PerX {
  PerX(const Shared<S>& sh, double x) {
    using internal::log;
    const Theta<S>& p = sh.theta;
    er = p.r + x;
    e_m = sh.alpha_small ? er : p.s + 1.0;
    e_big = sh.alpha_small ? p.s + 1.0 : er;
    rho = p.r + p.s + x;
    ln_rho = log(rho);
    u_c = 0.5 / std::max(1.0, std::abs(Value(rho) - 1.0));
    S c = 1.0;
    for (int k = 0; k < kSeriesTerms; ++k) {
      if (k > 0) c = c * ((e_big + static_cast<double>(k - 1)) / (rho + static_cast<double>(k)));
      coef_v[k] = Value(c);
      if constexpr (!std::is_same_v<S, double>) {
        for (int i = 0; i < 4; ++i) coef_d[i][k] = c.d[i];
      }
    }
    if (Value(sh.d) > 0) {
      // tau_c where u = u_c: M + tau_c = D / (1 - u_c).
      const S lM = sh.ln_d - std::log1p(-u_c);
      const S lm = lM + std::log(u_c);
      ln_f_c = LogF(lm, lM, S(1.0 - u_c));
    }
  }

  // ln 2F1(e_big, 1; rho+1; z) for 0 <= z < 1.
  S LogG(const S& z) const {
    using internal::log;
    const double zv = Value(z);
    if (zv > kSeriesMaxZ) return internal::LogHyp2F1UnitB(e_big, rho, z);
    if (zv <= 0) return S(0.0);
    // Terms shrink at least as fast as z^k: stop when z^(K+1) < 1e-17.
    const int last = std::min(kSeriesTerms - 1, static_cast<int>(std::ceil(-39.2 / std::log(zv))));
    // Horner in the value of z on plain arrays (the coefficients carry their
    // own derivatives), plus dG/dz times the derivatives of z.
    double v = coef_v[last], dv_dz = 0;
    if constexpr (std::is_same_v<S, double>) {
      for (int k = last - 1; k >= 0; --k) v = v * zv + coef_v[k];
      return std::log(v);
    } else {
      double d0 = coef_d[0][last], d1 = coef_d[1][last], d2 = coef_d[2][last],
             d3 = coef_d[3][last];
      for (int k = last - 1; k >= 0; --k) {
        dv_dz = dv_dz * zv + v;
        v = v * zv + coef_v[k];
        d0 = d0 * zv + coef_d[0][k];
        d1 = d1 * zv + coef_d[1][k];
        d2 = d2 * zv + coef_d[2][k];
        d3 = d3 * zv + coef_d[3][k];
      }
      S g(v);
      g.d = {d0 + dv_dz * z.d[0], d1 + dv_dz * z.d[1], d2 + dv_dz * z.d[2], d3 + dv_dz * z.d[3]};
      return log(g);
    }
  }

  // ln F(tau) from ln(m+tau), ln(M+tau) and z = D/(M+tau).
  S LogF(const S& lm, const S& lM, const S& z) const {
    return (1.0 - e_m) * lm - e_big * lM + LogG(z) - ln_rho;
  }

  S er, e_m, e_big, rho, ln_rho, ln_f_c;
  double u_c;
  // The series coefficients' values and derivatives (for Dual).
  std::array<double, kSeriesTerms> coef_v;
  std::array<std::array<double, kSeriesTerms>, std::is_same_v<S, double> ? 0 : 4> coef_d;
};

// The parts of a customer's likelihood shared by all customers with the same
// x and T; LogRest(t_x) finishes one customer.
template <typename S>
class GroupKernel {
 public:
  GroupKernel(const Shared<S>& sh, const PerX<S>& px, double T) : sh_(sh), px_(px), T_(T) {
    using internal::log;
    const Theta<S>& p = sh.theta;
    const S ln_aT = log(p.alpha + T), ln_bT = log(p.beta + T);
    ln_a_ = -(px.er * ln_aT) - p.s * ln_bT;
    lm1_ = sh.alpha_small ? ln_aT : ln_bT;
    lM1_ = sh.alpha_small ? ln_bT : ln_aT;
    l1_ = lm1_ - lM1_;
    t1_ = std::exp(Value(l1_));
    if (t1_ > px.u_c) ln_f_T_ = px.LogF(lm1_, lM1_, sh.d / (sh.big + T));
  }

  // ln A, A = (alpha+T)^-(r+x) (beta+T)^-s.
  const S& LogA() const { return ln_a_; }

  // ln(A + s I) for a customer of this group whose last purchase is at t_x.
  S LogRest(double t_x) const {
    using internal::expm1;
    using internal::log;
    if (!(t_x < T_)) return ln_a_;
    const S lm0 = log(sh_.m + t_x), lM0 = log(sh_.big + t_x);
    const S l0 = lm0 - lM0;
    const double t0 = std::exp(Value(l0));
    S ln_i;
    if (t0 >= px_.u_c) {
      const S ln_f0 = px_.LogF(lm0, lM0, sh_.d / (sh_.big + t_x));
      const S diff = ln_f_T_ - ln_f0;
      if (!(Value(diff) < 0)) return ln_a_;  // t_x within rounding of T
      ln_i = ln_f0 + log(-expm1(diff));
    } else {
      const S l_hi = t1_ <= px_.u_c ? l1_ : S(std::log(px_.u_c));
      ln_i = internal::LogSmallBetaIntegral(px_.e_m, px_.rho - 1.0, l0, l_hi) - px_.rho * sh_.ln_d;
      if (t1_ > px_.u_c) {
        const S diff = ln_f_T_ - px_.ln_f_c;
        if (Value(diff) < 0) ln_i = LogAddExp(ln_i, px_.ln_f_c + log(-expm1(diff)));
      }
    }
    return LogAddExp(ln_a_, sh_.ln_s + ln_i);
  }

 private:
  const Shared<S>& sh_;
  const PerX<S>& px_;
  double T_;
  S ln_a_, lm1_, lM1_, l1_, ln_f_T_;
  double t1_ = 1;
};

// Everything one evaluation needs: shared and per-x parts.
template <typename S>
struct Evaluation {
  Evaluation(const Theta<S>& p, const std::vector<double>& x_values) : shared(p) {
    per_x.reserve(x_values.size());
    for (double x : x_values) per_x.emplace_back(shared, x);
  }
  Shared<S> shared;
  std::vector<PerX<S>> per_x;
};

// Sum of weight * ln(A + s I) over rows [begin, end).
template <typename S>
S RowSum(const FitData& d, const Evaluation<S>& ev, int64_t begin, int64_t end) {
  S sum = 0.0;
  std::optional<GroupKernel<S>> group;
  int32_t group_x = -1;
  double group_T = -1;
  for (int64_t i = begin; i < end; ++i) {
    if (d.x_index[i] != group_x || d.T[i] != group_T) {
      group_x = d.x_index[i];
      group_T = d.T[i];
      group.emplace(ev.shared, ev.per_x[group_x], group_T);
    }
    sum += group->LogRest(d.t_x[i]) * d.weight[i];
  }
  return sum;
}

// ln P(alive) of one customer.
double LogProbabilityAlive(const ParetoNbdParams& p, double x, double t_x, double T) {
  const Shared<double> sh(Theta<double>{p.r, p.alpha, p.s, p.beta});
  const PerX<double> px(sh, x);
  const GroupKernel<double> k(sh, px, T);
  return k.LogA() - k.LogRest(t_x);
}

// ln(A + s I) of one customer.
double LogRest(const ParetoNbdParams& p, double x, double t_x, double T) {
  const Shared<double> sh(Theta<double>{p.r, p.alpha, p.s, p.beta});
  const PerX<double> px(sh, x);
  return GroupKernel<double>(sh, px, T).LogRest(t_x);
}

double MeanLogLikelihood(const FitData& d, const Params4& p, Params4* gradient, int threads) {
  const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  if (!(r > 0 && alpha > 0 && s > 0 && beta > 0) || !std::isfinite(r + alpha + s + beta)) return kNaN;
  // Terms in x only, and the constant ones.
  double ll = d.total_weight * (r * std::log(alpha) + s * std::log(beta));
  Params4 g{d.total_weight * std::log(alpha), d.total_weight * r / alpha,
            d.total_weight * std::log(beta), d.total_weight * s / beta};
  const double lg_r = std::lgamma(r), psi_r = gradient ? Digamma(r) : 0;
  for (size_t k = 0; k < d.x_values.size(); ++k) {
    const double x = d.x_values[k], w = d.x_weights[k];
    if (x == 0) continue;
    ll += w * (std::lgamma(r + x) - lg_r);
    if (gradient) g[0] += w * (Digamma(r + x) - psi_r);
  }
  const double inv_w = 1.0 / d.total_weight;
  if (!gradient) {
    const Evaluation<double> ev(Theta<double>{r, alpha, s, beta}, d.x_values);
    ll += internal::ParallelBlockSum<double>(
        d.rows(), threads, [&](int64_t b, int64_t e) { return RowSum<double>(d, ev, b, e); });
    return ll * inv_w;
  }
  const Evaluation<D4> ev(Theta<D4>{D4::Variable(r, 0), D4::Variable(alpha, 1),
                                     D4::Variable(s, 2), D4::Variable(beta, 3)},
                          d.x_values);
  const D4 rows = internal::ParallelBlockSum<D4>(
      d.rows(), threads, [&](int64_t b, int64_t e) { return RowSum<D4>(d, ev, b, e); });
  ll += rows.v;
  for (int i = 0; i < 4; ++i) (*gradient)[i] = (g[i] + rows.d[i]) * inv_w;
  return ll * inv_w;
}

}  // namespace

absl::Status ValidateParetoNbdParams(const ParetoNbdParams& params) {
  if (ParamsOk(params)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "Pareto/NBD parameters must be finite and positive: r=%g alpha=%g s=%g beta=%g", params.r,
      params.alpha, params.s, params.beta));
}

double ParetoNbdCustomerLogLikelihood(const ParetoNbdParams& p, const RfmSummary& c) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok()) return kNaN;
  return std::lgamma(p.r + c.x) - std::lgamma(p.r) + p.r * std::log(p.alpha) +
         p.s * std::log(p.beta) + LogRest(p, c.x, c.t_x, c.T);
}

absl::StatusOr<double> ParetoNbdLogLikelihood(const ParetoNbdParams& params,
                                              absl::Span<const RfmSummary> data,
                                              std::array<double, 4>* gradient, int threads) {
  if (absl::Status s = ValidateParetoNbdParams(params); !s.ok()) return s;
  if (data.empty()) return absl::InvalidArgumentError("no customers");
  const int n_threads = internal::ResolveThreads(threads);
  absl::StatusOr<FitData> d = internal::PrepareFitData(data, 1.0, 1, n_threads);
  if (!d.ok()) return d.status();
  Params4 g{};
  const double mean = MeanLogLikelihood(*d, {params.r, params.alpha, params.s, params.beta},
                                        gradient ? &g : nullptr, n_threads);
  if (gradient) {
    for (int i = 0; i < 4; ++i) (*gradient)[i] = g[i] * d->total_weight;
  }
  return mean * d->total_weight;
}

absl::StatusOr<ParetoNbdFit> FitParetoNbd(absl::Span<const RfmSummary> data,
                                          const FitOptions& options) {
  internal::ModelSpec spec;
  spec.mean_log_likelihood = MeanLogLikelihood;
  spec.is_time_scale = {false, true, false, true};
  spec.start_candidates = [](double rate) {
    std::vector<Params4> out;
    for (double r : {0.25, 1.0, 4.0}) {
      for (double s : {0.5, 2.0}) {
        // Mean lifetime scale beta/s of one or five observation periods.
        for (double life : {1.0, 5.0}) out.push_back({r, r / rate, s, s * life});
      }
    }
    return out;
  };
  absl::StatusOr<internal::DriverResult> r = internal::RunFit(data, options, spec);
  if (!r.ok()) return r.status();

  ParetoNbdFit fit;
  fit.params = {r->params[0], r->params[1], r->params[2], r->params[3]};
  fit.log_likelihood = r->log_likelihood;
  fit.iterations = r->iterations;
  fit.converged = r->converged;

  std::vector<std::string> reasons = internal::EdgeOfSearchReasons(*r, {"r", "alpha", "s", "beta"});
  const internal::FitData& d = r->data;
  const ParetoNbdParams scaled{fit.params.r, fit.params.alpha / d.time_scale, fit.params.s,
                               fit.params.beta / d.time_scale};
  // The lowest P(alive) over the data (a minimum merges in any order).
  struct Lowest {
    double v = 1;
    Lowest& operator+=(const Lowest& o) {
      v = std::min(v, o.v);
      return *this;
    }
  };
  const Evaluation<double> ev(Theta<double>{scaled.r, scaled.alpha, scaled.s, scaled.beta},
                              d.x_values);
  const double min_alive =
      internal::ParallelBlockSum<Lowest>(
          d.rows(), internal::ResolveThreads(options.threads),
          [&](int64_t b, int64_t e) {
            Lowest lowest;
            std::optional<GroupKernel<double>> group;
            int32_t gx = -1;
            double gT = -1;
            for (int64_t i = b; i < e; ++i) {
              if (d.x_index[i] != gx || d.T[i] != gT) {
                gx = d.x_index[i];
                gT = d.T[i];
                group.emplace(ev.shared, ev.per_x[gx], gT);
              }
              lowest.v = std::min(lowest.v, std::exp(group->LogA() - group->LogRest(d.t_x[i])));
            }
            return lowest;
          })
          .v;
  if (min_alive >= 0.99) {
    reasons.push_back(absl::StrFormat(
        "P(alive) >= 0.99 for every customer (mean dropout rate s/beta = %.3g per time unit): "
        "the fitted dropout process is negligible, so the model cannot tell active from "
        "lapsed customers",
        fit.params.s / fit.params.beta));
  }
  fit.degenerate = !reasons.empty();
  if (!fit.converged) reasons.push_back(absl::StrCat("did not converge: ", r->message));
  for (size_t i = 0; i < reasons.size(); ++i) {
    absl::StrAppend(&fit.reason, i > 0 ? "; " : "", reasons[i]);
  }
  return fit;
}

double ParetoNbdProbabilityAlive(const ParetoNbdParams& p, const RfmSummary& c) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok()) return kNaN;
  return std::exp(LogProbabilityAlive(p, c.x, c.t_x, c.T));
}

double ParetoNbdExpectedPurchases(const ParetoNbdParams& p, const RfmSummary& c, double t) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok() || !(t >= 0) || !std::isfinite(t)) return kNaN;
  // Schmittlein et al. (1987): P(alive) (r+x)(beta+T) / ((alpha+T)(s-1))
  // [1 - ((beta+T)/(beta+T+t))^(s-1)], written to be stable at s = 1.
  const double L = std::log1p(t / (p.beta + c.T));
  return ParetoNbdProbabilityAlive(p, c) * (p.r + c.x) * (p.beta + c.T) / (p.alpha + c.T) * L *
         internal::Phi((p.s - 1) * L);
}

double ParetoNbdProbabilityNoPurchase(const ParetoNbdParams& p, const RfmSummary& c, double t) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok() || !(t >= 0) || !std::isfinite(t)) return kNaN;
  const double alive = ParetoNbdProbabilityAlive(p, c);
  if (t == 0) return 1.0;
  // Q: the likelihood of (x=0, t_x=0, T=t) under the posterior parameters.
  const ParetoNbdParams post{p.r + c.x, p.alpha + c.T, p.s, p.beta + c.T};
  const double q = std::exp(post.r * std::log(post.alpha) + post.s * std::log(post.beta) +
                            LogRest(post, 0.0, 0.0, t));
  return (1 - alive) + alive * std::min(1.0, q);
}

double ParetoNbdUnconditionalExpectedPurchases(const ParetoNbdParams& p, double t) {
  if (!ParamsOk(p) || !(t >= 0) || !std::isfinite(t)) return kNaN;
  const double L = std::log1p(t / p.beta);
  return p.r * p.beta / p.alpha * L * internal::Phi((p.s - 1) * L);
}

std::string ParetoNbdFitToJson(const ParetoNbdFit& fit) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["r"] = num(fit.params.r);
  j["alpha"] = num(fit.params.alpha);
  j["s"] = num(fit.params.s);
  j["beta"] = num(fit.params.beta);
  j["log_likelihood"] = num(fit.log_likelihood);
  j["converged"] = fit.converged;
  j["iterations"] = fit.iterations;
  j["degenerate"] = fit.degenerate;
  j["reason"] = fit.reason;
  return j.dump();
}

}  // namespace pulse::stats
