#include "sidecar/engine/features.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "sidecar/stats/bgnbd.h"
#include "sidecar/stats/rfm.h"

namespace pulse {
namespace {

constexpr double kWeek = 7.0;

double LogitClamped(double p) {
  p = std::clamp(p, 1e-6, 1 - 1e-6);
  return std::log(p / (1 - p));
}

double StrengthOf(const std::vector<Signal>& signals, const char* id) {
  for (const Signal& s : signals) {
    if (s.id == id) return s.strength;
  }
  return 0;
}

bool HasSignal(const std::vector<Signal>& signals, const char* id) {
  for (const Signal& s : signals) {
    if (s.id == id) return true;
  }
  return false;
}

double RevenueIn(const std::vector<OrderDay>& days, int64_t from_inclusive, int64_t to_inclusive) {
  double sum = 0;
  for (const OrderDay& d : days) {
    if (d.day >= from_inclusive && d.day <= to_inclusive) sum += d.amount;
  }
  return sum;
}

// RFM in weeks at `today`. T is kept strictly positive so that an account
// whose first order is on the cut day still has a defined prediction.
stats::RfmSummary RfmWeeks(const std::vector<OrderDay>& days, int64_t today) {
  const double first = static_cast<double>(days.front().day);
  const double x = static_cast<double>(days.size() - 1);
  const double T = std::max((static_cast<double>(today) - first) / kWeek, 1.0 / kWeek);
  const double t_x = x > 0 ? std::max((static_cast<double>(days.back().day) - first) / kWeek, 1e-3) : 0.0;
  return stats::RfmSummary(x, std::min(t_x, T), T);
}

}  // namespace

const char* FeatureName(int feature) {
  static constexpr const char* kNames[kFeatureCount] = {
      "recency_days",      "recency_gaps",  "frequency",    "tenure",         "log_spend",   "spend_trend",
      "bgnbd_p_alive",     "bgnbd_p_no_order", "cadence_p_no_order", "gap_cv", "seasonal",
      "complaints_rising", "contact_gap",   "owner_inactive", "no_owner",      "volume_falling",
      "slow_first_response", "contact_frequency_falling", "engagement_falling", "price_talk", "negative_feedback"};
  return feature >= 0 && feature < kFeatureCount ? kNames[feature] : "";
}

uint64_t StableHash(const std::string& id) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

PopulationModel FitPopulationModel(const CustomerHistories& histories, int64_t max_accounts) {
  PopulationModel model;
  std::vector<stats::RfmSummary> rows;
  int64_t with_orders = 0;
  for (const AccountHistory& h : histories.accounts) with_orders += h.order_days.empty() ? 0 : 1;
  // A systematic sample keeps the fit's cost bounded on very large books.
  const int64_t stride = max_accounts > 0 && with_orders > max_accounts ? (with_orders + max_accounts - 1) / max_accounts : 1;
  int64_t seen = 0;
  int64_t repeaters = 0;
  rows.reserve(static_cast<size_t>(with_orders / stride + 1));
  for (const AccountHistory& h : histories.accounts) {
    if (h.order_days.empty()) continue;
    if (seen++ % stride != 0) continue;
    if (h.order_days.front().day >= histories.as_of_day) continue;  // T = 0 says nothing yet
    rows.push_back(RfmWeeks(h.order_days, histories.as_of_day));
    if (rows.back().x > 0) ++repeaters;
  }
  if (rows.size() < 30 || repeaters < 10) {
    model.note = absl::StrCat("BG/NBD not fitted: only ", rows.size(), " accounts (", repeaters,
                              " with repeat orders); the own cadence model stands in");
    return model;
  }
  stats::FitOptions options;
  options.threads = 2;
  options.max_iterations = 100;
  options.gradient_tolerance = 1e-7;
  absl::StatusOr<stats::BgNbdFit> fit = stats::FitBgNbd(rows, options);
  if (!fit.ok()) {
    model.note = absl::StrCat("BG/NBD fit failed (", fit.status().message(), "); the own cadence model stands in");
    return model;
  }
  if (fit->degenerate) {
    model.note = absl::StrCat("BG/NBD fit is degenerate (", fit->reason, "); the own cadence model stands in");
    return model;
  }
  model.usable = true;
  model.r = fit->params.r;
  model.alpha = fit->params.alpha;
  model.a = fit->params.a;
  model.b = fit->params.b;
  return model;
}

FeatureRow ComputeFeatures(const AccountHistory& history, const CadenceEstimate& cadence,
                           const std::vector<Signal>& signals, Tier tier, int64_t today,
                           const PopulationModel& population, const FeatureParams& params) {
  FeatureRow row;
  const std::vector<OrderDay>& days = history.order_days;
  if (days.empty()) return row;
  const size_t n = days.size();
  const int64_t first = days.front().day;
  const double since_last = static_cast<double>(std::max<int64_t>(0, today - days.back().day));
  const double tenure = static_cast<double>(std::max<int64_t>(0, today - first));

  row.Set(kFeatRecencyDays, std::log1p(since_last));
  if (n >= 2) {
    const double gap = std::max(1.0, cadence.own_cadence ? cadence.typical_gap_days : TypicalGapDays(days));
    row.Set(kFeatRecencyGaps, std::log1p(since_last / gap));
  }
  row.Set(kFeatFrequency, std::log(static_cast<double>(n)));
  row.Set(kFeatTenure, std::log1p(tenure));

  double total = 0;
  for (const OrderDay& d : days) total += std::max(0.0, d.amount);
  if (total > 0) {
    const double mean = total / static_cast<double>(n);
    row.Set(kFeatLogSpend, std::log1p(mean));
    if (tenure >= 60) {
      const int64_t w = std::min<int64_t>(365, static_cast<int64_t>(tenure / 2));
      const double recent = RevenueIn(days, today - w + 1, today);
      const double earlier = RevenueIn(days, today - 2 * w + 1, today - w);
      const double eps = 0.5 * mean;
      row.Set(kFeatSpendTrend, std::log((recent + eps) / (earlier + eps)));
    }
  }

  double p_alive = cadence.p_alive;
  double p_no_order = cadence.p_no_order;
  if (population.usable) {
    const stats::BgNbdParams bg{population.r, population.alpha, population.a, population.b};
    const stats::RfmSummary rfm = RfmWeeks(days, today);
    const double pa = stats::BgNbdProbabilityAlive(bg, rfm);
    const double pn = stats::BgNbdProbabilityNoPurchase(bg, rfm, params.horizon_days / kWeek);
    if (std::isfinite(pa) && std::isfinite(pn)) {
      p_alive = pa;
      p_no_order = pn;
    }
  }
  row.Set(kFeatBgPAlive, LogitClamped(p_alive));
  row.Set(kFeatBgPNoOrder, LogitClamped(p_no_order));
  row.Set(kFeatCadencePNoOrder, LogitClamped(cadence.p_no_order));
  if (n >= 3) row.Set(kFeatGapCv, std::clamp(cadence.gap_cv, 0.0, 5.0));
  row.Set(kFeatSeasonal, cadence.seasonal_silence ? 1.0 : 0.0);

  if (params.has_cases) row.Set(kFeatComplaints, StrengthOf(signals, kSignalComplaintsRising));
  if (params.has_activities) row.Set(kFeatContactGap, StrengthOf(signals, kSignalContactGap));
  row.Set(kFeatOwnerInactive, HasSignal(signals, kSignalOwnerInactive) ? 1.0 : 0.0);
  row.Set(kFeatNoOwner, StrengthOf(signals, kSignalNoOwner));
  // Volume falling is only defined when a comparable earlier window exists
  // (the same rule the signal uses); otherwise it is absent, not "steady".
  if (total > 0 && n >= 2 && first <= today - params.volume_window_days.For(tier) - 90) {
    row.Set(kFeatVolumeFalling, StrengthOf(signals, kSignalVolumeFalling));
  }
  // The relationship signals, each only where the CRM has its data: an
  // absent source is missing, never a fake zero.
  if (params.has_cases) row.Set(kFeatSlowResponse, StrengthOf(signals, kSignalSlowResponse));
  if (params.has_activities) row.Set(kFeatContactFrequency, StrengthOf(signals, kSignalContactFrequencyFalling));
  if (params.has_engagement) row.Set(kFeatEngagement, StrengthOf(signals, kSignalEngagementFalling));
  if (params.has_cases || params.has_activities || params.has_feedback) {
    row.Set(kFeatPriceTalk, StrengthOf(signals, kSignalPriceTalk));
  }
  if (params.has_feedback) row.Set(kFeatNegativeFeedback, StrengthOf(signals, kSignalNegativeFeedback));
  return row;
}

double NoOrderContinuation(const AccountHistory& history, const CadenceEstimate& at_window,
                           const CadenceEstimate& at_horizon, int64_t today, const PopulationModel& population,
                           int window_days, int horizon_days) {
  if (window_days >= horizon_days || history.order_days.empty()) return 1.0;
  auto ratio = [](double p_horizon, double p_window) {
    if (!(p_window > 1e-12)) return 1.0;  // the model is sure of an order in the window: nothing to extend
    return std::clamp(p_horizon / p_window, 0.0, 1.0);
  };
  if (population.usable) {
    const stats::BgNbdParams bg{population.r, population.alpha, population.a, population.b};
    const stats::RfmSummary rfm = RfmWeeks(history.order_days, today);
    const double p_window = stats::BgNbdProbabilityNoPurchase(bg, rfm, window_days / kWeek);
    const double p_horizon = stats::BgNbdProbabilityNoPurchase(bg, rfm, horizon_days / kWeek);
    if (std::isfinite(p_window) && std::isfinite(p_horizon)) return ratio(p_horizon, p_window);
  }
  return ratio(at_horizon.p_no_order, at_window.p_no_order);
}

CustomerHistories CutHistories(const CustomerHistories& as_of_view, int64_t cut_day, const std::vector<size_t>& keep,
                               std::vector<size_t>* source) {
  if (source != nullptr) source->clear();
  CustomerHistories out;
  out.as_of_day = std::min(cut_day, as_of_view.as_of_day);
  out.users = as_of_view.users;
  out.has_cases = as_of_view.has_cases;
  out.has_activities = as_of_view.has_activities;
  out.has_engagement = as_of_view.has_engagement;
  out.has_feedback = as_of_view.has_feedback;
  // Contacts are kept as they are now: a contact deactivated after the cut
  // would look gone at the cut, so key-contact signals stay off in cuts.
  out.has_contacts = false;
  const int64_t cut = out.as_of_day;
  auto add = [&](size_t index) {
    const AccountHistory& h = as_of_view.accounts[index];
    const Account& acc = *h.account;
    if (acc.created_at.has_value() && EpochDay(*acc.created_at) > cut) return;
    AccountHistory c;
    c.account = h.account;
    c.contacts = h.contacts;
    for (const OrderDay& d : h.order_days) {
      if (d.day > cut) break;  // ascending
      c.order_days.push_back(d);
    }
    c.orders_total = static_cast<int64_t>(c.order_days.size());
    for (const ProductEvent& p : h.products) {
      if (p.day > cut) break;
      c.products.push_back(p);
    }
    for (const CaseEvent& e : h.cases) {
      if (e.opened_day > cut) break;
      CaseEvent k = e;
      const Case& rec = *e.record;
      k.first_response_hours.reset();
      if (rec.first_response_at.has_value() && EpochDay(*rec.first_response_at) <= cut) {
        k.first_response_hours = absl::ToDoubleHours(*rec.first_response_at - rec.opened_at);
      }
      // Open as it was at the cut: a close after the cut was not seen yet.
      k.open = e.open || (rec.closed_at.has_value() && EpochDay(*rec.closed_at) > cut);
      c.cases.push_back(k);
    }
    for (const ActivityEvent& a : h.activities) {
      if (a.day > cut) break;
      c.activities.push_back(a);
    }
    for (const EngagementEvent& e : h.engagement) {
      if (e.day > cut) break;
      c.engagement.push_back(e);
    }
    for (const FeedbackEvent& f : h.feedback) {
      if (f.day > cut) break;
      c.feedback.push_back(f);
    }
    out.accounts.push_back(std::move(c));
    if (source != nullptr) source->push_back(index);
  };
  if (keep.empty()) {
    out.accounts.reserve(as_of_view.accounts.size());
    for (size_t i = 0; i < as_of_view.accounts.size(); ++i) add(i);
  } else {
    out.accounts.reserve(keep.size());
    for (size_t i : keep) add(i);
  }
  return out;
}

bool OrderedBetween(const AccountHistory& history, int64_t from_day, int64_t to_day) {
  auto it = std::upper_bound(history.order_days.begin(), history.order_days.end(), from_day,
                             [](int64_t d, const OrderDay& o) { return d < o.day; });
  return it != history.order_days.end() && it->day <= to_day;
}

}  // namespace pulse
