#include "sidecar/common/metrics.h"

#include <cmath>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pulse {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistry, RendersFamiliesByNameWithHelpTypeAndSortedSeries) {
  MetricsRegistry r;
  CounterFamily& sweeps = r.Counter("pulse_sweeps_total", "Sweeps finished.", {"outcome"});
  GaugeFamily& pending = r.Gauge("pulse_tasks_pending", "Tasks in the outbox.");
  sweeps.Add({"succeeded"}, 2);
  sweeps.Add({"failed"});
  pending.Set({}, 7);
  pending.Add({}, -2.5);
  EXPECT_EQ(r.Render(),
            "# HELP pulse_sweeps_total Sweeps finished.\n"
            "# TYPE pulse_sweeps_total counter\n"
            "pulse_sweeps_total{outcome=\"failed\"} 1\n"
            "pulse_sweeps_total{outcome=\"succeeded\"} 2\n"
            "# HELP pulse_tasks_pending Tasks in the outbox.\n"
            "# TYPE pulse_tasks_pending gauge\n"
            "pulse_tasks_pending 4.5\n");
}

TEST(MetricsRegistry, RegisteringAgainReturnsTheSameFamily) {
  MetricsRegistry r;
  CounterFamily& a = r.Counter("c_total", "help", {"x"});
  CounterFamily& b = r.Counter("c_total", "help", {"x"});
  EXPECT_EQ(&a, &b);
  a.Add({"1"});
  EXPECT_EQ(b.Value({"1"}), 1);
  EXPECT_DEATH(r.Gauge("c_total", "help", {"x"}), "another kind");
  EXPECT_DEATH(r.Counter("c_total", "help", {"y"}), "other labels");
  EXPECT_DEATH(a.Add({"1", "2"}), "takes 1 label values");
  EXPECT_DEATH(r.Counter("bad name", "help"), "invalid metric name");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry r;
  r.Counter("errors_total", "Errors\\by \"code\"\nsecond line", {"path"}).Add({"a\\b \"q\"\nz"});
  EXPECT_EQ(r.Render(),
            "# HELP errors_total Errors\\\\by \"code\"\\nsecond line\n"
            "# TYPE errors_total counter\n"
            "errors_total{path=\"a\\\\b \\\"q\\\"\\nz\"} 1\n");
}

TEST(MetricsRegistry, CountersNeverGoDown) {
  MetricsRegistry r;
  CounterFamily& c = r.Counter("c_total", "h");
  c.Add({}, 3);
  c.Add({}, -1);
  c.Add({}, std::nan(""));
  EXPECT_EQ(c.Value({}), 3);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry r;
  HistogramFamily& h = r.Histogram("latency_seconds", "Latency.", {"op"}, {0.25, 1, 10});
  for (double v : {0.125, 0.25, 0.5, 2.0, 20.0}) h.Observe({"read"}, v);
  EXPECT_EQ(h.Count({"read"}), 5u);
  EXPECT_EQ(r.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{op=\"read\",le=\"0.25\"} 2\n"
            "latency_seconds_bucket{op=\"read\",le=\"1\"} 3\n"
            "latency_seconds_bucket{op=\"read\",le=\"10\"} 4\n"
            "latency_seconds_bucket{op=\"read\",le=\"+Inf\"} 5\n"
            "latency_seconds_sum{op=\"read\"} 22.875\n"
            "latency_seconds_count{op=\"read\"} 5\n");
}

TEST(MetricsRegistry, HistogramWithoutLabelsAndBadBounds) {
  MetricsRegistry r;
  r.Histogram("d_seconds", "D.", {}, {1}).Observe({}, 1);
  EXPECT_THAT(r.Render(), HasSubstr("d_seconds_bucket{le=\"1\"} 1\nd_seconds_bucket{le=\"+Inf\"} 1\n"
                                    "d_seconds_sum 1\nd_seconds_count 1\n"));
  EXPECT_DEATH(r.Histogram("e_seconds", "E.", {}, {2, 1}), "ascending");
  EXPECT_DEATH(r.Histogram("d_seconds", "D.", {}, {1, 2}), "other buckets");
}

TEST(MetricsRegistry, ConcurrentUpdatesAllCount) {
  MetricsRegistry r;
  CounterFamily& c = r.Counter("c_total", "h", {"t"});
  HistogramFamily& h = r.Histogram("h_seconds", "h", {}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.Add({"all"});
        c.Add({t % 2 == 0 ? "even" : "odd"});
        h.Observe({}, 1);
        if (i % 1000 == 0) (void)r.Render();  // rendering while updating is safe
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value({"all"}), kThreads * kPerThread);
  EXPECT_EQ(c.Value({"even"}), kThreads / 2 * kPerThread);
  EXPECT_EQ(h.Count({}), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_THAT(r.Render(), HasSubstr("c_total{t=\"all\"} 160000\n"));
}

TEST(FormatMetricValue, ShortestRoundTripAndSpecials) {
  EXPECT_EQ(FormatMetricValue(1), "1");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(1234567.25), "1234567.25");
  EXPECT_EQ(FormatMetricValue(1e21), "1e+21");
  EXPECT_EQ(FormatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

}  // namespace
}  // namespace pulse
