// The wire to one Odoo database: JSON-RPC `execute_kw` at /jsonrpc (Odoo
// 14-18) or JSON-2 at /json/2/<model>/<method> (Odoo 19+), behind one call.
// Internal to the Odoo adapter.
//
// Every model method is called with named arguments (`Call::args`, in the
// method's positional order) so one description serves both APIs: JSON-RPC
// sends them positionally (Odoo 14-16 name search's domain `args`, 17+
// `domain`), JSON-2 by name (it has no positional arguments).
//
// Errors name the model and method ("odoo: res.partner.search_read:
// AccessError: ..."), never the API key:
//   Unauthenticated   - the key is refused (expired, revoked, wrong login);
//   PermissionDenied  - Odoo's AccessError: the user lacks a right;
//   NotFound          - no such endpoint, model, method or record;
//   InvalidArgument / FailedPrecondition - Odoo refused the values;
//   Unavailable / DeadlineExceeded / ResourceExhausted - outage, timeout,
//     rate limit (after the transport's retries);
//   DataLoss          - the answer is not the JSON Odoo sends.
// Thread-safety: not thread-safe; the adapter serializes calls.
#ifndef PULSE_ADAPTERS_ODOO_ODOO_RPC_H_
#define PULSE_ADAPTERS_ODOO_ODOO_RPC_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/http/http_client.h"
#include "adapters/odoo/odoo_adapter.h"
#include "nlohmann/json.hpp"

namespace pulse::odoo_internal {

using Json = nlohmann::json;

struct Call {
  std::string model;
  std::string method;
  // Record ids for methods on records (read, write); absent for @api.model.
  std::optional<std::vector<int64_t>> ids;
  // The method's arguments by name, in its positional order.
  std::vector<std::pair<std::string, Json>> args;
  // Keyword arguments (fields, offset, limit, order, ...), sent by name.
  Json kwargs = Json::object();
  // Odoo's context, e.g. {"active_test": false}.
  Json context = Json::object();
  // A read is safe to repeat; a create is not.
  bool idempotent = true;
};

class OdooRpc {
 public:
  OdooRpc(const OdooOptions& options, std::unique_ptr<http::HttpClient> http);

  // Calls model.method and returns its result. Detects the API and logs in
  // (JSON-RPC) on first use. See the header comment for the errors.
  absl::StatusOr<Json> Execute(const Call& call);
  // Detects the API (api: auto) and checks the key. Idempotent.
  absl::Status Connect();
  // The API in use; kAuto until Connect succeeded.
  OdooApi api() const { return api_; }
  // The uid of the API key's user; 0 until known.
  int64_t uid() const { return uid_; }

 private:
  absl::Status DetectApi();
  absl::Status Login();
  absl::StatusOr<Json> ExecuteJsonRpc(const Call& call);
  absl::StatusOr<Json> ExecuteJson2(const Call& call);
  absl::StatusOr<http::Response> Post(const std::string& path, const Json& body, bool idempotent,
                                      bool bearer, absl::string_view what);

  const OdooOptions options_;
  std::unique_ptr<http::HttpClient> http_;
  OdooApi api_ = OdooApi::kAuto;
  int64_t uid_ = 0;
  int64_t next_id_ = 1;
};

// "odoo: <what>: <Short>: <message>" for an Odoo error object ({name,
// message} in JSON-2 bodies and JSON-RPC's error.data), with the canonical
// code for the exception's name (and the HTTP status when there is one).
absl::Status OdooError(absl::string_view what, const Json& error, int http_status);

// The result of a model method from the HTTP answer to a JSON-RPC
// execute_kw (ParseJsonRpcAnswer) or a JSON-2 call (ParseJson2Answer), with
// the errors listed at the top. No I/O: OdooRpc and the fuzzer
// (tests/fuzz/) call them. `what` is "model.method", for messages.
absl::StatusOr<Json> ParseJsonRpcAnswer(absl::string_view what, const http::Response& response);
absl::StatusOr<Json> ParseJson2Answer(absl::string_view what, const http::Response& response);

// The message for a refused key: why it may have happened and what to do.
std::string KeyRefusedHint();

}  // namespace pulse::odoo_internal

#endif  // PULSE_ADAPTERS_ODOO_ODOO_RPC_H_
