// Simulated customer bases from the cadence models, for tests and benchmarks:
// n customers who all made their first purchase T time units before the end
// of the period (or one customer per given T). The output depends only on
// the parameters, n, T and the seed: std::mt19937_64 (whose output the standard fixes) with this file's
// own transforms to uniform, exponential, normal, gamma and beta draws
// (std:: distributions differ between standard libraries).
#ifndef PULSE_SIDECAR_STATS_SIMULATE_H_
#define PULSE_SIDECAR_STATS_SIMULATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sidecar/stats/bgnbd.h"
#include "sidecar/stats/pareto_nbd.h"
#include "sidecar/stats/rfm.h"

namespace pulse::stats {

// n customers from BG/NBD: lambda ~ Gamma(r, alpha), p ~ Beta(a, b);
// purchases at rate lambda from time 0; after each repeat purchase the
// customer drops out with probability p. Ids are left empty.
// InvalidArgument for invalid params, n < 0 or T not finite and positive.
absl::StatusOr<std::vector<RfmSummary>> SimulateBgNbd(const BgNbdParams& params, int64_t n,
                                                      double T, uint64_t seed);

// n customers from Pareto/NBD: lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta);
// purchases at rate lambda until an exponential lifetime of rate mu ends.
// Ids are left empty. InvalidArgument for invalid params, n < 0 or T not
// finite and positive.
absl::StatusOr<std::vector<RfmSummary>> SimulateParetoNbd(const ParetoNbdParams& params,
                                                          int64_t n, double T, uint64_t seed);

// The same with one customer per entry of `T` (each T finite and positive),
// e.g. cohorts that joined at different times. InvalidArgument as above.
absl::StatusOr<std::vector<RfmSummary>> SimulateBgNbd(const BgNbdParams& params,
                                                      absl::Span<const double> T, uint64_t seed);
absl::StatusOr<std::vector<RfmSummary>> SimulateParetoNbd(const ParetoNbdParams& params,
                                                          absl::Span<const double> T,
                                                          uint64_t seed);

}  // namespace pulse::stats

#endif  // PULSE_SIDECAR_STATS_SIMULATE_H_
