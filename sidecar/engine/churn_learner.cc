#include "sidecar/engine/churn_learner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/backtest.h"

namespace pulse {
namespace {

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// Solves A x = b for a symmetric positive definite A (n x n, row-major) by
// Cholesky. Returns false when A is not positive definite.
bool SolveSpd(std::vector<double> a, std::vector<double> b, int n, std::vector<double>* x) {
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 1e-12)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (int i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  for (int i = 0; i < n; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int k = i + 1; k < n; ++k) s -= a[k * n + i] * b[k];
    b[i] = s / a[i * n + i];
  }
  *x = std::move(b);
  return true;
}

// Penalised log-likelihood of (intercept, coef) = theta.
double Objective(const std::vector<double>& x, int cols, const std::vector<int>& y, const std::vector<double>& w,
                 double l2, const std::vector<double>& theta) {
  const size_t rows = y.size();
  double ll = 0;
  for (size_t i = 0; i < rows; ++i) {
    double z = theta[0];
    const double* xi = &x[i * cols];
    for (int j = 0; j < cols; ++j) z += theta[j + 1] * xi[j];
    // log p(y | z) computed stably.
    const double lp = y[i] ? -std::log1p(std::exp(-std::fabs(z))) - std::max(0.0, -z)
                           : -std::log1p(std::exp(-std::fabs(z))) - std::max(0.0, z);
    ll += (w.empty() ? 1.0 : w[i]) * lp;
  }
  double pen = 0;
  for (int j = 0; j < cols; ++j) pen += theta[j + 1] * theta[j + 1];
  return ll - 0.5 * l2 * pen;
}

// The candidate label windows: the horizon, then shorter ones.
std::vector<int> LabelWindows(int horizon, int min_window) {
  std::vector<int> out;
  for (int div = 1; div <= 4; ++div) {
    const int w = horizon / div;
    if (w < std::max(1, min_window)) break;
    out.push_back(w);
  }
  return out;
}

// Standardises the present values of rows[subset] (absent ones sit at the
// mean, 0, and get a missing indicator of their own) and fits.
ChurnModel::Part FitPart(const std::vector<FeatureRow>& rows, const std::vector<int>& labels,
                         const std::vector<size_t>& subset, double l2, bool* converged, int* iterations) {
  ChurnModel::Part part;
  std::vector<int> columns;  // feature index, or -(feature + 1) for "absent"
  for (int f = 0; f < kFeatureCount; ++f) {
    double sum = 0, sum_sq = 0;
    int64_t present = 0;
    for (size_t i : subset) {
      const FeatureRow& r = rows[i];
      if (!r.present[f]) continue;
      ++present;
      sum += r.value[f];
    }
    if (present > 0) {
      const double mean = sum / present;
      for (size_t i : subset) {
        const FeatureRow& r = rows[i];
        if (r.present[f]) sum_sq += (r.value[f] - mean) * (r.value[f] - mean);
      }
      const double sd = std::sqrt(sum_sq / present);
      part.mean[f] = mean;
      part.scale[f] = sd;
      if (sd > 1e-9) {
        part.use_value[f] = true;
        columns.push_back(f);
      }
    }
    if (present > 0 && present < static_cast<int64_t>(subset.size())) {
      part.use_missing[f] = true;
      columns.push_back(-(f + 1));
    }
  }
  const int cols = static_cast<int>(columns.size());
  const size_t n = subset.size();
  std::vector<double> x(n * cols);
  std::vector<int> y(n);
  for (size_t i = 0; i < n; ++i) {
    const FeatureRow& row = rows[subset[i]];
    y[i] = labels[subset[i]];
    for (int c = 0; c < cols; ++c) {
      const int col = columns[c];
      double v;
      if (col >= 0) {
        v = row.present[col] ? (row.value[col] - part.mean[col]) / part.scale[col] : 0.0;
      } else {
        v = row.present[-col - 1] ? 0.0 : 1.0;
      }
      x[i * cols + c] = v;
    }
  }
  const LogisticFit fit = FitLogistic(x, cols, y, {}, l2);
  *converged = *converged && fit.converged;
  *iterations = std::max(*iterations, fit.iterations);
  part.intercept = fit.intercept;
  for (int c = 0; c < cols; ++c) {
    if (columns[c] >= 0) {
      part.coef[columns[c]] = fit.coef[c];
    } else {
      part.missing_coef[-columns[c] - 1] = fit.coef[c];
    }
  }
  return part;
}

}  // namespace

LogisticFit FitLogistic(const std::vector<double>& x, int cols, const std::vector<int>& y,
                        const std::vector<double>& weights, double l2, int max_iterations) {
  LogisticFit fit;
  fit.coef.assign(static_cast<size_t>(std::max(cols, 0)), 0.0);
  const size_t rows = y.size();
  if (cols < 0 || rows == 0 || x.size() != rows * static_cast<size_t>(cols) ||
      (!weights.empty() && weights.size() != rows)) {
    return fit;
  }
  const int p = cols + 1;  // intercept first
  std::vector<double> theta(p, 0.0);
  // Start the intercept at the base rate: fewer iterations, same optimum.
  double wsum = 0, ysum = 0;
  for (size_t i = 0; i < rows; ++i) {
    const double wi = weights.empty() ? 1.0 : weights[i];
    wsum += wi;
    ysum += wi * y[i];
  }
  if (wsum <= 0) return fit;
  const double base = std::clamp(ysum / wsum, 1e-6, 1 - 1e-6);
  theta[0] = std::log(base / (1 - base));
  double current = Objective(x, cols, y, weights, l2, theta);
  std::vector<double> hess(static_cast<size_t>(p) * p), grad(p), row(p);
  for (int iter = 0; iter < max_iterations; ++iter) {
    std::fill(hess.begin(), hess.end(), 0.0);
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t i = 0; i < rows; ++i) {
      row[0] = 1.0;
      for (int j = 0; j < cols; ++j) row[j + 1] = x[i * cols + j];
      double z = 0;
      for (int j = 0; j < p; ++j) z += theta[j] * row[j];
      const double mu = Sigmoid(z);
      const double wi = weights.empty() ? 1.0 : weights[i];
      const double r = wi * (y[i] - mu);
      const double v = wi * mu * (1 - mu);
      for (int j = 0; j < p; ++j) {
        grad[j] += r * row[j];
        const double vr = v * row[j];
        for (int k = 0; k <= j; ++k) hess[j * p + k] += vr * row[k];
      }
    }
    for (int j = 0; j < p; ++j) {
      for (int k = j + 1; k < p; ++k) hess[j * p + k] = hess[k * p + j];
    }
    for (int j = 1; j < p; ++j) {
      grad[j] -= l2 * theta[j];
      hess[j * p + j] += l2;
    }
    hess[0] += 1e-9;  // keeps the intercept solvable when every weight is ~0
    std::vector<double> step;
    if (!SolveSpd(hess, grad, p, &step)) break;
    // Step halving keeps every iteration an improvement.
    double scale = 1.0;
    std::vector<double> next(p);
    double value = current;
    bool improved = false;
    for (int half = 0; half < 30; ++half) {
      for (int j = 0; j < p; ++j) next[j] = theta[j] + scale * step[j];
      value = Objective(x, cols, y, weights, l2, next);
      if (std::isfinite(value) && value >= current - 1e-12 * std::fabs(current)) {
        improved = true;
        break;
      }
      scale *= 0.5;
    }
    fit.iterations = iter + 1;
    if (!improved) break;
    double max_step = 0;
    for (int j = 0; j < p; ++j) max_step = std::max(max_step, std::fabs(scale * step[j]));
    theta = next;
    current = value;
    if (max_step < 1e-8) {
      fit.converged = true;
      break;
    }
  }
  fit.intercept = theta[0];
  for (int j = 0; j < cols; ++j) fit.coef[j] = theta[j + 1];
  return fit;
}

ChurnModel TrainChurnModel(const CustomerHistories& as_of_view, const CutEvaluator& evaluate,
                           const FeatureParams& features, const ChurnModelPolicy& policy) {
  ChurnModel model;
  const int64_t as_of = as_of_view.as_of_day;
  int64_t first_day = as_of + 1;
  for (const AccountHistory& h : as_of_view.accounts) {
    if (!h.order_days.empty()) first_day = std::min(first_day, h.order_days.front().day);
  }
  if (first_day > as_of) {
    model.summary = "hand weights: no orders before the as-of to learn from";
    return model;
  }

  // Pick the longest label window (the horizon itself if possible) whose
  // cuts give enough labelled accounts of both kinds.
  int window = 0;
  std::vector<int64_t> cuts;
  int64_t best_labelled = 0;
  for (int w : LabelWindows(features.horizon_days, policy.min_label_window_days)) {
    std::vector<int64_t> candidate;
    int64_t labelled = 0, churned = 0;
    for (int k = 1; k <= std::max(1, policy.max_training_cuts); ++k) {
      const int64_t cut = as_of - static_cast<int64_t>(k) * w;
      // A cut needs some history before it: at least a label window.
      if (cut - first_day < w) break;
      int64_t n = 0, c = 0;
      for (const AccountHistory& h : as_of_view.accounts) {
        if (h.order_days.empty() || h.order_days.front().day > cut) continue;
        ++n;
        if (!OrderedBetween(h, cut, cut + w)) ++c;
      }
      if (n == 0) continue;
      candidate.push_back(cut);
      labelled += std::min<int64_t>(n, policy.max_accounts_per_cut);
      churned += c;
    }
    best_labelled = std::max(best_labelled, labelled);
    if (labelled >= policy.min_training_accounts && churned > 0 && churned < labelled) {
      window = w;
      cuts = std::move(candidate);
      break;
    }
  }
  if (window == 0) {
    model.summary = absl::StrCat("hand weights: too little history to learn from (", best_labelled,
                                 " labelled accounts at earlier cuts, need ", policy.min_training_accounts,
                                 " of both outcomes)");
    return model;
  }

  std::vector<FeatureRow> rows;
  std::vector<int> labels;
  std::vector<std::string> notes;
  FeatureParams cut_params = features;
  cut_params.horizon_days = window;  // features describe the window the labels use
  for (size_t k = 0; k < cuts.size(); ++k) {
    const int64_t cut = cuts[k];
    std::vector<size_t> eligible;
    for (size_t i = 0; i < as_of_view.accounts.size(); ++i) {
      const AccountHistory& h = as_of_view.accounts[i];
      if (!h.order_days.empty() && h.order_days.front().day <= cut) eligible.push_back(i);
    }
    if (static_cast<int64_t>(eligible.size()) > policy.max_accounts_per_cut) {
      // A deterministic sample by hashed id, different for each cut.
      std::vector<std::pair<uint64_t, size_t>> keyed;
      keyed.reserve(eligible.size());
      for (size_t i : eligible) {
        keyed.push_back({StableHash(as_of_view.accounts[i].account->id) ^ (0x9E3779B97F4A7C15ULL * (k + 1)), i});
      }
      std::nth_element(keyed.begin(), keyed.begin() + policy.max_accounts_per_cut, keyed.end());
      keyed.resize(static_cast<size_t>(policy.max_accounts_per_cut));
      eligible.clear();
      for (const auto& [hash, i] : keyed) eligible.push_back(i);
      std::sort(eligible.begin(), eligible.end());
    }
    std::vector<size_t> source;
    const CustomerHistories cut_view = CutHistories(as_of_view, cut, eligible, &source);
    const std::vector<AccountCutView> views = evaluate(cut_view, window);
    const PopulationModel population = FitPopulationModel(cut_view, policy.max_fit_accounts);
    if (!population.usable) notes.push_back(absl::StrCat(FormatIsoDay(CivilFromEpochDay(cut)), ": ", population.note));
    for (size_t i = 0; i < cut_view.accounts.size(); ++i) {
      const AccountHistory& h = cut_view.accounts[i];
      if (h.order_days.empty()) continue;
      rows.push_back(ComputeFeatures(h, views[i].cadence, views[i].signals, views[i].tier, cut, population, cut_params));
      // The label reads the as-of view, which holds nothing after the as-of;
      // cut + window <= as-of by construction.
      labels.push_back(OrderedBetween(as_of_view.accounts[source[i]], cut, cut + window) ? 0 : 1);
    }
  }

  // Standardise present values; absent ones sit at the mean (0) and get a
  // missing indicator of their own.
  const size_t n = rows.size();
  int64_t churned = 0;
  for (int y : labels) churned += y;
  if (n < static_cast<size_t>(policy.min_training_accounts) || churned == 0 || churned == static_cast<int64_t>(n)) {
    model.summary = absl::StrCat("hand weights: ", n, " labelled accounts with ", churned,
                                 " churned is too little to learn from");
    return model;
  }
  // Single-order accounts get a model of their own when both segments have
  // enough labels of both kinds to learn from.
  std::vector<size_t> repeat_rows, single_rows;
  int64_t repeat_churned = 0, single_churned = 0;
  for (size_t i = 0; i < n; ++i) {
    if (rows[i].present[kFeatRecencyGaps]) {
      repeat_rows.push_back(i);
      repeat_churned += labels[i];
    } else {
      single_rows.push_back(i);
      single_churned += labels[i];
    }
  }
  auto enough = [&](size_t count, int64_t positives) {
    return count >= static_cast<size_t>(policy.min_training_accounts) && positives > 0 &&
           positives < static_cast<int64_t>(count);
  };
  bool converged = true;
  int iterations = 0;
  if (enough(repeat_rows.size(), repeat_churned) && enough(single_rows.size(), single_churned)) {
    model.segmented = true;
    model.repeat = FitPart(rows, labels, repeat_rows, policy.l2, &converged, &iterations);
    model.single = FitPart(rows, labels, single_rows, policy.l2, &converged, &iterations);
  } else {
    std::vector<size_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    model.repeat = FitPart(rows, labels, all, policy.l2, &converged, &iterations);
  }
  struct FitSummary {
    bool converged;
    int iterations;
  } const fit{converged, iterations};
  model.trained = true;
  model.label_window_days = window;
  model.cut_days = cuts;
  model.training_rows = static_cast<int64_t>(n);
  model.training_churn_rate = static_cast<double>(churned) / n;
  std::vector<double> predicted(n);
  for (size_t i = 0; i < n; ++i) predicted[i] = PredictChurn(model, rows[i]);
  model.training_brier = BrierScore(predicted, labels);
  model.training_auc = RocAuc(predicted, labels);

  std::vector<std::string> cut_names;
  for (int64_t c : cuts) cut_names.push_back(FormatIsoDay(CivilFromEpochDay(c)));
  model.summary = absl::StrFormat(
      "learned logistic model: %d accounts at %d earlier cuts (%s), label 'no order in %d days' (churn rate %.3f), "
      "L2 %.2f, %s%s after %d iterations; in-sample AUC %.3f, Brier %.4f",
      static_cast<int64_t>(n), static_cast<int>(cuts.size()), absl::StrJoin(cut_names, ", "), window,
      model.training_churn_rate, policy.l2,
      model.segmented ? "separate models for single- and repeat-order accounts, " : "", fit.converged ? "converged" : "NOT converged", fit.iterations,
      model.training_auc, model.training_brier);
  if (window != features.horizon_days) {
    absl::StrAppend(&model.summary, absl::StrFormat("; the history is too short for %d-day labels, so the %d-day "
                                                    "probabilities are extended to %d days by the cadence model's "
                                                    "chance of no order in the rest of the horizon",
                                                    features.horizon_days, window, features.horizon_days));
  }
  for (const std::string& note : notes) absl::StrAppend(&model.summary, "; ", note);
  return model;
}

double PredictChurn(const ChurnModel& model, const FeatureRow& row, std::vector<FeatureContribution>* contributions) {
  const ChurnModel::Part& part = model.segmented && !row.present[kFeatRecencyGaps] ? model.single : model.repeat;
  double z = part.intercept;
  if (contributions != nullptr) contributions->clear();
  for (int f = 0; f < kFeatureCount; ++f) {
    double c = 0;
    if (row.present[f]) {
      if (part.use_value[f]) c = part.coef[f] * (row.value[f] - part.mean[f]) / part.scale[f];
    } else if (part.use_missing[f]) {
      c = part.missing_coef[f];
    }
    z += c;
    if (contributions != nullptr && std::fabs(c) > 1e-6) contributions->push_back({FeatureName(f), c});
  }
  if (contributions != nullptr) {
    std::stable_sort(contributions->begin(), contributions->end(),
                     [](const FeatureContribution& a, const FeatureContribution& b) {
                       return std::fabs(a.log_odds) > std::fabs(b.log_odds);
                     });
  }
  return Sigmoid(z);
}

}  // namespace pulse
