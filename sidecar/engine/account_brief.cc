#include "sidecar/engine/account_brief.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/common/time_util.h"

namespace pulse {
namespace {

constexpr int kLastOrders = 3;
constexpr int kTopProducts = 3;
constexpr int kRecentContacts = 5;
constexpr int kRecentCaseDays = 180;

std::string NameOf(const AccountBriefInput& in, const std::string& user_id) {
  if (user_id.empty()) return "nobody";
  if (in.users != nullptr) {
    auto it = in.users->find(user_id);
    if (it != in.users->end() && !it->second.name.empty()) return absl::StrCat(it->second.name, " (", user_id, ")");
  }
  return user_id;
}

std::string Money(double amount) { return absl::StrFormat("%.0f", amount); }

std::string ActivityLine(const AccountBriefInput& in, const Activity& a) {
  std::string what(ActivityTypeName(a.type));
  if (a.direction != Direction::kUnknown) absl::StrAppend(&what, " (", DirectionName(a.direction), ")");
  return absl::StrCat(FormatIsoDay(UtcDay(a.occurred_at)), " ", what, " by ", NameOf(in, a.user_id),
                      a.subject.empty() ? "" : absl::StrCat(": ", a.subject));
}

}  // namespace

AccountBriefInput BriefInputFor(const CustomerData& data, const std::string& account_id) {
  AccountBriefInput in;
  for (const Account& a : data.accounts) {
    if (a.id == account_id) in.account = a;
  }
  for (const Contact& c : data.contacts) {
    if (c.account_id == account_id) in.contacts.push_back(c);
  }
  for (const Order& o : data.orders) {
    if (o.account_id == account_id) in.orders.push_back(o);
  }
  for (const Case& c : data.cases) {
    if (c.account_id == account_id) in.cases.push_back(c);
  }
  for (const Activity& a : data.activities) {
    if (a.account_id == account_id) in.activities.push_back(a);
  }
  return in;
}

std::string AccountBrief(const AccountBriefInput& in, const std::string& task_key) {
  const absl::Time end = StartOfDay(in.as_of + 1);
  std::string out;
  const std::string name = in.account.name.empty() ? in.account.id : in.account.name;
  absl::StrAppend(&out, "# Handover brief: ", name, "\n\n");
  absl::StrAppend(&out, "From ", NameOf(in, in.previous_owner_id), " to ", NameOf(in, in.new_owner_id), ", as of ",
                  FormatIsoDay(in.as_of), ".\n\n");

  // The relationship.
  std::vector<const Order*> orders;
  for (const Order& o : in.orders) {
    if (o.ordered_at < end) orders.push_back(&o);
  }
  std::sort(orders.begin(), orders.end(), [](const Order* x, const Order* y) {
    if (x->ordered_at != y->ordered_at) return x->ordered_at > y->ordered_at;
    return x->id < y->id;
  });
  absl::StrAppend(&out, "## Relationship\n");
  std::optional<absl::CivilDay> since;
  if (in.account.created_at.has_value()) since = UtcDay(*in.account.created_at);
  if (!orders.empty()) {
    const absl::CivilDay first = UtcDay(orders.back()->ordered_at);
    if (!since.has_value() || first < *since) since = first;
  }
  if (since.has_value()) {
    absl::StrAppend(&out, "- Customer since ", FormatIsoDay(*since),
                    absl::StrFormat(" (%.1f years)", static_cast<double>(in.as_of - *since) / 365.25), "\n");
  } else {
    absl::StrAppend(&out, "- Customer since: unknown\n");
  }
  const AccountAssessment* a = in.assessment;
  if (a != nullptr) {
    absl::StrAppend(&out, "- Tier ", TierName(a->tier), ", annual value ", Money(a->annual_value), "\n");
  }
  if (!in.account.industry.empty() || !in.account.country.empty()) {
    absl::StrAppend(&out, "- ", in.account.industry, in.account.industry.empty() ? "" : ", ", in.account.country, "\n");
  }

  // Orders: cadence, trend, the last ones, the top products.
  absl::StrAppend(&out, "\n## Orders\n");
  if (orders.empty()) {
    absl::StrAppend(&out, "- No orders on record.\n");
  } else {
    double last_year = 0;
    double year_before = 0;
    std::map<std::string, double> products;  // by product (or sku), last 365 days
    for (const Order* o : orders) {
      const double days = absl::ToDoubleHours(end - o->ordered_at) / 24;
      if (days <= 365) {
        last_year += o->amount;
        for (const OrderLine& l : o->lines) products[l.product.empty() ? l.sku : l.product] += l.amount;
      } else if (days <= 730) {
        year_before += o->amount;
      }
    }
    absl::StrAppend(&out, "- ", orders.size(), " orders");
    if (a != nullptr && a->typical_gap_days > 0) {
      absl::StrAppend(&out, absl::StrFormat(", usually every %.0f days", a->typical_gap_days));
    } else if (a != nullptr && a->mean_gap_days > 0) {
      absl::StrAppend(&out, absl::StrFormat(", every %.0f days on average", a->mean_gap_days));
    }
    absl::StrAppend(&out, "\n- Last 12 months ", Money(last_year), ", the 12 months before ", Money(year_before));
    if (year_before > 0) {
      const double change = (last_year - year_before) / year_before;
      absl::StrAppend(&out, absl::StrFormat(" (%s%.0f %%)", change >= 0 ? "+" : "", 100 * change));
    }
    absl::StrAppend(&out, "\n- Last orders:");
    for (int i = 0; i < kLastOrders && i < static_cast<int>(orders.size()); ++i) {
      absl::StrAppend(&out, i == 0 ? " " : "; ", FormatIsoDay(UtcDay(orders[i]->ordered_at)), " ",
                      Money(orders[i]->amount), orders[i]->currency.empty() ? "" : " ", orders[i]->currency);
    }
    absl::StrAppend(&out, "\n");
    std::vector<std::pair<std::string, double>> top(products.begin(), products.end());
    std::sort(top.begin(), top.end(), [](const auto& x, const auto& y) {
      if (x.second != y.second) return x.second > y.second;
      return x.first < y.first;
    });
    if (!top.empty()) {
      absl::StrAppend(&out, "- Top products (12 months):");
      for (int i = 0; i < kTopProducts && i < static_cast<int>(top.size()); ++i) {
        absl::StrAppend(&out, i == 0 ? " " : "; ", top[i].first, " ", Money(top[i].second));
      }
      absl::StrAppend(&out, "\n");
    }
  }

  // Cases.
  absl::StrAppend(&out, "\n## Cases\n");
  std::vector<const Case*> open;
  int recent = 0;
  for (const Case& c : in.cases) {
    if (c.opened_at >= end) continue;
    if (c.IsOpen()) open.push_back(&c);
    if (absl::ToDoubleHours(end - c.opened_at) / 24 <= kRecentCaseDays) ++recent;
  }
  std::sort(open.begin(), open.end(), [](const Case* x, const Case* y) { return x->opened_at > y->opened_at; });
  absl::StrAppend(&out, "- ", open.size(), " open, ", recent, " opened in the last ", kRecentCaseDays, " days\n");
  for (const Case* c : open) {
    absl::StrAppend(&out, "- Open since ", FormatIsoDay(UtcDay(c->opened_at)), ": ", c->subject,
                    c->priority.empty() ? "" : absl::StrCat(" (", c->priority, ")"), "\n");
  }

  // Contacts: the people, and the recent conversations.
  absl::StrAppend(&out, "\n## People\n");
  int key_contacts = 0;
  std::vector<const Contact*> contacts;
  for (const Contact& c : in.contacts) {
    if (c.active) contacts.push_back(&c);
  }
  std::sort(contacts.begin(), contacts.end(), [](const Contact* x, const Contact* y) { return x->id < y->id; });
  for (const Contact* c : contacts) {
    absl::StrAppend(&out, "- ", c->name, c->role.empty() ? "" : absl::StrCat(", ", c->role),
                    c->email.empty() ? "" : absl::StrCat(" <", c->email, ">"), "\n");
    ++key_contacts;
  }
  if (key_contacts == 0) absl::StrAppend(&out, "- No active contact on record: find the buyer first.\n");
  std::vector<const Activity*> activities;
  for (const Activity& act : in.activities) {
    if (act.occurred_at < end) activities.push_back(&act);
  }
  std::sort(activities.begin(), activities.end(), [](const Activity* x, const Activity* y) {
    if (x->occurred_at != y->occurred_at) return x->occurred_at > y->occurred_at;
    return x->id < y->id;
  });
  absl::StrAppend(&out, "\n## Recent contacts\n");
  if (activities.empty()) absl::StrAppend(&out, "- None on record.\n");
  for (int i = 0; i < kRecentContacts && i < static_cast<int>(activities.size()); ++i) {
    absl::StrAppend(&out, "- ", ActivityLine(in, *activities[i]), "\n");
  }
  absl::StrAppend(&out, "\n## What the previous owner last did\n");
  const Activity* last_by_owner = nullptr;
  for (const Activity* act : activities) {
    if (act->user_id == in.previous_owner_id) {
      last_by_owner = act;
      break;
    }
  }
  absl::StrAppend(&out, "- ",
                  last_by_owner == nullptr ? "Nothing on record." : ActivityLine(in, *last_by_owner), "\n");

  // Risk.
  absl::StrAppend(&out, "\n## Risk\n");
  if (a == nullptr) {
    absl::StrAppend(&out, "- Not scored yet.\n");
  } else {
    absl::StrAppend(&out, absl::StrFormat("- Churn probability %.0f %%", 100 * a->churn_probability),
                    ", value at risk ", Money(a->value_at_risk), "\n");
    for (const Signal& s : a->signals) absl::StrAppend(&out, "- ", s.id, ": ", s.evidence, "\n");
    if (a->signals.empty()) absl::StrAppend(&out, "- No warning signals.\n");
  }

  absl::StrAppend(&out, "\n## Open tasks\n");
  if (in.open_tasks.empty()) absl::StrAppend(&out, "- None.\n");
  for (const BriefTask& t : in.open_tasks) {
    absl::StrAppend(&out, "- ", t.subject, " (", NameOf(in, t.assignee_id), ", due ", FormatIsoDay(t.due_day), ")\n");
  }
  absl::StrAppend(&out, "\nWhat to do: introduce yourself as the new owner; ask how the last orders went",
                  open.empty() ? "" : " and go through the open cases", ".\n");
  if (!task_key.empty()) absl::StrAppend(&out, "\nPulse task key: ", task_key);
  return out;
}

}  // namespace pulse
