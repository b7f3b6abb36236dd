#include "sidecar/engine/scorer.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "sidecar/common/parallel.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/account_history.h"
#include "sidecar/engine/cadence_model.h"
#include "sidecar/engine/churn_learner.h"
#include "sidecar/engine/features.h"
#include "sidecar/engine/relationship_signals.h"

namespace pulse {
namespace {

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double Logit(double p) {
  p = std::clamp(p, 1e-4, 1 - 1e-4);
  return std::log(p / (1 - p));
}

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

std::string Day(int64_t epoch_day) { return FormatIsoDay(CivilFromEpochDay(epoch_day)); }

double RevenueBetween(const std::vector<OrderDay>& days, int64_t from_exclusive, int64_t to_inclusive) {
  double sum = 0;
  for (const OrderDay& d : days) {
    if (d.day > from_exclusive && d.day <= to_inclusive) sum += d.amount;
  }
  return sum;
}

// Everything about one account the signals read, computed once.
struct AccountFacts {
  const AccountHistory* history = nullptr;
  CadenceEstimate cadence;
  double annual_value = 0;
  std::string currency;
  Tier tier = Tier::kTail;
  const User* owner = nullptr;
};

void AssignTiers(std::vector<AccountFacts>& facts, const TierPolicy& policy) {
  std::vector<size_t> order(facts.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (facts[a].annual_value != facts[b].annual_value) return facts[a].annual_value > facts[b].annual_value;
    return facts[a].history->account->id < facts[b].history->account->id;
  });
  double total = 0;
  for (const auto& f : facts) total += std::max(0.0, f.annual_value);
  const size_t n = facts.size();
  const size_t key_cap = static_cast<size_t>(std::floor(policy.key_max_account_share * n));
  const size_t mid_count = static_cast<size_t>(std::round(policy.mid_account_share * n));
  double cumulative = 0;
  size_t key_count = 0;
  for (size_t rank = 0; rank < n; ++rank) {
    AccountFacts& f = facts[order[rank]];
    const bool key = total > 0 && f.annual_value > 0 && key_count < key_cap &&
                     cumulative < policy.key_revenue_share * total;
    if (key) {
      f.tier = Tier::kKey;
      ++key_count;
      cumulative += f.annual_value;
    } else if (rank < key_count + mid_count && f.annual_value > 0) {
      f.tier = Tier::kMid;
    } else {
      f.tier = Tier::kTail;
    }
  }
  if (policy.use_crm_tier) {
    for (auto& f : facts) {
      if (f.history->account->crm_tier != Tier::kUnspecified) f.tier = f.history->account->crm_tier;
    }
  }
}

std::optional<Signal> StoppedOrdering(const AccountFacts& f, const SignalPolicy& p) {
  const CadenceEstimate& c = f.cadence;
  if (!c.has_orders) return std::nullopt;
  const double d = c.days_since_last;
  if (c.seasonal_silence) return std::nullopt;  // its usual off-season
  const double ratio = p.overdue_ratio.For(f.tier);
  const double threshold = std::max<double>(p.overdue_min_days.For(f.tier), ratio * c.typical_gap_days);
  if (c.own_cadence) {
    if (d < threshold) return std::nullopt;
    Signal s;
    s.id = kSignalStoppedOrdering;
    const double overdue = d / c.typical_gap_days;
    s.strength = Clamp01(0.5 + 0.5 * (overdue - ratio) / (2.0 * ratio));
    s.evidence = absl::StrFormat("last order %d days ago (%s); orders every %.0f days typically", static_cast<int>(d),
                                 Day(f.history->order_days.back().day), c.typical_gap_days);
    return s;
  }
  // Too few orders for a rhythm of its own: only a long silence counts.
  if (d < threshold) return std::nullopt;
  Signal s;
  s.id = kSignalStoppedOrdering;
  s.strength = Clamp01(0.3 + 0.4 * (d - threshold) / threshold);
  s.evidence = absl::StrFormat("last order %d days ago (%s); only %d order day%s so far", static_cast<int>(d),
                               Day(f.history->order_days.back().day), static_cast<int>(f.history->order_days.size()),
                               f.history->order_days.size() == 1 ? "" : "s");
  return s;
}

std::optional<Signal> VolumeFalling(const AccountFacts& f, int64_t today, const SignalPolicy& p) {
  const auto& days = f.history->order_days;
  if (days.size() < 2) return std::nullopt;
  const int64_t w = p.volume_window_days.For(f.tier);
  const int64_t first = days.front().day;
  const double recent = RevenueBetween(days, today - w, today);
  double baseline;
  std::string basis;
  if (first <= today - 365 - w) {
    // Two comparable windows: the same period last year (seasonal buyers are
    // compared with their own season).
    baseline = RevenueBetween(days, today - 365 - w, today - 365);
    basis = "the same period last year";
  } else if (first <= today - w - 90) {
    // The time before the window, scaled to the window's length.
    const int64_t span = std::min<int64_t>(365, today - w - first);
    baseline = RevenueBetween(days, today - w - span, today - w) * static_cast<double>(w) / span;
    basis = absl::StrCat("the ", span, " days before, scaled");
  } else {
    return std::nullopt;
  }
  if (baseline <= 0) return std::nullopt;
  const double drop = 1.0 - recent / baseline;
  if (drop < p.volume_drop_share.For(f.tier)) return std::nullopt;
  Signal s;
  s.id = kSignalVolumeFalling;
  s.strength = Clamp01(drop);
  s.evidence = absl::StrFormat("orders worth %s in the last %d days vs %s in %s (%+.0f %%)",
                               FormatMoney(recent, f.currency), static_cast<int>(w), FormatMoney(baseline, f.currency),
                               basis, -100.0 * drop);
  return s;
}

std::optional<Signal> ComplaintsRising(const AccountFacts& f, int64_t today, const SignalPolicy& p) {
  const auto& cases = f.history->cases;
  if (cases.empty()) return std::nullopt;
  const int64_t w = p.complaint_window_days.For(f.tier);
  const int min_cases = p.complaint_min_cases.For(f.tier);
  int in_window = 0, before = 0, open_in_window = 0;
  absl::flat_hash_map<std::string, int> categories;
  absl::flat_hash_map<std::string, int> open_categories;
  int64_t first_in_window = 0;
  for (const CaseEvent& c : cases) {
    if (c.opened_day > today - w) {
      if (in_window == 0) first_in_window = c.opened_day;
      ++in_window;
      const std::string& cat = c.record->category;
      if (!cat.empty()) ++categories[cat];
      if (c.open) {
        ++open_in_window;
        if (!cat.empty()) ++open_categories[cat];
      }
    } else if (c.opened_day > today - w - 365) {
      ++before;
    }
  }
  if (in_window < min_cases) return std::nullopt;
  const double baseline = before * static_cast<double>(w) / 365.0;
  // Repeat: the same category more than once in the window while one is open.
  std::string repeat_category;
  int repeat_count = 0;
  for (const auto& [cat, n] : categories) {
    if (n >= 2 && open_categories.contains(cat) && (n > repeat_count || (n == repeat_count && cat < repeat_category))) {
      repeat_category = cat;
      repeat_count = n;
    }
  }
  // Rising means clearly above the account's own rate (a ratio and at least
  // two more than usual), unless one category keeps coming back unresolved.
  const bool rising =
      in_window > p.complaint_rise_ratio.For(f.tier) * std::max(baseline, 0.5) && in_window >= baseline + 2.0;
  if (!rising && repeat_count == 0) return std::nullopt;
  Signal s;
  s.id = kSignalComplaintsRising;
  s.strength = Clamp01(0.4 + 0.15 * (in_window - min_cases) + 0.1 * open_in_window +
                       (repeat_count > 0 ? 0.2 : 0.0));
  s.evidence = absl::StrFormat("%d cases in the last %d days (usually %.1f)", in_window, static_cast<int>(w), baseline);
  if (open_in_window > 0) absl::StrAppend(&s.evidence, absl::StrFormat(", %d still open", open_in_window));
  if (repeat_count > 0) {
    absl::StrAppend(&s.evidence, absl::StrFormat("; %d about %s since %s, not resolved", repeat_count, repeat_category,
                                                 Day(first_in_window)));
  }
  return s;
}

std::optional<Signal> ContactGap(const AccountFacts& f, int64_t today, const SignalPolicy& p, bool have_activities) {
  if (!have_activities) return std::nullopt;  // the CRM has no activities: no signal, not a fake gap
  const AccountHistory& h = *f.history;
  const int norm = p.contact_gap_days.For(f.tier);
  std::optional<int64_t> last;
  for (auto it = h.activities.rbegin(); it != h.activities.rend(); ++it) {
    if (it->two_way) {
      last = it->day;
      break;
    }
  }
  int64_t since;
  std::string evidence;
  if (last.has_value()) {
    since = today - *last;
    evidence = absl::StrFormat("no call, meeting or reply for %d days (since %s; norm for the tier: %d)",
                               static_cast<int>(since), Day(*last), norm);
  } else {
    // Never contacted: count from when the relationship began.
    int64_t start = h.order_days.empty() ? today : h.order_days.front().day;
    if (h.account->created_at.has_value()) start = std::min(start, EpochDay(*h.account->created_at));
    since = today - start;
    evidence = absl::StrFormat("no two-way contact on record in %d days as a customer (norm for the tier: %d)",
                               static_cast<int>(since), norm);
  }
  if (since <= norm) return std::nullopt;
  Signal s;
  s.id = kSignalContactGap;
  s.strength = Clamp01(0.3 + 0.7 * (since - norm) / static_cast<double>(norm));
  s.evidence = std::move(evidence);
  return s;
}

std::vector<OverdueProduct> FindOverdueProducts(const AccountHistory& h, int64_t today) {
  struct Seen {
    std::vector<int64_t> days;
    const OrderLine* line = nullptr;
  };
  absl::flat_hash_map<std::string, Seen> by_sku;
  for (const ProductEvent& e : h.products) {
    const std::string& key = e.line->sku.empty() ? e.line->product : e.line->sku;
    if (key.empty()) continue;
    Seen& s = by_sku[key];
    if (s.days.empty() || s.days.back() != e.day) s.days.push_back(e.day);
    s.line = e.line;
  }
  std::vector<OverdueProduct> out;
  for (auto& [key, s] : by_sku) {
    if (s.days.size() < 3) continue;
    std::vector<OrderDay> od;
    for (int64_t d : s.days) od.push_back({d, 0});
    const double interval = TypicalGapDays(od);
    const int64_t since = today - s.days.back();
    if (interval <= 0 || since < 1.5 * interval) continue;
    OverdueProduct p;
    p.sku = s.line->sku;
    p.product = s.line->product;
    p.times_ordered = static_cast<int>(s.days.size());
    p.usual_interval_days = interval;
    p.days_since_last = static_cast<int>(since);
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const OverdueProduct& a, const OverdueProduct& b) {
    if (a.times_ordered != b.times_ordered) return a.times_ordered > b.times_ordered;
    return a.sku < b.sku;
  });
  if (out.size() > 5) out.resize(5);
  return out;
}

void ChooseAction(AccountAssessment& a) {
  auto find = [&](absl::string_view id) -> const Signal* {
    for (const Signal& s : a.signals) {
      if (s.id == id) return &s;
    }
    return nullptr;
  };
  // A long-tail account without an owner that only drifted from its regular
  // products gets a personal reminder; anyone else who stopped gets a call.
  const ActionKind stopped_action = a.tier == Tier::kTail && !a.overdue_products.empty() && !a.owner_active
                                        ? ActionKind::kReorderReminder
                                        : ActionKind::kWinBack;
  // The first rule whose signal is present decides: service problems first,
  // then a customer who stopped, then fading relationships, then the
  // proactive moments.
  struct Rule {
    const char* signal;
    ActionKind action;
    const char* why;
    bool tail_too = true;
  };
  const Rule rules[] = {
      {kSignalComplaintsRising, ActionKind::kServiceRecovery, "complaints are rising: "},
      {kSignalSlowResponse, ActionKind::kServiceRecovery, "our replies have been slow: "},
      {kSignalStoppedOrdering, stopped_action, "stopped ordering: "},
      {kSignalVolumeFalling, ActionKind::kCheckIn, "orders falling: "},
      {kSignalKeyContactGone, ActionKind::kCheckIn, "their contact person changed without a handover: "},
      {kSignalPriceTalk, ActionKind::kCheckIn, "talk is turning to price: "},
      {kSignalOwnerInactive, ActionKind::kCheckIn, ""},
      {kSignalNegativeFeedback, ActionKind::kCheckIn, "unhappy feedback: "},
      {kSignalContactGap, ActionKind::kCheckIn, "contact has lapsed: "},
      {kSignalContactFrequencyFalling, ActionKind::kCheckIn, "contact is thinning out: "},
      {kSignalEngagementFalling, ActionKind::kCheckIn, "newsletter engagement falling: ", /*tail_too=*/false},
      {kSignalNewCustomer, ActionKind::kOnboarding, ""},
      {kSignalHealthCheckDue, ActionKind::kHealthCheck, ""},
      {kSignalGrowthPotential, ActionKind::kGrowth, "growth potential: "},
  };
  for (const Rule& rule : rules) {
    if (!rule.tail_too && a.tier == Tier::kTail) continue;
    if (const Signal* s = find(rule.signal)) {
      a.action = rule.action;
      a.action_reason = absl::StrCat(rule.why, s->evidence);
      // The reason that decided the action leads the list people read.
      std::stable_partition(a.signals.begin(), a.signals.end(),
                            [&](const Signal& x) { return x.id == rule.signal; });
      return;
    }
  }
}


// Facts for every account of `histories` (cadence for `horizon_days`, annual
// value, owner), tiers assigned; amounts in evidence carry the account's
// currency when `with_currency`.
std::vector<AccountFacts> BuildFacts(const CustomerHistories& histories, const EngineConfig& config, int horizon_days,
                                     bool with_currency, int threads) {
  const int64_t today = histories.as_of_day;
  std::vector<AccountFacts> facts(histories.accounts.size());
  // Population gap for accounts too young for a cadence of their own.
  std::vector<double> own_gaps;
  for (const AccountHistory& h : histories.accounts) {
    if (static_cast<int>(h.order_days.size()) >= config.signals.min_orders_for_cadence) {
      own_gaps.push_back(TypicalGapDays(h.order_days));
    }
  }
  CadenceParams cadence_params;
  cadence_params.horizon_days = horizon_days;
  cadence_params.min_orders_for_cadence = config.signals.min_orders_for_cadence;
  if (!own_gaps.empty()) {
    std::nth_element(own_gaps.begin(), own_gaps.begin() + own_gaps.size() / 2, own_gaps.end());
    cadence_params.fallback_gap_days = std::max(7.0, own_gaps[own_gaps.size() / 2]);
  }
  ParallelFor(histories.accounts.size(), threads, 1024, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const AccountHistory& h = histories.accounts[i];
      AccountFacts& f = facts[i];
      f.history = &h;
      f.cadence = EstimateCadence(h.order_days, today, cadence_params);
      const double trailing = RevenueBetween(h.order_days, today - 365, today);
      const double previous = RevenueBetween(h.order_days, today - 730, today - 365);
      double annual = std::max(trailing, previous);
      if (!h.order_days.empty()) {
        const int64_t tenure = today - h.order_days.front().day;
        if (tenure < 365) annual = trailing * 365.0 / std::max<int64_t>(tenure, 90);
      }
      f.annual_value = std::max(0.0, annual);
      if (with_currency) f.currency = std::string(h.currency);
      if (!h.account->owner_id.empty()) {
        if (auto it = histories.users.find(h.account->owner_id); it != histories.users.end()) f.owner = it->second;
      }
    }
  });
  AssignTiers(facts, config.tiers);
  return facts;
}

// Every signal of one account, in a fixed order (not yet by strength).
std::vector<Signal> ComputeSignals(const AccountFacts& f, const CustomerHistories& histories,
                                   const EngineConfig& config) {
  const int64_t today = histories.as_of_day;
  const bool have_activities = histories.has_activities;
  std::vector<Signal> signals;
  const Account& acc = *f.history->account;
  if (auto s = StoppedOrdering(f, config.signals)) signals.push_back(std::move(*s));
  if (auto s = VolumeFalling(f, today, config.signals)) signals.push_back(std::move(*s));
  if (auto s = ComplaintsRising(f, today, config.signals)) signals.push_back(std::move(*s));
  if (auto s = ContactGap(f, today, config.signals, have_activities)) signals.push_back(std::move(*s));
  if (acc.owner_id.empty()) {
    Signal s;
    s.id = kSignalNoOwner;
    s.strength = f.tier == Tier::kTail ? 0.4 : 1.0;
    s.evidence = f.tier == Tier::kTail ? "no owner in the CRM (long tail: the pool team looks after it)"
                                       : absl::StrCat("no owner in the CRM for a ", TierName(f.tier), " account");
    signals.push_back(std::move(s));
  } else if (f.owner == nullptr || !f.owner->active) {
    Signal s;
    s.id = kSignalOwnerInactive;
    s.strength = 1.0;
    s.evidence = f.owner == nullptr
                     ? absl::StrCat("owner '", acc.owner_id, "' is not a user in the CRM")
                     : absl::StrCat("owner ", f.owner->name.empty() ? f.owner->id : f.owner->name,
                                    " is inactive in the CRM; the account needs a new owner");
    signals.push_back(std::move(s));
  }
  SignalContext context;
  context.history = f.history;
  context.tier = f.tier;
  context.today = today;
  context.currency = f.currency;
  context.data = {histories.has_cases, histories.has_activities, histories.has_contacts, histories.has_engagement,
                  histories.has_feedback};
  const SignalPolicy& p = config.signals;
  for (auto signal : {SlowFirstResponse(context, p), ContactFrequencyFalling(context, p), KeyContactGone(context, p),
                      EngagementFalling(context, p), PriceTalk(context, p), NegativeFeedback(context, p),
                      GrowthPotential(context, p), HealthCheckDue(context, p), NewCustomer(context, p)}) {
    if (signal.has_value()) signals.push_back(std::move(*signal));
  }
  return signals;
}

// The most contributions an assessment keeps for people.
constexpr size_t kMaxContributions = 6;

// The learned model's P(no order in the horizon) for one account. The model
// learned from labels of model.label_window_days, so its features are
// computed at that window, as in training (`at_window` is the cadence
// estimate for it). When the window is shorter than the horizon the
// probability is extended to the horizon with the cadence model's
// conditional survival, and the log-odds that adds is one more contribution
// ("horizon_extension"), so the contributions still sum to the log-odds.
double LearnedChurnProbability(const ChurnModel& model, const AccountHistory& h, const CadenceEstimate& at_window,
                               const CadenceEstimate& at_horizon, const std::vector<Signal>& signals, Tier tier,
                               int64_t today, const PopulationModel& population, const FeatureParams& params,
                               std::vector<FeatureContribution>* contributions) {
  FeatureParams window_params = params;
  window_params.horizon_days = std::min(params.horizon_days, model.label_window_days);
  const FeatureRow row = ComputeFeatures(h, at_window, signals, tier, today, population, window_params);
  const double p_window = PredictChurn(model, row, contributions);
  if (window_params.horizon_days >= params.horizon_days) return p_window;
  const double p = p_window * NoOrderContinuation(h, at_window, at_horizon, today, population,
                                                  window_params.horizon_days, params.horizon_days);
  auto exact_logit = [](double q) {
    q = std::clamp(q, 1e-12, 1 - 1e-12);
    return std::log(q / (1 - q));
  };
  const double shift = exact_logit(p) - exact_logit(p_window);
  if (std::fabs(shift) > 1e-6) {
    FeatureContribution c{"horizon_extension", shift};
    const auto at = std::find_if(contributions->begin(), contributions->end(), [&](const FeatureContribution& x) {
      return std::fabs(x.log_odds) < std::fabs(shift);
    });
    contributions->insert(at, std::move(c));
  }
  return p;
}

}  // namespace

std::string FormatMoney(double amount, absl::string_view currency) {
  std::string digits;
  const bool negative = amount < 0;
  const double v = std::fabs(amount);
  if (v < 100) {
    digits = absl::StrFormat("%.2f", v);
  } else {
    const std::string raw = absl::StrFormat("%.0f", v);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (i > 0 && (raw.size() - i) % 3 == 0) digits.push_back(',');
      digits.push_back(raw[i]);
    }
  }
  std::string out = currency.empty() ? "" : absl::StrCat(currency, " ");
  if (negative) out.push_back('-');
  return out + digits;
}

Portfolio AssessPortfolio(const CustomerData& data, const EngineConfig& config, const ScoreParams& params,
                          ScoreTimings* timings) {
  ScoreTimings unused;
  ScoreTimings& t = timings != nullptr ? *timings : unused;
  absl::Time phase_start = absl::Now();
  auto lap = [&phase_start](double& into) {
    const absl::Time now = absl::Now();
    into += absl::ToDoubleSeconds(now - phase_start);
    phase_start = now;
  };
  Portfolio portfolio;
  portfolio.as_of = params.as_of;
  portfolio.cadence_model = "own-cadence";
  for (const User& u : data.users) portfolio.users[u.id] = u;

  const CustomerHistories histories = BuildHistories(data, params.as_of);
  lap(t.histories_seconds);
  const int64_t today = histories.as_of_day;
  if (histories.orphan_records > 0) {
    portfolio.warnings.push_back(
        absl::StrCat(histories.orphan_records, " records name an account the CRM does not list; they were ignored"));
  }

  const int64_t total = static_cast<int64_t>(histories.accounts.size());
  const int horizon = config.contact.horizon_days;
  const int threads = ResolveThreadCount(params.threads);
  const std::vector<AccountFacts> facts = BuildFacts(histories, config, horizon, /*with_currency=*/true, threads);
  lap(t.facts_seconds);

  // The learned combination, when the history can teach one: replay earlier
  // cuts of this same view (nothing after the as-of exists in it).
  FeatureParams feature_params;
  feature_params.horizon_days = horizon;
  feature_params.volume_window_days = config.signals.volume_window_days;
  feature_params.has_cases = histories.has_cases;
  feature_params.has_activities = histories.has_activities;
  feature_params.has_engagement = histories.has_engagement;
  feature_params.has_feedback = histories.has_feedback;
  ChurnModel model;
  PopulationModel population;
  const auto same_kinds = [](const FeatureParams& x, const FeatureParams& y) {
    return x.horizon_days == y.horizon_days && x.volume_window_days == y.volume_window_days &&
           x.has_cases == y.has_cases && x.has_activities == y.has_activities &&
           x.has_engagement == y.has_engagement && x.has_feedback == y.has_feedback;
  };
  const std::shared_ptr<const LearnedState>& reuse = params.reuse_learned;
  if (config.churn_model.learn && reuse != nullptr && reuse->as_of_day == today &&
      same_kinds(reuse->features, feature_params)) {
    model = reuse->model;
    population = reuse->population;
    if (model.trained && !population.usable) portfolio.warnings.push_back(population.note);
    portfolio.churn_model_summary = absl::StrCat(model.summary, "; reused from earlier today");
    portfolio.learned = reuse;
  } else if (config.churn_model.learn) {
    const CutEvaluator evaluate = [&config, threads](const CustomerHistories& cut, int cut_horizon) {
      const std::vector<AccountFacts> cut_facts = BuildFacts(cut, config, cut_horizon, false, threads);
      std::vector<AccountCutView> views(cut_facts.size());
      ParallelFor(cut_facts.size(), threads, 512, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          views[i].cadence = cut_facts[i].cadence;
          views[i].signals = ComputeSignals(cut_facts[i], cut, config);
          views[i].tier = cut_facts[i].tier;  // the tier at the cut picks the per-tier settings
        }
      });
      return views;
    };
    model = TrainChurnModel(histories, evaluate, feature_params, config.churn_model);
    lap(t.learn_seconds);
    if (model.trained) {
      population = FitPopulationModel(histories, config.churn_model.max_fit_accounts);
      lap(t.population_seconds);
      if (!population.usable) portfolio.warnings.push_back(population.note);
    }
    portfolio.churn_model_summary = model.summary;
    auto learned = std::make_shared<LearnedState>();
    learned->as_of_day = today;
    learned->features = feature_params;
    learned->model = model;
    learned->population = population;
    portfolio.learned = std::move(learned);
  } else {
    portfolio.churn_model_summary = "hand weights: learning is switched off";
  }
  if (model.trained) portfolio.cadence_model = population.usable ? "learned+bgnbd" : "learned+own-cadence";
  // The cadence at the model's label window, when that is shorter than the
  // horizon (the features must describe the window the labels used).
  const std::vector<AccountFacts> window_facts =
      model.trained && model.label_window_days < horizon
          ? BuildFacts(histories, config, model.label_window_days, false, threads)
          : std::vector<AccountFacts>();

  // Each account's assessment is independent of the others': score them on
  // all cores, each into its own slot, so the result does not depend on the
  // number of threads.
  std::vector<AccountAssessment> assessed(facts.size());
  std::atomic<int64_t> done{0};
  const std::thread::id caller = std::this_thread::get_id();
  auto assess = [&](size_t i) {
    const AccountFacts& f = facts[i];
    const AccountHistory& h = *f.history;
    const Account& acc = *h.account;
    AccountAssessment a;
    a.account_id = acc.id;
    a.name = acc.name;
    a.country = acc.country;
    a.tier = f.tier;
    a.owner_id = acc.owner_id;
    a.owner_active = f.owner != nullptr && f.owner->active;
    a.do_not_contact = acc.do_not_contact;
    a.annual_value = f.annual_value;
    a.orders_total = h.orders_total;
    if (!h.order_days.empty()) {
      a.first_order_day = CivilFromEpochDay(h.order_days.front().day);
      a.last_order_day = CivilFromEpochDay(h.order_days.back().day);
    }
    a.typical_gap_days = f.cadence.own_cadence ? f.cadence.typical_gap_days : 0;
    a.mean_gap_days = f.cadence.mean_gap_days;
    for (const CaseEvent& c : h.cases) a.open_cases += c.open ? 1 : 0;
    for (auto it = h.activities.rbegin(); it != h.activities.rend(); ++it) {
      if (it->two_way) {
        a.last_two_way_contact_day = CivilFromEpochDay(it->day);
        break;
      }
    }
    for (auto it = h.activities.rbegin(); it != h.activities.rend(); ++it) {
      const Activity& act = *it->record;
      if (act.type == ActivityType::kMeeting ||
          (act.type == ActivityType::kCall && act.direction != Direction::kInbound)) {
        a.last_proactive_contact_day = CivilFromEpochDay(it->day);
        break;
      }
    }
    if (!h.feedback.empty()) a.last_feedback_day = CivilFromEpochDay(h.feedback.back().day);
    a.overdue_products = FindOverdueProducts(h, today);

    a.signals = ComputeSignals(f, histories, config);

    // Churn probability: the cadence model's P(no order in the horizon),
    // shifted in log-odds by what the order rhythm cannot see.
    if (f.cadence.has_orders && model.trained) {
      // The learned model: every feature's share of the log-odds is kept.
      const CadenceEstimate& at_window = window_facts.empty() ? f.cadence : window_facts[i].cadence;
      a.churn_probability = LearnedChurnProbability(model, h, at_window, f.cadence, a.signals, f.tier, today,
                                                    population, feature_params, &a.contributions);
      if (a.contributions.size() > kMaxContributions) a.contributions.resize(kMaxContributions);
      a.cadence_model = "learned";
    } else if (f.cadence.has_orders) {
      double z = Logit(f.cadence.p_no_order);
      const ChurnWeights& w = config.weights;
      for (const Signal& s : a.signals) {
        if (s.id == kSignalVolumeFalling) z += w.volume_falling * s.strength;
        if (s.id == kSignalComplaintsRising) z += w.complaints_rising * s.strength;
        if (s.id == kSignalContactGap) z += w.contact_gap * s.strength;
        if (s.id == kSignalNoOwner) z += w.no_owner * s.strength;
        if (s.id == kSignalOwnerInactive) z += w.owner_inactive * s.strength;
        if (s.id == kSignalSlowResponse) z += w.slow_first_response * s.strength;
        if (s.id == kSignalContactFrequencyFalling) z += w.contact_frequency_falling * s.strength;
        if (s.id == kSignalKeyContactGone) z += w.key_contact_gone * s.strength;
        if (s.id == kSignalEngagementFalling) z += w.engagement_falling * s.strength;
        if (s.id == kSignalPriceTalk) z += w.price_talk * s.strength;
        if (s.id == kSignalNegativeFeedback) z += w.negative_feedback * s.strength;
      }
      a.churn_probability = Sigmoid(z);
      a.cadence_model = f.cadence.own_cadence ? "own-cadence" : "tier-cadence";
    }
    a.value_at_risk = a.churn_probability * a.annual_value;
    std::stable_sort(a.signals.begin(), a.signals.end(),
                     [](const Signal& x, const Signal& y) { return x.strength > y.strength; });
    ChooseAction(a);
    assessed[i] = std::move(a);
  };
  ParallelFor(facts.size(), threads, 512, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) assess(i);
    const int64_t now_done = done.fetch_add(static_cast<int64_t>(end - begin)) + static_cast<int64_t>(end - begin);
    // Progress is reported from the caller's thread only (callbacks need not
    // be thread-safe), about every 5,000 accounts.
    if (params.on_progress && std::this_thread::get_id() == caller &&
        now_done / 5000 != (now_done - static_cast<int64_t>(end - begin)) / 5000) {
      params.on_progress(now_done, total);
    }
  });
  portfolio.accounts = std::move(assessed);
  portfolio.index.reserve(portfolio.accounts.size());
  for (size_t i = 0; i < portfolio.accounts.size(); ++i) portfolio.index[portfolio.accounts[i].account_id] = i;
  lap(t.assess_seconds);
  if (params.on_progress) params.on_progress(total, total);
  return portfolio;
}

}  // namespace pulse
