// Tests of the numerical building blocks of pulse_stats: digamma, the
// hypergeometric sums of the Pareto/NBD likelihood (against mpmath at 40
// digits), dual numbers, the bounded BFGS minimiser and the deterministic
// parallel sum.
#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/stats/dual.h"
#include "sidecar/stats/fit_data.h"
#include "sidecar/stats/optimizer.h"
#include "sidecar/stats/special_functions.h"

namespace pulse::stats::internal {
namespace {

TEST(DigammaTest, MatchesHighPrecisionValues) {
  struct Case {
    double x, psi;
  };
  for (const Case& c : {Case{1e-9, -1000000000.5772156}, Case{0.1, -10.4237549404110762},
                        Case{1.0, -0.577215664901532861}, Case{2.5, 0.703156640645243187},
                        Case{7.3, 1.91782033563798607}, Case{100.0, 4.6001618527380874}}) {
    EXPECT_NEAR(Digamma(c.x), c.psi, 1e-14 * std::max(1.0, std::abs(c.psi))) << c.x;
  }
  EXPECT_TRUE(std::isnan(Digamma(0.0)));
  EXPECT_TRUE(std::isnan(Digamma(-1.0)));
}

TEST(LogHyp2F1UnitBTest, SeriesAndContinuedFractionMatchMpmath) {
  struct Case {
    double e_big, rho, z, log_g;
  };
  for (const Case& c : {Case{1.6, 1.2, 0.1, 0.076212722471784213},
                        Case{1.6, 1.2, 0.9, 1.4843682355415743},
                        Case{50.0, 50.5, 0.95, 2.6204477764280595},
                        Case{1.5, 200.0, 0.999, 0.0075206715518677327},
                        Case{200.5, 201.0, 0.3, 0.35350413571856222}}) {
    EXPECT_NEAR(LogHyp2F1UnitB(c.e_big, c.rho, c.z), c.log_g, 1e-13 * std::max(1.0, c.log_g))
        << c.e_big << " " << c.rho << " " << c.z;
  }
}

TEST(LogSmallBetaIntegralTest, MatchesMpmathQuadrature) {
  struct Case {
    double e, q, u0, u1, log_j;
  };
  for (const Case& c : {Case{0.3, 0.2, 1e-4, 0.3, -0.51713164728685564},
                        Case{2.5, 40.0, 1e-6, 0.01, 20.317681143989644},
                        Case{1.0, -0.5, 0.01, 0.4, 1.3668588653787598},
                        Case{150.0, 151.0, 1e-3, 2e-3, 1024.0994939417641}}) {
    EXPECT_NEAR(LogSmallBetaIntegral(c.e, c.q, std::log(c.u0), std::log(c.u1)), c.log_j,
                1e-12 * std::max(1.0, std::abs(c.log_j)))
        << c.e << " " << c.q;
  }
}

TEST(DualTest, DerivativesOfCompositionsMatchCalculus) {
  using D = Dual<2>;
  const D x = D::Variable(0.7, 0), y = D::Variable(2.0, 1);
  const D f = log(x * y + 1.0) / y - exp(x) + expm1(y * 0.5) * log1p(x);
  // d/dx and d/dy by hand.
  const double dfdx = 1 / (0.7 * 2 + 1) - std::exp(0.7) + std::expm1(1.0) / 1.7;
  const double dfdy =
      (0.7 / (0.7 * 2 + 1)) / 2 - std::log(0.7 * 2 + 1) / 4 + 0.5 * std::exp(1.0) * std::log1p(0.7);
  EXPECT_NEAR(f.d[0], dfdx, 1e-14);
  EXPECT_NEAR(f.d[1], dfdy, 1e-14);
}

TEST(BoxBfgsTest, MinimisesRosenbrock) {
  const Objective rosenbrock = [](const std::vector<double>& x, std::vector<double>* g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    (*g) = {-2 * a - 400 * x[0] * b, 200 * b};
    return a * a + 100 * b * b;
  };
  BoxBfgsOptions options;
  options.gradient_tolerance = 1e-10;
  const BoxBfgsResult r = MinimizeBoxBfgs(rosenbrock, {-1.2, 1.0}, options);
  EXPECT_TRUE(r.converged) << r.message;
  EXPECT_NEAR(r.x[0], 1.0, 1e-8);
  EXPECT_NEAR(r.x[1], 1.0, 1e-8);
  EXPECT_LT(r.iterations, 60);
}

TEST(BoxBfgsTest, StopsAtABoundAndSaysWhich) {
  // Minimum at (3, -2) outside the box [-1, 1]^2: the answer is (1, -1).
  const Objective bowl = [](const std::vector<double>& x, std::vector<double>* g) {
    (*g) = {2 * (x[0] - 3), 2 * (x[1] + 2)};
    return (x[0] - 3) * (x[0] - 3) + (x[1] + 2) * (x[1] + 2);
  };
  BoxBfgsOptions options;
  options.lower = {-1, -1};
  options.upper = {1, 1};
  const BoxBfgsResult r = MinimizeBoxBfgs(bowl, {0, 0}, options);
  EXPECT_TRUE(r.converged) << r.message;
  EXPECT_DOUBLE_EQ(r.x[0], 1);
  EXPECT_DOUBLE_EQ(r.x[1], -1);
  EXPECT_THAT(r.at_bound, ::testing::ElementsAre(true, true));
}

TEST(BoxBfgsTest, StepsBackFromNonFiniteValues) {
  // Undefined for x <= 0; minimum at x = 1 of x - log(x).
  const Objective f = [](const std::vector<double>& x, std::vector<double>* g) {
    (*g) = {1 - 1 / x[0]};
    return x[0] > 0 ? x[0] - std::log(x[0]) : NAN;
  };
  const BoxBfgsResult r = MinimizeBoxBfgs(f, {0.01}, BoxBfgsOptions{});
  EXPECT_TRUE(r.converged) << r.message;
  EXPECT_NEAR(r.x[0], 1.0, 1e-8);
}

TEST(ParallelBlockSumTest, ResultDoesNotDependOnThreadCount) {
  std::vector<double> v(100000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / (1.0 + static_cast<double>(i) * 0.37);
  auto block = [&](int64_t b, int64_t e) {
    double s = 0;
    for (int64_t i = b; i < e; ++i) s += v[static_cast<size_t>(i)];
    return s;
  };
  const double one = ParallelBlockSum<double>(static_cast<int64_t>(v.size()), 1, block);
  for (int threads : {2, 3, 8}) {
    EXPECT_EQ(ParallelBlockSum<double>(static_cast<int64_t>(v.size()), threads, block), one);
  }
}

}  // namespace
}  // namespace pulse::stats::internal
