#include "sidecar/engine/planner.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/task_text.h"

namespace pulse {
namespace {

bool IsWorkingDay(absl::CivilDay d) {
  const absl::Weekday w = absl::GetWeekday(d);
  return w != absl::Weekday::saturday && w != absl::Weekday::sunday;
}

absl::CivilDay MondayOf(absl::CivilDay d) {
  while (absl::GetWeekday(d) != absl::Weekday::monday) d -= 1;
  return d;
}

// The `n`-th working day after `from` (n = 0: the first working day after).
absl::CivilDay WorkingDayAfter(absl::CivilDay from, int n) {
  absl::CivilDay d = from + 1;
  while (!IsWorkingDay(d)) d += 1;
  for (int i = 0; i < n; ++i) {
    d += 1;
    while (!IsWorkingDay(d)) d += 1;
  }
  return d;
}

// How many working days an action may wait.
int DueWindowWorkingDays(ActionKind a) {
  switch (a) {
    case ActionKind::kServiceRecovery: return 2;
    case ActionKind::kWinBack: return 3;
    case ActionKind::kReorderReminder: return 3;
    case ActionKind::kHealthCheck: return 10;
    default: return 5;
  }
}

double Effectiveness(const ContactPolicy& policy, const PlanParams& params, ActionKind a) {
  const std::string id(ActionId(a));
  if (auto m = params.effectiveness.find(id); m != params.effectiveness.end()) return m->second;
  auto it = policy.effectiveness.find(id);
  return it == policy.effectiveness.end() ? 0.2 : it->second;
}

// Risk actions need a churn probability above the threshold, except where
// the reason is a leading indicator the order rhythm cannot show yet (a
// seller or buyer who left, service problems, a key or mid relationship gone
// quiet) or a proactive moment (onboarding, health check, growth).
bool NeedsRiskThreshold(const AccountAssessment& a) {
  switch (a.action) {
    case ActionKind::kServiceRecovery:
    case ActionKind::kOnboarding:
    case ActionKind::kHealthCheck:
    case ActionKind::kGrowth:
    case ActionKind::kHandoverIntro:
      return false;
    default:
      break;
  }
  for (const Signal& s : a.signals) {
    if (s.id == kSignalOwnerInactive || s.id == kSignalKeyContactGone) return false;
    if (s.id == kSignalContactGap && a.tier != Tier::kTail && a.action == ActionKind::kCheckIn) return false;
  }
  return true;
}


int CapacityOf(const Portfolio& portfolio, const ContactPolicy& policy, const std::string& user_id) {
  auto it = portfolio.users.find(user_id);
  if (it != portfolio.users.end() && it->second.weekly_capacity.has_value()) return *it->second.weekly_capacity;
  return policy.default_weekly_capacity;
}

// The active user of `users` with the smallest share of capacity used for
// whom `has_room` holds, or "".
std::string LeastLoaded(const Portfolio& portfolio, const ContactPolicy& policy,
                        const std::map<std::string, ContactPlan::Load>& loads, const std::vector<std::string>& users,
                        const std::function<bool(const std::string&)>& has_room) {
  std::string best;
  double best_share = 0;
  for (const std::string& u : users) {
    auto user = portfolio.users.find(u);
    if (user == portfolio.users.end() || !user->second.active || !has_room(u)) continue;
    const int capacity = CapacityOf(portfolio, policy, u);
    auto l = loads.find(u);
    const int used = l == loads.end() ? 0 : l->second.used_before + l->second.planned;
    const double share = static_cast<double>(used) / std::max(1, capacity);
    if (best.empty() || share < best_share) {
      best = u;
      best_share = share;
    }
  }
  return best;
}

bool IsProactive(const std::string& action_id) {
  return action_id == ActionId(ActionKind::kFeedbackRequest) || action_id == ActionId(ActionKind::kRecognition);
}

bool HasSignal(const AccountAssessment& a, absl::string_view id) {
  for (const Signal& s : a.signals) {
    if (s.id == id) return true;
  }
  return false;
}

// The order-side signals; relationship signals are everything the order
// rhythm cannot show.
bool OrdersWeakening(const AccountAssessment& a) {
  return HasSignal(a, kSignalStoppedOrdering) || HasSignal(a, kSignalVolumeFalling);
}

// Relationship signals present while orders look fine: the signals disagree.
std::vector<std::string> RelationshipWarnings(const AccountAssessment& a) {
  std::vector<std::string> out;
  for (const Signal& s : a.signals) {
    if (s.id == kSignalComplaintsRising || s.id == kSignalSlowResponse || s.id == kSignalContactFrequencyFalling ||
        s.id == kSignalEngagementFalling || s.id == kSignalPriceTalk || s.id == kSignalNegativeFeedback ||
        s.id == kSignalKeyContactGone) {
      out.push_back(s.id);
    }
  }
  return out;
}

// The proactive pass (see PlanContacts): recognitions, then feedback
// requests, in the capacity the risk items left in `loads`.
void PlanProactive(const Portfolio& portfolio, const EngineConfig& config, const PlanParams& params,
                   std::map<std::string, ContactPlan::Load>& loads, ContactPlan& plan) {
  const ContactPolicy& policy = config.contact;
  const FeedbackPolicy& feedback = config.feedback;
  const RecognitionPolicy& recognition = config.recognition;
  if (!feedback.enabled && !recognition.enabled) return;
  const absl::CivilDay today = UtcDay(params.now);
  const absl::Time week_start = StartOfDay(MondayOf(today));
  const absl::Time month_start = StartOfDay(absl::CivilDay(absl::CivilMonth(today)));
  const absl::Duration account_cooldown = absl::Hours(24) * policy.account_cooldown_days;
  const std::string feedback_id(ActionId(ActionKind::kFeedbackRequest));
  const std::string recognition_id(ActionId(ActionKind::kRecognition));

  // Accounts with a risk item in this plan, whatever its status: Pulse has a
  // reason to worry about them, so no survey or thank-you now.
  absl::flat_hash_set<size_t> busy;
  for (const QueueItem& item : plan.queue) busy.insert(item.account);
  // What the ledger says: the last task of any kind per account, the last
  // request and recognition per account, this month's and week's requests
  // per tier, this week's recognitions per assignee.
  absl::flat_hash_map<std::string, absl::Time> last_any, last_request, last_recognition;
  std::map<Tier, int> asked_month, asked_week;
  std::map<std::string, int> recognised_week;
  std::map<std::string, int> proactive_used;  // this week, per assignee
  for (const LedgerTask& t : params.recent_tasks) {
    if (t.failed) continue;
    if (IsProactive(t.action) && !t.holdout && t.created_at >= week_start && !t.assignee_id.empty()) {
      ++loads[t.assignee_id].used_before;
      ++proactive_used[t.assignee_id];
    }
    auto& any = last_any[t.account_id];
    any = std::max(any, t.created_at);
    if (t.action == feedback_id) {
      auto& r = last_request[t.account_id];
      r = std::max(r, t.created_at);
      if (const AccountAssessment* a = portfolio.Find(t.account_id); a != nullptr && t.created_at >= month_start) {
        ++asked_month[a->tier];
        if (t.created_at >= week_start) ++asked_week[a->tier];
      }
    } else if (t.action == recognition_id) {
      auto& r = last_recognition[t.account_id];
      r = std::max(r, t.created_at);
      if (t.created_at >= week_start && !t.assignee_id.empty()) ++recognised_week[t.assignee_id];
    }
  }
  // Feedback requests and recognition are holdout-exempt by default; where
  // an admin withdrew the exemption, holdout accounts simply get none.
  const absl::flat_hash_set<std::string> exempt(policy.holdout_exempt_actions.begin(),
                                                policy.holdout_exempt_actions.end());
  auto withheld = [&](const AccountAssessment& a, const std::string& action_id) {
    return params.holdout_accounts.contains(a.account_id) && !exempt.contains(action_id);
  };
  auto in_cooldown = [&](const AccountAssessment& a) {
    auto it = last_any.find(a.account_id);
    return it != last_any.end() && params.now - it->second < account_cooldown;
  };
  // Room for one more proactive task: within the week's capacity and within
  // the proactive share of it.
  auto has_room = [&](const std::string& user) {
    auto it = loads.find(user);
    const int capacity = CapacityOf(portfolio, policy, user);
    const int used = it == loads.end() ? 0 : it->second.used_before + it->second.planned;
    const int proactive_cap = static_cast<int>(std::floor(policy.proactive_capacity_share * capacity));
    return used < capacity && proactive_used[user] < proactive_cap;
  };
  auto plan_item = [&](size_t index, ActionKind action, const std::string& assignee, bool pool,
                       const std::string& reason) {
    const AccountAssessment& a = portfolio.accounts[index];
    ContactPlan::Load& l = loads[assignee];
    l.capacity = CapacityOf(portfolio, policy, assignee);
    const int used = l.used_before + l.planned;
    ++l.planned;
    ++proactive_used[assignee];
    QueueItem item;
    item.account = index;
    item.action = action;
    item.priority = std::max(a.churn_probability, 0.05) * std::max(a.annual_value, 1.0) *
                    Effectiveness(policy, params, action);
    item.assignee_id = assignee;
    item.pool = pool;
    const int spread = static_cast<int>(std::floor(static_cast<double>(used) * 5.0 / std::max(1, l.capacity)));
    item.due_day = WorkingDayAfter(today, std::min(spread, DueWindowWorkingDays(action) - 1));
    item.task_type = TaskTypeFor(action);
    const std::string language = TaskLanguage(a, policy);
    item.subject = TaskSubject(a, action, language, policy.templates);
    item.task_key = MakeTaskKey(a.account_id, action, today);
    item.description = ProactiveTaskDescription(action, today, reason, item.task_key, language, policy.templates);
    item.status = PlanStatus::kTaskPlanned;
    item.status_detail = absl::StrCat("not a risk task: ", reason);
    item.proactive = true;
    plan.queue.push_back(std::move(item));
    ++plan.planned;
    busy.insert(index);
  };

  // Recognition: long-standing, steady, valuable, quiet accounts, most
  // valuable first, from their own active owner only.
  if (recognition.enabled) {
    const absl::flat_hash_set<std::string> tiers(recognition.tiers.begin(), recognition.tiers.end());
    const absl::Duration interval = absl::Hours(24) * recognition.interval_days;
    std::vector<size_t> candidates;
    for (size_t i = 0; i < portfolio.accounts.size(); ++i) {
      const AccountAssessment& a = portfolio.accounts[i];
      if (!tiers.contains(std::string(TierName(a.tier))) || !a.owner_active || a.do_not_contact) continue;
      if (busy.contains(i) || in_cooldown(a) || withheld(a, recognition_id)) continue;
      if (!a.first_order_day.has_value() || today - *a.first_order_day < recognition.min_tenure_days) continue;
      // Steady: a cadence of its own, and neither stopped nor falling.
      if (a.typical_gap_days <= 0 || OrdersWeakening(a)) continue;
      if (a.churn_probability > recognition.max_churn_probability) continue;
      if (a.last_proactive_contact_day.has_value() &&
          today - *a.last_proactive_contact_day < recognition.quiet_days) {
        continue;
      }
      if (auto r = last_recognition.find(a.account_id);
          r != last_recognition.end() && params.now - r->second < interval) {
        continue;
      }
      candidates.push_back(i);
    }
    std::sort(candidates.begin(), candidates.end(), [&](size_t x, size_t y) {
      const AccountAssessment& a = portfolio.accounts[x];
      const AccountAssessment& b = portfolio.accounts[y];
      if (a.annual_value != b.annual_value) return a.annual_value > b.annual_value;
      return a.account_id < b.account_id;
    });
    for (size_t i : candidates) {
      const AccountAssessment& a = portfolio.accounts[i];
      if (recognised_week[a.owner_id] >= recognition.max_per_owner_per_week || !has_room(a.owner_id)) continue;
      ++recognised_week[a.owner_id];
      const int years = static_cast<int>((today - *a.first_order_day) / 365);
      plan_item(i, ActionKind::kRecognition, a.owner_id, /*pool=*/false,
                absl::StrCat("loyal customer: ", years, " years since the first order, orders about every ",
                             absl::StrFormat("%.0f", a.typical_gap_days), " days, annual value ",
                             absl::StrFormat("%.0f", a.annual_value), "; ",
                             a.last_proactive_contact_day.has_value()
                                 ? absl::StrCat("no call or meeting from us since ",
                                                FormatIsoDay(*a.last_proactive_contact_day))
                                 : std::string("no call or meeting from us on record")));
    }
  }

  // Feedback requests: mid and tail accounts not asked within the interval,
  // a sample per tier and month; those whose signals disagree first, then
  // those whose orders weaken below the risk threshold, then by value.
  if (feedback.enabled) {
    const absl::Duration interval = absl::Hours(24) * feedback.ask_interval_days;
    std::map<Tier, int> tier_size;
    for (const AccountAssessment& a : portfolio.accounts) ++tier_size[a.tier];
    std::map<Tier, int> allowance;
    for (Tier tier : {Tier::kMid, Tier::kTail}) {
      auto share = feedback.monthly_share.find(std::string(TierName(tier)));
      if (share == feedback.monthly_share.end()) continue;
      const int month_cap = static_cast<int>(std::ceil(share->second * tier_size[tier]));
      const int week_cap = (month_cap + 3) / 4;
      allowance[tier] = std::max(0, std::min(month_cap - asked_month[tier], week_cap - asked_week[tier]));
    }
    struct Candidate {
      size_t index;
      int group;  // 0: signals disagree, 1: orders weakening, 2: the rest
      std::string why;
    };
    std::vector<Candidate> candidates;
    for (size_t i = 0; i < portfolio.accounts.size(); ++i) {
      const AccountAssessment& a = portfolio.accounts[i];
      if (allowance[a.tier] <= 0 || a.do_not_contact || a.orders_total == 0) continue;
      if (busy.contains(i) || in_cooldown(a) || withheld(a, feedback_id)) continue;
      std::optional<absl::CivilDay> last_asked = a.last_feedback_day;
      if (auto r = last_request.find(a.account_id); r != last_request.end()) {
        if (params.now - r->second < interval) continue;
        const absl::CivilDay d = UtcDay(r->second);
        if (!last_asked.has_value() || d > *last_asked) last_asked = d;
      }
      if (a.last_feedback_day.has_value() && today - *a.last_feedback_day < feedback.ask_interval_days) continue;
      Candidate c;
      c.index = i;
      c.why = last_asked.has_value() ? absl::StrCat("not asked for feedback since ", FormatIsoDay(*last_asked))
                                     : "never asked for feedback";
      const std::vector<std::string> warnings = RelationshipWarnings(a);
      if (!OrdersWeakening(a) && !warnings.empty()) {
        c.group = 0;
        absl::StrAppend(&c.why, "; orders look fine but the relationship does not (", absl::StrJoin(warnings, ", "),
                        ")");
      } else if (OrdersWeakening(a)) {
        c.group = 1;
        absl::StrAppend(&c.why, "; orders are weakening, churn risk ",
                        absl::StrFormat("%.0f %%", 100 * a.churn_probability), " (below the risk-task threshold)");
      } else {
        c.group = 2;
      }
      candidates.push_back(std::move(c));
    }
    std::sort(candidates.begin(), candidates.end(), [&](const Candidate& x, const Candidate& y) {
      if (x.group != y.group) return x.group < y.group;
      const AccountAssessment& a = portfolio.accounts[x.index];
      const AccountAssessment& b = portfolio.accounts[y.index];
      if (a.annual_value != b.annual_value) return a.annual_value > b.annual_value;
      return a.account_id < b.account_id;
    });
    for (const Candidate& c : candidates) {
      const AccountAssessment& a = portfolio.accounts[c.index];
      if (allowance[a.tier] <= 0) continue;
      std::string assignee;
      bool pool = false;
      if (a.owner_active) {
        assignee = a.owner_id;
      } else {
        pool = true;
        assignee = LeastLoaded(portfolio, policy, loads, policy.pool_user_ids, has_room);
      }
      if (assignee.empty() || !has_room(assignee)) continue;
      --allowance[a.tier];
      plan_item(c.index, ActionKind::kFeedbackRequest, assignee, pool, c.why);
    }
  }
}

}  // namespace

std::string MakeTaskKey(const std::string& account_id, ActionKind action, absl::CivilDay day) {
  // ISO 8601 week: the week with the year's first Thursday is week 1.
  const absl::CivilDay thursday = MondayOf(day) + 3;
  const absl::CivilDay jan1(thursday.year(), 1, 1);
  const int week = static_cast<int>((thursday - jan1) / 7) + 1;
  return absl::StrFormat("pulse:%s:%s:%04d-W%02d", account_id, std::string(ActionId(action)),
                         static_cast<int>(thursday.year()), week);
}

ContactPlan PlanContacts(const Portfolio& portfolio, const EngineConfig& config, const PlanParams& params) {
  const ContactPolicy& policy = config.contact;
  ContactPlan plan;
  const absl::CivilDay today = UtcDay(params.now);
  const absl::Time week_start = StartOfDay(MondayOf(today));

  // What earlier tasks say: open ones by (account, action), latest per
  // account, and this week's count per assignee.
  absl::flat_hash_map<std::string, absl::Time> last_by_reason;  // account|action -> created
  absl::flat_hash_map<std::string, absl::Time> last_by_account;
  std::map<std::string, ContactPlan::Load> loads;
  absl::flat_hash_set<std::string> held_out_before;  // account|action withheld earlier
  for (const LedgerTask& t : params.recent_tasks) {
    if (t.failed) continue;
    auto& r = last_by_reason[absl::StrCat(t.account_id, "|", t.action)];
    r = std::max(r, t.created_at);
    auto& acc = last_by_account[t.account_id];
    acc = std::max(acc, t.created_at);
    if (t.holdout) {
      held_out_before.insert(absl::StrCat(t.account_id, "|", t.action));
      continue;
    }
    // Proactive tasks earlier this week do not take capacity from risk items
    // (they are counted in the proactive pass): a save is never deferred
    // because of a survey or a thank-you.
    if (t.created_at >= week_start && !t.assignee_id.empty() && !IsProactive(t.action)) {
      ++loads[t.assignee_id].used_before;
    }
  }
  const absl::flat_hash_set<std::string> exempt(policy.holdout_exempt_actions.begin(),
                                                policy.holdout_exempt_actions.end());
  // Slots a holdout item reserved and did not use, per assignee: their due days.
  std::map<std::string, std::vector<absl::CivilDay>> freed;
  auto capacity_of = [&](const std::string& user_id) {
    auto it = portfolio.users.find(user_id);
    if (it != portfolio.users.end() && it->second.weekly_capacity.has_value()) return *it->second.weekly_capacity;
    return policy.default_weekly_capacity;
  };
  auto load_of = [&](const std::string& user_id) -> ContactPlan::Load& {
    ContactPlan::Load& l = loads[user_id];
    l.capacity = capacity_of(user_id);
    return l;
  };
  auto active_user = [&](const std::string& id) {
    auto it = portfolio.users.find(id);
    return it != portfolio.users.end() && it->second.active;
  };
  // The least loaded of `users` (by share of capacity used), or "".
  auto pick_by_load = [&](const std::vector<std::string>& users) -> std::string {
    std::string best;
    double best_share = 0;
    for (const std::string& u : users) {
      if (!active_user(u)) continue;
      ContactPlan::Load& l = load_of(u);
      if (l.capacity <= 0) continue;
      const double share = static_cast<double>(l.used_before + l.planned) / l.capacity;
      if (best.empty() || share < best_share) {
        best = u;
        best_share = share;
      }
    }
    return best;
  };

  // Candidates, highest expected value kept first.
  std::vector<QueueItem> candidates;
  for (size_t i = 0; i < portfolio.accounts.size(); ++i) {
    const AccountAssessment& a = portfolio.accounts[i];
    if (a.action == ActionKind::kNone) continue;
    const double threshold = params.watched_accounts.contains(a.account_id)
                                 ? policy.min_churn_probability * config.handoff.watch_threshold_factor
                                 : policy.min_churn_probability;
    if (NeedsRiskThreshold(a) && a.churn_probability < threshold) continue;
    QueueItem item;
    item.account = i;
    item.action = a.action;
    // Accounts without orders yet still deserve a floor of value.
    item.priority = std::max(a.churn_probability, 0.05) * std::max(a.annual_value, 1.0) * Effectiveness(policy, params, a.action);
    candidates.push_back(std::move(item));
  }
  std::sort(candidates.begin(), candidates.end(), [&](const QueueItem& x, const QueueItem& y) {
    if (x.priority != y.priority) return x.priority > y.priority;
    return portfolio.accounts[x.account].account_id < portfolio.accounts[y.account].account_id;
  });

  const absl::Duration reason_cooldown = absl::Hours(24) * policy.same_reason_cooldown_days;
  const absl::Duration account_cooldown = absl::Hours(24) * policy.account_cooldown_days;
  absl::flat_hash_set<std::string> seen_accounts;
  for (QueueItem& item : candidates) {
    const AccountAssessment& a = portfolio.accounts[item.account];
    const std::string action_id(ActionId(item.action));
    item.task_type = TaskTypeFor(item.action);
    item.subject = TaskSubject(a, item.action, TaskLanguage(a, policy), policy.templates);
    item.task_key = MakeTaskKey(a.account_id, item.action, today);

    // Who takes it.
    if (a.owner_active) {
      item.assignee_id = a.owner_id;
    } else if (a.tier == Tier::kKey) {
      item.assignee_id = pick_by_load(policy.key_account_user_ids);
      if (item.assignee_id.empty()) {
        item.status = PlanStatus::kUnassigned;
        item.status_detail = "key account without an active owner: hand it over (key accounts never go to the pool)";
      }
    } else {
      item.pool = true;
      item.assignee_id = pick_by_load(policy.pool_user_ids);
      if (item.assignee_id.empty()) {
        item.status = PlanStatus::kUnassigned;
        item.status_detail = policy.pool_user_ids.empty() ? "no active owner and no pool team configured"
                                                           : "no active owner and the pool team is full or inactive";
      }
    }

    if (item.status == PlanStatus::kTaskPlanned) {
      auto reason = last_by_reason.find(absl::StrCat(a.account_id, "|", action_id));
      auto account = last_by_account.find(a.account_id);
      if (a.do_not_contact) {
        item.status = PlanStatus::kSuppressed;
        item.status_detail = "marked do-not-contact in the CRM";
      } else if (reason != last_by_reason.end() && params.now - reason->second < reason_cooldown) {
        const bool was_held_out = held_out_before.contains(absl::StrCat(a.account_id, "|", action_id));
        item.status = was_held_out ? PlanStatus::kHoldout : PlanStatus::kAlreadyOpen;
        item.status_detail = was_held_out
                                 ? absl::StrCat("holdout: a ", action_id, " task was withheld on ",
                                                FormatIsoDay(reason->second))
                                 : absl::StrCat("a ", action_id, " task was created on ", FormatIsoDay(reason->second));
      } else if (account != last_by_account.end() && params.now - account->second < account_cooldown) {
        item.status = PlanStatus::kSuppressed;
        item.status_detail = absl::StrCat("contacted by a Pulse task on ", FormatIsoDay(account->second),
                                          " (cooldown ", policy.account_cooldown_days, " days)");
      } else if (!seen_accounts.insert(a.account_id).second) {
        item.status = PlanStatus::kSuppressed;
        item.status_detail = "another task for this account is planned in this sweep";
      }
    }
    if (item.status == PlanStatus::kTaskPlanned) {
      ContactPlan::Load& l = load_of(item.assignee_id);
      const int used = l.used_before + l.planned;
      if (used >= l.capacity) {
        item.status = PlanStatus::kDeferredCapacity;
        item.status_detail = absl::StrCat(item.assignee_id, " has ", l.capacity, " tasks this week already");
      } else {
        ++l.planned;
        // Spread over the week: the k-th task lands on working day k*5/capacity,
        // but never later than the action's window.
        const int spread = static_cast<int>(std::floor(static_cast<double>(used) * 5.0 / std::max(1, l.capacity)));
        item.due_day = WorkingDayAfter(today, std::min(spread, DueWindowWorkingDays(item.action) - 1));
        if (params.holdout_accounts.contains(a.account_id) && !exempt.contains(action_id)) {
          item.status = PlanStatus::kHoldout;
          item.status_detail = absl::StrCat("holdout: no task (it would have gone to ", item.assignee_id,
                                            "), so that the effect of Pulse's tasks can be measured");
          item.held_out_now = true;
          freed[item.assignee_id].push_back(item.due_day);
        } else {
          item.description = TaskDescription(a, item.action, today, item.task_key, TaskLanguage(a, policy), policy.templates);
        }
      }
    }
    switch (item.status) {
      case PlanStatus::kTaskPlanned: ++plan.planned; break;
      case PlanStatus::kAlreadyOpen: ++plan.already_open; break;
      case PlanStatus::kDeferredCapacity: ++plan.deferred_capacity; break;
      case PlanStatus::kUnassigned: ++plan.unassigned; break;
      case PlanStatus::kSuppressed: ++plan.suppressed; break;
      case PlanStatus::kHoldout:
        // Withheld now; one withheld earlier and still in its cooldown is
        // neither planned nor new, and not counted.
        if (item.held_out_now) ++plan.holdout;
        break;
    }
    plan.queue.push_back(std::move(item));
  }
  // Backfill: the capacity holdout items reserved goes to the next items
  // deferred for capacity with the same assignee, in priority order.
  for (QueueItem& item : plan.queue) {
    if (item.status != PlanStatus::kDeferredCapacity) continue;
    const AccountAssessment& a = portfolio.accounts[item.account];
    if (params.holdout_accounts.contains(a.account_id) && !exempt.contains(std::string(ActionId(item.action)))) {
      continue;
    }
    auto slots = freed.find(item.assignee_id);
    if ((slots == freed.end() || slots->second.empty()) && item.pool) {
      // A pool item may take any pool member's freed slot.
      for (const std::string& u : policy.pool_user_ids) {
        auto other = freed.find(u);
        if (other != freed.end() && !other->second.empty()) {
          slots = other;
          item.assignee_id = u;
          break;
        }
      }
    }
    if (slots == freed.end() || slots->second.empty()) continue;
    item.status = PlanStatus::kTaskPlanned;
    item.backfill = true;
    item.status_detail = "planned in capacity a holdout account left free";
    item.due_day = slots->second.front();
    slots->second.erase(slots->second.begin());
    item.description = TaskDescription(a, item.action, today, item.task_key, TaskLanguage(a, policy), policy.templates);
    --plan.deferred_capacity;
    ++plan.planned;
  }
  for (const auto& [user, days] : freed) loads[user].planned -= static_cast<int>(days.size());
  PlanProactive(portfolio, config, params, loads, plan);
  for (auto& [user, load] : loads) {
    load.capacity = capacity_of(user);
    plan.loads.emplace_back(user, load);
  }
  return plan;
}

}  // namespace pulse
