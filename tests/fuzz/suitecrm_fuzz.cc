// Fuzzes what the SuiteCRM adapter makes of a V8 JSON:API list answer: the
// input is the HTTP body of one page. It is parsed as the adapter parses it,
// split into records by ParseListPage, and every record goes through every
// record mapping (users, accounts, contacts, invoices, opportunities, invoice
// lines, cases, case updates, calls, meetings, emails), whatever its module:
// a wrong or missing attribute must give a Reject or Skip, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/suitecrm/suitecrm_api.h"
#include "adapters/suitecrm/suitecrm_mapping.h"
#include "nlohmann/json.hpp"

namespace pulse::suitecrm_internal {
namespace {

void MapEveryWay(const nlohmann::json& record) {
  User user;
  MapUser(record, &user);
  Account account;
  MapAccount(record, &account);
  Contact contact;
  MapContact(record, &contact);
  Order invoice;
  MapInvoice(record, &invoice);
  Order opportunity;
  MapOpportunity(record, &opportunity);
  std::string order_id;
  OrderLine line;
  MapInvoiceLine(record, &order_id, &line);
  Case from_updates;
  MapCase(record, "", &from_updates);
  Case from_field;
  MapCase(record, "first_response_c", &from_field);
  std::string case_id;
  absl::Time at;
  MapCaseReply(record, &case_id, &at);
  Activity call;
  MapCall(record, &call);
  Activity meeting;
  MapMeeting(record, &meeting);
  Activity email;
  MapEmail(record, &email);
}

}  // namespace
}  // namespace pulse::suitecrm_internal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pulse::suitecrm_internal;
  nlohmann::json body =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  absl::StatusOr<ListPage> page = ParseListPage("fuzz page 1", 1, std::move(body));
  if (!page.ok()) return 0;
  // List() sizes its page table from total_pages: it must be bounded.
  if (page->total_pages > kMaxListPages) std::abort();
  for (const ListedRecord& r : page->records) MapEveryWay(r.record);
  return 0;
}
