// The CSV CRM format: the file names, their required columns, and how one
// row becomes one record. A row parser returns "" when the row made a record,
// otherwise the reason it did not, worded for the person who fixes the file
// ("amount 'abc' is not a number"); the caller adds "file:line".
//
// Values are trimmed of surrounding blanks. Header names are matched
// lower-cased (CsvReader lower-cases them); extra columns are ignored.
//
// Internal to the CSV adapter; exposed in a header so that it can be tested.
#ifndef PULSE_ADAPTERS_CSV_CSV_FORMAT_H_
#define PULSE_ADAPTERS_CSV_CSV_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sidecar/common/csv_reader.h"
#include "sidecar/common/csv_writer.h"
#include "sidecar/domain/records.h"

namespace pulse::csv_internal {

inline constexpr char kUsersFile[] = "users.csv";
inline constexpr char kAccountsFile[] = "accounts.csv";
inline constexpr char kContactsFile[] = "contacts.csv";
inline constexpr char kOrdersFile[] = "orders.csv";
inline constexpr char kOrderLinesFile[] = "order_lines.csv";
inline constexpr char kCasesFile[] = "cases.csv";
inline constexpr char kActivitiesFile[] = "activities.csv";
inline constexpr char kEngagementFile[] = "engagement.csv";
inline constexpr char kFeedbackFile[] = "feedback.csv";
// Written by the adapter.
inline constexpr char kTasksFile[] = "tasks.csv";
inline constexpr char kOwnerChangesFile[] = "owner_changes.csv";

// Required columns per file (optional ones are read when present).
const std::vector<absl::string_view>& UserColumns();
const std::vector<absl::string_view>& AccountColumns();
const std::vector<absl::string_view>& ContactColumns();
const std::vector<absl::string_view>& OrderColumns();
const std::vector<absl::string_view>& OrderLineColumns();
const std::vector<absl::string_view>& CaseColumns();
const std::vector<absl::string_view>& ActivityColumns();
const std::vector<absl::string_view>& EngagementColumns();
const std::vector<absl::string_view>& FeedbackColumns();
// tasks.csv and owner_changes.csv, in the order the adapter writes them.
const std::vector<std::string>& TaskColumns();
const std::vector<std::string>& OwnerChangeColumns();

std::string ParseUserRow(const CsvRow& row, User* out);
std::string ParseAccountRow(const CsvRow& row, Account* out);
std::string ParseContactRow(const CsvRow& row, Contact* out);
// Lines are attached later, from order_lines.csv.
std::string ParseOrderRow(const CsvRow& row, Order* out);
std::string ParseOrderLineRow(const CsvRow& row, std::string* order_id, OrderLine* out);
std::string ParseCaseRow(const CsvRow& row, Case* out);
std::string ParseActivityRow(const CsvRow& row, Activity* out);
// Makes id "<account_id>|<period_start>".
std::string ParseEngagementRow(const CsvRow& row, EngagementPeriod* out);
// Makes id "<account_id>|<received_at as FormatIsoTime>".
std::string ParseFeedbackRow(const CsvRow& row, Feedback* out);

// One row of owner_changes.csv.
struct OwnerChange {
  std::string key;
  std::string account_id;
  std::string from_owner_id;
  std::string to_owner_id;
  absl::Time changed_at;
};
std::string ParseOwnerChangeRow(const CsvRow& row, OwnerChange* out);

// The change in force per account: the latest by changed_at, and of equal
// times the later in the file. Feed the rows in file order.
class OwnerChangeLedger {
 public:
  struct Latest {
    absl::Time changed_at;
    std::string to_owner_id;
  };
  void Apply(const OwnerChange& change);
  // Null when the account has no change.
  const Latest* Find(absl::string_view account_id) const;
  void Clear() { latest_.clear(); }
  bool empty() const { return latest_.empty(); }

 private:
  absl::flat_hash_map<std::string, Latest> latest_;
};

// Records are written with pulse::FormatCsvRecord (sidecar/common/csv_writer.h).
using ::pulse::FormatCsvRecord;

}  // namespace pulse::csv_internal

#endif  // PULSE_ADAPTERS_CSV_CSV_FORMAT_H_
