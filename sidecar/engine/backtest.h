// Backtests of the churn ranking: score a customer base as of a day, then
// look at what really happened in the horizon that followed, and compare
// Pulse with the baselines a CRM would use (days since the last order, a
// fixed "inactive for 90 days" rule, the NBD and BG/NBD probabilities of no
// order). The population is the repeat buyers: two or more order days on or
// before the as-of. The label is "no order in (as-of, as-of + horizon]".
//
// The metrics are plain functions so that tests can check them by hand.
// Pure: no I/O (ParseCdnowTransactions parses text it is given).
#ifndef PULSE_SIDECAR_ENGINE_BACKTEST_H_
#define PULSE_SIDECAR_ENGINE_BACKTEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

// ROC AUC of `score` (higher = more likely positive) for 0/1 `label`: the
// probability that a random positive outscores a random negative, ties
// counting one half (the Mann-Whitney statistic with mid-ranks). NaN when
// either class is empty or the sizes differ.
double RocAuc(const std::vector<double>& score, const std::vector<int>& label);

// Mean squared difference between probability and 0/1 label; NaN when empty.
double BrierScore(const std::vector<double>& probability, const std::vector<int>& label);

struct CalibrationBin {
  double lower = 0, upper = 0;  // predicted probability in [lower, upper) (the last bin includes 1)
  int64_t count = 0;
  double mean_predicted = 0;
  double observed_rate = 0;  // share of positives
};
// `bins` equal-width bins over [0, 1].
std::vector<CalibrationBin> CalibrationTable(const std::vector<double>& probability, const std::vector<int>& label,
                                             int bins = 10);

// The top k by score (ties: earlier index first): the share of positives
// among them, and the share of the positives' `revenue` they hold.
struct TopKResult {
  int64_t k = 0;
  double precision = 0;
  double revenue_captured = 0;
};
TopKResult TopK(const std::vector<double>& score, const std::vector<int>& label, const std::vector<double>& revenue,
                int64_t k);

// The NBD (Gamma-Poisson) model of repeat purchases without dropout, fitted
// by maximum likelihood to (x repeat purchases over T) per customer.
struct NbdParams {
  double r = 0, alpha = 0;
  bool ok = false;
};
NbdParams FitNbd(const std::vector<double>& x, const std::vector<double>& T);
// P(no purchase in the next t | x, T) = ((alpha + T) / (alpha + T + t))^(r + x).
double NbdProbabilityNoPurchase(const NbdParams& params, double x, double T, double t);

// Parses CDNOW_master.txt's layout: whitespace-separated customer_id,
// date (yyyymmdd), number_of_cds, dollar_value; an optional header line.
// One account per customer id (ids kept as written), one order per line.
// InvalidArgument naming the line when a line is malformed or no line has data.
absl::StatusOr<CustomerData> ParseCdnowTransactions(absl::string_view text);

struct BacktestParams {
  absl::Time as_of;
  int horizon_days = 90;
  // K for precision/revenue in the top K (the owners' weekly capacity);
  // 0 = only the top 10 %.
  int64_t capacity = 0;
};

struct ModelResult {
  std::string name;  // "pulse", "days_since_last_order", "rule_90_days", "nbd", "bgnbd"
  double auc = 0;
  std::optional<double> brier;  // when the score is a probability
  TopKResult top_capacity;      // k = 0 when no capacity was given
  TopKResult top_10_percent;
  std::vector<CalibrationBin> calibration;  // when the score is a probability
};

struct BacktestReport {
  std::string as_of_day;
  std::string horizon_end_day;
  int horizon_days = 0;
  int64_t accounts = 0;  // repeat buyers scored
  int64_t churned = 0;   // of them, no order in the horizon
  std::string pulse_model;  // how Pulse's probability was made
  std::vector<std::string> notes;
  std::vector<ModelResult> models;  // Pulse first
};

// Scores `data` as of params.as_of with `config` (its horizon replaced by
// params.horizon_days) and compares with what happened after. Labels read
// orders after the as-of; the scores never do. FailedPrecondition when
// there are no repeat buyers or the horizon holds only one outcome.
absl::StatusOr<BacktestReport> RunBacktest(const CustomerData& data, const EngineConfig& config,
                                           const BacktestParams& params);

// The report as one JSON object, and as a table for people.
std::string BacktestReportToJson(const BacktestReport& report);
std::string BacktestReportToText(const BacktestReport& report);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_BACKTEST_H_
