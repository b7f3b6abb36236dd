// The demo's contact effect: so that the holdout and the uplift report can be
// shown on the demo data, the demo replays weekly sweeps over past weeks and
// lets contact work. An account that was truly leaving (the generator's
// ground truth) and got a Pulse task is "saved" with the action's true
// effect probability: its later orders are replaced by orders at its earlier
// rhythm. Holdout accounts get no task, so nothing saves them. The uplift
// report of the final sweep should then find the effect, within its
// interval; the true effects are printed for comparison.
#ifndef PULSE_SIDECAR_CLI_DEMO_SIMULATION_H_
#define PULSE_SIDECAR_CLI_DEMO_SIMULATION_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "sidecar/demo/demo_data.h"

namespace pulse {

struct ContactSimulationParams {
  // Weekly sweeps; the last one is a horizon before the data's end, so
  // every simulated decision has matured by then.
  int weeks = 16;
  // The chance that a task saves a truly leaving account, by action id.
  std::map<std::string, double> true_effect = {
      {"win_back", 0.40},        {"service_recovery", 0.45}, {"check_in", 0.30}, {"reorder_reminder", 0.20},
      {"health_check", 0.25},    {"onboarding", 0.35},       {"growth", 0.15},   {"handover_intro", 0.35},
      {"feedback_request", 0.02}, {"recognition", 0.05}};
};

struct ContactSimulationSummary {
  int sweeps = 0;
  int64_t tasks = 0;         // written during the simulated weeks
  int64_t held_out = 0;      // decisions withheld
  int64_t saved = 0;         // leaving accounts a task saved
  int64_t leaving_treated = 0;
};

// Runs the simulation on the demo folder `dir` that WriteDemoDataset and
// `pulsed demo` wrote for `params` (pulse.yaml included), using its store.
// Rewrites the data files with the effect applied.
absl::StatusOr<ContactSimulationSummary> SimulateContactEffect(const DemoParams& params, const std::string& dir,
                                                              const ContactSimulationParams& sim);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_DEMO_SIMULATION_H_
