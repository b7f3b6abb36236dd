// A standalone timing check of the cadence-model fits (not a unit test):
// simulates n customers from the CDNOW parameters (all observed for 39
// weeks, then each for a different time) and times each fit.
// Usage: stats_fit_timing [n=1000000] [threads=2] [cdnow_summary.csv]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sidecar/stats/bgnbd.h"
#include "sidecar/stats/pareto_nbd.h"
#include "sidecar/stats/simulate.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU seconds used by the process so far (all threads): on a shared machine
// wall time overstates the cost, CPU time / threads does not.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pulse::stats;
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  pulse::stats::FitOptions options;
  options.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (argc > 3) {
    auto data = LoadRfmSummaryCsv(argv[3]);
    if (!data.ok()) {
      std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto bg = FitBgNbd(*data, options);
    std::printf("cdnow BG/NBD %.3fs %s\n", Seconds(t0), BgNbdFitToJson(*bg).c_str());
    t0 = std::chrono::steady_clock::now();
    auto pn = FitParetoNbd(*data, options);
    std::printf("cdnow Pareto/NBD %.3fs %s\n", Seconds(t0), ParetoNbdFitToJson(*pn).c_str());
  }
  // Same T for everyone (customers without repeat purchases are then
  // identical rows) and a distinct T per customer (no two rows alike).
  std::vector<double> distinct(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) distinct[i] = 39.0 * (0.5 + 0.5 * (i + 0.5) / n);
  for (bool same_t : {true, false}) {
    const char* mode = same_t ? "T=39" : "distinct T";
    const std::vector<double> times = same_t ? std::vector<double>(n, 39.0) : distinct;
    auto t0 = std::chrono::steady_clock::now();
    auto bg_data = SimulateBgNbd({0.2426, 4.4136, 0.7929, 2.4259}, times, 42);
    std::printf("[%s] simulate BG/NBD %ld customers: %.3fs\n", mode, n, Seconds(t0));
    t0 = std::chrono::steady_clock::now();
    double cpu0 = CpuSeconds();
    auto bg = FitBgNbd(*bg_data, options);
    std::printf("[%s] fit BG/NBD: %.3fs wall, %.3fs cpu %s\n", mode, Seconds(t0), CpuSeconds() - cpu0,
                BgNbdFitToJson(*bg).c_str());

    t0 = std::chrono::steady_clock::now();
    auto pn_data = SimulateParetoNbd({0.5533, 10.578, 0.6062, 11.67}, times, 42);
    std::printf("[%s] simulate Pareto/NBD %ld customers: %.3fs\n", mode, n, Seconds(t0));
    t0 = std::chrono::steady_clock::now();
    cpu0 = CpuSeconds();
    auto pn = FitParetoNbd(*pn_data, options);
    std::printf("[%s] fit Pareto/NBD: %.3fs wall, %.3fs cpu %s\n", mode, Seconds(t0),
                CpuSeconds() - cpu0, ParetoNbdFitToJson(*pn).c_str());
    std::fflush(stdout);
  }
  return 0;
}
