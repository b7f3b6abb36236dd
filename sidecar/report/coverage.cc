#include "sidecar/report/coverage.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/account_history.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

constexpr int kRevenueDays = 365;

double Share(double part, double whole) { return whole > 0 ? part / whole : 0; }

double Median(std::vector<int64_t> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n % 2 == 1) return static_cast<double>(values[n / 2]);
  return (static_cast<double>(values[n / 2 - 1]) + static_cast<double>(values[n / 2])) / 2.0;
}

// What the orders say about each account at one as-of: its revenue of the
// last 365 days, and whether it belongs to the churn base and churned.
struct OrderFacts {
  double revenue = 0;    // before flooring
  bool in_base = false;  // ordered in the 365 days before the period began
  bool ordered_in_period = false;
};

absl::flat_hash_map<std::string, OrderFacts> FactsFromOrders(const CustomerData& data, absl::Time as_of,
                                                             int period_days) {
  const int64_t today = EpochDay(as_of);
  const int64_t period_start = today - period_days;  // the period is (period_start, today]
  absl::flat_hash_map<std::string, OrderFacts> facts;
  for (const Order& o : data.orders) {
    if (o.ordered_at > as_of) continue;  // no look-ahead
    const int64_t day = EpochDay(o.ordered_at);
    OrderFacts& f = facts[o.account_id];
    if (day > today - kRevenueDays) f.revenue += o.amount;
    if (o.amount <= 0) continue;  // a credit or return is not ordering
    if (day > period_start - kRevenueDays && day <= period_start) f.in_base = true;
    if (day > period_start) f.ordered_in_period = true;
  }
  return facts;
}

void FinishShares(SegmentFigures& s, double total_revenue) {
  s.revenue_share = Share(s.revenue, total_revenue);
  s.without_active_owner_share = Share(static_cast<double>(s.accounts_without_active_owner), s.accounts);
  s.churn_rate = Share(static_cast<double>(s.churned), s.churn_base);
  s.contacted_share = Share(static_cast<double>(s.contacted), s.accounts);
}

// Survey coverage by tier (see SurveyFigures).
std::vector<SurveyFigures> ComputeSurveyFigures(const CustomerData& data, const Portfolio& portfolio,
                                                const CoverageWork& work,
                                                const absl::flat_hash_map<std::string, OrderFacts>& orders,
                                                const CoverageParams& params) {
  const absl::Time as_of = portfolio.as_of;
  const absl::Time asked_since = as_of - absl::Hours(24) * params.ask_interval_days;
  const absl::Duration window = absl::Hours(24) * params.answer_window_days;
  absl::flat_hash_map<std::string, std::vector<absl::Time>> answers;  // by account, sorted
  for (const Feedback& f : data.feedback) {
    if (f.received_at <= as_of) answers[f.account_id].push_back(f.received_at);
  }
  for (auto& [account, times] : answers) std::sort(times.begin(), times.end());
  absl::flat_hash_set<std::string> asked;
  for (const auto& [account, times] : answers) {
    if (times.back() > asked_since) asked.insert(account);
  }
  const std::string request_id(ActionId(ActionKind::kFeedbackRequest));
  std::vector<SurveyFigures> out(4);
  out[0].segment = kSegmentKey;
  out[1].segment = kSegmentMid;
  out[2].segment = kSegmentTail;
  out[3].segment = kSegmentAll;
  auto tier_row = [&](Tier tier) -> SurveyFigures* {
    switch (tier) {
      case Tier::kKey: return &out[0];
      case Tier::kMid: return &out[1];
      case Tier::kTail: return &out[2];
      default: return nullptr;
    }
  };
  for (const LedgerTask& t : work.recent_tasks) {
    if (t.failed || t.holdout || t.action != request_id || t.created_at > as_of || t.created_at <= asked_since) {
      continue;
    }
    asked.insert(t.account_id);
    if (as_of - t.created_at < window) continue;  // its answer window is still open
    const AccountAssessment* a = portfolio.Find(t.account_id);
    if (a == nullptr) continue;
    bool answered = false;
    if (auto it = answers.find(t.account_id); it != answers.end()) {
      auto first = std::lower_bound(it->second.begin(), it->second.end(), t.created_at);
      answered = first != it->second.end() && *first - t.created_at <= window;
    }
    for (SurveyFigures* row : {tier_row(a->tier), &out[3]}) {
      if (row == nullptr) continue;
      ++row->requests;
      row->answered += answered ? 1 : 0;
    }
  }
  for (const AccountAssessment& a : portfolio.accounts) {
    double revenue = 0;
    if (auto it = orders.find(a.account_id); it != orders.end()) revenue = std::max(0.0, it->second.revenue);
    const bool was_asked = asked.contains(a.account_id);
    for (SurveyFigures* row : {tier_row(a.tier), &out[3]}) {
      if (row == nullptr) continue;
      ++row->accounts;
      row->revenue += revenue;
      if (was_asked) {
        ++row->asked;
        row->revenue_asked += revenue;
      }
    }
  }
  for (SurveyFigures& row : out) {
    row.asked_share = Share(static_cast<double>(row.asked), row.accounts);
    row.revenue_asked_share = Share(row.revenue_asked, row.revenue);
    row.answer_rate = Share(static_cast<double>(row.answered), row.requests);
  }
  return out;
}

}  // namespace

bool InCareModel(const AccountAssessment& account) {
  return (account.tier == Tier::kKey || account.tier == Tier::kMid) && account.owner_active;
}

const SegmentFigures* CoverageFigures::Segment(absl::string_view id) const {
  for (const SegmentFigures& s : segments) {
    if (s.segment == id) return &s;
  }
  return nullptr;
}

CoverageParams CoverageParamsFrom(const EngineConfig& config) {
  CoverageParams p;
  p.period_days = config.contact.horizon_days;
  p.open_task_days = config.contact.same_reason_cooldown_days;
  p.at_risk_probability = config.contact.at_risk_probability;
  p.default_weekly_capacity = config.contact.default_weekly_capacity;
  p.pool_user_ids = config.contact.pool_user_ids;
  p.ask_interval_days = config.feedback.ask_interval_days;
  p.answer_window_days = config.feedback.answer_window_days;
  return p;
}

CoverageFigures ComputeCoverageFigures(const CustomerData& data, const Portfolio& portfolio,
                                       const CoverageParams& params) {
  CoverageFigures out;
  out.as_of = UtcDay(portfolio.as_of);
  const absl::flat_hash_map<std::string, OrderFacts> orders =
      FactsFromOrders(data, portfolio.as_of, params.period_days);
  for (const char* id : {kSegmentKey, kSegmentMid, kSegmentTail, kSegmentUnowned, kSegmentAll}) {
    out.segments.emplace_back();
    out.segments.back().segment = id;
  }
  SegmentFigures& all = out.segments[4];
  std::vector<std::vector<int64_t>> contact_days(out.segments.size());
  for (const AccountAssessment& a : portfolio.accounts) {
    OrderFacts f;
    if (auto it = orders.find(a.account_id); it != orders.end()) f = it->second;
    const double revenue = std::max(0.0, f.revenue);
    const bool covered = InCareModel(a);
    std::optional<int64_t> days_since_contact;
    if (a.last_two_way_contact_day.has_value()) days_since_contact = out.as_of - *a.last_two_way_contact_day;
    const bool at_risk = a.churn_probability >= params.at_risk_probability;

    std::vector<size_t> in = {4};  // all
    if (a.tier == Tier::kKey) in.push_back(0);
    if (a.tier == Tier::kMid) in.push_back(1);
    if (a.tier == Tier::kTail) in.push_back(2);
    if (!a.owner_active) in.push_back(3);
    for (size_t i : in) {
      SegmentFigures& s = out.segments[i];
      ++s.accounts;
      s.revenue += revenue;
      if (!a.owner_active) ++s.accounts_without_active_owner;
      if (f.in_base) {
        ++s.churn_base;
        if (!f.ordered_in_period) ++s.churned;
      }
      if (days_since_contact.has_value()) {
        ++s.accounts_with_two_way_contact;
        contact_days[i].push_back(*days_since_contact);
        if (*days_since_contact < params.contact_window_days) ++s.contacted;
      }
      s.open_complaints += a.open_cases;
      if (at_risk) {
        ++s.accounts_at_risk;
        s.value_at_risk += a.value_at_risk;
      }
      if (!covered) {
        ++s.accounts_outside_care;
        s.revenue_outside_care += revenue;
      }
    }
  }
  for (size_t i = 0; i < out.segments.size(); ++i) {
    out.segments[i].median_days_since_two_way_contact = Median(std::move(contact_days[i]));
    FinishShares(out.segments[i], all.revenue);
  }
  out.accounts = all.accounts;
  out.revenue = all.revenue;
  out.accounts_outside_care = all.accounts_outside_care;
  out.accounts_outside_care_share = Share(static_cast<double>(all.accounts_outside_care), all.accounts);
  out.revenue_outside_care = all.revenue_outside_care;
  out.revenue_outside_care_share = Share(all.revenue_outside_care, all.revenue);
  return out;
}

std::string CoverageSentence(const CoverageFigures& f, absl::string_view currency) {
  if (f.accounts == 0) return "No accounts as of " + FormatIsoDay(f.as_of) + ": nothing to cover yet.";
  const std::string accounts =
      absl::StrFormat("%d of %d accounts (%.1f %%)", f.accounts_outside_care, f.accounts,
                      100 * f.accounts_outside_care_share);
  constexpr char kWho[] = "outside any care model: the long tail and accounts without an active owner.";
  if (f.revenue <= 0) {
    return absl::StrCat("No revenue in the 365 days to ", FormatIsoDay(f.as_of), "; ", accounts, " are ", kWho);
  }
  return absl::StrCat(FormatMoney(f.revenue_outside_care, currency), " of ", FormatMoney(f.revenue, currency),
                      " revenue in the 365 days to ", FormatIsoDay(f.as_of),
                      absl::StrFormat(" (%.1f %%)", 100 * f.revenue_outside_care_share), " comes from ", accounts,
                      " ", kWho);
}

CoverageReport BuildCoverageReport(const CustomerData& data, const EngineConfig& config, const Portfolio& portfolio,
                                   const CoverageWork& work, const CoverageParams& params) {
  CoverageReport report;
  report.period_days = params.period_days;
  report.contact_window_days = params.contact_window_days;
  report.at_risk_probability = params.at_risk_probability;
  report.activities_available = !data.activities.empty();
  report.current = ComputeCoverageFigures(data, portfolio, params);

  // The currency of most orders in the year (ties: alphabetically first).
  const absl::Time as_of = portfolio.as_of;
  const int64_t today = EpochDay(as_of);
  std::map<std::string, int64_t> currencies;
  for (const Order& o : data.orders) {
    if (o.ordered_at <= as_of && EpochDay(o.ordered_at) > today - kRevenueDays && !o.currency.empty()) {
      ++currencies[o.currency];
    }
  }
  int64_t most = 0;
  for (const auto& [currency, n] : currencies) {
    if (n > most) {
      most = n;
      report.currency = currency;
    }
  }
  report.summary = CoverageSentence(report.current, report.currency);

  // Owners: everyone who owns an account, is in the pool, or has Pulse's work.
  const absl::flat_hash_map<std::string, OrderFacts> orders = FactsFromOrders(data, as_of, params.period_days);
  std::map<std::string, OwnerFigures> owners;
  auto owner = [&](const std::string& id) -> OwnerFigures& {
    OwnerFigures& o = owners[id];
    if (o.user_id.empty()) {
      o.user_id = id;
      if (auto it = portfolio.users.find(id); it != portfolio.users.end()) {
        o.name = it->second.name;
        o.active = it->second.active;
        o.weekly_capacity = it->second.weekly_capacity.value_or(params.default_weekly_capacity);
      }
    }
    return o;
  };
  std::vector<UncoveredAccount> uncovered;
  for (const AccountAssessment& a : portfolio.accounts) {
    double revenue = 0;
    if (auto it = orders.find(a.account_id); it != orders.end()) revenue = std::max(0.0, it->second.revenue);
    if (!a.owner_id.empty()) {
      OwnerFigures& o = owner(a.owner_id);
      ++o.accounts;
      o.revenue += revenue;
      if (a.churn_probability >= params.at_risk_probability) {
        ++o.accounts_at_risk;
        o.value_at_risk += a.value_at_risk;
      }
    }
    if (!InCareModel(a) && revenue > 0) {
      UncoveredAccount u;
      u.account_id = a.account_id;
      u.name = a.name;
      u.tier = a.tier;
      u.owner_id = a.owner_id;
      u.owner_active = a.owner_active;
      u.revenue = revenue;
      u.churn_probability = a.churn_probability;
      u.value_at_risk = a.value_at_risk;
      uncovered.push_back(std::move(u));
    }
  }
  for (const std::string& id : params.pool_user_ids) owner(id).pool = true;
  const absl::Time open_since = as_of - absl::Hours(24) * params.open_task_days;
  for (const LedgerTask& t : work.recent_tasks) {
    if (t.failed || t.holdout || t.assignee_id.empty() || t.created_at > as_of || t.created_at <= open_since) continue;
    ++owner(t.assignee_id).open_tasks;
  }
  if (work.plan != nullptr) {
    for (const QueueItem& item : work.plan->queue) {
      if (item.status == PlanStatus::kTaskPlanned && !item.assignee_id.empty()) ++owner(item.assignee_id).open_tasks;
    }
    for (const auto& [user, load] : work.plan->loads) {
      OwnerFigures& o = owner(user);
      o.weekly_capacity = load.capacity;
      o.tasks_this_week = load.used_before + load.planned;
    }
  }
  for (auto& [id, o] : owners) {
    o.capacity_used = o.weekly_capacity > 0 ? static_cast<double>(o.tasks_this_week) / o.weekly_capacity : 0;
    report.owners.push_back(o);
  }
  std::sort(report.owners.begin(), report.owners.end(), [](const OwnerFigures& x, const OwnerFigures& y) {
    if (x.value_at_risk != y.value_at_risk) return x.value_at_risk > y.value_at_risk;
    return x.user_id < y.user_id;
  });

  std::sort(uncovered.begin(), uncovered.end(), [](const UncoveredAccount& x, const UncoveredAccount& y) {
    if (x.revenue != y.revenue) return x.revenue > y.revenue;
    return x.account_id < y.account_id;
  });
  if (uncovered.size() > static_cast<size_t>(std::max(0, params.largest_outside_care))) {
    uncovered.resize(static_cast<size_t>(std::max(0, params.largest_outside_care)));
  }
  report.largest_outside_care = std::move(uncovered);

  report.ask_interval_days = params.ask_interval_days;
  report.answer_window_days = params.answer_window_days;
  report.survey = ComputeSurveyFigures(data, portfolio, work, orders, params);

  // The trend: the same figures replayed as of earlier days, oldest first.
  for (int k = params.trend_periods; k >= 1; --k) {
    const absl::CivilDay day = UtcDay(as_of) - static_cast<int64_t>(k) * params.period_days;
    if (work.trend_cache != nullptr) {
      if (auto it = work.trend_cache->find(day); it != work.trend_cache->end()) {
        report.trend.push_back(it->second);
        continue;
      }
    }
    ScoreParams score;
    score.as_of = StartOfDay(day + 1) - absl::Seconds(1);  // the end of the day
    const Portfolio earlier = AssessPortfolio(data, config, score);
    report.trend.push_back(ComputeCoverageFigures(data, earlier, params));
    ++report.trend_replayed;
    if (work.trend_cache != nullptr) work.trend_cache->emplace(day, report.trend.back());
  }
  report.trend.push_back(report.current);
  return report;
}

}  // namespace pulse
