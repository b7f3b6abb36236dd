// How SuiteCRM's records and values become Pulse's: pure functions over the
// V8 API's JSON:API records ({"type", "id", "attributes"}), with no I/O, so
// each mapping can be tested on its own.
//
// What the V8 API sends (observed on SuiteCRM 7.14.6): every number and flag
// as a string ("30400", "49700.000000", "0"); datetimes as ISO 8601 with an
// offset, possibly cut to the minute; dates as "2026-10-06". What it accepts
// in bodies and filters: only "YYYY-MM-DD HH:MM:SS" in UTC (anything else is
// silently stored as empty).
#ifndef PULSE_ADAPTERS_SUITECRM_SUITECRM_MAPPING_H_
#define PULSE_ADAPTERS_SUITECRM_SUITECRM_MAPPING_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "sidecar/domain/records.h"

namespace pulse::suitecrm_internal {

// "2026-11-22T07:50:22+00:00" (V8), "2026-11-22 07:50:22" (the database and
// v4_1 form, UTC) or "2026-10-06" (a date: midnight UTC). nullopt for an
// empty value; InvalidArgument naming the value otherwise.
absl::StatusOr<std::optional<absl::Time>> ParseSuiteTime(absl::string_view text);
// "YYYY-MM-DD HH:MM:SS" in UTC.
std::string FormatDbTime(absl::Time t);
// "30400", "49700.000000", "-12.5" -> the number; empty -> 0. InvalidArgument
// for anything else.
absl::StatusOr<double> ParseAmount(absl::string_view text);

// The attribute as text: strings as they are, numbers and booleans printed,
// "" when absent or null.
std::string Attr(const nlohmann::json& attributes, absl::string_view name);

// Value mappings.
// Users.status: "Inactive" (any case) is inactive; "Active", empty or absent
// (some API users are not shown the field) is active.
bool UserIsActive(absl::string_view status);
// Cases.state + Cases.status -> Pulse's lower-case status: "Open_New" -> "new",
// "Open_Assigned" -> "assigned", "Open_Pending Input"/"Pending_Input" ->
// "pending input", "Closed_Closed" -> "closed", "Closed_Rejected" ->
// "rejected", "Closed_Duplicate" -> "duplicate"; anything else lower-cased
// without its "Open_"/"Closed_" prefix. A case whose state is Closed always
// gets a closed word.
std::string CaseStatus(absl::string_view state, absl::string_view status);
bool CaseIsClosed(absl::string_view state, absl::string_view status);
// "P1" -> "high", "P2" -> "medium", "P3" -> "low"; others lower-cased.
std::string CasePriority(absl::string_view priority);
// Calls.direction "Inbound"/"Outbound" (any case); anything else unknown.
Direction CallDirection(absl::string_view direction);
// Calls and Meetings: only "Held" means the conversation took place.
bool WasHeld(absl::string_view status);
// AOS_Invoices.status: a cancelled invoice is not an order.
bool InvoiceIsOrder(absl::string_view status);
// Emails.type: "inbound" -> inbound, "out" -> outbound, "archived" and others
// -> unknown. Drafts, emails that failed to send and campaign mail are not
// contact made.
Direction EmailDirection(absl::string_view type);
bool EmailCounts(absl::string_view type, absl::string_view status);
// Currencies: "-99" (the system currency) and empty -> "" (the CRM's own).
bool IsSystemCurrency(absl::string_view currency_id);

// What a mapping decided about one record.
struct Mapped {
  enum class Verdict { kUse, kSkip, kReject };
  Verdict verdict = Verdict::kUse;
  // kReject: why, for people. kSkip: why it is not a Pulse record (a call
  // that was not held, a cancelled invoice, ...), for debug logs.
  std::string reason;
  static Mapped Use() { return Mapped{}; }
  static Mapped Skip(std::string why) { return Mapped{Verdict::kSkip, std::move(why)}; }
  static Mapped Reject(std::string why) { return Mapped{Verdict::kReject, std::move(why)}; }
};

// Record mappings. `record` is one element of a JSON:API `data` array; its
// "id" is a non-empty string and "attributes" an object (checked by the
// caller). Currency ids are left in Order::currency for the caller to name.
Mapped MapUser(const nlohmann::json& record, User* out);
Mapped MapAccount(const nlohmann::json& record, Account* out);
Mapped MapContact(const nlohmann::json& record, Contact* out);
Mapped MapInvoice(const nlohmann::json& record, Order* out);
Mapped MapOpportunity(const nlohmann::json& record, Order* out);
// An AOS_Products_Quotes row of an invoice; `order_id` gets its parent_id.
Mapped MapInvoiceLine(const nlohmann::json& record, std::string* order_id, OrderLine* out);
// `first_response_field`: the case attribute holding the first response
// time, or empty when it comes from AOP_Case_Updates (set by the caller).
Mapped MapCase(const nlohmann::json& record, const std::string& first_response_field, Case* out);
// An AOP_Case_Updates row that answers the customer: not internal and not
// written by a contact. `case_id` and `at` get the case and the time.
Mapped MapCaseReply(const nlohmann::json& record, std::string* case_id, absl::Time* at);
Mapped MapCall(const nlohmann::json& record, Activity* out);
Mapped MapMeeting(const nlohmann::json& record, Activity* out);
Mapped MapEmail(const nlohmann::json& record, Activity* out);

}  // namespace pulse::suitecrm_internal

#endif  // PULSE_ADAPTERS_SUITECRM_SUITECRM_MAPPING_H_
