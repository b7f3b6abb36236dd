// The random draws behind the demo data. Every transform from raw 64-bit
// words to a distribution is our own, so that a seed gives the same data set
// with any standard library (std:: distributions are implementation-defined).
#ifndef PULSE_SIDECAR_DEMO_DEMO_RANDOM_H_
#define PULSE_SIDECAR_DEMO_DEMO_RANDOM_H_

#include <cstdint>
#include <random>
#include <vector>

namespace pulse::demo_internal {

// A 64-bit mix (SplitMix64's finaliser): turns (seed, stream) pairs into
// well-spread seeds so that nearby account indexes get unrelated streams.
uint64_t MixSeed(uint64_t seed, uint64_t stream);

// A deterministic random source. Not thread-safe; one per generator.
class DemoRandom {
 public:
  explicit DemoRandom(uint64_t seed) : engine_(seed) {}

  // Re-seeds in place (cheaper than building a new object per account).
  void Reseed(uint64_t seed) {
    engine_.seed(seed);
    has_spare_normal_ = false;
  }

  uint64_t Next() { return engine_(); }
  // Uniform in [0, 1), 53 random bits.
  double Uniform();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [lo, hi], both inclusive; lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  bool Bernoulli(double p) { return Uniform() < p; }
  // Standard normal by the polar Box-Muller method.
  double Normal();
  double Normal(double mean, double sd) { return mean + sd * Normal(); }
  // exp(N(mu, sigma)).
  double LogNormal(double mu, double sigma);
  // Log-uniform in [lo, hi): as likely to be in [1, 2) as in [10, 20).
  double LogUniform(double lo, double hi);
  // Exponential with the given mean.
  double Exponential(double mean);
  // Gamma(shape, scale) by Marsaglia and Tsang; shape > 0.
  double Gamma(double shape, double scale);
  // Poisson: multiplication method below 30, rounded normal above.
  int64_t Poisson(double mean);
  // Binomial(n, p) by counting successes; meant for small n.
  int64_t Binomial(int64_t n, double p);
  // An index drawn with probability proportional to `weights`.
  size_t PickWeighted(const std::vector<double>& weights);
  // An index drawn uniformly from [0, n); n > 0.
  size_t PickIndex(size_t n) { return static_cast<size_t>(UniformInt(0, static_cast<int64_t>(n) - 1)); }

 private:
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

}  // namespace pulse::demo_internal

#endif  // PULSE_SIDECAR_DEMO_DEMO_RANDOM_H_
