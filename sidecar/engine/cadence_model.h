// The account's own ordering rhythm as a probability: given its gaps between
// order days and how long it has been silent, how likely is it to place no
// order within the horizon?
//
// The model: the next gap is lognormal around the account's typical gap (the
// median of its recent gaps) with the spread of its own gaps; after each
// order the customer may also have left for good (a dropout chance that
// shrinks with the number of orders seen, as in BG/NBD). Silence longer than
// the rhythm explains shifts the odds towards "left", by Bayes' rule.
// Accounts with too few orders borrow the typical gap of their tier.
// A seasonal buyer's off-season is recognised: when every earlier year the
// history covers was just as silent over the same dates and the account
// ordered again afterwards, the silence is not evidence of leaving, and the
// probability of no order follows what it did in the same weeks before.
#ifndef PULSE_SIDECAR_ENGINE_CADENCE_MODEL_H_
#define PULSE_SIDECAR_ENGINE_CADENCE_MODEL_H_

#include <vector>

#include "sidecar/engine/account_history.h"

namespace pulse {

struct CadenceEstimate {
  bool has_orders = false;
  bool own_cadence = false;     // enough orders for a rhythm of its own
  double typical_gap_days = 0;  // median of recent gaps (or borrowed)
  double mean_gap_days = 0;
  double gap_cv = 0;            // coefficient of variation of the gaps
  double days_since_last = 0;
  double p_alive = 0;
  double p_no_order = 0;  // within the horizon
  // The silence since the last order matches the account's own previous
  // years: it was just as silent at this time of year and then ordered again.
  bool seasonal_silence = false;
  int seasonal_years = 0;  // how many earlier years showed it
};

struct CadenceParams {
  int horizon_days = 90;
  int min_orders_for_cadence = 3;
  // Gap to assume when the account has too few orders of its own.
  double fallback_gap_days = 60;
};

// Estimates from ascending, same-day-merged order days; `as_of_day` is the
// cut (days since epoch).
CadenceEstimate EstimateCadence(const std::vector<OrderDay>& order_days, int64_t as_of_day,
                                const CadenceParams& params);

// Median of the gaps between consecutive order days, over at most the last
// `max_gaps` gaps; 0 when fewer than two order days.
double TypicalGapDays(const std::vector<OrderDay>& order_days, int max_gaps = 12);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_CADENCE_MODEL_H_
