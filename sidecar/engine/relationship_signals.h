// The signals about the relationship rather than the order rhythm: service
// (slow first responses), contact (frequency falling, key contact gone),
// attention (newsletter engagement, price talk, feedback), and the proactive
// moments (growth potential, health check due, a new customer to onboard).
// Each returns no signal when the data it needs is absent: absent data is an
// absent signal, never a fake zero.
#ifndef PULSE_SIDECAR_ENGINE_RELATIONSHIP_SIGNALS_H_
#define PULSE_SIDECAR_ENGINE_RELATIONSHIP_SIGNALS_H_

#include <optional>

#include "sidecar/engine/account_history.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

// Which kinds of records the CRM has at all (not just this account).
struct DataAvailability {
  bool cases = false;
  bool activities = false;
  bool contacts = false;
  bool engagement = false;
  bool feedback = false;
};

struct SignalContext {
  const AccountHistory* history = nullptr;
  Tier tier = Tier::kTail;
  int64_t today = 0;  // epoch day of the as-of
  std::string currency;
  DataAvailability data;
};

std::optional<Signal> SlowFirstResponse(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> ContactFrequencyFalling(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> KeyContactGone(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> EngagementFalling(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> PriceTalk(const SignalContext& c, const SignalPolicy& p);
// Key and mid accounts only, with at least four order days in the window.
std::optional<Signal> GrowthPotential(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> HealthCheckDue(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> NewCustomer(const SignalContext& c, const SignalPolicy& p);
std::optional<Signal> NegativeFeedback(const SignalContext& c, const SignalPolicy& p);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_RELATIONSHIP_SIGNALS_H_
