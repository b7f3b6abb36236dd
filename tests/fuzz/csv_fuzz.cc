// Fuzzes the CSV reader and the CSV CRM's row -> record mapping: the input is
// one CSV file (header and rows); every row goes through every entity's row
// parser, whatever its header, so that each parser meets every shape of row.
// The invariant checked is the one the adapter relies on: bad input gives a
// reason string (or a reader error), never a crash, a hang or UB.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/csv/csv_format.h"
#include "sidecar/common/csv_reader.h"

namespace pulse::csv_internal {
namespace {

void ParseEveryWay(const CsvRow& row, OwnerChangeLedger* ledger) {
  User user;
  ParseUserRow(row, &user);
  Account account;
  ParseAccountRow(row, &account);
  Contact contact;
  ParseContactRow(row, &contact);
  Order order;
  ParseOrderRow(row, &order);
  std::string order_id;
  OrderLine line;
  ParseOrderLineRow(row, &order_id, &line);
  Case support_case;
  ParseCaseRow(row, &support_case);
  Activity activity;
  ParseActivityRow(row, &activity);
  EngagementPeriod period;
  ParseEngagementRow(row, &period);
  Feedback feedback;
  ParseFeedbackRow(row, &feedback);
  OwnerChange change;
  if (ParseOwnerChangeRow(row, &change).empty()) {
    ledger->Apply(change);
    ledger->Find(change.account_id);
  }
}

}  // namespace
}  // namespace pulse::csv_internal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pulse;
  absl::StatusOr<std::unique_ptr<CsvReader>> reader =
      CsvReader::FromString("fuzz.csv", std::string(reinterpret_cast<const char*>(data), size));
  if (!reader.ok()) return 0;
  (void)(*reader)->RequireColumns(csv_internal::OrderColumns());
  csv_internal::OwnerChangeLedger ledger;
  CsvRow row;
  std::string error;
  while ((*reader)->Next(&row, &error)) {
    if (!error.empty()) continue;
    csv_internal::ParseEveryWay(row, &ledger);
  }
  return 0;
}
