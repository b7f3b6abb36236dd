#include "adapters/csv/csv_format.h"

#include <cmath>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sidecar/common/time_util.h"

namespace pulse::csv_internal {
namespace {

// Returns from the enclosing row parser when `expr` gives a reason.
#define PULSE_CSV_REJECT_IF(expr)                           \
  do {                                                      \
    std::string pulse_csv_reason = (expr);                  \
    if (!pulse_csv_reason.empty()) return pulse_csv_reason; \
  } while (false)

absl::string_view Field(const CsvRow& row, absl::string_view column) {
  return absl::StripAsciiWhitespace(row.Get(column));
}

std::string Text(const CsvRow& row, absl::string_view column) { return std::string(Field(row, column)); }

std::string RequiredText(const CsvRow& row, absl::string_view column, std::string* out) {
  *out = Text(row, column);
  if (out->empty()) return absl::StrCat(column, " is empty");
  return "";
}

std::string RequiredTime(const CsvRow& row, absl::string_view column, absl::Time* out) {
  const absl::string_view v = Field(row, column);
  if (v.empty()) return absl::StrCat(column, " is empty");
  absl::StatusOr<absl::Time> t = ParseIsoTime(v);
  if (!t.ok()) return absl::StrCat(column, " ", t.status().message());
  *out = *t;
  return "";
}

// Empty means "not given".
std::string OptionalTime(const CsvRow& row, absl::string_view column, std::optional<absl::Time>* out) {
  out->reset();
  if (Field(row, column).empty()) return "";
  absl::Time t;
  PULSE_CSV_REJECT_IF(RequiredTime(row, column, &t));
  *out = t;
  return "";
}

// Plain decimal notation with '.' (an exponent is tolerated); no hex, inf or
// nan, no thousands separators.
bool IsDecimal(absl::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

std::string Number(const CsvRow& row, absl::string_view column, double* out) {
  const absl::string_view v = Field(row, column);
  if (v.empty()) return absl::StrCat(column, " is empty");
  if (!IsDecimal(v) || !absl::SimpleAtod(v, out) || !std::isfinite(*out)) {
    if (v.find(',') != absl::string_view::npos) {
      return absl::StrCat(column, " '", v,
                          "' is not a number (use '.' as the decimal separator, no thousands separator)");
    }
    return absl::StrCat(column, " '", v, "' is not a number");
  }
  return "";
}

// A non-negative whole number; empty counts as 0.
std::string Count(const CsvRow& row, absl::string_view column, int64_t* out) {
  const absl::string_view v = Field(row, column);
  *out = 0;
  if (v.empty()) return "";
  if (!absl::SimpleAtoi(v, out) || *out < 0 || v[0] == '+') {
    return absl::StrCat(column, " '", v, "' is not a non-negative whole number");
  }
  return "";
}

std::optional<bool> ParseBool(absl::string_view v) {
  const std::string s = absl::AsciiStrToLower(v);
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  return std::nullopt;
}

// Empty gives `if_empty`.
std::string Bool(const CsvRow& row, absl::string_view column, bool if_empty, bool* out) {
  const absl::string_view v = Field(row, column);
  if (v.empty()) {
    *out = if_empty;
    return "";
  }
  std::optional<bool> b = ParseBool(v);
  if (!b.has_value()) return absl::StrCat(column, " '", v, "' is not true or false (1/0 and yes/no also work)");
  *out = *b;
  return "";
}

}  // namespace

const std::vector<absl::string_view>& UserColumns() {
  static const auto* c = new std::vector<absl::string_view>{"id", "name", "email", "active"};
  return *c;
}
const std::vector<absl::string_view>& AccountColumns() {
  static const auto* c =
      new std::vector<absl::string_view>{"id", "name", "owner_id", "industry", "country", "created_at"};
  return *c;
}
const std::vector<absl::string_view>& ContactColumns() {
  static const auto* c =
      new std::vector<absl::string_view>{"id", "account_id", "name", "email", "role", "active", "updated_at"};
  return *c;
}
const std::vector<absl::string_view>& OrderColumns() {
  static const auto* c = new std::vector<absl::string_view>{"id", "account_id", "ordered_at", "amount", "currency"};
  return *c;
}
const std::vector<absl::string_view>& OrderLineColumns() {
  static const auto* c = new std::vector<absl::string_view>{"order_id", "sku", "product", "quantity", "amount"};
  return *c;
}
const std::vector<absl::string_view>& CaseColumns() {
  static const auto* c = new std::vector<absl::string_view>{
      "id", "account_id", "opened_at", "first_response_at", "closed_at", "status", "category", "priority", "subject"};
  return *c;
}
const std::vector<absl::string_view>& ActivityColumns() {
  static const auto* c =
      new std::vector<absl::string_view>{"id", "account_id", "type", "direction", "occurred_at", "user_id", "subject"};
  return *c;
}
const std::vector<absl::string_view>& EngagementColumns() {
  static const auto* c = new std::vector<absl::string_view>{"account_id", "period_start", "sent", "opened", "clicked"};
  return *c;
}
const std::vector<absl::string_view>& FeedbackColumns() {
  static const auto* c = new std::vector<absl::string_view>{"account_id", "received_at", "score", "scale", "comment"};
  return *c;
}
const std::vector<std::string>& TaskColumns() {
  static const auto* c = new std::vector<std::string>{"key",    "account_id", "assignee_id", "type",
                                                      "due_at", "subject",    "description", "created_at"};
  return *c;
}
const std::vector<std::string>& OwnerChangeColumns() {
  static const auto* c =
      new std::vector<std::string>{"key", "account_id", "from_owner_id", "to_owner_id", "changed_at"};
  return *c;
}

std::string ParseUserRow(const CsvRow& row, User* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "id", &out->id));
  out->name = Text(row, "name");
  out->email = Text(row, "email");
  PULSE_CSV_REJECT_IF(Bool(row, "active", true, &out->active));
  out->weekly_capacity.reset();
  const absl::string_view cap = Field(row, "weekly_capacity");
  if (!cap.empty()) {
    int capacity = 0;
    if (!absl::SimpleAtoi(cap, &capacity) || capacity < 0 || cap[0] == '+') {
      return absl::StrCat("weekly_capacity '", cap, "' is not a non-negative whole number");
    }
    out->weekly_capacity = capacity;
  }
  return "";
}

std::string ParseAccountRow(const CsvRow& row, Account* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "id", &out->id));
  out->name = Text(row, "name");
  out->owner_id = Text(row, "owner_id");
  out->industry = Text(row, "industry");
  out->country = Text(row, "country");
  PULSE_CSV_REJECT_IF(OptionalTime(row, "created_at", &out->created_at));
  const absl::string_view tier = Field(row, "tier");
  std::optional<Tier> t = ParseTier(tier);
  if (!t.has_value()) return absl::StrCat("tier '", tier, "' is not key, mid, tail or empty");
  out->crm_tier = *t;
  PULSE_CSV_REJECT_IF(Bool(row, "do_not_contact", false, &out->do_not_contact));
  return "";
}

std::string ParseContactRow(const CsvRow& row, Contact* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "id", &out->id));
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  out->name = Text(row, "name");
  out->email = Text(row, "email");
  out->role = Text(row, "role");
  PULSE_CSV_REJECT_IF(Bool(row, "active", true, &out->active));
  PULSE_CSV_REJECT_IF(OptionalTime(row, "updated_at", &out->updated_at));
  return "";
}

std::string ParseOrderRow(const CsvRow& row, Order* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "id", &out->id));
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  PULSE_CSV_REJECT_IF(RequiredTime(row, "ordered_at", &out->ordered_at));
  PULSE_CSV_REJECT_IF(Number(row, "amount", &out->amount));
  out->currency = absl::AsciiStrToUpper(Field(row, "currency"));
  out->lines.clear();
  return "";
}

std::string ParseOrderLineRow(const CsvRow& row, std::string* order_id, OrderLine* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "order_id", order_id));
  out->sku = Text(row, "sku");
  out->product = Text(row, "product");
  PULSE_CSV_REJECT_IF(Number(row, "quantity", &out->quantity));
  PULSE_CSV_REJECT_IF(Number(row, "amount", &out->amount));
  return "";
}

std::string ParseCaseRow(const CsvRow& row, Case* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "id", &out->id));
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  PULSE_CSV_REJECT_IF(RequiredTime(row, "opened_at", &out->opened_at));
  PULSE_CSV_REJECT_IF(OptionalTime(row, "first_response_at", &out->first_response_at));
  PULSE_CSV_REJECT_IF(OptionalTime(row, "closed_at", &out->closed_at));
  out->status = absl::AsciiStrToLower(Field(row, "status"));
  out->category = Text(row, "category");
  out->priority = Text(row, "priority");
  out->subject = Text(row, "subject");
  return "";
}

std::string ParseActivityRow(const CsvRow& row, Activity* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "id", &out->id));
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  const absl::string_view type = Field(row, "type");
  std::optional<ActivityType> t = ParseActivityType(type);
  if (!t.has_value()) return absl::StrCat("type '", type, "' is not call, meeting, email or note");
  out->type = *t;
  const absl::string_view direction = Field(row, "direction");
  std::optional<Direction> d = ParseDirection(direction);
  if (!d.has_value()) return absl::StrCat("direction '", direction, "' is not inbound, outbound or empty");
  out->direction = *d;
  PULSE_CSV_REJECT_IF(RequiredTime(row, "occurred_at", &out->occurred_at));
  out->user_id = Text(row, "user_id");
  out->subject = Text(row, "subject");
  return "";
}

std::string ParseEngagementRow(const CsvRow& row, EngagementPeriod* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  const absl::string_view start = Field(row, "period_start");
  if (start.empty()) return "period_start is empty";
  absl::StatusOr<absl::CivilDay> day = ParseIsoDay(start);
  if (!day.ok()) return absl::StrCat("period_start ", day.status().message());
  out->period_start = *day;
  PULSE_CSV_REJECT_IF(Count(row, "sent", &out->sent));
  PULSE_CSV_REJECT_IF(Count(row, "opened", &out->opened));
  PULSE_CSV_REJECT_IF(Count(row, "clicked", &out->clicked));
  out->id = absl::StrCat(out->account_id, "|", FormatIsoDay(out->period_start));
  return "";
}

std::string ParseFeedbackRow(const CsvRow& row, Feedback* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  PULSE_CSV_REJECT_IF(RequiredTime(row, "received_at", &out->received_at));
  const absl::string_view scale = Field(row, "scale");
  std::optional<FeedbackScale> s = ParseFeedbackScale(scale);
  if (!s.has_value()) return absl::StrCat("scale '", scale, "' is not nps or csat");
  out->scale = *s;
  PULSE_CSV_REJECT_IF(Number(row, "score", &out->score));
  const double lo = out->scale == FeedbackScale::kNps ? 0 : 1;
  const double hi = out->scale == FeedbackScale::kNps ? 10 : 5;
  if (out->score < lo || out->score > hi) {
    return absl::StrCat("score ", Field(row, "score"), " is out of range for ", FeedbackScaleName(out->scale), " (", lo,
                        "..", hi, ")");
  }
  out->comment = Text(row, "comment");
  out->id = absl::StrCat(out->account_id, "|", FormatIsoTime(out->received_at));
  return "";
}

std::string ParseOwnerChangeRow(const CsvRow& row, OwnerChange* out) {
  PULSE_CSV_REJECT_IF(RequiredText(row, "key", &out->key));
  PULSE_CSV_REJECT_IF(RequiredText(row, "account_id", &out->account_id));
  out->from_owner_id = Text(row, "from_owner_id");
  out->to_owner_id = Text(row, "to_owner_id");
  PULSE_CSV_REJECT_IF(RequiredTime(row, "changed_at", &out->changed_at));
  return "";
}

#undef PULSE_CSV_REJECT_IF

void OwnerChangeLedger::Apply(const OwnerChange& change) {
  auto [it, inserted] = latest_.try_emplace(change.account_id, Latest{change.changed_at, change.to_owner_id});
  if (!inserted && change.changed_at >= it->second.changed_at) {
    it->second = Latest{change.changed_at, change.to_owner_id};
  }
}

const OwnerChangeLedger::Latest* OwnerChangeLedger::Find(absl::string_view account_id) const {
  auto it = latest_.find(account_id);
  return it == latest_.end() ? nullptr : &it->second;
}

}  // namespace pulse::csv_internal
