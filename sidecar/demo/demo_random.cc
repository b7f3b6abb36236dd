#include "sidecar/demo/demo_random.h"

#include <cmath>
#include <cstdlib>

namespace pulse::demo_internal {

uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double DemoRandom::Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

int64_t DemoRandom::UniformInt(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  if (span == 0) return static_cast<int64_t>(engine_());  // the full 64-bit range
  // Rejection keeps the draw unbiased for any span.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  uint64_t x;
  do {
    x = engine_();
  } while (x >= limit);
  return lo + static_cast<int64_t>(x % span);
}

double DemoRandom::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * Uniform() - 1.0;
    v = 2.0 * Uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_normal_ = true;
  return u * f;
}

double DemoRandom::LogNormal(double mu, double sigma) { return std::exp(mu + sigma * Normal()); }

double DemoRandom::LogUniform(double lo, double hi) { return std::exp(Uniform(std::log(lo), std::log(hi))); }

double DemoRandom::Exponential(double mean) { return -std::log1p(-Uniform()) * mean; }

double DemoRandom::Gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Boost a shape below one: Gamma(a) = Gamma(a + 1) * U^(1/a).
    const double u = Uniform();
    return Gamma(shape + 1.0, scale) * std::pow(u > 0 ? u : 0x1.0p-53, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = Uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

int64_t DemoRandom::Poisson(double mean) {
  if (mean <= 0) return 0;
  if (mean < 30.0) {
    const double limit = std::exp(-mean);
    int64_t k = 0;
    double p = Uniform();
    while (p > limit) {
      ++k;
      p *= Uniform();
    }
    return k;
  }
  const double x = std::floor(Normal(mean, std::sqrt(mean)) + 0.5);
  return x < 0 ? 0 : static_cast<int64_t>(x);
}

int64_t DemoRandom::Binomial(int64_t n, double p) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; ++i) k += Uniform() < p ? 1 : 0;
  return k;
}

size_t DemoRandom::PickWeighted(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = Uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

}  // namespace pulse::demo_internal
