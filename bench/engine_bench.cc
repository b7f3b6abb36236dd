// Benchmarks of the engine on the demo generator's data, in memory: scoring
// (histories, cadence, signals, tiers, churn probability) and planning the
// contact queue. Run with bench/run.sh, which writes docs/BENCHMARKS.md.
#include <map>
#include <memory>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/planner.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

const absl::CivilDay kEndDay(2026, 6, 30);

// Demo data sets are generated once per size and kept for all benchmarks.
const CustomerData& DemoData(int accounts) {
  static auto* cache = new std::map<int, std::unique_ptr<CustomerData>>();
  auto& slot = (*cache)[accounts];
  if (slot == nullptr) {
    DemoParams params;
    params.accounts = accounts;
    params.seed = 42;
    params.end_day = kEndDay;
    auto data = GenerateDemoData(params, nullptr);
    if (!data.ok()) std::abort();
    slot = std::make_unique<CustomerData>(std::move(*data));
  }
  return *slot;
}

void BM_ScorePortfolio(benchmark::State& state) {
  const CustomerData& data = DemoData(static_cast<int>(state.range(0)));
  EngineConfig config;
  ScoreParams params;
  params.as_of = StartOfDay(kEndDay + 1) - absl::Seconds(1);
  for (auto _ : state) {
    Portfolio p = AssessPortfolio(data, config, params);
    benchmark::DoNotOptimize(p.accounts.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["orders"] = static_cast<double>(data.orders.size());
}

void BM_PlanContacts(benchmark::State& state) {
  const CustomerData& data = DemoData(static_cast<int>(state.range(0)));
  EngineConfig config;
  config.contact.pool_user_ids = {"cs-1", "cs-2"};
  ScoreParams params;
  params.as_of = StartOfDay(kEndDay + 1) - absl::Seconds(1);
  const Portfolio portfolio = AssessPortfolio(data, config, params);
  PlanParams plan_params;
  plan_params.now = params.as_of;
  for (auto _ : state) {
    ContactPlan plan = PlanContacts(portfolio, config, plan_params);
    benchmark::DoNotOptimize(plan.queue.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_ScorePortfolio)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanContacts)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pulse

BENCHMARK_MAIN();
