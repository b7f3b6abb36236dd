// Scores a customer base: tiers, retention signals with evidence, a churn
// probability per account, value at risk, and the recommended action.
#ifndef PULSE_SIDECAR_ENGINE_SCORER_H_
#define PULSE_SIDECAR_ENGINE_SCORER_H_

#include <functional>

#include "absl/time/time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

struct ScoreParams {
  absl::Time as_of;
  // Called every few thousand accounts with (scored, total). May be empty.
  std::function<void(int64_t, int64_t)> on_progress;
};

// Assesses every account that existed at params.as_of, using only records
// dated on or before it. Never fails: bad or missing data leaves signals
// absent and is noted in Portfolio::warnings.
Portfolio AssessPortfolio(const CustomerData& data, const EngineConfig& config, const ScoreParams& params);

// "EUR 4,200" (no decimals; amounts under 100 keep two).
std::string FormatMoney(double amount, absl::string_view currency);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_SCORER_H_
