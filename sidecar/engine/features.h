// The churn model's view of an account at one cut: a fixed vector of
// features (recency, frequency, tenure, spend and its trend, the population
// BG/NBD model's outputs, the account's own cadence model, and the strengths
// of the signals the order rhythm cannot see), each either present or absent.
// Absent data gives an absent feature (with a missing indicator in the
// model), never a zero that would mean something.
//
// Also the replay machinery the learner needs: earlier cuts of an as-of
// view (so training can never see beyond the as-of) and the labels "no order
// in the following window". Pure: no I/O, deterministic.
#ifndef PULSE_SIDECAR_ENGINE_FEATURES_H_
#define PULSE_SIDECAR_ENGINE_FEATURES_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/engine/account_history.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/cadence_model.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

enum FeatureIndex : int {
  kFeatRecencyDays = 0,    // log(1 + days since the last order day)
  kFeatRecencyGaps,        // log(1 + days since last / typical gap); >= 2 order days
  kFeatFrequency,          // log(order days)
  kFeatTenure,             // log(1 + days since the first order day)
  kFeatLogSpend,           // log(1 + mean amount per order day); needs amounts
  kFeatSpendTrend,         // log((1 + recent rate) / (1 + earlier rate)); needs tenure
  kFeatBgPAlive,           // logit P(alive), population BG/NBD (or own cadence)
  kFeatBgPNoOrder,         // logit P(no order in the horizon), same model
  kFeatCadencePNoOrder,    // logit of the own-cadence model's P(no order)
  kFeatGapCv,              // spread of the account's gaps; >= 3 order days
  kFeatSeasonal,           // 1 in the account's usual off-season
  kFeatComplaints,         // complaints_rising strength; needs case data
  kFeatContactGap,         // contact_gap strength; needs activity data
  kFeatOwnerInactive,      // 1 when the owner is inactive or unknown
  kFeatNoOwner,            // no_owner strength
  kFeatVolumeFalling,      // volume_falling strength; needs a comparable window
  kFeatSlowResponse,       // slow_first_response strength; needs case data
  kFeatContactFrequency,   // contact_frequency_falling strength; needs activity data
  kFeatEngagement,         // engagement_falling strength; needs newsletter data
  kFeatPriceTalk,          // price_talk strength; needs case, activity or feedback data
  kFeatNegativeFeedback,   // negative_feedback strength; needs feedback data
  kFeatureCount
};

// Stable names ("recency_days", ...), used in contributions and reports.
const char* FeatureName(int feature);

struct FeatureRow {
  std::array<double, kFeatureCount> value{};
  std::array<bool, kFeatureCount> present{};
  void Set(int f, double v) {
    value[f] = v;
    present[f] = true;
  }
};

// What the scorer computed for one account at a cut, besides its orders.
struct AccountCutView {
  CadenceEstimate cadence;
  std::vector<Signal> signals;
  Tier tier = Tier::kTail;  // as assigned at the cut
};

// The population BG/NBD fit at one cut, in weeks. When the fit failed or
// is degenerate, `usable` is false, `note` says why, and the own cadence
// model stands in for it.
struct PopulationModel {
  bool usable = false;
  double r = 0, alpha = 0, a = 0, b = 0;
  std::string note;
};

// Fits BG/NBD on the RFM (in weeks) of every account in `histories` with
// orders (at most `max_accounts`, picked deterministically by id). Never fails.
PopulationModel FitPopulationModel(const CustomerHistories& histories, int64_t max_accounts);

struct FeatureParams {
  int horizon_days = 90;
  PerTier<int> volume_window_days = 180;  // SignalPolicy::volume_window_days
  bool has_cases = false;        // the CRM has case data at all
  bool has_activities = false;   // the CRM has activity data at all
  bool has_engagement = false;   // the CRM has newsletter engagement at all
  bool has_feedback = false;     // the CRM has feedback (NPS, CSAT) at all
};

// The features of one account with at least one order day at `today`.
// `cadence`, `signals` and `tier` are what the scorer computed for it at
// `today` (the tier picks its per-tier settings).
FeatureRow ComputeFeatures(const AccountHistory& history, const CadenceEstimate& cadence,
                           const std::vector<Signal>& signals, Tier tier, int64_t today,
                           const PopulationModel& population, const FeatureParams& params);

// The cadence model's probability that the account places no order in
// (window, horizon] given that it placed none in (0, window]:
// P(no order in horizon) / P(no order in window), in [0, 1]. It extends a
// probability learned on `window_days` labels to the horizon when the history
// was too short for horizon-long labels. Uses the population BG/NBD model
// when usable (and finite for the account), else the own cadence model's
// estimates at the two lengths. 1 when window_days >= horizon_days or the
// account has no orders.
double NoOrderContinuation(const AccountHistory& history, const CadenceEstimate& at_window,
                           const CadenceEstimate& at_horizon, int64_t today, const PopulationModel& population,
                           int window_days, int horizon_days);

// `as_of_view` cut again at the earlier day `cut_day` (<= its as_of_day):
// only records on or before cut_day, accounts created by then, cases open
// as they were then. Only accounts whose index is in `keep` (all when
// empty). Everything comes from `as_of_view`, so nothing later than its own
// as-of can ever leak in. The result points into the same records. When
// `source` is not null it receives, per account of the result, its index in
// `as_of_view`.
CustomerHistories CutHistories(const CustomerHistories& as_of_view, int64_t cut_day,
                               const std::vector<size_t>& keep = {}, std::vector<size_t>* source = nullptr);

// True when the account ordered in (from_day, to_day].
bool OrderedBetween(const AccountHistory& history, int64_t from_day, int64_t to_day);

// A deterministic 64-bit hash of an id (FNV-1a), for sampling accounts.
uint64_t StableHash(const std::string& id);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_FEATURES_H_
