// Tests of the Pareto/NBD model: the published CDNOW fit and predictions,
// the likelihood against an independent high-precision evaluation (mpmath
// quadrature of the integral form) in the regimes where the textbook 2F1
// expression struggles, the gradient against finite differences, recovery
// of known parameters, degeneracy detection and input errors.
#include "sidecar/stats/pareto_nbd.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sidecar/stats/rfm.h"
#include "sidecar/stats/simulate.h"
#include "tests/sidecar/stats/cdnow_data.h"
#include "tests/sidecar/stats/model_test_data.h"
#include "tests/testing/status_matchers.h"

namespace pulse::stats {
namespace {

using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

constexpr ParetoNbdParams kCdnow{0.5533, 10.578, 0.6062, 11.67};

std::vector<RfmSummary> Cdnow() {
  auto rows = LoadRfmSummaryCsv(testing::CdnowPath("cdnow_customers_summary.csv"));
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : std::vector<RfmSummary>{};
}

double Rel(double got, double want) { return std::abs(got - want) / std::abs(want); }

TEST(ParetoNbdCdnowTest, FitMatchesPublishedEstimates) {
  PULSE_ASSERT_OK_AND_ASSIGN(ParetoNbdFit fit, FitParetoNbd(Cdnow()));
  EXPECT_TRUE(fit.converged) << fit.reason;
  EXPECT_FALSE(fit.degenerate) << fit.reason;
  EXPECT_LT(Rel(fit.params.r, 0.5533), 1e-3) << fit.params.r;
  EXPECT_LT(Rel(fit.params.alpha, 10.578), 1e-3) << fit.params.alpha;
  EXPECT_LT(Rel(fit.params.s, 0.6062), 1e-3) << fit.params.s;
  // The surface is flat in beta, but the optimum is well defined: we land
  // at 11.668 (0.02% from the published 11.67, which is rounded).
  EXPECT_LT(Rel(fit.params.beta, 11.67), 1e-3) << fit.params.beta;
  EXPECT_NEAR(fit.log_likelihood, -9594.97, 0.01);
}

TEST(ParetoNbdCdnowTest, PerCustomerPredictionsMatchPublishedValues) {
  const std::vector<RfmSummary> data = Cdnow();
  ASSERT_EQ(data.size(), 2357u);
  // Customer 1516 as in the README (the file rounds t_x = 30.857 to 30.86).
  ASSERT_EQ(data[1515].id, "1516");
  const RfmSummary c1516{26, 30.857, 31};
  EXPECT_NEAR(ParetoNbdProbabilityAlive(kCdnow, c1516), 0.99787, 1e-3);
  EXPECT_NEAR(ParetoNbdExpectedPurchases(kCdnow, c1516, 52), 25.456, 1e-3);
  EXPECT_NEAR(ParetoNbdUnconditionalExpectedPurchases(kCdnow, 52), 1.47343, 1e-3);
}

TEST(ParetoNbdLikelihoodTest, MatchesHighPrecisionQuadratureInHardRegimes) {
  // ln L by mpmath quadrature (40 digits) of the integral form.
  struct Case {
    ParetoNbdParams p;
    RfmSummary c;
    double ll;
    const char* what;
  };
  const Case cases[] = {
      {kCdnow, {26, 30.86, 31.0}, -39.130808208948838, "CDNOW customer 1516"},
      {kCdnow, {0, 0, 38.86}, -0.52124430022045088, "CDNOW no repeat"},
      {kCdnow, {2, 30.43, 38.86}, -9.5542167057484647, "CDNOW x=2"},
      {kCdnow, {1, 1.71, 38.86}, -4.4497484932126258, "CDNOW x=1"},
      {{0.3, 0.5, 0.8, 2000.0}, {0, 0, 40.0}, -1.3123263839055764, "beta >> alpha"},
      {{0.3, 0.5, 0.8, 2000.0}, {7, 3.0, 40.0}, -11.716066352564252, "beta >> alpha, x=7"},
      {{0.3, 0.5, 0.05, 1e6}, {3, 10.0, 40.0}, -12.530923328000726, "dropout vanishing"},
      {{2.0, 500.0, 1.5, 0.2}, {0, 0, 40.0}, -0.0014660167294452636, "alpha >> beta"},
      {{2.0, 500.0, 1.5, 0.2}, {5, 1.0, 40.0}, -27.221271477266089, "alpha >> beta, x=5"},
      {{1.0, 3.0, 0.5, 3.0}, {4, 20.0, 30.0}, -13.952978370539655, "alpha == beta"},
      {{0.8, 2.0, 1.2, 9.0}, {150, 39.0, 40.0}, 38.973324945864781, "heavy buyer"},
      {{0.8, 9.0, 1.2, 2.0}, {150, 12.0, 40.0}, 139.73085487365987, "heavy buyer, alpha > beta"},
      {{0.2, 1e-3, 0.7, 50.0}, {2, 0.01, 40.0}, -1.8495239274795368, "tiny alpha"},
      {kCdnow, {3, 38.859999, 38.86}, -12.657815556759687, "t_x within 1e-6 of T"},
  };
  for (const Case& k : cases) {
    EXPECT_NEAR(ParetoNbdCustomerLogLikelihood(k.p, k.c), k.ll, 1e-9 * std::max(1.0, std::abs(k.ll)))
        << k.what;
  }
}

TEST(ParetoNbdLikelihoodTest, TotalIsTheWeightedSumOfCustomers) {
  std::vector<RfmSummary> data = Cdnow();
  data.resize(300);
  data[5].weight = 2.5;
  double sum = 0;
  for (const RfmSummary& c : data) sum += c.weight * ParetoNbdCustomerLogLikelihood(kCdnow, c);
  PULSE_ASSERT_OK_AND_ASSIGN(double total, ParetoNbdLogLikelihood(kCdnow, data));
  EXPECT_NEAR(total, sum, 1e-9 * std::abs(sum));
}

TEST(ParetoNbdLikelihoodTest, GradientMatchesFiniteDifferences) {
  const std::vector<RfmSummary> cdnow = Cdnow();
  std::vector<RfmSummary> heavy = {{150, 39, 40}, {150, 12, 40}, {3, 10, 40}, {0, 0, 40}};
  struct Case {
    ParetoNbdParams p;
    const std::vector<RfmSummary>* data;
  };
  // Near CDNOW, and in the regimes handled by the continued fraction and by
  // the small-u series (one of alpha, beta dwarfing the other).
  for (const Case& k : {Case{{0.7, 8.0, 0.9, 15.0}, &cdnow}, Case{{0.3, 0.5, 0.8, 2000.0}, &cdnow},
                        Case{{2.0, 500.0, 1.5, 0.2}, &cdnow}, Case{{0.8, 2.0, 1.2, 9.0}, &heavy},
                        Case{{0.8, 9.0, 1.2, 2.0}, &heavy}}) {
    std::array<double, 4> g;
    ASSERT_TRUE(ParetoNbdLogLikelihood(k.p, *k.data, &g).ok());
    for (int i = 0; i < 4; ++i) {
      ParetoNbdParams up = k.p, down = k.p;
      double* u[4] = {&up.r, &up.alpha, &up.s, &up.beta};
      double* d[4] = {&down.r, &down.alpha, &down.s, &down.beta};
      const double h = 1e-5 * *u[i];
      *u[i] += h;
      *d[i] -= h;
      const double fd =
          (*ParetoNbdLogLikelihood(up, *k.data) - *ParetoNbdLogLikelihood(down, *k.data)) / (2 * h);
      EXPECT_NEAR(g[i], fd, 2e-6 * std::max(1.0, std::abs(fd)))
          << "parameter " << i << " at r=" << k.p.r << " alpha=" << k.p.alpha;
    }
  }
}

TEST(ParetoNbdFitTest, RecoversParametersFromSimulatedData) {
  // 200,000 customers (see the BG/NBD test for why not 20,000). The dropout
  // side is weakly identified in 39 weeks: observed spread over seeds is
  // r, alpha ~1-2%, s ~5%, beta ~8%; bounds are about 2.5 standard errors.
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<RfmSummary> data,
                             SimulateParetoNbd(kCdnow, 200000, 39, 7));
  PULSE_ASSERT_OK_AND_ASSIGN(ParetoNbdFit fit, FitParetoNbd(data));
  EXPECT_TRUE(fit.converged) << fit.reason;
  EXPECT_FALSE(fit.degenerate) << fit.reason;
  EXPECT_LT(Rel(fit.params.r, kCdnow.r), 0.04) << fit.params.r;
  EXPECT_LT(Rel(fit.params.alpha, kCdnow.alpha), 0.04) << fit.params.alpha;
  EXPECT_LT(Rel(fit.params.s, kCdnow.s), 0.12) << fit.params.s;
  EXPECT_LT(Rel(fit.params.beta, kCdnow.beta), 0.20) << fit.params.beta;
  // The mean dropout rate s/beta, which predictions lean on, is tighter.
  EXPECT_LT(Rel(fit.params.s / fit.params.beta, kCdnow.s / kCdnow.beta), 0.08);
  PULSE_ASSERT_OK_AND_ASSIGN(double at_truth, ParetoNbdLogLikelihood(kCdnow, data));
  EXPECT_GT(fit.log_likelihood, at_truth);
}

TEST(ParetoNbdFitTest, FlagsSteadyRhythmDataAsDegenerate) {
  PULSE_ASSERT_OK_AND_ASSIGN(ParetoNbdFit fit, FitParetoNbd(testing::SteadyRhythmCustomers(3000)));
  EXPECT_TRUE(fit.degenerate) << ParetoNbdFitToJson(fit);
}

TEST(ParetoNbdFitTest, FlagsSeasonalDataAsDegenerate) {
  PULSE_ASSERT_OK_AND_ASSIGN(ParetoNbdFit fit, FitParetoNbd(testing::SeasonalCustomers(3000)));
  EXPECT_TRUE(fit.degenerate) << ParetoNbdFitToJson(fit);
}

TEST(ParetoNbdFitTest, RejectsEmptyDataDataWithoutRepeatsAndBadRows) {
  EXPECT_THAT(FitParetoNbd({}), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::vector<RfmSummary> no_repeats = {{0, 0, 10}};
  EXPECT_THAT(FitParetoNbd(no_repeats),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeat purchase")));
  const std::vector<RfmSummary> bad = {{1, 2, 10}, {1, 0, 10}};
  EXPECT_THAT(FitParetoNbd(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("row 1")));
  EXPECT_THAT(ParetoNbdLogLikelihood({0.2, 1, 0, 1}, bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParetoNbdPredictionTest, ProbabilityOfNoPurchaseIsALikelihoodRatio) {
  // The closed form in the header (posterior-parameter likelihood) against
  // L(x, t_x, T+t) / L(x, t_x, T): two independent derivations.
  for (const ParetoNbdParams& p : {kCdnow, ParetoNbdParams{0.3, 0.5, 0.8, 2000.0},
                                   ParetoNbdParams{2.0, 50.0, 1.5, 0.7}}) {
    for (const RfmSummary& c : {RfmSummary{26, 30.86, 31}, RfmSummary{2, 30.43, 38.86},
                                RfmSummary{0, 0, 38.86}, RfmSummary{0, 0, 0}}) {
      for (double t : {1.0, 13.0, 52.0}) {
        const RfmSummary later{c.x, c.t_x, c.T + t};
        const double ratio = std::exp(ParetoNbdCustomerLogLikelihood(p, later) -
                                      ParetoNbdCustomerLogLikelihood(p, c));
        EXPECT_NEAR(ParetoNbdProbabilityNoPurchase(p, c, t), ratio, 1e-10)
            << "x=" << c.x << " t=" << t << " r=" << p.r;
      }
    }
  }
}

TEST(ParetoNbdPredictionTest, ExpectedPurchasesAreStableAtSEqualsOne) {
  const RfmSummary c{3, 20, 30};
  const double at_one = ParetoNbdExpectedPurchases({0.5, 5, 1.0, 3}, c, 20);
  const double near_one = ParetoNbdExpectedPurchases({0.5, 5, 1.0 + 1e-8, 3}, c, 20);
  EXPECT_TRUE(std::isfinite(at_one));
  EXPECT_NEAR(at_one, near_one, 1e-6);
}

TEST(ParetoNbdFitTest, JsonHasTheDocumentedKeys) {
  ParetoNbdFit fit;
  fit.params = kCdnow;
  fit.log_likelihood = NAN;
  const nlohmann::json j = nlohmann::json::parse(ParetoNbdFitToJson(fit));
  for (const char* key : {"r", "alpha", "s", "beta", "log_likelihood", "converged", "iterations",
                          "degenerate", "reason"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_TRUE(j["log_likelihood"].is_null());
  EXPECT_DOUBLE_EQ(j["beta"].get<double>(), 11.67);
}

}  // namespace
}  // namespace pulse::stats
