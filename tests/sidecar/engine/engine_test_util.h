// Builders for small, hand-made customer bases in engine tests.
#ifndef PULSE_TESTS_SIDECAR_ENGINE_ENGINE_TEST_UTIL_H_
#define PULSE_TESTS_SIDECAR_ENGINE_ENGINE_TEST_UTIL_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "sidecar/common/time_util.h"
#include "sidecar/domain/records.h"

namespace pulse::testing {

inline absl::Time Day(const char* iso) { return *ParseIsoTime(iso); }

class CustomerBuilder {
 public:
  CustomerBuilder& User(const std::string& id, bool active = true, std::optional<int> capacity = std::nullopt) {
    pulse::User u;
    u.id = id;
    u.name = absl::StrCat("User ", id);
    u.active = active;
    u.weekly_capacity = capacity;
    data_.users.push_back(u);
    return *this;
  }
  CustomerBuilder& Account(const std::string& id, const std::string& owner = "", Tier tier = Tier::kUnspecified) {
    pulse::Account a;
    a.id = id;
    a.name = absl::StrCat("Company ", id);
    a.owner_id = owner;
    a.crm_tier = tier;
    a.created_at = Day("2020-01-01");
    data_.accounts.push_back(a);
    return *this;
  }
  // Orders every `gap_days` from `first` up to and including `last`.
  CustomerBuilder& Orders(const std::string& account, const char* first, const char* last, int gap_days,
                          double amount, const std::string& sku = "") {
    for (absl::Time t = Day(first); t <= Day(last); t += absl::Hours(24) * gap_days) Order(account, t, amount, sku);
    return *this;
  }
  CustomerBuilder& Order(const std::string& account, absl::Time at, double amount, const std::string& sku = "") {
    pulse::Order o;
    o.id = absl::StrCat("o", ++order_seq_);
    o.account_id = account;
    o.ordered_at = at;
    o.amount = amount;
    o.currency = "EUR";
    if (!sku.empty()) o.lines.push_back({sku, absl::StrCat("Product ", sku), 1, amount});
    data_.orders.push_back(o);
    return *this;
  }
  CustomerBuilder& CaseOpened(const std::string& account, const char* opened, const std::string& category,
                              bool open) {
    pulse::Case c;
    c.id = absl::StrCat("c", ++case_seq_);
    c.account_id = account;
    c.opened_at = Day(opened);
    c.first_response_at = c.opened_at + absl::Hours(2);
    if (!open) c.closed_at = c.opened_at + absl::Hours(48);
    c.status = open ? "open" : "closed";
    c.category = category;
    c.subject = absl::StrCat(category, " problem");
    data_.cases.push_back(c);
    return *this;
  }
  CustomerBuilder& Call(const std::string& account, const char* at, const std::string& user = "") {
    pulse::Activity a;
    a.id = absl::StrCat("a", ++activity_seq_);
    a.account_id = account;
    a.type = ActivityType::kCall;
    a.direction = Direction::kOutbound;
    a.occurred_at = Day(at);
    a.user_id = user;
    data_.activities.push_back(a);
    return *this;
  }
  CustomerData& data() { return data_; }

 private:
  CustomerData data_;
  int order_seq_ = 0;
  int case_seq_ = 0;
  int activity_seq_ = 0;
};

}  // namespace pulse::testing

#endif  // PULSE_TESTS_SIDECAR_ENGINE_ENGINE_TEST_UTIL_H_
