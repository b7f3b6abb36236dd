// The learned churn probability: an L2-regularised logistic regression on
// standardised features (features.h), fitted by Newton's method (IRLS),
// trained by replaying earlier cuts of the same data and labelling each
// account by whether it ordered in the window that followed. Every label
// window ends on or before the as-of, so training never sees the future.
// Deterministic for its input; no I/O.
#ifndef PULSE_SIDECAR_ENGINE_CHURN_LEARNER_H_
#define PULSE_SIDECAR_ENGINE_CHURN_LEARNER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sidecar/engine/account_history.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"
#include "sidecar/engine/features.h"

namespace pulse {

// A logistic regression fitted on a row-major design matrix.
struct LogisticFit {
  double intercept = 0;
  std::vector<double> coef;
  int iterations = 0;
  bool converged = false;
};

// Maximises sum_i w_i log p(y_i | x_i) - l2/2 |coef|^2 (the intercept is not
// penalised) by Newton's method with step halving. `x` has rows * cols
// values, row-major; `y` is 0/1; `weights` may be empty (all 1). Returns an
// all-zero fit when the input is inconsistent.
LogisticFit FitLogistic(const std::vector<double>& x, int cols, const std::vector<int>& y,
                        const std::vector<double>& weights, double l2, int max_iterations = 50);

// The trained model, or the reason it could not be trained.
struct ChurnModel {
  bool trained = false;
  std::string summary;  // what it was trained on, or why not (for people)
  int label_window_days = 0;  // the window the training labels used
  std::vector<int64_t> cut_days;
  int64_t training_rows = 0;
  double training_churn_rate = 0;  // share of training labels "no order"
  double training_brier = 0;       // in-sample
  double training_auc = 0;         // in-sample
  // One logistic regression for accounts with two or more order days and
  // one for single-order accounts (they behave differently: no gaps, no
  // dropout evidence yet); `segmented` false = one model for both.
  struct Part {
    // Per feature: mean and scale of the present values; the coefficient of
    // the standardised value; the coefficient of "absent".
    std::array<double, kFeatureCount> mean{}, scale{}, coef{}, missing_coef{};
    std::array<bool, kFeatureCount> use_value{}, use_missing{};
    double intercept = 0;
  };
  bool segmented = false;
  Part repeat;  // the pooled model when not segmented
  Part single;
};

// What the scorer computes at a cut: the own cadence model and the signals
// of every account of `cut` (same order), for horizon `horizon_days`.
using CutEvaluator = std::function<std::vector<AccountCutView>(const CustomerHistories& cut, int horizon_days)>;

// Trains on cuts of `as_of_view` (see ChurnModelPolicy). Never fails: when
// there is too little history (fewer than policy.min_training_accounts
// labelled accounts, or one class only) the model is untrained and its
// summary says why.
ChurnModel TrainChurnModel(const CustomerHistories& as_of_view, const CutEvaluator& evaluate,
                           const FeatureParams& features, const ChurnModelPolicy& policy);

// P(no order in the horizon) for `row`. When `contributions` is not null it
// receives each feature's log-odds contribution relative to an average
// account, largest in absolute value first (zeros left out).
double PredictChurn(const ChurnModel& model, const FeatureRow& row,
                    std::vector<FeatureContribution>* contributions = nullptr);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_CHURN_LEARNER_H_
