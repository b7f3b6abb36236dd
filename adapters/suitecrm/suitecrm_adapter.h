// The SuiteCRM adapter: reads and writes SuiteCRM 7.x and 8.x through the V8
// JSON:API (and, for deletions, the legacy v4_1 API). See docs/SUITECRM.md.
//
// What it reads (each incrementally by date_modified, paged sorted by id):
//   users       Users: first_name last_name status (Active/Inactive) email1
//   accounts    Accounts: owner = assigned_user_id
//   contacts    Contacts: account_id, first/last name, title, email1
//   orders      AOS_Invoices (not Cancelled; lines from AOS_Products_Quotes)
//               and/or Opportunities with sales_stage "Closed Won"
//   cases       Cases, first response = the earliest AOP_Case_Updates reply
//               that is not internal and not the customer's, or a field
//   activities  Calls and Meetings with status Held, Emails (not drafts),
//               linked to an account (parent_type Accounts)
// Records that stop qualifying (an invoice cancelled, a call no longer Held,
// re-linked away from an account) come back in deleted_ids.
//
// Watermarks: per module, the latest date_modified seen; the next read asks
// for date_modified >= it minus `overlap` (SuiteCRM may cut datetimes to the
// minute) and de-duplicates by id. A page that cannot be read is listed in
// `rejected` ("SuiteCRM Accounts page 3: ...") and keeps that module's
// watermark where it was, so the next read covers it again. Deletions: the
// legacy API's deleted rows since the watermark, or (deletions = reconcile)
// every `reconcile_every` reads a full read returned as a full snapshot.
//
// Writes: WriteTask creates a Task (or a planned outbound Call) on the
// account, assigned to the assignee, due at due_at, with the task key on the
// description's last line ("pulse-key: <key>") or in a custom field. It looks
// the key up first, and again when a create's answer was lost, so a key is
// never created twice. ChangeOwner sets the account's assigned_user_id when
// the current owner is from_owner_id (already to_owner_id: nothing to do).
//
// Thread-safety: one sweep at a time reads; WriteTask and ChangeOwner may run
// concurrently with reads and each other.
#ifndef PULSE_ADAPTERS_SUITECRM_SUITECRM_ADAPTER_H_
#define PULSE_ADAPTERS_SUITECRM_SUITECRM_ADAPTER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/crm_adapter.h"
#include "adapters/http/http_client.h"

namespace pulse {

struct SuiteCrmSecrets {
  std::string client_secret;
  std::string password;  // the password grant's and the legacy API's
};

// The credentials text (from adapter.credentials_file or _env): either the
// client secret alone, or lines "client_secret=..." and "password=...".
// Each value is registered with RegisterSecret. InvalidArgument (naming the
// line, never the value) for an unknown key or a missing client_secret.
absl::StatusOr<SuiteCrmSecrets> ParseSuiteCrmSecrets(absl::string_view text);

struct SuiteCrmOptions {
  // "https://crm.example.com" (7.x) or "https://crm.example.com/legacy"
  // (8.x); for 8.x given without /legacy, the adapter finds it.
  std::string base_url;
  enum class Grant { kClientCredentials, kPassword };
  Grant grant = Grant::kClientCredentials;
  std::string client_id;
  // The password grant's user, and the legacy API's.
  std::string username;
  SuiteCrmSecrets secrets;

  bool orders_from_invoices = true;
  bool orders_from_opportunities = false;
  // Invoice lines from AOS_Products_Quotes.
  bool order_lines = true;
  // "Tasks" or "Calls" (planned outbound calls).
  std::string task_module = "Tasks";
  // The case field holding the first response time; empty = the earliest
  // reply in AOP_Case_Updates.
  std::string first_response_field;
  // A custom field of task_module that holds Pulse's task key; empty = the
  // description's last line.
  std::string task_key_field;
  enum class Deletions { kLegacyApi, kReconcile };
  Deletions deletions = Deletions::kReconcile;
  // With kReconcile: every this many reads of an entity, one full read.
  int reconcile_every = 24;
  int concurrency = 4;
  int page_size = 100;
  // How far before the watermark the next read starts.
  absl::Duration overlap = absl::Minutes(2);
  // Timeouts, TLS and retries of the transport.
  http::ClientOptions http;
  // The clock for token expiry; tests replace it. Default absl::Now.
  std::function<absl::Time()> now;
};

// The adapter. InvalidArgument, naming the option, for a missing base URL,
// client id or secret, a password grant or legacy deletions without a
// username and password, an unknown task module, no order source, or a
// concurrency or page size out of range. Nothing is sent before the first
// call.
absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeSuiteCrmAdapter(const SuiteCrmOptions& options);

// The same over a given transport (tests count and break requests with it).
absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeSuiteCrmAdapter(const SuiteCrmOptions& options,
                                                                std::unique_ptr<http::HttpClient> http);

}  // namespace pulse

#endif  // PULSE_ADAPTERS_SUITECRM_SUITECRM_ADAPTER_H_
