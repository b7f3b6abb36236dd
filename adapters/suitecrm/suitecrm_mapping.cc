#include "adapters/suitecrm/suitecrm_mapping.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pulse::suitecrm_internal {
namespace {

using json = nlohmann::json;

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s)); }

std::string Id(const json& record) { return record.at("id").get<std::string>(); }
const json& Attributes(const json& record) { return record.at("attributes"); }

// Joins first and last name the way SuiteCRM shows them.
std::string FullName(const json& a) {
  const std::string first(absl::StripAsciiWhitespace(Attr(a, "first_name")));
  const std::string last(absl::StripAsciiWhitespace(Attr(a, "last_name")));
  if (first.empty()) return last;
  if (last.empty()) return first;
  return absl::StrCat(first, " ", last);
}

// Parses the attribute as a time; `why` is set when it is malformed.
std::optional<absl::Time> TimeAttr(const json& a, absl::string_view name, std::string* why) {
  const std::string text = Attr(a, name);
  absl::StatusOr<std::optional<absl::Time>> t = ParseSuiteTime(text);
  if (!t.ok()) {
    *why = absl::StrCat(name, " '", text, "' is not a date or datetime");
    return std::nullopt;
  }
  return *t;
}

}  // namespace

absl::StatusOr<std::optional<absl::Time>> ParseSuiteTime(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return std::optional<absl::Time>();
  const std::string s(text);
  absl::Time t;
  std::string err;
  if (s.size() > 10 && s[10] == 'T' && absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", s, &t, &err)) return {t};
  if (s.size() > 10 && s[10] == 'T' && absl::ParseTime("%Y-%m-%dT%H:%M%Ez", s, &t, &err)) return {t};
  if (s.size() == 19 && absl::ParseTime("%Y-%m-%d %H:%M:%S", s, absl::UTCTimeZone(), &t, &err)) return {t};
  if (s.size() == 16 && absl::ParseTime("%Y-%m-%d %H:%M", s, absl::UTCTimeZone(), &t, &err)) return {t};
  if (s.size() == 10 && absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err)) return {t};
  return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not a SuiteCRM date or datetime"));
}

std::string FormatDbTime(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::UTCTimeZone()); }

absl::StatusOr<double> ParseAmount(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return 0.0;
  double v;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v) || absl::StrContains(text, ',')) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a number"));
  }
  return v;
}

std::string Attr(const json& attributes, absl::string_view name) {
  if (!attributes.is_object()) return "";
  auto it = attributes.find(std::string(name));
  if (it == attributes.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "1" : "0";
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_number()) return absl::StrCat(it->get<double>());
  return "";  // objects and arrays (link fields) carry no value Pulse reads
}

bool UserIsActive(absl::string_view status) { return Lower(status) != "inactive"; }

std::string CaseStatus(absl::string_view state, absl::string_view status) {
  const std::string s = Lower(status);
  std::string word;
  if (s == "open_pending input" || s == "pending_input" || s == "open_pending_input") {
    word = "pending input";
  } else if (absl::StartsWith(s, "open_")) {
    word = s.substr(5);
  } else if (absl::StartsWith(s, "closed_")) {
    word = s.substr(7);
  } else {
    word = s;
  }
  if (CaseIsClosed(state, status) && word != "closed" && word != "rejected" && word != "duplicate") word = "closed";
  return word;
}

bool CaseIsClosed(absl::string_view state, absl::string_view status) {
  if (Lower(state) == "closed") return true;
  return absl::StartsWith(Lower(status), "closed");
}

std::string CasePriority(absl::string_view priority) {
  const std::string p = Lower(priority);
  if (p == "p1") return "high";
  if (p == "p2") return "medium";
  if (p == "p3") return "low";
  return p;
}

Direction CallDirection(absl::string_view direction) {
  const std::string d = Lower(direction);
  if (d == "inbound") return Direction::kInbound;
  if (d == "outbound") return Direction::kOutbound;
  return Direction::kUnknown;
}

bool WasHeld(absl::string_view status) { return Lower(status) == "held"; }

bool InvoiceIsOrder(absl::string_view status) {
  const std::string s = Lower(status);
  return s != "cancelled" && s != "canceled";
}

Direction EmailDirection(absl::string_view type) {
  const std::string t = Lower(type);
  if (t == "inbound") return Direction::kInbound;
  if (t == "out") return Direction::kOutbound;
  return Direction::kUnknown;
}

bool EmailCounts(absl::string_view type, absl::string_view status) {
  const std::string t = Lower(type);
  const std::string s = Lower(status);
  if (t == "draft" || t == "campaign" || s == "draft" || s == "send_error") return false;
  return true;
}

bool IsSystemCurrency(absl::string_view currency_id) {
  const std::string c = Lower(currency_id);
  return c.empty() || c == "-99";
}

Mapped MapUser(const json& record, User* out) {
  const json& a = Attributes(record);
  out->id = Id(record);
  out->name = FullName(a);
  out->email = Attr(a, "email1");
  out->active = UserIsActive(Attr(a, "status"));
  return Mapped::Use();
}

Mapped MapAccount(const json& record, Account* out) {
  const json& a = Attributes(record);
  std::string why;
  out->id = Id(record);
  out->name = Attr(a, "name");
  out->owner_id = std::string(absl::StripAsciiWhitespace(Attr(a, "assigned_user_id")));
  out->industry = Attr(a, "industry");
  out->country = Attr(a, "billing_address_country");
  out->created_at = TimeAttr(a, "date_entered", &why);
  if (!why.empty()) return Mapped::Reject(why);
  return Mapped::Use();
}

Mapped MapContact(const json& record, Contact* out) {
  const json& a = Attributes(record);
  std::string why;
  out->id = Id(record);
  out->account_id = Attr(a, "account_id");
  out->name = FullName(a);
  out->email = Attr(a, "email1");
  out->role = Attr(a, "title");
  out->active = true;  // SuiteCRM has no "left the company" flag
  out->updated_at = TimeAttr(a, "date_modified", &why);
  if (!why.empty()) return Mapped::Reject(why);
  return Mapped::Use();
}

Mapped MapInvoice(const json& record, Order* out) {
  const json& a = Attributes(record);
  const std::string status = Attr(a, "status");
  if (!InvoiceIsOrder(status)) return Mapped::Skip(absl::StrCat("invoice status '", status, "'"));
  out->id = Id(record);
  out->account_id = Attr(a, "billing_account_id");
  if (out->account_id.empty()) return Mapped::Reject("billing_account_id is empty: the invoice has no account");
  std::string why;
  std::optional<absl::Time> at = TimeAttr(a, "invoice_date", &why);
  if (!why.empty()) return Mapped::Reject(why);
  // An invoice without its date counts from when it was entered.
  if (!at.has_value()) at = TimeAttr(a, "date_entered", &why);
  if (!why.empty()) return Mapped::Reject(why);
  if (!at.has_value()) return Mapped::Reject("invoice_date and date_entered are empty");
  out->ordered_at = *at;
  const std::string total = Attr(a, "total_amount");
  absl::StatusOr<double> amount = ParseAmount(total);
  if (!amount.ok()) return Mapped::Reject(absl::StrCat("total_amount ", amount.status().message()));
  out->amount = *amount;
  out->currency = Attr(a, "currency_id");
  return Mapped::Use();
}

Mapped MapOpportunity(const json& record, Order* out) {
  const json& a = Attributes(record);
  const std::string stage = Attr(a, "sales_stage");
  if (Lower(stage) != "closed won") return Mapped::Skip(absl::StrCat("sales_stage '", stage, "'"));
  out->id = Id(record);
  out->account_id = Attr(a, "account_id");
  if (out->account_id.empty()) return Mapped::Reject("account_id is empty: the won opportunity has no account");
  std::string why;
  std::optional<absl::Time> at = TimeAttr(a, "date_closed", &why);
  if (!why.empty()) return Mapped::Reject(why);
  if (!at.has_value()) return Mapped::Reject("date_closed is empty");
  out->ordered_at = *at;
  absl::StatusOr<double> amount = ParseAmount(Attr(a, "amount"));
  if (!amount.ok()) return Mapped::Reject(absl::StrCat("amount ", amount.status().message()));
  out->amount = *amount;
  out->currency = Attr(a, "currency_id");
  return Mapped::Use();
}

Mapped MapInvoiceLine(const json& record, std::string* order_id, OrderLine* out) {
  const json& a = Attributes(record);
  *order_id = Attr(a, "parent_id");
  if (order_id->empty()) return Mapped::Reject("parent_id is empty");
  out->sku = Attr(a, "part_number");
  if (out->sku.empty()) out->sku = Attr(a, "product_id");
  out->product = Attr(a, "name");
  absl::StatusOr<double> qty = ParseAmount(Attr(a, "product_qty"));
  if (!qty.ok()) return Mapped::Reject(absl::StrCat("product_qty ", qty.status().message()));
  absl::StatusOr<double> total = ParseAmount(Attr(a, "product_total_price"));
  if (!total.ok()) return Mapped::Reject(absl::StrCat("product_total_price ", total.status().message()));
  out->quantity = *qty;
  out->amount = *total;
  return Mapped::Use();
}

Mapped MapCase(const json& record, const std::string& first_response_field, Case* out) {
  const json& a = Attributes(record);
  std::string why;
  out->id = Id(record);
  out->account_id = Attr(a, "account_id");
  if (out->account_id.empty()) return Mapped::Skip("the case has no account");
  std::optional<absl::Time> opened = TimeAttr(a, "date_entered", &why);
  if (!why.empty()) return Mapped::Reject(why);
  if (!opened.has_value()) return Mapped::Reject("date_entered is empty");
  out->opened_at = *opened;
  const std::string state = Attr(a, "state");
  const std::string status = Attr(a, "status");
  out->status = CaseStatus(state, status);
  out->priority = CasePriority(Attr(a, "priority"));
  out->category = Lower(Attr(a, "type"));
  out->subject = Attr(a, "name");
  if (CaseIsClosed(state, status)) {
    // SuiteCRM keeps no closing time: the last change is when it was closed
    // at the latest.
    out->closed_at = TimeAttr(a, "date_modified", &why);
    if (!why.empty()) return Mapped::Reject(why);
  }
  if (!first_response_field.empty()) {
    out->first_response_at = TimeAttr(a, first_response_field, &why);
    if (!why.empty()) return Mapped::Reject(why);
  }
  return Mapped::Use();
}

Mapped MapCaseReply(const json& record, std::string* case_id, absl::Time* at) {
  const json& a = Attributes(record);
  *case_id = Attr(a, "case_id");
  if (case_id->empty()) return Mapped::Skip("the update belongs to no case");
  const std::string internal = Lower(Attr(a, "internal"));
  if (internal == "1" || internal == "true" || internal == "on") return Mapped::Skip("an internal note");
  if (!Attr(a, "contact_id").empty()) return Mapped::Skip("written by the customer");
  std::string why;
  std::optional<absl::Time> t = TimeAttr(a, "date_entered", &why);
  if (!why.empty()) return Mapped::Reject(why);
  if (!t.has_value()) return Mapped::Reject("date_entered is empty");
  *at = *t;
  return Mapped::Use();
}

namespace {

// The common part of calls, meetings and emails: linked to an account.
Mapped MapActivityBase(const json& record, ActivityType type, absl::string_view time_field, Activity* out) {
  const json& a = Attributes(record);
  const std::string parent_type = Attr(a, "parent_type");
  if (parent_type != "Accounts") {
    return Mapped::Skip(absl::StrCat("linked to ", parent_type.empty() ? "nothing" : parent_type, ", not an account"));
  }
  out->id = Id(record);
  out->account_id = Attr(a, "parent_id");
  if (out->account_id.empty()) return Mapped::Skip("parent_id is empty");
  out->type = type;
  out->user_id = Attr(a, "assigned_user_id");
  out->subject = Attr(a, "name");
  std::string why;
  std::optional<absl::Time> at = TimeAttr(a, time_field, &why);
  if (!why.empty()) return Mapped::Reject(why);
  if (!at.has_value()) at = TimeAttr(a, "date_entered", &why);
  if (!why.empty()) return Mapped::Reject(why);
  if (!at.has_value()) return Mapped::Reject(absl::StrCat(time_field, " is empty"));
  out->occurred_at = *at;
  return Mapped::Use();
}

}  // namespace

Mapped MapCall(const json& record, Activity* out) {
  const std::string status = Attr(Attributes(record), "status");
  if (!WasHeld(status)) return Mapped::Skip(absl::StrCat("call status '", status, "' (only Held is contact made)"));
  Mapped m = MapActivityBase(record, ActivityType::kCall, "date_start", out);
  out->direction = CallDirection(Attr(Attributes(record), "direction"));
  return m;
}

Mapped MapMeeting(const json& record, Activity* out) {
  const std::string status = Attr(Attributes(record), "status");
  if (!WasHeld(status)) {
    return Mapped::Skip(absl::StrCat("meeting status '", status, "' (only Held is contact made)"));
  }
  Mapped m = MapActivityBase(record, ActivityType::kMeeting, "date_start", out);
  out->direction = Direction::kUnknown;
  return m;
}

Mapped MapEmail(const json& record, Activity* out) {
  const json& a = Attributes(record);
  const std::string type = Attr(a, "type");
  const std::string status = Attr(a, "status");
  if (!EmailCounts(type, status)) return Mapped::Skip(absl::StrCat("email type '", type, "', status '", status, "'"));
  Mapped m = MapActivityBase(record, ActivityType::kEmail, "date_sent_received", out);
  out->direction = EmailDirection(type);
  return m;
}

}  // namespace pulse::suitecrm_internal
