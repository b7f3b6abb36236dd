// A small in-process metrics registry: counters, gauges and fixed-bucket
// histograms, each a family of series told apart by label values, rendered in
// the Prometheus text exposition format 0.0.4 for the /metrics endpoint.
//
// Thread-safe: families are registered and series updated from any thread;
// Render() sees each family at one instant. Families live as long as the
// registry, so the references it hands out stay valid.
#ifndef PULSE_SIDECAR_COMMON_METRICS_H_
#define PULSE_SIDECAR_COMMON_METRICS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace pulse {

// Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

// A metric name with its label names; the base of the three kinds below.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;
  virtual ~MetricFamily() = default;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // "counter", "gauge" or "histogram".
  virtual const char* type() const = 0;
  // Appends the HELP and TYPE lines and every series, ordered by label values.
  void Render(std::string* out) const;

 protected:
  // Aborts when `values` does not have one value per label name: that is a
  // programming error, not bad input.
  void CheckArity(const LabelValues& values) const;
  virtual void RenderSeries(std::string* out) const = 0;
  // `name{a="x",b="y"}` with `extra` appended as a last label (for "le").
  std::string SeriesName(const std::string& suffix, const LabelValues& values,
                         const std::string& extra_label = "", const std::string& extra_value = "") const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

// A value that only goes up (it restarts at zero with the process).
class CounterFamily final : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  const char* type() const override { return "counter"; }
  // Adds `delta` (negative deltas are ignored: counters never go down).
  void Add(const LabelValues& values, double delta = 1);
  // The current value; 0 for a series never touched.
  double Value(const LabelValues& values) const;

 private:
  void RenderSeries(std::string* out) const override;
  mutable absl::Mutex mu_;
  std::map<LabelValues, double> series_ ABSL_GUARDED_BY(mu_);
};

// A value that goes up and down.
class GaugeFamily final : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  const char* type() const override { return "gauge"; }
  void Set(const LabelValues& values, double value);
  void Add(const LabelValues& values, double delta);
  double Value(const LabelValues& values) const;

 private:
  void RenderSeries(std::string* out) const override;
  mutable absl::Mutex mu_;
  std::map<LabelValues, double> series_ ABSL_GUARDED_BY(mu_);
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is
// implied), with their sum and count.
class HistogramFamily final : public MetricFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds);
  const char* type() const override { return "histogram"; }
  void Observe(const LabelValues& values, double value);
  // Observations so far in one series (0 for a series never touched).
  uint64_t Count(const LabelValues& values) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // per bound, not cumulative; the last is +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  void RenderSeries(std::string* out) const override;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<LabelValues, Series> series_ ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each returns the family of that name, registering it on first use. The
  // same name registered again with another kind, other labels or other
  // buckets aborts (a programming error). Names and label names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]*; anything else aborts too.
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         const std::vector<std::string>& label_names = {});
  GaugeFamily& Gauge(const std::string& name, const std::string& help,
                     const std::vector<std::string>& label_names = {});
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names, const std::vector<double>& bounds);

  // Every family, ordered by name, in the Prometheus text format 0.0.4.
  std::string Render() const;

 private:
  template <typename Family, typename... Extra>
  Family& Register(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                   const Extra&... extra);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_ ABSL_GUARDED_BY(mu_);
};

// The content type of Render()'s output.
inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4";

// A sample value as Prometheus reads it: shortest round-trip decimal,
// "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double value);
// A label value with backslash, double quote and newline escaped.
std::string EscapeLabelValue(const std::string& value);

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_METRICS_H_
