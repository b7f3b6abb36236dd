// Fuzzes what the Odoo adapter makes of an answer to a model method: the
// first byte picks the API (JSON-RPC execute_kw or JSON-2) and the HTTP
// status, the rest is the body. ParseJsonRpcAnswer / ParseJson2Answer must
// give a result or a Status, never crash, and no Status may carry the API
// key, even when the server (or a proxy) echoes it back in the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "adapters/http/http_client.h"
#include "adapters/odoo/odoo_rpc.h"
#include "sidecar/common/logging.h"

namespace {

// What the adapter registers as a secret: the API key (see odoo_adapter.cc).
constexpr char kApiKey[] = "fuzz0dooKey5ecret";
constexpr int kStatuses[] = {200, 200, 400, 401, 403, 404, 422, 500};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (pulse::RegisterSecret(kApiKey), true);
  (void)registered;
  if (size == 0) return 0;
  pulse::http::Response response;
  response.status = kStatuses[(data[0] >> 1) & 7];
  response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool json2 = (data[0] & 1) != 0;
  absl::StatusOr<pulse::odoo_internal::Json> result =
      json2 ? pulse::odoo_internal::ParseJson2Answer("res.partner.search_read", response)
            : pulse::odoo_internal::ParseJsonRpcAnswer("res.partner.search_read", response);
  if (!result.ok() && absl::StrContains(result.status().message(), kApiKey)) std::abort();
  if (result.ok()) result->dump();
  return 0;
}
