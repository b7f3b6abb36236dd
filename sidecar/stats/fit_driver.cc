// The shared fit procedure.
#include "sidecar/stats/fit_driver.h"

#include "absl/strings/str_format.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sidecar/stats/optimizer.h"

namespace pulse::stats::internal {
namespace {

// BFGS objective: minus the mean log-likelihood, over log-parameters.
Objective MakeObjective(const ModelSpec& spec, const FitData& data, int threads) {
  return [&spec, &data, threads](const std::vector<double>& theta, std::vector<double>* grad) {
    Params4 p, g{};
    for (int i = 0; i < 4; ++i) p[i] = std::exp(theta[i]);
    const double ll = spec.mean_log_likelihood(data, p, grad ? &g : nullptr, threads);
    if (grad) {
      grad->resize(4);
      for (int i = 0; i < 4; ++i) (*grad)[i] = -p[i] * g[i];
    }
    return -ll;
  };
}

}  // namespace

absl::StatusOr<DriverResult> RunFit(absl::Span<const RfmSummary> data, const FitOptions& options,
                                    const ModelSpec& spec) {
  if (data.empty()) return absl::InvalidArgumentError("no customers to fit");
  const int threads = ResolveThreads(options.threads);
  const double scale = NaturalTimeScale(data);
  absl::StatusOr<FitData> full = PrepareFitData(data, scale, 1, threads);
  if (!full.ok()) return full.status();
  if (!(full->weighted_x > 0)) {
    return absl::InvalidArgumentError(
        "no customer has a repeat purchase (every x is 0): purchase rates cannot be estimated");
  }

  // A systematic subsample to warm up on.
  std::optional<FitData> sub;
  if (full->customers > options.subsample_above && options.subsample_size > 0) {
    const int64_t stride = std::max<int64_t>(2, full->customers / options.subsample_size);
    absl::StatusOr<FitData> s = PrepareFitData(data, scale, stride, 1);
    if (s.ok() && s->weighted_x > 0) sub = std::move(*s);
  }
  const FitData& small = sub ? *sub : *full;

  // Start: the caller's, or the best of a few candidates.
  Params4 start{};
  if (options.start) {
    start = *options.start;
    for (int i = 0; i < 4; ++i) {
      if (spec.is_time_scale[i]) start[i] /= scale;
      if (!(start[i] > 0) || !std::isfinite(start[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat("start parameter ", i, " (", (*options.start)[i], ") is not positive"));
      }
    }
  } else {
    const double rate = full->weighted_x / full->total_weight;  // per mean T
    double best = -std::numeric_limits<double>::infinity();
    for (const Params4& c : spec.start_candidates(rate)) {
      const double ll = spec.mean_log_likelihood(small, c, nullptr, threads);
      if (std::isfinite(ll) && ll > best) {
        best = ll;
        start = c;
      }
    }
    if (!std::isfinite(best)) return absl::InternalError("no starting point has a finite likelihood");
  }

  BoxBfgsOptions bfgs;
  bfgs.max_iterations = options.max_iterations;
  bfgs.gradient_tolerance = options.gradient_tolerance;
  bfgs.lower.assign(4, -kLogParamBound);
  bfgs.upper.assign(4, kLogParamBound);
  std::vector<double> theta(4);
  for (int i = 0; i < 4; ++i) theta[i] = std::log(start[i]);

  DriverResult out;
  std::vector<double> hessian;
  const std::vector<double>* warm_hessian = nullptr;
  if (sub) {
    BoxBfgsOptions loose = bfgs;
    loose.gradient_tolerance = std::max(1e-7, options.gradient_tolerance);
    const Objective sub_objective = MakeObjective(spec, *sub, threads);
    BoxBfgsResult r = MinimizeBoxBfgs(sub_objective, theta, loose);
    out.iterations += r.iterations;
    if (std::isfinite(r.f)) {
      theta = r.x;
      hessian = r.inverse_hessian;
      warm_hessian = &hessian;
    }
  }
  const Objective objective = MakeObjective(spec, *full, threads);
  // On all the data, also stop once less than 1e-7 of log-likelihood is
  // left to gain: the parameters are then within ~5e-4 standard errors of
  // the optimum, and large data sets need a pass or two fewer.
  bfgs.gain_scale = full->total_weight;
  BoxBfgsResult r = MinimizeBoxBfgs(objective, theta, bfgs, warm_hessian);
  out.iterations += r.iterations;
  out.converged = r.converged;
  out.message = r.message;
  out.mean_log_likelihood = -r.f;
  for (int i = 0; i < 4; ++i) {
    out.params[i] = std::exp(r.x[i]) * (spec.is_time_scale[i] ? scale : 1.0);
    out.at_bound[i] = std::abs(r.x[i]) >= kLogParamBound - 1e-9;
  }
  // Rescaling time by c multiplies each customer's likelihood by c^-x.
  out.log_likelihood = -r.f * full->total_weight - std::log(scale) * full->weighted_x;
  out.data = std::move(*full);
  return out;
}

std::vector<std::string> EdgeOfSearchReasons(const DriverResult& result, const std::array<const char*, 4>& names) {
  std::vector<std::string> reasons;
  for (int i = 0; i < 4; ++i) {
    if (result.at_bound[i]) {
      reasons.push_back(absl::StrFormat("%s ran to the edge of the search (%g): the likelihood has no interior maximum",
                                        names[i], result.params[i]));
    }
  }
  return reasons;
}

}  // namespace pulse::stats::internal
