// The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo
// 1987): while alive a customer buys at a Poisson rate lambda ~
// Gamma(r, alpha) and has an exponential lifetime of rate mu ~ Gamma(s, beta).
//
// The likelihood uses the integral form (Fader & Hardie, "A note on deriving
// the Pareto/NBD model and related expressions", 2005):
//   L = G(r+x)/G(r) alpha^r beta^s [ (alpha+T)^-(r+x) (beta+T)^-s + s I ],
//   I = integral over tau in (t_x, T) of (alpha+tau)^-(r+x) (beta+tau)^-(s+1),
// which is their hypergeometric expression (both the alpha >= beta and the
// alpha < beta case) evaluated without the cancellation of the usual
// difference of two 2F1 values when one of alpha, beta dwarfs the other.
// Gradients are exact (forward-mode differentiation of the same code).
//
// All functions are thread-safe (no shared state). Times are in the data's
// unit; alpha and beta come out in it.
#ifndef PULSE_SIDECAR_STATS_PARETO_NBD_H_
#define PULSE_SIDECAR_STATS_PARETO_NBD_H_

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sidecar/stats/cadence_fit.h"
#include "sidecar/stats/rfm.h"

namespace pulse::stats {

struct ParetoNbdParams {
  double r = 0;      // shape of the purchase-rate distribution
  double alpha = 0;  // scale (a time) of the purchase-rate distribution
  double s = 0;      // shape of the dropout-rate distribution
  double beta = 0;   // scale (a time) of the dropout-rate distribution
};

struct ParetoNbdFit {
  ParetoNbdParams params;
  double log_likelihood = 0;
  int iterations = 0;       // BFGS iterations, subsample warm-up included
  bool converged = false;   // the gradient test passed
  bool degenerate = false;  // the fit cannot tell active from lapsed customers
  std::string reason;       // why degenerate or not converged; empty otherwise
};

// OK when every parameter is finite and positive; InvalidArgument otherwise.
absl::Status ValidateParetoNbdParams(const ParetoNbdParams& params);

// ln L(params | x, t_x, T) of one customer (weight ignored). NaN when the
// params or the summary are invalid.
double ParetoNbdCustomerLogLikelihood(const ParetoNbdParams& params, const RfmSummary& customer);

// The weighted total log-likelihood of `data`, and when `gradient` is not
// null its gradient with respect to (r, alpha, s, beta). InvalidArgument for
// invalid params, empty data or an invalid row ("row N: ...").
absl::StatusOr<double> ParetoNbdLogLikelihood(const ParetoNbdParams& params,
                                              absl::Span<const RfmSummary> data,
                                              std::array<double, 4>* gradient = nullptr,
                                              int threads = 0);

// Maximum-likelihood fit. InvalidArgument for empty data, an invalid row,
// or data without any repeat purchase. A fit that did not converge or is
// degenerate is still returned, flagged.
absl::StatusOr<ParetoNbdFit> FitParetoNbd(absl::Span<const RfmSummary> data,
                                          const FitOptions& options = {});

// P(the customer is still alive at T | x, t_x, T). NaN for invalid input.
double ParetoNbdProbabilityAlive(const ParetoNbdParams& params, const RfmSummary& customer);

// E[purchases in (T, T + t] | x, t_x, T] for t >= 0. NaN for invalid input.
double ParetoNbdExpectedPurchases(const ParetoNbdParams& params, const RfmSummary& customer,
                                  double t);

// P(no purchase in (T, T + t] | x, t_x, T) = (1 - P(alive)) + P(alive) Q, where
// Q = P(no purchase in the next t | alive) = E[e^-(lambda+mu)t] +
// E[integral over (0, t) of mu e^-(lambda+mu)u du] under the posterior
// lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T) (dying before the next
// purchase counts as no purchase). Q is the Pareto/NBD likelihood of a
// customer with x = t_x = 0 and T = t under those posterior parameters.
// NaN for invalid input.
double ParetoNbdProbabilityNoPurchase(const ParetoNbdParams& params, const RfmSummary& customer,
                                      double t);

// E[X(t)]: expected repeat purchases in the first t after a first purchase,
// for a customer not yet seen. NaN for invalid input.
double ParetoNbdUnconditionalExpectedPurchases(const ParetoNbdParams& params, double t);

// The fit as one JSON object: {"r", "alpha", "s", "beta", "log_likelihood",
// "converged", "iterations", "degenerate", "reason"}. Non-finite numbers are
// written as null.
std::string ParetoNbdFitToJson(const ParetoNbdFit& fit);

}  // namespace pulse::stats

#endif  // PULSE_SIDECAR_STATS_PARETO_NBD_H_
