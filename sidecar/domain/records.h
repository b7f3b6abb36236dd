// The CRM records Pulse reads and writes, in the CRM-neutral form every
// adapter produces and the store, engine and server consume.
//
// Times are absolute UTC instants (absl::Time). Optional values are
// std::optional: an absent value means "the CRM did not say", never zero.
// Identifiers are the CRM's own, as strings.
#ifndef PULSE_SIDECAR_DOMAIN_RECORDS_H_
#define PULSE_SIDECAR_DOMAIN_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pulse {

// A CRM user who may own accounts and receive tasks.
struct User {
  std::string id;
  std::string name;
  std::string email;
  bool active = true;
  // Tasks per week this user can take; absent = use the configured default.
  std::optional<int> weekly_capacity;
};

// How much care an account gets. kUnspecified means "let Pulse decide from
// revenue" when it comes from the CRM.
enum class Tier { kUnspecified = 0, kKey = 1, kMid = 2, kTail = 3 };
absl::string_view TierName(Tier tier);              // "key", "mid", "tail", ""
std::optional<Tier> ParseTier(absl::string_view s);  // accepts the names above

struct Account {
  std::string id;
  std::string name;
  std::string owner_id;  // empty = unowned
  std::string industry;
  std::string country;
  std::optional<absl::Time> created_at;
  Tier crm_tier = Tier::kUnspecified;
  bool do_not_contact = false;
};

struct Contact {
  std::string id;
  std::string account_id;
  std::string name;
  std::string email;
  std::string role;
  bool active = true;
  std::optional<absl::Time> updated_at;
};

struct OrderLine {
  std::string sku;
  std::string product;
  double quantity = 0;
  double amount = 0;
};

// An order or invoice. Negative amounts are credits or returns.
struct Order {
  std::string id;
  std::string account_id;
  absl::Time ordered_at;
  double amount = 0;
  std::string currency;
  std::vector<OrderLine> lines;
};

// A case, ticket or complaint.
struct Case {
  std::string id;
  std::string account_id;
  absl::Time opened_at;
  std::optional<absl::Time> first_response_at;
  std::optional<absl::Time> closed_at;
  std::string status;  // the CRM's word, lower-cased
  std::string category;
  std::string priority;
  std::string subject;
  // Open when not closed; a CRM status alone does not close a case without
  // a closed_at, unless it is one of the usual closed words.
  bool IsOpen() const;
};

enum class ActivityType { kCall = 0, kMeeting = 1, kEmail = 2, kNote = 3 };
enum class Direction { kUnknown = 0, kInbound = 1, kOutbound = 2 };
absl::string_view ActivityTypeName(ActivityType type);
std::optional<ActivityType> ParseActivityType(absl::string_view s);
absl::string_view DirectionName(Direction d);
std::optional<Direction> ParseDirection(absl::string_view s);  // "" -> kUnknown

// A logged call, meeting, email or note.
struct Activity {
  std::string id;
  std::string account_id;
  ActivityType type = ActivityType::kNote;
  Direction direction = Direction::kUnknown;
  absl::Time occurred_at;
  std::string user_id;
  std::string subject;
  // Two-way contact: a call or meeting, or an inbound email. Notes and
  // outbound emails alone are not a conversation.
  bool IsTwoWay() const;
};

// Newsletter engagement of an account over one period (a week or a month).
struct EngagementPeriod {
  std::string id;  // adapter-made: "<account_id>|<period_start>"
  std::string account_id;
  absl::CivilDay period_start;
  int64_t sent = 0;
  int64_t opened = 0;
  int64_t clicked = 0;
};

enum class FeedbackScale { kNps = 0, kCsat = 1 };
absl::string_view FeedbackScaleName(FeedbackScale s);
std::optional<FeedbackScale> ParseFeedbackScale(absl::string_view s);

struct Feedback {
  std::string id;  // adapter-made: "<account_id>|<received_at RFC3339>"
  std::string account_id;
  absl::Time received_at;
  double score = 0;  // NPS 0..10, CSAT 1..5
  FeedbackScale scale = FeedbackScale::kNps;
  std::string comment;
};

// What kind of CRM record a task becomes.
enum class TaskType { kCall = 0, kMeeting = 1, kEmailDraft = 2, kTodo = 3 };
absl::string_view TaskTypeName(TaskType t);  // "call", "meeting", "email_draft", "todo"
std::optional<TaskType> ParseTaskType(absl::string_view s);

// A task Pulse asks the CRM to create. `key` is deterministic and unique:
// writing the same key twice must never create two tasks.
struct TaskRequest {
  std::string key;
  std::string account_id;
  std::string assignee_id;
  TaskType type = TaskType::kCall;
  absl::Time due_at;
  std::string subject;
  std::string description;
  absl::Time created_at;
};

// A change of an account's owner. `key` is deterministic and unique.
struct OwnerChangeRequest {
  std::string key;
  std::string account_id;
  std::string from_owner_id;
  std::string to_owner_id;
  absl::Time changed_at;
};

// One decision to contact an account (treatment: a task was planned) or the
// same decision withheld (holdout: the task it would have had). The uplift
// report compares what the two groups did afterwards.
struct ContactDecision {
  std::string key;  // the task key (the would-be key in the holdout)
  std::string account_id;
  std::string action;  // "win_back", ...
  std::string tier;
  bool holdout = false;
  // Planned only because a holdout account freed its assignee's capacity:
  // left out of comparisons, since the holdout has no counterpart for it.
  bool backfill = false;
  absl::Time decided_at;  // the sweep's as-of
  int64_t sweep_id = 0;
  double churn_probability = 0;
  double annual_value = 0;
};

// Every record Pulse knows, as plain vectors. The engine indexes it.
struct CustomerData {
  std::vector<User> users;
  std::vector<Account> accounts;
  std::vector<Contact> contacts;
  std::vector<Order> orders;  // with their lines
  std::vector<Case> cases;
  std::vector<Activity> activities;
  std::vector<EngagementPeriod> engagement;
  std::vector<Feedback> feedback;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_DOMAIN_RECORDS_H_
