// The form in which the fits read customer summaries: validated, with times
// divided by a common scale (so that scale parameters start near 1 whatever
// the time unit), sorted by (x, T, t_x) with identical rows merged into one
// weighted row (customers without a repeat purchase and the same T are all
// identical), and the distinct x values listed once so that terms depending
// only on x are computed once per value. Also the deterministic parallel sum
// the likelihoods use. Internal to pulse_stats.
#ifndef PULSE_SIDECAR_STATS_FIT_DATA_H_
#define PULSE_SIDECAR_STATS_FIT_DATA_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sidecar/stats/rfm.h"

namespace pulse::stats::internal {

struct FitData {
  double time_scale = 1;  // the original times are these times * time_scale
  std::vector<double> x_values;   // distinct x, ascending
  std::vector<double> x_weights;  // total weight of the customers with each x
  // Rows sorted by (x, T, t_x), duplicates merged; x_index points into x_values.
  std::vector<int32_t> x_index;
  std::vector<double> t_x, T, weight;
  double total_weight = 0;
  double weighted_x = 0;  // sum of weight * x
  int64_t customers = 0;  // input rows with weight > 0

  int64_t rows() const { return static_cast<int64_t>(weight.size()); }
};

// Builds FitData from every `stride`-th row of `data` (stride >= 1), times
// divided by `time_scale` (> 0). Rows with weight 0 are dropped. Fails with
// InvalidArgument "row N: ..." on the first row ValidateRfm rejects, and
// when no row has positive weight.
absl::StatusOr<FitData> PrepareFitData(absl::Span<const RfmSummary> data, double time_scale,
                                       int64_t stride = 1, int threads = 1);

// The weighted mean of T over `data` (ignoring invalid rows), or 1 when it is
// not positive: the time scale fits use.
double NaturalTimeScale(absl::Span<const RfmSummary> data);

// Number of threads to use for `requested` (0 = the hardware's).
int ResolveThreads(int requested);

// Sums block_sum(begin, end) over fixed blocks of [0, n) using up to
// `threads` threads. Blocks are fixed and added in order, so the result does
// not depend on the number of threads. Acc needs a default (zero) value and
// +=.
template <typename Acc, typename BlockSum>
Acc ParallelBlockSum(int64_t n, int threads, const BlockSum& block_sum) {
  constexpr int64_t kBlock = 8192;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  if (blocks <= 1) return n > 0 ? block_sum(int64_t{0}, n) : Acc{};
  std::vector<Acc> partial(static_cast<size_t>(blocks));
  std::atomic<int64_t> next{0};
  auto work = [&]() {
    for (int64_t b = next++; b < blocks; b = next++) {
      partial[static_cast<size_t>(b)] = block_sum(b * kBlock, std::min(n, (b + 1) * kBlock));
    }
  };
  const int extra = static_cast<int>(std::min<int64_t>(threads, blocks)) - 1;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(std::max(extra, 0)));
  for (int i = 0; i < extra; ++i) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  Acc total{};
  for (const Acc& p : partial) total += p;
  return total;
}

}  // namespace pulse::stats::internal

#endif  // PULSE_SIDECAR_STATS_FIT_DATA_H_
