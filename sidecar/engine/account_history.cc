#include "sidecar/engine/account_history.h"

#include <algorithm>
#include <cmath>

#include "sidecar/common/time_util.h"

namespace pulse {

int64_t EpochDay(absl::Time t) {
  return static_cast<int64_t>(std::floor(absl::ToDoubleSeconds(t - absl::UnixEpoch()) / 86400.0));
}

absl::CivilDay CivilFromEpochDay(int64_t day) { return absl::CivilDay(1970, 1, 1) + day; }

CustomerHistories BuildHistories(const CustomerData& data, absl::Time as_of) {
  CustomerHistories out;
  out.as_of_day = EpochDay(as_of);
  for (const User& u : data.users) out.users[u.id] = &u;

  absl::flat_hash_map<absl::string_view, size_t> index;
  index.reserve(data.accounts.size());
  out.accounts.reserve(data.accounts.size());
  for (const Account& a : data.accounts) {
    if (a.created_at.has_value() && *a.created_at > as_of) continue;
    if (!index.emplace(a.id, out.accounts.size()).second) continue;
    AccountHistory h;
    h.account = &a;
    out.accounts.push_back(std::move(h));
  }
  // Records usually come grouped by account (the store and the CSV files
  // list them so): remember the last lookup.
  absl::string_view last_id;
  AccountHistory* last = nullptr;
  auto find = [&](const std::string& id) -> AccountHistory* {
    if (last != nullptr && id == last_id) return last;
    auto it = index.find(id);
    if (it == index.end()) return nullptr;
    last_id = id;
    last = &out.accounts[it->second];
    return last;
  };

  std::vector<absl::Time> latest_order_at(out.accounts.size(), absl::InfinitePast());
  for (const Order& o : data.orders) {
    if (o.ordered_at > as_of) continue;
    AccountHistory* h = find(o.account_id);
    if (h == nullptr) {
      ++out.orphan_records;
      continue;
    }
    const int64_t day = EpochDay(o.ordered_at);
    if (!o.currency.empty() && (h->currency.empty() || o.ordered_at >= latest_order_at[h - out.accounts.data()])) {
      h->currency = o.currency;
      latest_order_at[h - out.accounts.data()] = o.ordered_at;
    }
    h->order_days.push_back({day, o.amount});
    ++h->orders_total;
    for (const OrderLine& line : o.lines) h->products.push_back({day, &line});
  }
  for (const Case& c : data.cases) {
    out.has_cases = true;
    if (c.opened_at > as_of) continue;
    AccountHistory* h = find(c.account_id);
    if (h == nullptr) {
      ++out.orphan_records;
      continue;
    }
    CaseEvent e;
    e.opened_day = EpochDay(c.opened_at);
    if (c.first_response_at.has_value() && *c.first_response_at <= as_of) {
      e.first_response_hours = absl::ToDoubleHours(*c.first_response_at - c.opened_at);
    }
    // Open as of the cut: not closed by then (a later close is not visible).
    if (c.closed_at.has_value()) {
      e.open = *c.closed_at > as_of;
    } else {
      e.open = c.IsOpen();
    }
    e.record = &c;
    h->cases.push_back(e);
  }
  for (const Activity& a : data.activities) {
    out.has_activities = true;
    if (a.occurred_at > as_of) continue;
    AccountHistory* h = find(a.account_id);
    if (h == nullptr) {
      ++out.orphan_records;
      continue;
    }
    h->activities.push_back({EpochDay(a.occurred_at), a.IsTwoWay(), &a});
  }
  for (const Contact& c : data.contacts) {
    out.has_contacts = true;
    if (AccountHistory* h = find(c.account_id); h != nullptr) h->contacts.push_back(&c);
  }
  for (const EngagementPeriod& e : data.engagement) {
    out.has_engagement = true;
    const int64_t day = EpochDay(StartOfDay(e.period_start));
    if (day > out.as_of_day) continue;
    if (AccountHistory* h = find(e.account_id); h != nullptr) h->engagement.push_back({day, &e});
  }
  for (const Feedback& f : data.feedback) {
    out.has_feedback = true;
    if (f.received_at > as_of) continue;
    if (AccountHistory* h = find(f.account_id); h != nullptr) h->feedback.push_back({EpochDay(f.received_at), &f});
  }

  for (AccountHistory& h : out.accounts) {
    auto& od = h.order_days;
    std::sort(od.begin(), od.end(), [](const OrderDay& a, const OrderDay& b) { return a.day < b.day; });
    // Merge same-day orders.
    size_t w = 0;
    for (size_t r = 0; r < od.size(); ++r) {
      if (w > 0 && od[w - 1].day == od[r].day) {
        od[w - 1].amount += od[r].amount;
      } else {
        od[w++] = od[r];
      }
    }
    od.resize(w);
    std::sort(h.cases.begin(), h.cases.end(),
              [](const CaseEvent& a, const CaseEvent& b) { return a.opened_day < b.opened_day; });
    std::sort(h.activities.begin(), h.activities.end(),
              [](const ActivityEvent& a, const ActivityEvent& b) { return a.day < b.day; });
    std::sort(h.engagement.begin(), h.engagement.end(),
              [](const EngagementEvent& a, const EngagementEvent& b) { return a.day < b.day; });
    std::sort(h.feedback.begin(), h.feedback.end(),
              [](const FeedbackEvent& a, const FeedbackEvent& b) { return a.day < b.day; });
    std::stable_sort(h.products.begin(), h.products.end(),
                     [](const ProductEvent& a, const ProductEvent& b) { return a.day < b.day; });
  }
  return out;
}

}  // namespace pulse
