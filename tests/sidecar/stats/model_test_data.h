// Data sets shared by the BG/NBD and Pareto/NBD tests: CDNOW, and customer
// bases with no visible dropout (steady rhythm, seasonal) on which a fit
// must be flagged degenerate.
#ifndef PULSE_TESTS_SIDECAR_STATS_MODEL_TEST_DATA_H_
#define PULSE_TESTS_SIDECAR_STATS_MODEL_TEST_DATA_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "sidecar/stats/rfm.h"

namespace pulse::stats::testing {

// Every customer buys like clockwork every `period` weeks (periods 1..8),
// first purchases spread over two years, observed at the end: the last
// purchase is always less than one period ago.
inline std::vector<RfmSummary> SteadyRhythmCustomers(int n) {
  std::vector<RfmSummary> out;
  for (int i = 0; i < n; ++i) {
    const double period = 1 + i % 8;
    const double T = 10 + (i * 7919) % 94;  // 10..103 weeks
    RfmSummary c;
    c.T = T;
    c.x = std::floor(T / period);
    c.t_x = c.x * period;
    out.push_back(c);
  }
  return out;
}

// Wholesale-like seasonal buyers: one order a year in the same season
// (+- a week), customers between 1.5 and 4 years old, observed mid-year, so
// the last order is about half a year ago for everyone.
inline std::vector<RfmSummary> SeasonalCustomers(int n) {
  std::vector<RfmSummary> out;
  for (int i = 0; i < n; ++i) {
    const double T = 78 + (i * 104729) % 131;  // 78..208 weeks
    std::vector<double> orders;
    for (double t = 0; t <= T; t += 52) orders.push_back(t + ((i * 31 + static_cast<int>(t)) % 3 - 1));
    if (orders.size() > 1 && orders.back() > T) orders.pop_back();
    RfmSummary c;
    c.T = T;
    c.x = static_cast<double>(orders.size() - 1);
    c.t_x = orders.back() - orders.front();
    c.t_x = std::min(c.t_x, T);
    out.push_back(c);
  }
  return out;
}

}  // namespace pulse::stats::testing

#endif  // PULSE_TESTS_SIDECAR_STATS_MODEL_TEST_DATA_H_
