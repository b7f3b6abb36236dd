// Recency-frequency summaries of customers, the input of the cadence ("buy
// till you die") models in this folder: building them from purchase times,
// loading them from CSV, and checking them before a fit.
//
// Time is in any unit (days, weeks) as long as one data set uses one unit;
// the fitted scale parameters (alpha, beta) come out in that unit.
#ifndef PULSE_SIDECAR_STATS_RFM_H_
#define PULSE_SIDECAR_STATS_RFM_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace pulse::stats {

// One customer's history at the end of the calibration period.
struct RfmSummary {
  RfmSummary() = default;
  // So that {x, t_x, T} reads naturally (and without missing-initializer
  // warnings for the id).
  RfmSummary(double x, double t_x, double T, double weight = 1, std::string id = {})
      : x(x), t_x(t_x), T(T), weight(weight), id(std::move(id)) {}

  double x = 0;    // repeat purchases (purchases after the first)
  double t_x = 0;  // time of the last purchase, since the first (0 when x = 0)
  double T = 0;    // time from the first purchase to the end of the period
  double weight = 1;  // how many identical customers this row stands for
  std::string id;     // the customer's id when known (kept by the loader)
};

// The summary of a customer whose distinct purchase times are
// `purchase_times` (sorted ascending, first purchase first) seen at `end_time`.
// InvalidArgument when the list is empty, not strictly increasing, not finite,
// or when `end_time` is before the last purchase.
absl::StatusOr<RfmSummary> RfmFromPurchaseTimes(absl::Span<const double> purchase_times,
                                                double end_time);

// Reads a summary CSV with a header row naming either `ID,frequency,recency,T`
// (the layout of the lifetimes / CDNOW summary files) or `ID,x,t_x,T`; header
// names are case-insensitive, other columns are ignored, the ID column is
// optional. Returns one RfmSummary per data row, in file order, ids kept.
// Fails, naming the file and line ("summary.csv:12: t_x 31 (last purchase) is
// after T 30"):
// NotFound when the file does not exist; InvalidArgument when a column is
// missing, a row is malformed, a value is not a number, or a row is not a
// consistent summary (see ValidateRfm); InvalidArgument when there are no
// data rows. A bad row rejects the whole file: a fit on part of the data
// would be silently wrong.
absl::StatusOr<std::vector<RfmSummary>> LoadRfmSummaryCsv(const std::string& path);

// OK when `summary` is usable by the models: every field finite, x a whole
// number >= 0,
// 0 <= t_x <= T, t_x = 0 when x = 0 and t_x > 0 when x > 0, weight >= 0.
// Otherwise InvalidArgument saying what is wrong.
absl::Status ValidateRfm(const RfmSummary& summary);

}  // namespace pulse::stats

#endif  // PULSE_SIDECAR_STATS_RFM_H_
