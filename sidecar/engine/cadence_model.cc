#include "sidecar/engine/cadence_model.h"

#include <algorithm>
#include <cmath>

namespace pulse {
namespace {

// Survival function of a lognormal gap with median `median` and log-sd sigma:
// P(gap > t).
double LognormalSurvival(double t, double median, double sigma) {
  if (t <= 0) return 1.0;
  const double z = (std::log(t) - std::log(median)) / sigma;
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

bool AnyOrderIn(const std::vector<OrderDay>& days, int64_t from_exclusive, int64_t to_inclusive) {
  auto it = std::upper_bound(days.begin(), days.end(), from_exclusive,
                             [](int64_t d, const OrderDay& o) { return d < o.day; });
  return it != days.end() && it->day <= to_inclusive;
}

// Checks the earlier years the history covers. Returns how many showed the
// same silence followed by a return (0 when any covered year contradicts it),
// and the share of them with an order within the horizon after this date.
struct SeasonalCheck {
  int years = 0;
  double share_ordered_in_horizon = 0;
};

SeasonalCheck CheckSeason(const std::vector<OrderDay>& days, int64_t as_of_day, int horizon_days) {
  constexpr int64_t kYear = 365;
  constexpr int64_t kSlack = 14;  // seasons shift by a couple of weeks
  SeasonalCheck check;
  const int64_t last = days.back().day;
  if (as_of_day - last < 45) return check;  // a short silence needs no season
  int ordered = 0;
  for (int k = 1; k <= 3; ++k) {
    const int64_t from = last - k * kYear + kSlack;
    const int64_t to = as_of_day - k * kYear - kSlack;
    if (days.front().day > last - k * kYear) break;  // the history does not cover that year
    if (to <= from) break;
    if (AnyOrderIn(days, from, to)) return {};  // that year it was ordering now: this silence is new
    // It came back that year (within a year of the same date).
    if (!AnyOrderIn(days, to, as_of_day - k * kYear + kYear / 2)) return {};
    ++check.years;
    if (AnyOrderIn(days, as_of_day - k * kYear, as_of_day - k * kYear + horizon_days)) ++ordered;
  }
  if (check.years > 0) check.share_ordered_in_horizon = static_cast<double>(ordered) / check.years;
  return check;
}

}  // namespace

double TypicalGapDays(const std::vector<OrderDay>& order_days, int max_gaps) {
  if (order_days.size() < 2) return 0;
  std::vector<double> gaps;
  const size_t n = order_days.size();
  const size_t first = n - 1 > static_cast<size_t>(max_gaps) ? n - 1 - max_gaps : 0;
  for (size_t i = first + 1; i < n; ++i) gaps.push_back(static_cast<double>(order_days[i].day - order_days[i - 1].day));
  std::sort(gaps.begin(), gaps.end());
  const size_t m = gaps.size();
  return m % 2 == 1 ? gaps[m / 2] : 0.5 * (gaps[m / 2 - 1] + gaps[m / 2]);
}

CadenceEstimate EstimateCadence(const std::vector<OrderDay>& order_days, int64_t as_of_day,
                                const CadenceParams& params) {
  CadenceEstimate e;
  if (order_days.empty()) return e;
  e.has_orders = true;
  const size_t n = order_days.size();
  e.days_since_last = static_cast<double>(as_of_day - order_days.back().day);
  if (n >= 2) {
    e.mean_gap_days = static_cast<double>(order_days.back().day - order_days.front().day) / (n - 1);
    double sum_sq = 0;
    for (size_t i = 1; i < n; ++i) {
      const double g = static_cast<double>(order_days[i].day - order_days[i - 1].day);
      sum_sq += (g - e.mean_gap_days) * (g - e.mean_gap_days);
    }
    const double sd = n > 2 ? std::sqrt(sum_sq / (n - 2)) : e.mean_gap_days;
    e.gap_cv = e.mean_gap_days > 0 ? sd / e.mean_gap_days : 1.0;
  }
  e.own_cadence = static_cast<int>(n) >= params.min_orders_for_cadence;
  double sigma;
  if (e.own_cadence) {
    e.typical_gap_days = std::max(1.0, TypicalGapDays(order_days));
    // Spread of the account's own gaps, kept in a sane band: a perfectly
    // regular buyer still varies a little, an erratic one is not uniform.
    const double cv = std::clamp(e.gap_cv, 0.25, 1.5);
    sigma = std::sqrt(std::log(1.0 + cv * cv));
  } else {
    e.typical_gap_days = n >= 2 ? std::max(1.0, 0.5 * (TypicalGapDays(order_days) + params.fallback_gap_days))
                                : params.fallback_gap_days;
    sigma = 1.0;  // little known: wide
  }
  // Dropout chance after the last order: shrinks with the orders seen
  // (a beta(1, 3) prior updated by n orders that were followed by another).
  const double q = 1.0 / (static_cast<double>(n) + 3.0);
  const double d = e.days_since_last;
  const double h = params.horizon_days;
  const double s_d = LognormalSurvival(d, e.typical_gap_days, sigma);
  const double s_dh = LognormalSurvival(d + h, e.typical_gap_days, sigma);
  const double alive_weight = (1.0 - q) * s_d;
  e.p_alive = alive_weight / (alive_weight + q);
  const double p_order_if_alive = s_d > 1e-300 ? 1.0 - s_dh / s_d : 0.0;
  e.p_no_order = std::clamp(1.0 - e.p_alive * p_order_if_alive, 0.0, 1.0);
  if (e.own_cadence) {
    const SeasonalCheck season = CheckSeason(order_days, as_of_day, params.horizon_days);
    if (season.years > 0) {
      // Off-season: as alive as the orders seen say; whether it orders within
      // the horizon is what it did in the same weeks of earlier years.
      e.seasonal_silence = true;
      e.seasonal_years = season.years;
      e.p_alive = 1.0 - q;
      const double p_order = std::clamp(season.share_ordered_in_horizon, 0.1, 0.9);
      e.p_no_order = std::clamp(1.0 - e.p_alive * p_order, 0.0, 1.0);
    }
  }
  return e;
}

}  // namespace pulse
