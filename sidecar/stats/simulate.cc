// Simulation of BG/NBD and Pareto/NBD customer bases with portable draws.
#include "sidecar/stats/simulate.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

namespace pulse::stats {
namespace {

// Draws from a 64-bit Mersenne Twister through fixed transforms.
class Draws {
 public:
  explicit Draws(uint64_t seed) : engine_(seed) {}

  // Uniform on the open interval (0, 1).
  double Uniform() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  // Exponential with rate 1.
  double Exponential() { return -std::log(Uniform()); }
  // Standard normal (Marsaglia's polar method).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, q;
    do {
      u = 2 * Uniform() - 1;
      v = 2 * Uniform() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q == 0);
    const double f = std::sqrt(-2 * std::log(q) / q);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  // Gamma with this shape and rate 1 (Marsaglia & Tsang 2000; shape < 1 by
  // Gamma(shape) = Gamma(shape + 1) * U^(1/shape)).
  double Gamma(double shape) {
    if (shape < 1) return Gamma(shape + 1) * std::pow(Uniform(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9 * d);
    while (true) {
      double x, v;
      do {
        x = Normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = Uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
    }
  }
  double Beta(double a, double b) {
    const double x = Gamma(a), y = Gamma(b);
    return x / (x + y);
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

absl::Status CheckSize(int64_t n, double T) {
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("n ", n, " is negative"));
  if (!(T > 0) || !std::isfinite(T)) {
    return absl::InvalidArgumentError(absl::StrCat("T ", T, " is not finite and positive"));
  }
  return absl::OkStatus();
}

absl::Status CheckTimes(absl::Span<const double> T) {
  for (size_t i = 0; i < T.size(); ++i) {
    if (!(T[i] > 0) || !std::isfinite(T[i])) {
      return absl::InvalidArgumentError(absl::StrCat("T[", i, "] = ", T[i], " is not finite and positive"));
    }
  }
  return absl::OkStatus();
}

// One BG/NBD customer observed for T.
RfmSummary DrawBgNbd(const BgNbdParams& params, double T, Draws& draw) {
  RfmSummary c;
  c.T = T;
  const double lambda = draw.Gamma(params.r) / params.alpha;
  const double p = draw.Beta(params.a, params.b);
  if (!(lambda > 0)) return c;
  double t = 0;
  while (true) {
    t += draw.Exponential() / lambda;
    if (t > T) break;
    c.x += 1;
    c.t_x = t;
    if (draw.Uniform() < p) break;  // drops out after this purchase
  }
  return c;
}

// One Pareto/NBD customer observed for T.
RfmSummary DrawParetoNbd(const ParetoNbdParams& params, double T, Draws& draw) {
  RfmSummary c;
  c.T = T;
  const double lambda = draw.Gamma(params.r) / params.alpha;
  const double mu = draw.Gamma(params.s) / params.beta;
  const double lifetime = mu > 0 ? draw.Exponential() / mu : INFINITY;
  const double end = std::min(lifetime, T);
  if (!(lambda > 0)) return c;
  double t = 0;
  while (true) {
    t += draw.Exponential() / lambda;
    if (t > end) break;
    c.x += 1;
    c.t_x = t;
  }
  return c;
}

}  // namespace

absl::StatusOr<std::vector<RfmSummary>> SimulateBgNbd(const BgNbdParams& params, int64_t n,
                                                      double T, uint64_t seed) {
  if (absl::Status s = CheckSize(n, T); !s.ok()) return s;
  return SimulateBgNbd(params, std::vector<double>(static_cast<size_t>(n), T), seed);
}

absl::StatusOr<std::vector<RfmSummary>> SimulateParetoNbd(const ParetoNbdParams& params,
                                                          int64_t n, double T, uint64_t seed) {
  if (absl::Status s = CheckSize(n, T); !s.ok()) return s;
  return SimulateParetoNbd(params, std::vector<double>(static_cast<size_t>(n), T), seed);
}

absl::StatusOr<std::vector<RfmSummary>> SimulateBgNbd(const BgNbdParams& params,
                                                      absl::Span<const double> T, uint64_t seed) {
  if (absl::Status s = ValidateBgNbdParams(params); !s.ok()) return s;
  if (absl::Status s = CheckTimes(T); !s.ok()) return s;
  Draws draw(seed);
  std::vector<RfmSummary> out;
  out.reserve(T.size());
  for (double t : T) out.push_back(DrawBgNbd(params, t, draw));
  return out;
}

absl::StatusOr<std::vector<RfmSummary>> SimulateParetoNbd(const ParetoNbdParams& params,
                                                          absl::Span<const double> T,
                                                          uint64_t seed) {
  if (absl::Status s = ValidateParetoNbdParams(params); !s.ok()) return s;
  if (absl::Status s = CheckTimes(T); !s.ok()) return s;
  Draws draw(seed);
  std::vector<RfmSummary> out;
  out.reserve(T.size());
  for (double t : T) out.push_back(DrawParetoNbd(params, t, draw));
  return out;
}

}  // namespace pulse::stats
