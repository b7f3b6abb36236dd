// Preparing customer summaries for the likelihood loops.
#include "sidecar/stats/fit_data.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"

namespace pulse::stats::internal {
namespace {

struct Row {
  double x, T, t_x, w;
  bool operator<(const Row& o) const {
    if (x != o.x) return x < o.x;
    if (T != o.T) return T < o.T;
    return t_x < o.t_x;
  }
};

}  // namespace

int ResolveThreads(int requested) {
  if (requested > 0) return std::min(requested, 64);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 16u));
}

double NaturalTimeScale(absl::Span<const RfmSummary> data) {
  double wt = 0, w = 0;
  for (const RfmSummary& s : data) {
    if (std::isfinite(s.T) && std::isfinite(s.weight) && s.weight > 0 && s.T >= 0) {
      wt += s.weight * s.T;
      w += s.weight;
    }
  }
  const double mean = w > 0 ? wt / w : 0;
  return mean > 0 && std::isfinite(mean) ? mean : 1.0;
}

absl::StatusOr<FitData> PrepareFitData(absl::Span<const RfmSummary> data, double time_scale,
                                       int64_t stride, int threads) {
  if (!(time_scale > 0) || !std::isfinite(time_scale)) {
    return absl::InvalidArgumentError(absl::StrCat("time scale ", time_scale, " is not positive"));
  }
  if (stride < 1) stride = 1;
  std::vector<Row> rows;
  rows.reserve(data.size() / static_cast<size_t>(stride) + 1);
  const double inv = 1.0 / time_scale;
  for (size_t i = 0; i < data.size(); i += static_cast<size_t>(stride)) {
    const RfmSummary& s = data[i];
    if (absl::Status v = ValidateRfm(s); !v.ok()) {
      const std::string who = s.id.empty() ? "" : absl::StrCat(" (id ", s.id, ")");
      return absl::InvalidArgumentError(absl::StrCat("row ", i, who, ": ", v.message()));
    }
    if (s.weight > 0) rows.push_back(Row{s.x, s.T * inv, s.t_x * inv, s.weight});
  }
  if (rows.empty()) return absl::InvalidArgumentError("no customers (no row with positive weight)");

  // Sort; two halves in parallel then a merge when asked for threads.
  if (threads > 1 && rows.size() > 100000) {
    auto mid = rows.begin() + static_cast<std::ptrdiff_t>(rows.size() / 2);
    std::thread first([&] { std::sort(rows.begin(), mid); });
    std::sort(mid, rows.end());
    first.join();
    std::inplace_merge(rows.begin(), mid, rows.end());
  } else {
    std::sort(rows.begin(), rows.end());
  }

  FitData out;
  out.time_scale = time_scale;
  out.customers = static_cast<int64_t>(rows.size());
  out.x_index.reserve(rows.size());
  out.t_x.reserve(rows.size());
  out.T.reserve(rows.size());
  out.weight.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (i > 0 && r.x == rows[i - 1].x && r.T == rows[i - 1].T && r.t_x == rows[i - 1].t_x) {
      out.weight.back() += r.w;
    } else {
      if (out.x_values.empty() || out.x_values.back() != r.x) {
        out.x_values.push_back(r.x);
        out.x_weights.push_back(0);
      }
      out.x_index.push_back(static_cast<int32_t>(out.x_values.size() - 1));
      out.t_x.push_back(r.t_x);
      out.T.push_back(r.T);
      out.weight.push_back(r.w);
    }
    out.x_weights.back() += r.w;
    out.total_weight += r.w;
    out.weighted_x += r.w * r.x;
  }
  return out;
}

}  // namespace pulse::stats::internal
