#include "sidecar/cli/demo_simulation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "sidecar/cli/app.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/stable_hash.h"
#include "sidecar/common/time_util.h"
#include "sidecar/config/config.h"
#include "sidecar/demo/demo_random.h"

namespace pulse {
namespace {

// The demo generator's deterministic random streams.
using demo_internal::DemoRandom;
using demo_internal::MixSeed;

bool IsLeaving(const DemoAccountTruth& t, absl::CivilDay day) {
  switch (t.scenario) {
    case DemoScenario::kFading:
    case DemoScenario::kStopped:
    case DemoScenario::kComplaints:
    case DemoScenario::kContactGap:
    case DemoScenario::kKeyContactLeft:
    case DemoScenario::kOwnerLeft:
      return t.fade_start.has_value() && *t.fade_start <= day;
    default:
      return false;
  }
}

// Replaces the orders after `from` with orders at the account's rhythm
// before its decline: the median gap and amount of its earlier orders, each
// with some noise, lines copied from an earlier order and scaled.
void Save(DemoAccountRecords* r, absl::Time from, absl::CivilDay end, uint64_t seed) {
  const absl::Time fade = r->truth.fade_start.has_value() ? StartOfDay(*r->truth.fade_start) : from;
  std::vector<const Order*> before;
  for (const Order& o : r->orders) {
    if (o.ordered_at < std::min(fade, from)) before.push_back(&o);
  }
  if (before.size() < 2) return;  // no rhythm to return to
  std::vector<double> gaps;
  std::vector<double> amounts;
  for (size_t i = 0; i < before.size(); ++i) {
    amounts.push_back(before[i]->amount);
    if (i > 0) gaps.push_back(absl::ToDoubleHours(before[i]->ordered_at - before[i - 1]->ordered_at) / 24);
  }
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  std::nth_element(amounts.begin(), amounts.begin() + amounts.size() / 2, amounts.end());
  const double gap = std::max(7.0, gaps[gaps.size() / 2]);
  const double amount = amounts[amounts.size() / 2];
  std::vector<Order> kept;
  for (Order& o : r->orders) {
    if (o.ordered_at <= from) kept.push_back(std::move(o));
  }
  DemoRandom rng(seed);
  absl::Time t = from + absl::Hours(24) * rng.UniformInt(3, 14);
  const absl::Time last = StartOfDay(end) + absl::Hours(12);
  int n = 0;
  while (t <= last) {
    Order o = *before[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(before.size()) - 1))];
    const double target = std::max(1.0, amount * rng.Uniform(0.8, 1.2));
    const double scale = o.amount > 0 ? target / o.amount : 1;
    o.id = absl::StrCat(r->account.id, "-S", ++n);
    o.ordered_at = t;
    double sum = 0;
    for (OrderLine& l : o.lines) {
      l.amount = std::round(l.amount * scale * 100) / 100;
      l.quantity = std::max(1.0, std::round(l.quantity * scale));
      sum += l.amount;
    }
    o.amount = o.lines.empty() ? std::round(target * 100) / 100 : sum;
    kept.push_back(std::move(o));
    t += absl::Hours(24) * std::max(3.0, gap * rng.Uniform(0.75, 1.25));
  }
  r->orders = std::move(kept);
}

}  // namespace

absl::StatusOr<ContactSimulationSummary> SimulateContactEffect(const DemoParams& params, const std::string& dir,
                                                              const ContactSimulationParams& sim) {
  if (sim.weeks < 1 || sim.weeks > 104) {
    return absl::InvalidArgumentError(absl::StrCat("simulated weeks must be between 1 and 104, got ", sim.weeks));
  }
  const std::string config_path = (std::filesystem::path(dir) / "pulse.yaml").string();
  absl::StatusOr<PulseConfig> config = LoadConfigFile(config_path);
  if (!config.ok()) return config.status();
  const int horizon = config->engine.contact.horizon_days;

  // Who is saved from when, and the ground truth, filled as the files are
  // written.
  absl::flat_hash_map<std::string, absl::Time> saved_from;
  absl::flat_hash_map<std::string, DemoAccountTruth> truth;
  DemoAccountTransform apply = [&](DemoAccountRecords* r) {
    truth[r->account.id] = r->truth;
    if (auto it = saved_from.find(r->account.id); it != saved_from.end()) {
      Save(r, it->second, params.end_day, MixSeed(params.seed, Fnv1a64(r->account.id) ^ 0x5a17));
    }
  };

  ContactSimulationSummary summary;
  const LogLevel level = GetLogLevel();
  SetLogLevel(LogLevel::kWarning);  // a sweep a week would flood the terminal
  for (int w = 0; w < sim.weeks; ++w) {
    const absl::CivilDay day = params.end_day - horizon - 7 * (sim.weeks - 1 - w);
    if (absl::StatusOr<DemoSummary> s = WriteDemoDataset(params, dir, /*overwrite=*/true, apply); !s.ok()) {
      SetLogLevel(level);
      return s.status();
    }
    absl::StatusOr<PulseApp> app = OpenPulseApp(*config);
    if (!app.ok()) {
      SetLogLevel(level);
      return app.status();
    }
    SweepRequest request;
    request.as_of = StartOfDay(day) + absl::Hours(18);
    absl::StatusOr<pulse::v1::SweepReport> report = app->sweeper->Run(request, nullptr);
    if (!report.ok() || !report->succeeded()) {
      SetLogLevel(level);
      return report.ok() ? absl::InternalError(absl::StrCat("simulated sweep as of ", FormatIsoDay(day),
                                                            " failed: ", report->error()))
                         : report.status();
    }
    ++summary.sweeps;
    summary.tasks += report->tasks_created();
    summary.held_out += report->tasks_held_out();
    absl::StatusOr<std::vector<ContactDecision>> decisions = app->store->ContactDecisionsSince(*request.as_of);
    if (!decisions.ok()) {
      SetLogLevel(level);
      return decisions.status();
    }
    for (const ContactDecision& d : *decisions) {
      if (d.holdout || d.sweep_id != report->sweep_id() || saved_from.contains(d.account_id)) continue;
      auto t = truth.find(d.account_id);
      if (t == truth.end() || !IsLeaving(t->second, day)) continue;
      ++summary.leaving_treated;
      auto effect = sim.true_effect.find(d.action);
      DemoRandom rng(MixSeed(params.seed, Fnv1a64(d.key)));
      if (effect != sim.true_effect.end() && rng.Bernoulli(effect->second)) {
        saved_from[d.account_id] = d.decided_at;
        ++summary.saved;
      }
    }
  }
  SetLogLevel(level);
  // The files with every week's effect.
  if (absl::StatusOr<DemoSummary> s = WriteDemoDataset(params, dir, /*overwrite=*/true, apply); !s.ok()) {
    return s.status();
  }
  return summary;
}

}  // namespace pulse
