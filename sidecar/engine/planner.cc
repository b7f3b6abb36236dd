#include "sidecar/engine/planner.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
    if (t.created_at >= week_start && !t.assignee_id.empty()) ++loads[t.assignee_id].used_before;
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
  for (auto& [user, load] : loads) {
    load.capacity = capacity_of(user);
    plan.loads.emplace_back(user, load);
  }
  return plan;
}

}  // namespace pulse
