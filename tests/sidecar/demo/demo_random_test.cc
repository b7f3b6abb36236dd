#include "sidecar/demo/demo_random.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace pulse::demo_internal {
namespace {

// Mean and variance of `n` draws.
template <typename Draw>
std::pair<double, double> Moments(int n, Draw draw) {
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = draw();
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / n;
  return {mean, sum_sq / n - mean * mean};
}

TEST(DemoRandomTest, SameSeedSameDraws) {
  DemoRandom a(42), b(42);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(a.Next(), b.Next());
    ASSERT_EQ(a.Normal(), b.Normal());
    ASSERT_EQ(a.Gamma(2.5, 3), b.Gamma(2.5, 3));
  }
}

TEST(DemoRandomTest, ReseedRestartsTheStream) {
  DemoRandom a(7);
  const double first = a.Normal();
  a.Normal();
  a.Reseed(7);
  EXPECT_EQ(a.Normal(), first);  // the spare normal of the old stream is dropped
}

TEST(DemoRandomTest, FixedSeedGivesKnownValues) {
  // mt19937_64 is fully specified by the standard: its 10000th output for
  // the default seed is fixed, and so is everything we derive from it.
  std::mt19937_64 reference;
  reference.discard(9999);
  EXPECT_EQ(reference(), 9981545732273789042ULL);
  DemoRandom r(5489);
  for (int i = 0; i < 9999; ++i) r.Next();
  EXPECT_EQ(r.Next(), 9981545732273789042ULL);
}

TEST(DemoRandomTest, MixSeedSpreadsNeighbours) {
  EXPECT_NE(MixSeed(1, 0), MixSeed(1, 1));
  EXPECT_NE(MixSeed(1, 0), MixSeed(2, 0));
  EXPECT_EQ(MixSeed(9, 3), MixSeed(9, 3));
}

TEST(DemoRandomTest, UniformStaysInRange) {
  DemoRandom r(1);
  for (int i = 0; i < 100000; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const int64_t k = r.UniformInt(-3, 3);
    ASSERT_GE(k, -3);
    ASSERT_LE(k, 3);
  }
  EXPECT_EQ(r.UniformInt(5, 5), 5);
}

TEST(DemoRandomTest, UniformIntHitsEveryValueEvenly) {
  DemoRandom r(2);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[r.UniformInt(0, 5)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(DemoRandomTest, NormalHasMeanZeroVarianceOne) {
  DemoRandom r(3);
  const auto [mean, var] = Moments(200000, [&] { return r.Normal(); });
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
}

TEST(DemoRandomTest, ExponentialHasItsMean) {
  DemoRandom r(4);
  const auto [mean, var] = Moments(200000, [&] { return r.Exponential(5.0); });
  EXPECT_NEAR(mean, 5.0, 0.05);
  EXPECT_NEAR(var, 25.0, 0.8);
}

TEST(DemoRandomTest, GammaHasShapeTimesScaleMean) {
  DemoRandom r(5);
  for (double shape : {0.5, 1.0, 3.0, 6.0}) {
    const auto [mean, var] = Moments(200000, [&] { return r.Gamma(shape, 2.0); });
    EXPECT_NEAR(mean, shape * 2.0, 0.03 * shape * 2.0) << "shape " << shape;
    EXPECT_NEAR(var, shape * 4.0, 0.06 * shape * 4.0) << "shape " << shape;
  }
}

TEST(DemoRandomTest, PoissonHasMeanEqualToVariance) {
  DemoRandom r(6);
  for (double lambda : {0.5, 4.0, 80.0}) {
    const auto [mean, var] = Moments(100000, [&] { return static_cast<double>(r.Poisson(lambda)); });
    EXPECT_NEAR(mean, lambda, 0.03 * lambda + 0.01) << "lambda " << lambda;
    EXPECT_NEAR(var, lambda, 0.06 * lambda + 0.02) << "lambda " << lambda;
  }
  EXPECT_EQ(r.Poisson(0), 0);
}

TEST(DemoRandomTest, LogNormalHasMedianExpMu) {
  DemoRandom r(7);
  int below = 0;
  for (int i = 0; i < 100000; ++i) below += r.LogNormal(std::log(100.0), 0.8) < 100.0 ? 1 : 0;
  EXPECT_NEAR(below, 50000, 700);
}

TEST(DemoRandomTest, BinomialAndWeightedPicks) {
  DemoRandom r(8);
  const auto [mean, var] = Moments(100000, [&] { return static_cast<double>(r.Binomial(10, 0.3)); });
  EXPECT_NEAR(mean, 3.0, 0.03);
  EXPECT_NEAR(var, 2.1, 0.06);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 60000; ++i) ++counts[r.PickWeighted({1, 0, 2})];
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0], 20000, 600);
  EXPECT_NEAR(counts[2], 40000, 600);
}

}  // namespace
}  // namespace pulse::demo_internal
