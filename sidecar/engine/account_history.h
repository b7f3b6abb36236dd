// Each account's own history, cut at an as-of instant (nothing later is
// visible: no look-ahead), in the compact form the signals and the cadence
// model read.
#ifndef PULSE_SIDECAR_ENGINE_ACCOUNT_HISTORY_H_
#define PULSE_SIDECAR_ENGINE_ACCOUNT_HISTORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sidecar/domain/records.h"

namespace pulse {

// Orders of one UTC day merged: cadence is about days with orders.
struct OrderDay {
  int64_t day = 0;  // days since 1970-01-01
  double amount = 0;
};

struct CaseEvent {
  int64_t opened_day = 0;
  std::optional<double> first_response_hours;
  bool open = false;  // open as of the cut
  const Case* record = nullptr;
};

struct ActivityEvent {
  int64_t day = 0;
  bool two_way = false;
  const Activity* record = nullptr;
};

struct ProductEvent {
  int64_t day = 0;
  const OrderLine* line = nullptr;
};

struct EngagementEvent {
  int64_t day = 0;  // period start
  const EngagementPeriod* record = nullptr;
};

struct FeedbackEvent {
  int64_t day = 0;
  const Feedback* record = nullptr;
};

struct AccountHistory {
  const Account* account = nullptr;
  std::vector<OrderDay> order_days;  // ascending, same-day merged
  int64_t orders_total = 0;          // orders before merging
  std::vector<CaseEvent> cases;       // by opened day
  std::vector<ActivityEvent> activities;  // by day
  std::vector<ProductEvent> products;     // order lines, by day
  std::vector<const Contact*> contacts;
  std::vector<EngagementEvent> engagement;  // by period start
  std::vector<FeedbackEvent> feedback;      // by day received
  // The currency of the latest order on or before the cut that names one.
  absl::string_view currency;
};

// All accounts' histories at one cut.
struct CustomerHistories {
  int64_t as_of_day = 0;  // days since epoch of the cut (inclusive)
  std::vector<AccountHistory> accounts;  // accounts that existed at the cut
  absl::flat_hash_map<std::string, const User*> users;
  bool has_cases = false;       // any case record exists at all
  bool has_activities = false;  // any activity record exists at all
  bool has_contacts = false;
  bool has_engagement = false;
  bool has_feedback = false;
  int64_t orphan_records = 0;   // records naming an unknown account
};

// Builds the histories from `data` as of `as_of`. Records dated after as_of
// are ignored, so are accounts created after it. `data` must outlive the
// result (it points into it).
CustomerHistories BuildHistories(const CustomerData& data, absl::Time as_of);

// Days since 1970-01-01 of the UTC day `t` falls on.
int64_t EpochDay(absl::Time t);
absl::CivilDay CivilFromEpochDay(int64_t day);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_ACCOUNT_HISTORY_H_
