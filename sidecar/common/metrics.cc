#include "sidecar/common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pulse {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

bool IsValidName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// HELP text escapes only backslash and newline.
std::string EscapeHelp(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

void MetricFamily::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n# TYPE ", name_, " ", type(), "\n");
  RenderSeries(out);
}

void MetricFamily::CheckArity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    Die(absl::StrCat(name_, " takes ", label_names_.size(), " label values (", absl::StrJoin(label_names_, ","),
                     "), got ", values.size()));
  }
}

std::string MetricFamily::SeriesName(const std::string& suffix, const LabelValues& values,
                                     const std::string& extra_label, const std::string& extra_value) const {
  std::string out = absl::StrCat(name_, suffix);
  if (values.empty() && extra_label.empty()) return out;
  out.push_back('{');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, label_names_[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_label.empty()) {
    if (!values.empty()) out.push_back(',');
    absl::StrAppend(&out, extra_label, "=\"", EscapeLabelValue(extra_value), "\"");
  }
  out.push_back('}');
  return out;
}

void CounterFamily::Add(const LabelValues& values, double delta) {
  CheckArity(values);
  if (!(delta >= 0)) return;
  absl::MutexLock lock(&mu_);
  series_[values] += delta;
}

double CounterFamily::Value(const LabelValues& values) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second;
}

void CounterFamily::RenderSeries(std::string* out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, v] : series_) absl::StrAppend(out, SeriesName("", values), " ", FormatMetricValue(v), "\n");
}

void GaugeFamily::Set(const LabelValues& values, double value) {
  CheckArity(values);
  absl::MutexLock lock(&mu_);
  series_[values] = value;
}

void GaugeFamily::Add(const LabelValues& values, double delta) {
  CheckArity(values);
  absl::MutexLock lock(&mu_);
  series_[values] += delta;
}

double GaugeFamily::Value(const LabelValues& values) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second;
}

void GaugeFamily::RenderSeries(std::string* out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, v] : series_) absl::StrAppend(out, SeriesName("", values), " ", FormatMetricValue(v), "\n");
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)), bounds_(std::move(bounds)) {
  if (bounds_.empty() || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end() || !std::isfinite(bounds_.back())) {
    Die(absl::StrCat(this->name(), ": histogram bounds must be finite, ascending and distinct"));
  }
}

void HistogramFamily::Observe(const LabelValues& values, double value) {
  CheckArity(values);
  // The first bound >= value; past the last bound is the +Inf bucket.
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  absl::MutexLock lock(&mu_);
  Series& s = series_[values];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size() + 1, 0);
  ++s.buckets[bucket];
  s.sum += value;
  ++s.count;
}

uint64_t HistogramFamily::Count(const LabelValues& values) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.count;
}

void HistogramFamily::RenderSeries(std::string* out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      const std::string le = i < bounds_.size() ? FormatMetricValue(bounds_[i]) : "+Inf";
      absl::StrAppend(out, SeriesName("_bucket", values, "le", le), " ", cumulative, "\n");
    }
    absl::StrAppend(out, SeriesName("_sum", values), " ", FormatMetricValue(s.sum), "\n");
    absl::StrAppend(out, SeriesName("_count", values), " ", s.count, "\n");
  }
}

template <typename Family, typename... Extra>
Family& MetricsRegistry::Register(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& label_names, const Extra&... extra) {
  if (!IsValidName(name)) Die(absl::StrCat("invalid metric name '", name, "'"));
  for (const std::string& l : label_names) {
    if (!IsValidName(l) || l == "le" || l.rfind("__", 0) == 0) {
      Die(absl::StrCat(name, ": invalid label name '", l, "'"));
    }
  }
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(name, std::make_unique<Family>(name, help, label_names, extra...)).first;
  }
  auto* family = dynamic_cast<Family*>(it->second.get());
  if (family == nullptr || family->label_names() != label_names) {
    Die(absl::StrCat(name, " is already registered as another kind or with other labels"));
  }
  return *family;
}

CounterFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& label_names) {
  return Register<CounterFamily>(name, help, label_names);
}

GaugeFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& label_names) {
  return Register<GaugeFamily>(name, help, label_names);
}

HistogramFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& label_names,
                                            const std::vector<double>& bounds) {
  HistogramFamily& h = Register<HistogramFamily>(name, help, label_names, bounds);
  if (h.bounds() != bounds) Die(absl::StrCat(name, " is already registered with other buckets"));
  return h;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

}  // namespace pulse
