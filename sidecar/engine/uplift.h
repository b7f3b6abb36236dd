// The measured effect of Pulse's tasks: accounts that got a task (treatment)
// against accounts the same rule picked but held out (holdout), by what they
// did in the following horizon: ordered again or not, and revenue.
//
// Each account counts once per action (its first decision for it) and once
// in the total (its first decision of any kind): later decisions about an
// account depend on what the first did, so they are not independent.
// Only decisions whose horizon has passed by `as_of` are compared (matured);
// younger ones are counted as maturing. Backfilled decisions (planned in
// capacity a holdout account freed) are left out: the holdout has no
// counterpart for them. Intervals are 95 %: Newcombe's hybrid score interval
// for the difference of two proportions, Welch's normal interval for the
// difference of mean revenue.
#ifndef PULSE_SIDECAR_ENGINE_UPLIFT_H_
#define PULSE_SIDECAR_ENGINE_UPLIFT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

struct Interval {
  double low = 0;
  double high = 0;
};

// Wilson score interval for k successes out of n (z = 1.96); [0, 1] for n = 0.
Interval WilsonInterval(int64_t k, int64_t n);
// Newcombe's hybrid score interval (his method 10) for p1 - p2.
Interval NewcombeDifference(int64_t k1, int64_t n1, int64_t k2, int64_t n2);

struct ArmOutcome {
  int64_t decisions = 0;  // matured
  int64_t ordered = 0;    // ordered again within the horizon
  double revenue = 0;     // total within the horizon
  double revenue_sq = 0;  // sum of squares, for the variance
  int64_t maturing = 0;   // horizon not over yet
  double OrderRate() const { return decisions == 0 ? 0 : static_cast<double>(ordered) / decisions; }
  double RevenuePerAccount() const { return decisions == 0 ? 0 : revenue / decisions; }
};

struct UpliftCell {
  std::string action;  // "" = all actions
  std::string tier;    // "" = all tiers
  ArmOutcome treated;
  ArmOutcome holdout;
  // Treated minus holdout order rate, and its interval; valid when both arms
  // have matured decisions.
  bool comparable = false;
  double effect = 0;
  Interval effect_ci;
  double revenue_effect = 0;  // per account
  Interval revenue_effect_ci;
};

// What the priority uses for one action.
struct ActionEffectiveness {
  std::string action;
  double prior = 0;
  // Relative reduction in churn: (churn_holdout - churn_treated) /
  // churn_holdout, clipped to [0, 1]; absent (measured = false) without data.
  bool measured = false;
  double measured_value = 0;
  int64_t smaller_arm = 0;
  double used = 0;  // the blend the planner uses
};

struct UpliftReport {
  absl::Time as_of;
  int horizon_days = 0;
  // Every (action, tier) with decisions, then each action over all tiers,
  // then the total ("", "").
  std::vector<UpliftCell> cells;
  std::vector<ActionEffectiveness> effectiveness;  // one per configured action
  // Filled by the sweep: accounts scored, and those of them in the holdout.
  int64_t accounts = 0;
  int64_t holdout_accounts = 0;
};

struct UpliftParams {
  absl::Time as_of;
  int horizon_days = 90;
};

// `orders` may hold any accounts' orders in any order.
UpliftReport ComputeUplift(const std::vector<ContactDecision>& decisions, const std::vector<Order>& orders,
                           const ContactPolicy& policy, const UpliftParams& params);

// A uniform draw in [0, 1) from the store's secret salt and an account id
// (FNV-1a, 64 bits): the same account always draws the same number, and
// nobody can pick accounts into or out of the holdout without the salt. An
// account is held out when its draw is below its tier's share.
double HoldoutDraw(absl::string_view salt, absl::string_view account_id);

// "Ordered again within 90 days: 62% of 410 accounts with a task vs 48% of
// 41 held out: +14.0 points (95 % interval +1.2 to +25.3)"; "" when no
// decision has matured in both arms.
std::string UpliftSummary(const UpliftReport& report);

// The effectiveness overrides for PlanParams: each measured action's `used`.
std::map<std::string, double> EffectivenessOverrides(const UpliftReport& report);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_UPLIFT_H_
