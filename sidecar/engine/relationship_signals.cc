#include "sidecar/engine/relationship_signals.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

std::string Day(int64_t epoch_day) { return FormatIsoDay(CivilFromEpochDay(epoch_day)); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size();
  return m % 2 == 1 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

std::optional<int64_t> LastTwoWay(const AccountHistory& h) {
  for (auto it = h.activities.rbegin(); it != h.activities.rend(); ++it) {
    if (it->two_way) return it->day;
  }
  return std::nullopt;
}

double Revenue(const AccountHistory& h, int64_t from_exclusive, int64_t to_inclusive) {
  double sum = 0;
  for (const OrderDay& d : h.order_days) {
    if (d.day > from_exclusive && d.day <= to_inclusive) sum += d.amount;
  }
  return sum;
}

bool MentionsPrice(absl::string_view text, const std::vector<std::string>& terms) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (const std::string& t : terms) {
    if (!t.empty() && absl::StrContains(lower, t)) return true;
  }
  return false;
}

}  // namespace

std::optional<Signal> SlowFirstResponse(const SignalContext& c, const SignalPolicy& p) {
  if (!c.data.cases) return std::nullopt;
  const double sla = p.first_response_sla_hours.For(c.tier);
  const int window = p.slow_response_window_days.For(c.tier);
  std::vector<double> earlier;
  std::vector<double> recent;
  for (const CaseEvent& e : c.history->cases) {
    if (!e.first_response_hours.has_value()) continue;
    if (e.opened_day > c.today - window) {
      recent.push_back(*e.first_response_hours);
    } else {
      earlier.push_back(*e.first_response_hours);
    }
  }
  if (recent.empty()) return std::nullopt;
  // Slow against the SLA, or three times the account's own usual.
  const double usual = Median(earlier);
  int slow = 0;
  double worst = 0;
  for (double h : recent) {
    if (h > sla || (usual > 0 && earlier.size() >= 3 && h > 3 * usual && h > 1)) ++slow;
    worst = std::max(worst, h);
  }
  if (slow < p.slow_response_min_cases.For(c.tier)) return std::nullopt;
  Signal s;
  s.id = kSignalSlowResponse;
  s.strength = Clamp01(0.3 + 0.15 * slow + 0.2 * std::min(1.0, worst / (4 * sla)));
  s.evidence = absl::StrFormat("%d of %d cases in the last %d days waited longer than the %.0f h SLA for a first answer "
                               "(slowest %.0f h%s)",
                               slow, static_cast<int>(recent.size()), window, sla, worst,
                               earlier.size() >= 3 ? absl::StrFormat("; usually %.1f h", usual) : "");
  return s;
}

std::optional<Signal> ContactFrequencyFalling(const SignalContext& c, const SignalPolicy& p) {
  if (!c.data.activities) return std::nullopt;
  const int64_t w = p.contact_frequency_window_days.For(c.tier);
  int recent = 0, before = 0;
  for (const ActivityEvent& a : c.history->activities) {
    if (!a.two_way) continue;
    if (a.day > c.today - w) {
      ++recent;
    } else if (a.day > c.today - w - 365) {
      ++before;
    }
  }
  const double baseline = before * static_cast<double>(w) / 365.0;
  if (before < p.contact_frequency_min_baseline.For(c.tier) || baseline <= 0) return std::nullopt;
  const double drop = 1.0 - recent / baseline;
  if (drop < p.contact_frequency_drop_share.For(c.tier)) return std::nullopt;
  Signal s;
  s.id = kSignalContactFrequencyFalling;
  s.strength = Clamp01(drop);
  s.evidence = absl::StrFormat("%d calls, meetings or replies in the last %d days, usually %.1f (%+.0f %%)", recent,
                               static_cast<int>(w), baseline, -100.0 * drop);
  return s;
}

std::optional<Signal> KeyContactGone(const SignalContext& c, const SignalPolicy& p) {
  if (!c.data.contacts) return std::nullopt;
  const AccountHistory& h = *c.history;
  const Contact* gone = nullptr;
  int64_t gone_day = 0;
  for (const Contact* contact : h.contacts) {
    if (contact->active || !contact->updated_at.has_value()) continue;
    const int64_t day = EpochDay(*contact->updated_at);
    // Deactivated within the window and not after the as-of (a later change
    // is not visible yet).
    if (day > c.today || day <= c.today - p.key_contact_window_days.For(c.tier)) continue;
    if (gone == nullptr || day > gone_day) {
      gone = contact;
      gone_day = day;
    }
  }
  if (gone == nullptr) return std::nullopt;
  // A handover: some two-way contact with the account after the change.
  if (const auto last = LastTwoWay(h); last.has_value() && *last >= gone_day) return std::nullopt;
  Signal s;
  s.id = kSignalKeyContactGone;
  const bool decision_maker = absl::StrContains(absl::AsciiStrToLower(gone->role), "buyer") ||
                              absl::StrContains(absl::AsciiStrToLower(gone->role), "purchas") ||
                              absl::StrContains(absl::AsciiStrToLower(gone->role), "ceo") ||
                              absl::StrContains(absl::AsciiStrToLower(gone->role), "manager") ||
                              absl::StrContains(absl::AsciiStrToLower(gone->role), "osto");
  s.strength = decision_maker ? 0.9 : 0.6;
  s.evidence = absl::StrCat("contact ", gone->name.empty() ? gone->id : gone->name,
                            gone->role.empty() ? "" : absl::StrCat(" (", gone->role, ")"), " left on ", Day(gone_day),
                            "; no call, meeting or reply with the account since");
  return s;
}

std::optional<Signal> EngagementFalling(const SignalContext& c, const SignalPolicy& p) {
  if (!c.data.engagement) return std::nullopt;
  const int window = p.engagement_window_days.For(c.tier);
  int64_t recent_sent = 0, recent_opened = 0, before_sent = 0, before_opened = 0;
  for (const EngagementEvent& e : c.history->engagement) {
    if (e.day > c.today - window) {
      recent_sent += e.record->sent;
      recent_opened += e.record->opened;
    } else if (e.day > c.today - window - 365) {
      before_sent += e.record->sent;
      before_opened += e.record->opened;
    }
  }
  const int min_sent = p.engagement_min_sent.For(c.tier);
  if (recent_sent < min_sent || before_sent < min_sent || before_opened == 0) {
    return std::nullopt;
  }
  const double recent_rate = static_cast<double>(recent_opened) / recent_sent;
  const double before_rate = static_cast<double>(before_opened) / before_sent;
  const double drop = 1.0 - recent_rate / before_rate;
  if (drop < p.engagement_drop_share.For(c.tier)) return std::nullopt;
  Signal s;
  s.id = kSignalEngagementFalling;
  s.strength = Clamp01(drop);
  s.evidence = absl::StrFormat("opened %.0f %% of newsletters in the last %d days, %.0f %% the year before", 100 * recent_rate,
                               window, 100 * before_rate);
  return s;
}

std::optional<Signal> PriceTalk(const SignalContext& c, const SignalPolicy& p) {
  if (!c.data.cases && !c.data.activities && !c.data.feedback) return std::nullopt;
  const AccountHistory& h = *c.history;
  const int64_t since = c.today - p.price_talk_window_days.For(c.tier);
  int mentions = 0, total = 0;
  std::string example;
  auto look = [&](int64_t day, absl::string_view text) {
    if (day <= since || text.empty()) return;
    ++total;
    if (MentionsPrice(text, p.price_terms)) {
      ++mentions;
      if (example.empty()) example = std::string(text);
    }
  };
  for (const CaseEvent& e : h.cases) look(e.opened_day, e.record->subject);
  for (const ActivityEvent& a : h.activities) look(a.day, a.record->subject);
  for (const FeedbackEvent& f : h.feedback) look(f.day, f.record->comment);
  if (mentions < p.price_talk_min_mentions.For(c.tier)) return std::nullopt;
  Signal s;
  s.id = kSignalPriceTalk;
  const double share = static_cast<double>(mentions) / std::max(1, total);
  s.strength = Clamp01(0.3 + 0.5 * share + 0.05 * mentions);
  if (example.size() > 60) example = example.substr(0, 57) + "...";
  s.evidence = absl::StrFormat("%d of %d recent cases, calls and comments are about price (e.g. \"%s\")", mentions,
                               total, example);
  return s;
}

std::optional<Signal> GrowthPotential(const SignalContext& c, const SignalPolicy& p) {
  // A growth call is a named seller's conversation: key and mid accounts,
  // with enough orders in the window for the rise to be more than noise.
  if (c.tier == Tier::kTail) return std::nullopt;
  const AccountHistory& h = *c.history;
  const int64_t w = p.volume_window_days.For(c.tier);
  int recent_days = 0;
  for (const OrderDay& d : h.order_days) recent_days += d.day > c.today - w ? 1 : 0;
  if (recent_days < 4) return std::nullopt;
  const int64_t first = h.order_days.front().day;
  const double recent = Revenue(h, c.today - w, c.today);
  double baseline;
  if (first <= c.today - 365 - w) {
    baseline = Revenue(h, c.today - 365 - w, c.today - 365);
  } else if (first <= c.today - w - 90) {
    const int64_t span = std::min<int64_t>(365, c.today - w - first);
    baseline = Revenue(h, c.today - w - span, c.today - w) * static_cast<double>(w) / span;
  } else {
    return std::nullopt;
  }
  if (baseline <= 0) return std::nullopt;
  const double rise = recent / baseline - 1.0;
  if (rise < p.growth_rise_share.For(c.tier)) return std::nullopt;
  Signal s;
  s.id = kSignalGrowthPotential;
  s.strength = Clamp01(rise / 2);
  s.evidence = absl::StrFormat("orders worth %s in the last %d days, up %.0f %% on %s", FormatMoney(recent, c.currency),
                               static_cast<int>(w), 100 * rise, FormatMoney(baseline, c.currency));
  return s;
}

std::optional<Signal> HealthCheckDue(const SignalContext& c, const SignalPolicy& p) {
  if (c.tier != Tier::kKey || !c.data.activities) return std::nullopt;
  const AccountHistory& h = *c.history;
  std::optional<int64_t> last_meeting;
  for (auto it = h.activities.rbegin(); it != h.activities.rend(); ++it) {
    if (it->record->type == ActivityType::kMeeting) {
      last_meeting = it->day;
      break;
    }
  }
  const int interval = p.health_check_interval_days.For(c.tier);
  if (last_meeting.has_value() && c.today - *last_meeting < interval) return std::nullopt;
  Signal s;
  s.id = kSignalHealthCheckDue;
  s.strength = 0.5;
  s.evidence = last_meeting.has_value()
                   ? absl::StrCat("key account: last meeting on ", Day(*last_meeting), ", the yearly health check is due")
                   : "key account with no meeting on record: the yearly health check is due";
  return s;
}

std::optional<Signal> NewCustomer(const SignalContext& c, const SignalPolicy& p) {
  const AccountHistory& h = *c.history;
  if (h.order_days.empty() || !c.data.activities) return std::nullopt;
  const int64_t first = h.order_days.front().day;
  if (c.today - first > p.onboarding_days.For(c.tier)) return std::nullopt;
  if (const auto last = LastTwoWay(h); last.has_value() && *last >= first) return std::nullopt;
  Signal s;
  s.id = kSignalNewCustomer;
  s.strength = 0.5;
  s.evidence = absl::StrFormat("new customer: first order on %s (%d order day%s so far), no onboarding contact yet",
                               Day(first), static_cast<int>(h.order_days.size()), h.order_days.size() == 1 ? "" : "s");
  return s;
}

std::optional<Signal> NegativeFeedback(const SignalContext& c, const SignalPolicy& p) {
  if (!c.data.feedback) return std::nullopt;
  const double nps_max = p.nps_detractor_max.For(c.tier);
  const double csat_max = p.csat_negative_max.For(c.tier);
  const FeedbackEvent* worst = nullptr;
  for (const FeedbackEvent& f : c.history->feedback) {
    if (f.day <= c.today - p.negative_feedback_window_days.For(c.tier)) continue;
    const Feedback& r = *f.record;
    const bool negative = r.scale == FeedbackScale::kNps ? r.score <= nps_max : r.score <= csat_max;
    if (!negative) continue;
    if (worst == nullptr || f.day > worst->day) worst = &f;
  }
  if (worst == nullptr) return std::nullopt;
  const Feedback& r = *worst->record;
  Signal s;
  s.id = kSignalNegativeFeedback;
  s.strength = r.scale == FeedbackScale::kNps ? Clamp01(0.3 + 0.05 * (nps_max - r.score))
                                              : Clamp01(0.3 + 0.15 * (csat_max - r.score + 1));
  std::string comment = r.comment;
  if (comment.size() > 60) comment = comment.substr(0, 57) + "...";
  s.evidence = absl::StrCat(r.scale == FeedbackScale::kNps ? "NPS " : "CSAT ", absl::StrFormat("%.0f", r.score),
                            " on ", Day(worst->day), comment.empty() ? "" : absl::StrCat(": \"", comment, "\""));
  return s;
}

}  // namespace pulse
