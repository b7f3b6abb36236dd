// The Odoo CRM: reads customers, orders, invoices, logged communication and
// tickets from an Odoo database and writes call tasks and owner changes
// back, over JSON-RPC (Odoo 14-18) or JSON-2 (Odoo 19+). See docs/ODOO.md.
//
// What is read (ids are Odoo's record ids as text; orders and activities
// carry their model, "sale.order:12", so ids from two models never clash):
//   users       res.users that are internal (share = false); archived ->
//               inactive.
//   accounts    res.partner with is_company; owner = user_id (salesperson);
//               an archived company is do_not_contact.
//   contacts    res.partner with a parent_id, not a company; the account is
//               the parent; archived -> inactive (never deleted).
//   orders      sale.order in state sale/done and/or account.move posted
//               out_invoice (out_refund negative), on the commercial partner;
//               sale orders with their lines. An order that leaves those
//               states (cancelled, reset to draft) is reported deleted.
//   activities  mail.message on res.partner (email -> inbound email, a
//               message sent from the chatter -> outbound email, a note ->
//               note, a done activity -> call/meeting/email by its type) and
//               calendar.event (meeting, on the first attendee who is not a
//               user), when configured.
//   cases       helpdesk.ticket when a helpdesk module is installed
//               (detected through ir.model; otherwise cases = false).
// Engagement and feedback are not read.
//
// Reads are incremental by write_date (UTC), paged with limit/offset ordered
// by id, from the previous watermark minus `overlap` (write_date is the start
// of the writing transaction, so a slow transaction can commit older dates
// after newer ones). A record is returned once per read; one returned by the
// previous read and unchanged since is not returned again, unless it is of
// the newest second that read saw (write_date has whole seconds, so it may
// have changed again within that second). Archived records
// are read too (context active_test = false). The first read is a full
// snapshot. Deletions: every `reconcile_every` the ids that still exist are
// listed (`search`, ids only) and the ones gone since are reported deleted.
// A page that cannot be used (not JSON, not a list) is reported in
// `rejected` as "odoo res.partner: page at offset 1500: ..." and the read
// keeps its previous watermark, so the next read tries again. A record that
// cannot be mapped (a bad date) is rejected alone.
//
// Writes:
//   WriteTask   creates a mail.activity of type Call (mail.mail_activity_data_call)
//               on the account's res.partner, for the assignee, due on the due
//               date, summary = subject, note = the description as HTML with
//               the task key. Idempotent: before any create the key is looked
//               up - its external id pulse.task_<key> (ir.model.data, kept when
//               the activity is later done or deleted), then activities and
//               messages whose note or body holds the key (a done activity
//               becomes a message quoting its note). After a create whose
//               answer was lost the key is looked up again; when it is not
//               found the call fails with DeadlineExceeded and the next call
//               looks it up again before creating.
//   ChangeOwner res.partner.write([id], {user_id}) after checking the current
//               salesperson is from_owner_id or to_owner_id.
// Errors: see adapters/odoo/odoo_rpc.h; a refused key says that keys expire
// (at most three months) and how to make a new one.
// Thread-safety: one sweep at a time; calls are serialized internally.
#ifndef PULSE_ADAPTERS_ODOO_ODOO_ADAPTER_H_
#define PULSE_ADAPTERS_ODOO_ODOO_ADAPTER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adapters/crm_adapter.h"
#include "adapters/http/http_client.h"

namespace pulse {

enum class OdooApi { kAuto = 0, kJsonRpc = 1, kJson2 = 2 };

struct OdooOptions {
  // The server's base URL, e.g. "https://erp.example.com".
  std::string url;
  // The database (JSON-RPC: required; JSON-2: sent as X-Odoo-Database when set).
  std::string database;
  // The login of the key's user (JSON-RPC only; JSON-2 knows the user by key).
  std::string username;
  // The user's API key. Never logged.
  std::string api_key;
  // kAuto asks GET /web/version: Odoo 19+ gets JSON-2, older JSON-RPC.
  OdooApi api = OdooApi::kAuto;
  // Order sources.
  bool sale_orders = true;
  bool invoices = false;
  // Activity sources.
  bool messages = true;
  bool calendar_events = true;
  // How often deletions are looked for; zero never.
  absl::Duration reconcile_every = absl::Hours(24);
  // Records per page.
  int page_size = 500;
  // How far back each incremental read starts before the watermark.
  absl::Duration overlap = absl::Minutes(10);
  // The transport (timeouts, TLS, retries, breaker).
  http::ClientOptions http;
  // The clock, for reconciliation; tests replace it. Default absl::Now.
  std::function<absl::Time()> now;
};

// Returns the adapter. InvalidArgument naming the option when url, the API
// key, or (JSON-RPC) database or username is missing, or page_size < 1.
// Nothing is sent until the first call.
absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeOdooAdapter(const OdooOptions& options);

}  // namespace pulse

#endif  // PULSE_ADAPTERS_ODOO_ODOO_ADAPTER_H_
