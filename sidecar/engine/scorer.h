// Scores a customer base: tiers, retention signals with evidence, a churn
// probability per account, value at risk, and the recommended action.
#ifndef PULSE_SIDECAR_ENGINE_SCORER_H_
#define PULSE_SIDECAR_ENGINE_SCORER_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/churn_learner.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

struct ScoreParams {
  absl::Time as_of;
  // Called every few thousand accounts with (scored, total). May be empty.
  std::function<void(int64_t, int64_t)> on_progress;
  // Threads for the per-account passes; 0 = the hardware's. The result does
  // not depend on it.
  int threads = 0;
  // A model learned by an earlier pass (Portfolio::learned): used instead of
  // training again when it was learned as of the same day from the same
  // kinds of data. The model is then refitted once a day, not on every sweep
  // of the day (docs/CHURN_MODEL.md).
  std::shared_ptr<const LearnedState> reuse_learned;
};

// The learned churn model of one scoring pass and the population fit its
// features read.
struct LearnedState {
  int64_t as_of_day = 0;
  FeatureParams features;  // the data kinds and windows it was trained for
  ChurnModel model;
  PopulationModel population;
};

// Where a scoring pass spent its time, for benchmarks and the sweep log.
struct ScoreTimings {
  double histories_seconds = 0;  // records grouped and cut per account
  double facts_seconds = 0;      // cadence, annual value, tiers
  double learn_seconds = 0;      // training cuts replayed and the model fitted
  double population_seconds = 0;  // the population BG/NBD fit
  double assess_seconds = 0;      // signals, churn probability, action per account
};

// Assesses every account that existed at params.as_of, using only records
// dated on or before it. Never fails: bad or missing data leaves signals
// absent and is noted in Portfolio::warnings.
Portfolio AssessPortfolio(const CustomerData& data, const EngineConfig& config, const ScoreParams& params,
                          ScoreTimings* timings = nullptr);

// "EUR 4,200" (no decimals; amounts under 100 keep two).
std::string FormatMoney(double amount, absl::string_view currency);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_SCORER_H_
