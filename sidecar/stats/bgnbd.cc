// BG/NBD likelihood, gradient, fit and predictions.
//
// Per customer, with c = r + x (Fader, Hardie & Lee 2005, eq. 6-7):
//   ln L = lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
//          + ln[ (alpha+T)^-c + [x>0] a/(b+x-1) (alpha+t_x)^-c ].
// The first line depends on x only and is summed once per distinct x; the
// bracket is log-sum-exp'd per row. Its derivatives are those of a softplus.
#include "sidecar/stats/bgnbd.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "sidecar/stats/fit_data.h"
#include "sidecar/stats/fit_driver.h"
#include "sidecar/stats/special_functions.h"

namespace pulse::stats {
namespace {

using internal::Digamma;
using internal::FitData;
using internal::Params4;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool ParamsOk(const BgNbdParams& p) {
  return std::isfinite(p.r) && std::isfinite(p.alpha) && std::isfinite(p.a) &&
         std::isfinite(p.b) && p.r > 0 && p.alpha > 0 && p.a > 0 && p.b > 0;
}

// Sums over rows: log-likelihood and its gradient in (r, alpha, a, b).
struct Sums {
  double ll = 0;
  double g[4] = {0, 0, 0, 0};
  Sums& operator+=(const Sums& o) {
    ll += o.ll;
    for (int i = 0; i < 4; ++i) g[i] += o.g[i];
    return *this;
  }
};

// softplus(u) = ln(1 + e^u) and sigmoid(u), without overflow.
inline void Softplus(double u, double* sp, double* sig) {
  const double e = std::exp(-std::abs(u));
  *sp = (u > 0 ? u : 0.0) + std::log1p(e);
  *sig = u >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

template <bool kGradient>
Sums RowSums(const FitData& d, const Params4& p, const std::vector<double>& log_a_over_b,
             const std::vector<double>& inv_b, int64_t begin, int64_t end) {
  const double r = p[0], alpha = p[1], a = p[2];
  Sums s;
  double last_T = -1, ln_aT = 0, inv_aT = 0;
  for (int64_t i = begin; i < end; ++i) {
    const double T = d.T[i], w = d.weight[i];
    if (T != last_T) {
      last_T = T;
      ln_aT = std::log(alpha + T);
      if (kGradient) inv_aT = 1.0 / (alpha + T);
    }
    const int32_t k = d.x_index[i];
    const double x = d.x_values[k];
    if (x == 0) {
      s.ll -= w * r * ln_aT;
      if (kGradient) {
        s.g[0] -= w * ln_aT;
        s.g[1] -= w * r * inv_aT;
      }
      continue;
    }
    const double c = r + x;
    const double ln_atx = std::log(alpha + d.t_x[i]);
    const double u = log_a_over_b[k] + c * (ln_aT - ln_atx);
    double sp, q;
    Softplus(u, &sp, &q);
    s.ll += w * (sp - c * ln_aT);
    if (kGradient) {
      s.g[0] -= w * ((1 - q) * ln_aT + q * ln_atx);
      s.g[1] -= w * c * ((1 - q) * inv_aT + q / (alpha + d.t_x[i]));
      s.g[2] += w * q / a;
      s.g[3] -= w * q * inv_b[k];
    }
  }
  return s;
}

// Mean log-likelihood over prepared (scaled) data, and its gradient.
double MeanLogLikelihood(const FitData& d, const Params4& p, Params4* gradient, int threads) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0) || !std::isfinite(r + alpha + a + b)) return kNaN;
  const size_t nx = d.x_values.size();
  std::vector<double> log_a_over_b(nx, 0.0), inv_b(nx, 0.0);
  Sums total;
  const double lg_r = std::lgamma(r), lg_ab = std::lgamma(a + b), lg_b = std::lgamma(b);
  const bool grad = gradient != nullptr;
  const double psi_r = grad ? Digamma(r) : 0, psi_ab = grad ? Digamma(a + b) : 0,
               psi_b = grad ? Digamma(b) : 0;
  for (size_t k = 0; k < nx; ++k) {
    const double x = d.x_values[k], w = d.x_weights[k];
    if (x == 0) continue;  // every x-only term vanishes
    log_a_over_b[k] = std::log(a) - std::log(b + x - 1);
    inv_b[k] = 1.0 / (b + x - 1);
    total.ll += w * (std::lgamma(r + x) - lg_r + lg_ab + std::lgamma(b + x) - lg_b -
                     std::lgamma(a + b + x));
    if (grad) {
      const double psi_abx = Digamma(a + b + x);
      total.g[0] += w * (Digamma(r + x) - psi_r);
      total.g[2] += w * (psi_ab - psi_abx);
      total.g[3] += w * (psi_ab + Digamma(b + x) - psi_b - psi_abx);
    }
  }
  const double ln_alpha = std::log(alpha);
  total.ll += d.total_weight * r * ln_alpha;
  total.g[0] += d.total_weight * ln_alpha;
  total.g[1] += d.total_weight * r / alpha;
  auto block = [&](int64_t begin, int64_t end) {
    return grad ? RowSums<true>(d, p, log_a_over_b, inv_b, begin, end)
                : RowSums<false>(d, p, log_a_over_b, inv_b, begin, end);
  };
  total += internal::ParallelBlockSum<Sums>(d.rows(), threads, block);
  const double inv_w = 1.0 / d.total_weight;
  if (grad) {
    for (int i = 0; i < 4; ++i) (*gradient)[i] = total.g[i] * inv_w;
  }
  return total.ll * inv_w;
}

// ln of the odds (dead : alive) for a repeat buyer; P(alive) = 1/(1+e^u).
double LogDeadOdds(const BgNbdParams& p, double x, double t_x, double T) {
  return std::log(p.a) - std::log(p.b + x - 1) + (p.r + x) * std::log1p((T - t_x) / (p.alpha + t_x));
}

}  // namespace

absl::Status ValidateBgNbdParams(const BgNbdParams& params) {
  if (ParamsOk(params)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "BG/NBD parameters must be finite and positive: r=%g alpha=%g a=%g b=%g", params.r,
      params.alpha, params.a, params.b));
}

double BgNbdCustomerLogLikelihood(const BgNbdParams& p, const RfmSummary& c) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok()) return kNaN;
  const double x = c.x, cr = p.r + x;
  double ll = std::lgamma(p.r + x) - std::lgamma(p.r) + p.r * std::log(p.alpha) +
              std::lgamma(p.a + p.b) + std::lgamma(p.b + x) - std::lgamma(p.b) -
              std::lgamma(p.a + p.b + x) - cr * std::log(p.alpha + c.T);
  if (x > 0) {
    double sp, q;
    Softplus(LogDeadOdds(p, x, c.t_x, c.T), &sp, &q);
    ll += sp;
  }
  return ll;
}

absl::StatusOr<double> BgNbdLogLikelihood(const BgNbdParams& params,
                                          absl::Span<const RfmSummary> data,
                                          std::array<double, 4>* gradient, int threads) {
  if (absl::Status s = ValidateBgNbdParams(params); !s.ok()) return s;
  if (data.empty()) return absl::InvalidArgumentError("no customers");
  const int n_threads = internal::ResolveThreads(threads);
  // Unscaled time: the likelihood in the caller's unit.
  absl::StatusOr<FitData> d = internal::PrepareFitData(data, 1.0, 1, n_threads);
  if (!d.ok()) return d.status();
  Params4 g{};
  const double mean = MeanLogLikelihood(*d, {params.r, params.alpha, params.a, params.b},
                                        gradient ? &g : nullptr, n_threads);
  if (gradient) {
    for (int i = 0; i < 4; ++i) (*gradient)[i] = g[i] * d->total_weight;
  }
  return mean * d->total_weight;
}

absl::StatusOr<BgNbdFit> FitBgNbd(absl::Span<const RfmSummary> data, const FitOptions& options) {
  internal::ModelSpec spec;
  spec.mean_log_likelihood = MeanLogLikelihood;
  spec.is_time_scale = {false, true, false, false};
  spec.start_candidates = [](double rate) {
    std::vector<Params4> out;
    for (double r : {0.25, 1.0, 4.0}) {
      for (double a : {0.5, 2.0}) {
        for (double b : {1.0, 5.0}) out.push_back({r, r / rate, a, b});
      }
    }
    return out;
  };
  absl::StatusOr<internal::DriverResult> r = internal::RunFit(data, options, spec);
  if (!r.ok()) return r.status();

  BgNbdFit fit;
  fit.params = {r->params[0], r->params[1], r->params[2], r->params[3]};
  fit.log_likelihood = r->log_likelihood;
  fit.iterations = r->iterations;
  fit.converged = r->converged;

  std::vector<std::string> reasons = internal::EdgeOfSearchReasons(*r, {"r", "alpha", "a", "b"});
  // The symptom that matters downstream: nobody looks lapsed.
  const internal::FitData& d = r->data;
  const BgNbdParams scaled{fit.params.r, fit.params.alpha / d.time_scale, fit.params.a, fit.params.b};
  double min_alive = 1;
  for (int64_t i = 0; i < d.rows(); ++i) {
    const double x = d.x_values[d.x_index[i]];
    if (x == 0) continue;
    const double u = LogDeadOdds(scaled, x, d.t_x[i], d.T[i]);
    min_alive = std::min(min_alive, 1.0 / (1.0 + std::exp(u)));
  }
  if (min_alive >= 0.99) {
    reasons.push_back(absl::StrFormat(
        "P(alive) >= 0.99 for every repeat buyer (lowest %.4f, E[dropout probability] = "
        "a/(a+b) = %.3g): the fitted dropout process is negligible, so the model cannot tell "
        "active from lapsed customers",
        min_alive, fit.params.a / (fit.params.a + fit.params.b)));
  }
  fit.degenerate = !reasons.empty();
  if (!fit.converged) reasons.push_back(absl::StrCat("did not converge: ", r->message));
  for (size_t i = 0; i < reasons.size(); ++i) {
    absl::StrAppend(&fit.reason, i > 0 ? "; " : "", reasons[i]);
  }
  return fit;
}

double BgNbdProbabilityAlive(const BgNbdParams& p, const RfmSummary& c) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok()) return kNaN;
  if (c.x == 0) return 1.0;
  return 1.0 / (1.0 + std::exp(LogDeadOdds(p, c.x, c.t_x, c.T)));
}

double BgNbdExpectedPurchases(const BgNbdParams& p, const RfmSummary& c, double t) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok() || !(t >= 0) || !std::isfinite(t)) return kNaN;
  if (t == 0) return 0.0;
  // Fader, Hardie & Lee (2005) eq. 10, with the Euler transformation
  //   2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; a+b+x-1; z)
  // so that [1 - (1-z)^(r+x) 2F1(...)] / (a-1) = L phi((a-1)L) - (1-z)^(a-1) G',
  // with z = t/(alpha+T+t), L = -ln(1-z) and G' the series without its first
  // term divided by (a-1): stable at a = 1 and convergent for all x.
  const double x = c.x, a = p.a, b = p.b, r = p.r;
  const double z = t / (p.alpha + c.T + t);
  const double L = std::log1p(t / (p.alpha + c.T));
  const double A = a + b - 1 - r, C = a + b + x - 1;
  double term = A / C * z, sum = term;
  for (int k = 1; k < 200000; ++k) {
    term *= (A + k) * (a + k - 1) / ((C + k) * (k + 1)) * z;
    sum += term;
    if (std::abs(term) < 1e-16 * std::abs(sum) || term == 0) break;
  }
  const double bracket = L * internal::Phi((a - 1) * L) - std::exp(-(a - 1) * L) * sum;
  return BgNbdProbabilityAlive(p, c) * C * bracket;
}

double BgNbdProbabilityNoPurchase(const BgNbdParams& p, const RfmSummary& c, double t) {
  if (!ParamsOk(p) || !ValidateRfm(c).ok() || !(t >= 0) || !std::isfinite(t)) return kNaN;
  const double alive = BgNbdProbabilityAlive(p, c);
  return (1 - alive) + alive * std::exp(-(p.r + c.x) * std::log1p(t / (p.alpha + c.T)));
}

double BgNbdUnconditionalExpectedPurchases(const BgNbdParams& p, double t) {
  // The conditional expectation of a customer with no history yet.
  RfmSummary fresh;
  return BgNbdExpectedPurchases(p, fresh, t);
}

std::string BgNbdFitToJson(const BgNbdFit& fit) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["r"] = num(fit.params.r);
  j["alpha"] = num(fit.params.alpha);
  j["a"] = num(fit.params.a);
  j["b"] = num(fit.params.b);
  j["log_likelihood"] = num(fit.log_likelihood);
  j["converged"] = fit.converged;
  j["iterations"] = fit.iterations;
  j["degenerate"] = fit.degenerate;
  j["reason"] = fit.reason;
  return j.dump();
}

}  // namespace pulse::stats
