// The store's per-sweep writes that scale with the customer base: the sparse
// score history (docs/ACCOUNT_VIEW.md). A sweep of a million accounts must
// spend at most a couple of seconds on it.
//
//   BM_RecordScoresFirst/N   N accounts, none recorded yet: every score is written
//   BM_RecordScoresNextDay/N a day later, 10 % of the accounts moved by 0.1:
//                            one scan of the last records, N/10 writes
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "sidecar/store/store.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;

std::vector<ScoreRecord> Scores(int64_t n, absl::Time as_of, int64_t sweep, int64_t changed_every) {
  std::vector<ScoreRecord> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ScoreRecord& r = out[static_cast<size_t>(i)];
    r.account_id = absl::StrFormat("acct-%08d", (i * 7919) % n);  // not in id order, as a portfolio is not
    r.as_of = as_of;
    r.sweep_id = sweep;
    r.churn_probability = 0.05 + 0.8 * static_cast<double>(i % 1000) / 1000;
    if (changed_every > 0 && i % changed_every == 0) r.churn_probability += 0.1;
    r.value_at_risk = 1000 * r.churn_probability;
    r.tier = i % 20 == 0 ? Tier::kKey : (i % 5 == 0 ? Tier::kMid : Tier::kTail);
  }
  return out;
}

struct TempStore {
  TempStore() {
    dir = fs::temp_directory_path() / absl::StrCat("pulse-store-bench-", getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    store = std::move(Store::Open(StoreOptions{(dir / "pulse.db").string()})).value();
  }
  ~TempStore() {
    store.reset();
    fs::remove_all(dir);
  }
  fs::path dir;
  std::unique_ptr<Store> store;
};

const absl::Time kDay0 = absl::FromCivil(absl::CivilDay(2026, 6, 1), absl::UTCTimeZone());

void BM_RecordScoresFirst(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<ScoreRecord> scores = Scores(n, kDay0, 1, 0);
  for (auto _ : state) {
    state.PauseTiming();
    auto temp = std::make_unique<TempStore>();
    state.ResumeTiming();
    absl::StatusOr<int64_t> written = temp->store->RecordScores(scores, ScoreHistoryRule());
    if (!written.ok() || *written != n) state.SkipWithError("not every score was recorded");
    state.PauseTiming();
    temp.reset();
    state.ResumeTiming();
  }
  state.counters["accounts"] = static_cast<double>(n);
}
BENCHMARK(BM_RecordScoresFirst)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_RecordScoresNextDay(benchmark::State& state) {
  const int64_t n = state.range(0);
  TempStore temp;
  if (!temp.store->RecordScores(Scores(n, kDay0, 1, 0), ScoreHistoryRule()).ok()) state.SkipWithError("setup");
  int day = 0;
  int64_t written_total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ++day;
    // Alternate which tenth moves, so each day's change is against the last recorded value.
    std::vector<ScoreRecord> scores = Scores(n, kDay0 + absl::Hours(24) * day, 1 + day, day % 2 == 1 ? 10 : 0);
    state.ResumeTiming();
    absl::StatusOr<int64_t> written = temp.store->RecordScores(scores, ScoreHistoryRule());
    if (!written.ok()) state.SkipWithError("RecordScores failed");
    written_total += written.ok() ? *written : 0;
  }
  state.counters["accounts"] = static_cast<double>(n);
  state.counters["written_per_sweep"] = static_cast<double>(written_total) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RecordScoresNextDay)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

}  // namespace
}  // namespace pulse

BENCHMARK_MAIN();
