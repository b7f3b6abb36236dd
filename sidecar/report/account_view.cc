#include "sidecar/report/account_view.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "sidecar/common/time_util.h"

namespace pulse {
namespace {

constexpr size_t kMaxAccountIdLength = 256;

pulse::v1::Tier ToProto(Tier t) { return static_cast<pulse::v1::Tier>(static_cast<int>(t)); }

double TierValue(const PerTier<double>& v, Tier t) {
  switch (t) {
    case Tier::kKey: return v.key;
    case Tier::kMid: return v.mid;
    default: return v.tail;
  }
}

std::string UserName(const Portfolio& p, const std::string& id) {
  auto it = p.users.find(id);
  return it == p.users.end() ? "" : it->second.name;
}

bool UserActive(const Portfolio& p, const std::string& id) {
  auto it = p.users.find(id);
  return it != p.users.end() && it->second.active;
}

// Length of one UTF-8 sequence starting with `lead`, 0 when `lead` cannot start one.
int Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Keeps the first `limit` of `items` (already newest first).
template <typename T>
void Limit(std::vector<T>* items, int limit) {
  if (items->size() > static_cast<size_t>(limit)) items->resize(static_cast<size_t>(limit));
}

}  // namespace

absl::Status ValidateAccountId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("account_id is required");
  if (id.size() > kMaxAccountIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("account_id is longer than ", kMaxAccountIdLength, " bytes"));
  }
  for (size_t i = 0; i < id.size();) {
    const unsigned char c = static_cast<unsigned char>(id[i]);
    const int n = Utf8Length(c);
    if (n == 0 || i + n > id.size()) return absl::InvalidArgumentError("account_id is not valid UTF-8");
    for (int k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(id[i + k]) & 0xc0) != 0x80) {
        return absl::InvalidArgumentError("account_id is not valid UTF-8");
      }
    }
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrFormat("account_id holds the control character 0x%02x at byte %d", c, i));
    }
    i += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status BuildAccountView(Store& store, const Portfolio& portfolio, absl::string_view account_id,
                              const AccountViewParams& params, pulse::v1::AccountView* out) {
  if (absl::Status s = ValidateAccountId(account_id); !s.ok()) return s;
  const AccountAssessment* a = portfolio.Find(account_id);
  if (a == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("account '", account_id, "' is not in the latest sweep (", params.sweep_id, ")"));
  }
  const std::string id(account_id);
  absl::StatusOr<AccountRecords> records = store.LoadAccountRecords(id);
  if (!records.ok()) return records.status();
  absl::StatusOr<std::vector<AccountSnapshot>> snapshots = store.AccountHistory(id);
  if (!snapshots.ok()) return snapshots.status();
  absl::StatusOr<std::vector<ScoreRecord>> scores = store.ScoreHistory(id);
  if (!scores.ok()) return scores.status();
  absl::StatusOr<std::vector<TaskRecord>> tasks = store.TasksForAccount(id);
  if (!tasks.ok()) return tasks.status();
  absl::StatusOr<std::vector<ContactDecision>> decisions = store.ContactDecisionsForAccount(id);
  if (!decisions.ok()) return decisions.status();

  const absl::Time as_of = params.as_of;
  const absl::CivilDay as_of_day = UtcDay(as_of);
  const absl::Time window_start = as_of - absl::Hours(24) * params.window_days;

  out->Clear();
  out->set_sweep_id(params.sweep_id);
  out->set_as_of(FormatIsoDay(as_of));
  out->set_window_days(params.window_days);
  out->set_list_limit(params.list_limit);

  // Header.
  out->set_account_id(a->account_id);
  out->set_name(a->name);
  out->set_tier(ToProto(a->tier));
  out->set_owner_id(a->owner_id);
  out->set_owner_name(UserName(portfolio, a->owner_id));
  out->set_owner_active(a->owner_active);
  out->set_country(a->country);
  if (records->account.has_value()) out->set_industry(records->account->industry);
  out->set_do_not_contact(a->do_not_contact);
  out->set_annual_value(a->annual_value);
  out->set_churn_probability(a->churn_probability);
  out->set_value_at_risk(a->value_at_risk);
  out->set_recommended_action(std::string(ActionId(a->action)));
  out->set_recommended_reason(a->action_reason);
  out->set_queue_rank(params.queue_rank);
  out->set_churn_model(a->cadence_model);

  // Owner history: a period per change of owner in the snapshots. Snapshots are dated by when a
  // sweep ran, not by its as-of, so they are all shown (a sweep as of a past day still saw today's owner).
  for (const AccountSnapshot& s : *snapshots) {
    if (out->owner_history_size() > 0 &&
        out->owner_history(out->owner_history_size() - 1).owner_id() == s.owner_id) {
      continue;
    }
    auto* period = out->add_owner_history();
    period->set_owner_id(s.owner_id);
    period->set_owner_name(UserName(portfolio, s.owner_id));
    period->set_owner_active(UserActive(portfolio, s.owner_id));
    period->set_since_date(FormatIsoDay(s.observed_at));
  }
  if (out->owner_history_size() == 0 ||
      out->owner_history(out->owner_history_size() - 1).owner_id() != a->owner_id) {
    // Not recorded yet (the first sweeps were dry runs): today's owner, since unknown.
    auto* period = out->add_owner_history();
    period->set_owner_id(a->owner_id);
    period->set_owner_name(UserName(portfolio, a->owner_id));
    period->set_owner_active(a->owner_active);
  }

  // Orders by month, the currency most orders use.
  {
    const absl::CivilMonth last_month(as_of_day);
    const absl::CivilMonth first_month = last_month - (params.order_months - 1);
    std::map<absl::CivilMonth, std::pair<int64_t, double>> months;
    for (absl::CivilMonth m = first_month; m <= last_month; ++m) months[m] = {0, 0};
    std::map<std::string, int64_t> currencies;
    for (const Order& o : records->orders) {
      if (o.ordered_at > as_of) continue;
      ++currencies[o.currency];
      auto it = months.find(absl::CivilMonth(UtcDay(o.ordered_at)));
      if (it == months.end()) continue;
      ++it->second.first;
      it->second.second += o.amount;
    }
    for (const auto& [month, figures] : months) {
      auto* m = out->add_order_months();
      m->set_month(absl::FormatCivilTime(month).substr(0, 7));
      m->set_orders(figures.first);
      m->set_amount(figures.second);
    }
    int64_t most = 0;
    for (const auto& [currency, n] : currencies) {
      if (n > most) {
        most = n;
        out->set_currency(currency);
      }
    }
  }
  out->set_orders_total(a->orders_total);
  if (a->first_order_day.has_value()) out->set_first_order_date(FormatIsoDay(*a->first_order_day));
  if (a->last_order_day.has_value()) {
    out->set_last_order_date(FormatIsoDay(*a->last_order_day));
    out->set_days_since_last_order(as_of_day - *a->last_order_day);
  } else {
    out->set_days_since_last_order(-1);
  }
  out->set_typical_gap_days(a->typical_gap_days);
  out->set_mean_gap_days(a->mean_gap_days);
  for (const Signal& s : a->signals) {
    if (s.id == kSignalVolumeFalling) out->set_volume_trend(s.evidence);
  }
  for (const OverdueProduct& p : a->overdue_products) {
    out->add_overdue_products(absl::StrFormat("%s%s: ordered %d times, usually every %.0f days, %d days since the last",
                                              p.product.empty() ? p.sku : p.product,
                                              p.product.empty() ? "" : absl::StrCat(" (", p.sku, ")"),
                                              p.times_ordered, p.usual_interval_days, p.days_since_last));
  }

  // Cases: open ones, and those opened in the window; newest first.
  {
    const double sla = TierValue(params.first_response_sla_hours, a->tier);
    out->set_sla_hours(sla);
    std::vector<const Case*> shown;
    for (const Case& c : records->cases) {
      if (c.opened_at > as_of) continue;
      const bool open = c.closed_at.has_value() ? *c.closed_at > as_of : c.IsOpen();
      if (open || c.opened_at > window_start) shown.push_back(&c);
    }
    std::sort(shown.begin(), shown.end(), [](const Case* x, const Case* y) {
      return x->opened_at != y->opened_at ? x->opened_at > y->opened_at : x->id < y->id;
    });
    out->set_cases_total(static_cast<int64_t>(shown.size()));
    std::vector<double> response_hours;
    int64_t open_cases = 0;
    for (size_t i = 0; i < shown.size(); ++i) {
      const Case& c = *shown[i];
      const bool open = c.closed_at.has_value() ? *c.closed_at > as_of : c.IsOpen();
      open_cases += open ? 1 : 0;
      const bool responded = c.first_response_at.has_value() && *c.first_response_at <= as_of;
      const double hours = responded ? absl::ToDoubleHours(*c.first_response_at - c.opened_at) : 0;
      if (responded) response_hours.push_back(hours);
      if (i >= static_cast<size_t>(params.list_limit)) continue;
      auto* e = out->add_cases();
      e->set_case_id(c.id);
      e->set_subject(c.subject);
      e->set_category(c.category);
      e->set_priority(c.priority);
      e->set_status(c.status);
      e->set_open(open);
      e->set_opened_date(FormatIsoDay(c.opened_at));
      if (!open && c.closed_at.has_value()) e->set_closed_date(FormatIsoDay(*c.closed_at));
      e->set_responded(responded);
      e->set_first_response_hours(hours);
      e->set_over_sla(responded ? hours > sla : open && absl::ToDoubleHours(as_of - c.opened_at) > sla);
    }
    out->set_open_cases(open_cases);
    out->set_median_first_response_hours(Median(std::move(response_hours)));
  }

  // Contacts made in the window, and by whom.
  {
    std::vector<const Activity*> shown;
    for (const Activity& act : records->activities) {
      if (act.occurred_at > window_start && act.occurred_at <= as_of) shown.push_back(&act);
    }
    std::sort(shown.begin(), shown.end(), [](const Activity* x, const Activity* y) {
      return x->occurred_at != y->occurred_at ? x->occurred_at > y->occurred_at : x->id < y->id;
    });
    out->set_activities_total(static_cast<int64_t>(shown.size()));
    struct ByUser {
      int64_t activities = 0;
      int64_t two_way = 0;
      absl::Time last = absl::InfinitePast();
    };
    std::map<std::string, ByUser> by_user;
    for (size_t i = 0; i < shown.size(); ++i) {
      const Activity& act = *shown[i];
      ByUser& u = by_user[act.user_id];
      ++u.activities;
      u.two_way += act.IsTwoWay() ? 1 : 0;
      u.last = std::max(u.last, act.occurred_at);
      if (i >= static_cast<size_t>(params.list_limit)) continue;
      auto* e = out->add_activities();
      e->set_activity_id(act.id);
      e->set_date(FormatIsoDay(act.occurred_at));
      e->set_type(std::string(ActivityTypeName(act.type)));
      e->set_direction(std::string(DirectionName(act.direction)));
      e->set_user_id(act.user_id);
      e->set_user_name(UserName(portfolio, act.user_id));
      e->set_subject(act.subject);
    }
    std::vector<std::pair<std::string, ByUser>> users(by_user.begin(), by_user.end());
    std::stable_sort(users.begin(), users.end(),
                     [](const auto& x, const auto& y) { return x.second.activities > y.second.activities; });
    for (const auto& [user_id, u] : users) {
      auto* e = out->add_contacts_by_user();
      e->set_user_id(user_id);
      e->set_user_name(UserName(portfolio, user_id));
      e->set_activities(u.activities);
      e->set_two_way(u.two_way);
      e->set_last_date(FormatIsoDay(u.last));
    }
    if (a->last_two_way_contact_day.has_value()) {
      out->set_last_two_way_contact_date(FormatIsoDay(*a->last_two_way_contact_day));
    }
  }

  // Contact persons: active first, then gone; by name.
  {
    std::vector<const Contact*> shown;
    for (const Contact& c : records->contacts) shown.push_back(&c);
    std::sort(shown.begin(), shown.end(), [](const Contact* x, const Contact* y) {
      if (x->active != y->active) return x->active;
      return x->name != y->name ? x->name < y->name : x->id < y->id;
    });
    out->set_contacts_total(static_cast<int64_t>(shown.size()));
    Limit(&shown, params.list_limit);
    for (const Contact* c : shown) {
      auto* e = out->add_contacts();
      e->set_contact_id(c->id);
      e->set_name(c->name);
      e->set_role(c->role);
      e->set_active(c->active);
      if (c->updated_at.has_value()) e->set_updated_date(FormatIsoDay(*c->updated_at));
    }
  }

  // Feedback, newest first; engagement in the window, oldest first.
  {
    std::vector<const Feedback*> shown;
    for (const Feedback& f : records->feedback) {
      if (f.received_at <= as_of) shown.push_back(&f);
    }
    std::sort(shown.begin(), shown.end(), [](const Feedback* x, const Feedback* y) {
      return x->received_at != y->received_at ? x->received_at > y->received_at : x->id < y->id;
    });
    out->set_feedback_total(static_cast<int64_t>(shown.size()));
    Limit(&shown, params.list_limit);
    for (const Feedback* f : shown) {
      auto* e = out->add_feedback();
      e->set_date(FormatIsoDay(f->received_at));
      e->set_scale(std::string(FeedbackScaleName(f->scale)));
      e->set_score(f->score);
      e->set_comment(f->comment);
    }
    const absl::CivilDay window_first_day = UtcDay(window_start);
    for (const EngagementPeriod& p : records->engagement) {  // stored by id: "<account>|<period start>"
      if (p.period_start <= window_first_day || p.period_start > as_of_day) continue;
      auto* e = out->add_engagement();
      e->set_period_start(FormatIsoDay(p.period_start));
      e->set_sent(p.sent);
      e->set_opened(p.opened);
      e->set_clicked(p.clicked);
    }
  }

  // Signals with evidence, and the learned model's contributions.
  for (const Signal& s : a->signals) {
    auto* r = out->add_signals();
    r->set_signal_id(s.id);
    r->set_strength(s.strength);
    r->set_evidence(s.evidence);
  }
  for (const FeatureContribution& c : a->contributions) {
    auto* e = out->add_contributions();
    e->set_feature(c.feature);
    e->set_log_odds(c.log_odds);
  }

  // Churn probability over time.
  for (const ScoreRecord& s : *scores) {
    if (s.as_of > as_of) continue;
    auto* p = out->add_score_history();
    p->set_date(FormatIsoDay(s.as_of));
    p->set_sweep_id(s.sweep_id);
    p->set_churn_probability(s.churn_probability);
    p->set_value_at_risk(s.value_at_risk);
    p->set_tier(ToProto(s.tier));
  }

  // Pulse's tasks and decisions, newest first.
  {
    absl::flat_hash_map<std::string, DeliveryStatus> task_status;
    for (const TaskRecord& t : *tasks) task_status[t.request.key] = t.status;
    std::vector<const TaskRecord*> shown;
    for (auto it = tasks->rbegin(); it != tasks->rend(); ++it) shown.push_back(&*it);
    out->set_tasks_total(static_cast<int64_t>(shown.size()));
    Limit(&shown, params.list_limit);
    for (const TaskRecord* t : shown) {
      auto* e = out->add_tasks();
      e->set_key(t->request.key);
      e->set_action(t->action);
      e->set_type(std::string(TaskTypeName(t->request.type)));
      e->set_assignee_id(t->request.assignee_id);
      e->set_assignee_name(UserName(portfolio, t->request.assignee_id));
      e->set_created_date(FormatIsoDay(t->request.created_at));
      e->set_due_date(FormatIsoDay(t->request.due_at));
      e->set_subject(t->request.subject);
      e->set_status(DeliveryStatusName(t->status));
      if (t->delivered_at.has_value()) e->set_delivered_date(FormatIsoDay(*t->delivered_at));
      e->set_last_error(t->last_error);
      e->set_attempts(t->attempts);
    }
    std::vector<const ContactDecision*> decided;
    for (auto it = decisions->rbegin(); it != decisions->rend(); ++it) decided.push_back(&*it);
    out->set_decisions_total(static_cast<int64_t>(decided.size()));
    Limit(&decided, params.list_limit);
    for (const ContactDecision* d : decided) {
      auto* e = out->add_decisions();
      e->set_key(d->key);
      e->set_action(d->action);
      e->set_date(FormatIsoDay(d->decided_at));
      e->set_holdout(d->holdout);
      e->set_backfill(d->backfill);
      e->set_churn_probability(d->churn_probability);
      if (!d->holdout) {
        if (auto it = task_status.find(d->key); it != task_status.end()) {
          e->set_task_status(DeliveryStatusName(it->second));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace pulse
