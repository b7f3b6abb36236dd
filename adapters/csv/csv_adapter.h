// The CSV CRM: a folder of CSV files that Pulse reads as its CRM, and the
// default when no CRM is configured. Good for trials, exports from CRMs
// without an adapter, and tests.
//
// The folder (UTF-8, RFC 4180 quoting, header row, header names
// case-insensitive, any column order, extra columns ignored; dates ISO 8601,
// UTC unless an offset is given; amounts with '.' decimals, negative =
// credit or return):
//   users.csv        id,name,email,active[,weekly_capacity]                  required
//   accounts.csv     id,name,owner_id,industry,country,created_at
//                    [,tier (key/mid/tail/empty)][,do_not_contact]           required
//   orders.csv       id,account_id,ordered_at,amount,currency                required
//   order_lines.csv  order_id,sku,product,quantity,amount
//   contacts.csv     id,account_id,name,email,role,active,updated_at
//   cases.csv        id,account_id,opened_at,first_response_at,closed_at,
//                    status,category,priority,subject
//   activities.csv   id,account_id,type (call/meeting/email/note),
//                    direction (inbound/outbound/empty),occurred_at,user_id,subject
//   engagement.csv   account_id,period_start (date),sent,opened,clicked
//   feedback.csv     account_id,received_at,score,scale (nps 0..10 / csat 1..5),comment
// Booleans are true/false, 1/0 or yes/no; an empty `active` means true, an
// empty `do_not_contact` false. Empty engagement counts are 0.
//
// A missing optional file means the CRM lacks that entity: the capability is
// false and reading it gives an empty batch. A file that lacks a required
// column fails its Read* call with InvalidArgument. A bad row (CSV syntax,
// bad date or number, empty id, unknown word, duplicate id - the first row
// wins -, an order line of an unknown order) is listed in `rejected` as
// "orders.csv:812: amount 'abc' is not a number" and the rest is used. Orders
// of unknown accounts are passed on: orphans are the engine's business.
//
// Reads are incremental. The watermark fingerprints the entity's files
// (size, mtime, XXH64 of the content). Unchanged files: an empty batch and
// the same watermark, without parsing. Records appended after the last read
// (the earlier bytes unchanged and ending with a complete line): only the new
// rows. Anything else: a full snapshot. Orders are read with order_lines.csv
// and accounts with owner_changes.csv; a change of those gives a full
// snapshot of orders or accounts.
//
// Writes, both idempotent by key and safe across restarts and processes
// sharing the folder (see keyed_csv_log.h):
//   tasks.csv          key,account_id,assignee_id,type,due_at,subject,description,created_at
//   owner_changes.csv  key,account_id,from_owner_id,to_owner_id,changed_at
// Reading accounts applies owner_changes.csv over accounts.csv: per account
// the latest change by changed_at, then by file order.
//
// Thread-safety: reads are for one sweep at a time; WriteTask and ChangeOwner
// may be called from other threads concurrently with reads and each other.
#ifndef PULSE_ADAPTERS_CSV_CSV_ADAPTER_H_
#define PULSE_ADAPTERS_CSV_CSV_ADAPTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/crm_adapter.h"

namespace pulse {

struct CsvAdapterOptions {
  // The folder holding the CSV files.
  std::string dir;
};

// Returns the adapter over `options.dir`. NotFound, naming what to fix, when
// the folder or one of users.csv, accounts.csv, orders.csv is missing;
// InvalidArgument when `dir` is empty. Files are not read until a Read* call.
absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeCsvAdapter(const CsvAdapterOptions& options);

}  // namespace pulse

#endif  // PULSE_ADAPTERS_CSV_CSV_ADAPTER_H_
