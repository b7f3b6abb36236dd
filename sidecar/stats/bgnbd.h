// The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting
// your customers the easy way", Marketing Science 24(2)): while active a
// customer buys at a Poisson rate lambda ~ Gamma(r, alpha); after each
// repeat purchase they drop out with probability p ~ Beta(a, b).
//
// Maximum-likelihood fitting with analytic gradients, the per-customer
// predictions the engine ranks by (P(alive), expected purchases, P(no
// purchase)), and detection of fits whose dropout process has collapsed
// (then P(alive) is ~1 for everyone and the engine must fall back).
//
// All functions are thread-safe (no shared state). Times are in the data's
// unit; alpha comes out in it.
#ifndef PULSE_SIDECAR_STATS_BGNBD_H_
#define PULSE_SIDECAR_STATS_BGNBD_H_

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sidecar/stats/cadence_fit.h"
#include "sidecar/stats/rfm.h"

namespace pulse::stats {

struct BgNbdParams {
  double r = 0;      // shape of the purchase-rate distribution
  double alpha = 0;  // scale (a time) of the purchase-rate distribution
  double a = 0;      // dropout-probability Beta(a, b)
  double b = 0;
};

struct BgNbdFit {
  BgNbdParams params;
  double log_likelihood = 0;
  int iterations = 0;       // BFGS iterations, subsample warm-up included
  bool converged = false;   // the gradient test passed
  bool degenerate = false;  // the fit cannot tell active from lapsed customers
  std::string reason;       // why degenerate or not converged; empty otherwise
};

// OK when every parameter is finite and positive; InvalidArgument otherwise.
absl::Status ValidateBgNbdParams(const BgNbdParams& params);

// ln L(params | x, t_x, T) of one customer (weight ignored). NaN when the
// params or the summary are invalid.
double BgNbdCustomerLogLikelihood(const BgNbdParams& params, const RfmSummary& customer);

// The weighted total log-likelihood of `data`, and when `gradient` is not
// null its gradient with respect to (r, alpha, a, b). InvalidArgument for
// invalid params, empty data or an invalid row ("row N: ...").
absl::StatusOr<double> BgNbdLogLikelihood(const BgNbdParams& params,
                                          absl::Span<const RfmSummary> data,
                                          std::array<double, 4>* gradient = nullptr,
                                          int threads = 0);

// Maximum-likelihood fit. InvalidArgument for empty data, an invalid row,
// or data without any repeat purchase. A fit that did not converge or is
// degenerate is still returned, flagged.
absl::StatusOr<BgNbdFit> FitBgNbd(absl::Span<const RfmSummary> data, const FitOptions& options = {});

// P(the customer is still active at T | x, t_x, T). 1 when x = 0 (in this
// model dropout only follows a repeat purchase). NaN for invalid input.
double BgNbdProbabilityAlive(const BgNbdParams& params, const RfmSummary& customer);

// E[purchases in (T, T + t] | x, t_x, T] for t >= 0. NaN for invalid input.
double BgNbdExpectedPurchases(const BgNbdParams& params, const RfmSummary& customer, double t);

// P(no purchase in (T, T + t] | x, t_x, T) =
// (1 - P(alive)) + P(alive) ((alpha + T) / (alpha + T + t))^(r + x).
// NaN for invalid input.
double BgNbdProbabilityNoPurchase(const BgNbdParams& params, const RfmSummary& customer, double t);

// E[X(t)]: expected repeat purchases in the first t after a first purchase,
// for a customer not yet seen. NaN for invalid input.
double BgNbdUnconditionalExpectedPurchases(const BgNbdParams& params, double t);

// The fit as one JSON object: {"r", "alpha", "a", "b", "log_likelihood",
// "converged", "iterations", "degenerate", "reason"}. Non-finite numbers are
// written as null.
std::string BgNbdFitToJson(const BgNbdFit& fit);

}  // namespace pulse::stats

#endif  // PULSE_SIDECAR_STATS_BGNBD_H_
