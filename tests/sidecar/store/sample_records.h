// Sample CRM records and ledger entries for the store tests, and field-wise
// comparison of them (the records have no operator==).
#ifndef PULSE_TESTS_SIDECAR_STORE_SAMPLE_RECORDS_H_
#define PULSE_TESTS_SIDECAR_STORE_SAMPLE_RECORDS_H_

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "adapters/crm_adapter.h"
#include "gtest/gtest.h"
#include "sidecar/domain/records.h"
#include "sidecar/store/store.h"

namespace pulse::testing {

// 2026-03-01 09:30:00.123456 UTC plus `hours`: microsecond precision, which
// the store keeps.
inline absl::Time At(int hours) {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 1, 9, 30, 0), absl::UTCTimeZone()) +
         absl::Microseconds(123456) + absl::Hours(hours);
}

// Text the store must keep byte for byte: an embedded NUL, bytes that are
// not UTF-8, quotes and separators.
inline std::string AwkwardText() {
  static constexpr char kText[] = "O'Brien; \"a\\b\"\0tail\xff\xfe";
  return std::string(kText, sizeof(kText) - 1);
}

inline auto Fields(const User& u) {
  return std::make_tuple(u.id, u.name, u.email, u.active, u.weekly_capacity);
}
inline auto Fields(const Account& a) {
  return std::make_tuple(a.id, a.name, a.owner_id, a.industry, a.country, a.created_at,
                         static_cast<int>(a.crm_tier), a.do_not_contact);
}
inline auto Fields(const Contact& c) {
  return std::make_tuple(c.id, c.account_id, c.name, c.email, c.role, c.active, c.updated_at);
}
inline auto Fields(const OrderLine& l) { return std::make_tuple(l.sku, l.product, l.quantity, l.amount); }
inline auto Fields(const Order& o) {
  std::vector<decltype(Fields(OrderLine()))> lines;
  for (const OrderLine& l : o.lines) lines.push_back(Fields(l));
  return std::make_tuple(o.id, o.account_id, o.ordered_at, o.amount, o.currency, lines);
}
inline auto Fields(const Case& c) {
  return std::make_tuple(c.id, c.account_id, c.opened_at, c.first_response_at, c.closed_at,
                         c.status, c.category, c.priority, c.subject);
}
inline auto Fields(const Activity& a) {
  return std::make_tuple(a.id, a.account_id, static_cast<int>(a.type),
                         static_cast<int>(a.direction), a.occurred_at, a.user_id, a.subject);
}
inline auto Fields(const EngagementPeriod& e) {
  return std::make_tuple(e.id, e.account_id, e.period_start, e.sent, e.opened, e.clicked);
}
inline auto Fields(const Feedback& f) {
  return std::make_tuple(f.id, f.account_id, f.received_at, f.score, static_cast<int>(f.scale),
                         f.comment);
}
inline auto Fields(const TaskRecord& t) {
  const TaskRequest& r = t.request;
  return std::make_tuple(r.key, r.account_id, r.assignee_id, static_cast<int>(r.type), r.due_at,
                         r.subject, r.description, r.created_at, t.action, t.reasons, t.sweep_id,
                         static_cast<int>(t.status), t.attempts, t.last_error, t.next_attempt_at,
                         t.crm_id, t.delivered_at);
}
inline auto Fields(const OwnerChangeRecord& c) {
  const OwnerChangeRequest& r = c.request;
  return std::make_tuple(r.key, r.account_id, r.from_owner_id, r.to_owner_id, r.changed_at,
                         c.plan_id, static_cast<int>(c.status), c.attempts, c.last_error,
                         c.next_attempt_at, c.delivered_at);
}
inline auto Fields(const AccountSnapshot& s) {
  return std::make_tuple(s.account_id, s.owner_id, s.active_contact_ids, s.observed_at);
}
inline auto Fields(const SweepRecord& s) {
  return std::make_tuple(s.id, s.started_at, s.finished_at, s.as_of, s.dry_run, s.status,
                         s.report_json);
}

// Expects the same records in the same order.
template <typename T>
void ExpectSameInOrder(const std::vector<T>& actual, const std::vector<T>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_EQ(Fields(actual[i]), Fields(expected[i])) << "#" << i;
}

// Expects the same CRM records, in any order (compared sorted by id).
template <typename T>
void ExpectSameRecords(std::vector<T> actual, std::vector<T> expected) {
  auto by_id = [](const T& a, const T& b) { return a.id < b.id; };
  std::sort(actual.begin(), actual.end(), by_id);
  std::sort(expected.begin(), expected.end(), by_id);
  ExpectSameInOrder(actual, expected);
}

inline void ExpectSameCustomerData(const CustomerData& actual, const CustomerData& expected) {
  ExpectSameRecords(actual.users, expected.users);
  ExpectSameRecords(actual.accounts, expected.accounts);
  ExpectSameRecords(actual.contacts, expected.contacts);
  ExpectSameRecords(actual.orders, expected.orders);
  ExpectSameRecords(actual.cases, expected.cases);
  ExpectSameRecords(actual.activities, expected.activities);
  ExpectSameRecords(actual.engagement, expected.engagement);
  ExpectSameRecords(actual.feedback, expected.feedback);
}

// One record of each type with every optional field present and non-default
// enum values, and one with optional fields absent and the other enums.
inline CustomerData SampleCustomerData() {
  CustomerData d;
  d.users.push_back({"u1", "Ann Smith", "ann@example.com", true, 12});
  d.users.push_back({"u2", AwkwardText(), "", false, std::nullopt});

  Account a1;
  a1.id = "a1";
  a1.name = "Acme GmbH";
  a1.owner_id = "u1";
  a1.industry = "Machinery";
  a1.country = "DE";
  a1.created_at = At(-24 * 400);
  a1.crm_tier = Tier::kKey;
  a1.do_not_contact = true;
  Account a2;
  a2.id = "a2";
  a2.name = AwkwardText();
  d.accounts = {a1, a2};
  Account a3 = a2;
  a3.id = "a3";
  a3.crm_tier = Tier::kTail;
  d.accounts.push_back(a3);

  d.contacts.push_back({"c1", "a1", "Bob", "bob@acme.example", "buyer", true, At(-5)});
  d.contacts.push_back({"c2", "a1", "", "", "", false, std::nullopt});

  Order o1;
  o1.id = "o1";
  o1.account_id = "a1";
  o1.ordered_at = At(-48);
  o1.amount = 1234.5;
  o1.currency = "EUR";
  o1.lines = {{"SKU-1", "Widget", 2, 1000.25}, {"SKU-2", AwkwardText(), 0.5, 234.25}};
  Order o2;
  o2.id = "o2";
  o2.account_id = "a2";
  o2.ordered_at = At(-1);
  o2.amount = -99.95;  // a credit note
  o2.currency = "USD";
  d.orders = {o1, o2};

  Case k1;
  k1.id = "k1";
  k1.account_id = "a1";
  k1.opened_at = At(-30);
  k1.first_response_at = At(-29);
  k1.closed_at = At(-2);
  k1.status = "closed";
  k1.category = "billing";
  k1.priority = "high";
  k1.subject = "Invoice wrong";
  Case k2;
  k2.id = "k2";
  k2.account_id = "a2";
  k2.opened_at = At(-3);
  k2.status = "open";
  d.cases = {k1, k2};

  Activity v1;
  v1.id = "v1";
  v1.account_id = "a1";
  v1.type = ActivityType::kMeeting;
  v1.direction = Direction::kOutbound;
  v1.occurred_at = At(-10);
  v1.user_id = "u1";
  v1.subject = "QBR";
  Activity v2;
  v2.id = "v2";
  v2.account_id = "a2";
  v2.type = ActivityType::kEmail;
  v2.direction = Direction::kInbound;
  v2.occurred_at = At(-11);
  Activity v3;
  v3.id = "v3";
  v3.account_id = "a2";
  v3.type = ActivityType::kNote;
  v3.direction = Direction::kUnknown;
  v3.occurred_at = At(-12);
  Activity v4 = v3;
  v4.id = "v4";
  v4.type = ActivityType::kCall;
  d.activities = {v1, v2, v3, v4};

  d.engagement.push_back({"a1|2026-02-01", "a1", absl::CivilDay(2026, 2, 1), 4, 3, 1});
  d.engagement.push_back({"a2|1999-12-27", "a2", absl::CivilDay(1999, 12, 27), 0, 0, 0});

  d.feedback.push_back({"a1|2026-02-03T10:00:00Z", "a1", At(-600), 9, FeedbackScale::kNps, "great"});
  d.feedback.push_back({"a2|2026-02-04T10:00:00Z", "a2", At(-500), 2.5, FeedbackScale::kCsat, ""});
  return d;
}

template <typename T>
ChangeBatch<T> Upserts(std::vector<T> records, std::string watermark = "") {
  ChangeBatch<T> batch;
  batch.upserts = std::move(records);
  batch.watermark = std::move(watermark);
  return batch;
}

// Applies every entity of `data` as one incremental batch each.
inline absl::Status ApplyAll(Store& store, const CustomerData& data) {
  for (absl::Status s : {store.Apply(Upserts(data.users)), store.Apply(Upserts(data.accounts)),
                         store.Apply(Upserts(data.contacts)), store.Apply(Upserts(data.orders)),
                         store.Apply(Upserts(data.cases)), store.Apply(Upserts(data.activities)),
                         store.Apply(Upserts(data.engagement)), store.Apply(Upserts(data.feedback))}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

inline TaskRecord SampleTask(const std::string& key, const std::string& account_id,
                             absl::Time created_at) {
  TaskRecord t;
  t.request.key = key;
  t.request.account_id = account_id;
  t.request.assignee_id = "u1";
  t.request.type = TaskType::kEmailDraft;
  t.request.due_at = created_at + absl::Hours(72);
  t.request.subject = "Win back " + account_id;
  t.request.description = AwkwardText();
  t.request.created_at = created_at;
  t.action = "win_back";
  t.reasons = "order_gap,nps_drop";
  t.sweep_id = 7;
  return t;
}

inline OwnerChangeRecord SampleOwnerChange(const std::string& key, const std::string& account_id,
                                           absl::Time changed_at) {
  OwnerChangeRecord c;
  c.request.key = key;
  c.request.account_id = account_id;
  c.request.from_owner_id = "u1";
  c.request.to_owner_id = "u2";
  c.request.changed_at = changed_at;
  c.plan_id = "handoff-u1";
  return c;
}

}  // namespace pulse::testing

#endif  // PULSE_TESTS_SIDECAR_STORE_SAMPLE_RECORDS_H_
