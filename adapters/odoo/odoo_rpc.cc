#include "adapters/odoo/odoo_rpc.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sidecar/common/logging.h"

namespace pulse::odoo_internal {
namespace {

constexpr absl::string_view kJson = "application/json; charset=utf-8";

// "odoo.exceptions.AccessError" -> "AccessError".
std::string ShortName(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

absl::StatusCode CodeForException(const std::string& name, int http_status) {
  const std::string s = ShortName(name);
  if (s == "AccessDenied" || s == "Unauthorized" || s == "SessionExpiredException") {
    return absl::StatusCode::kUnauthenticated;
  }
  if (s == "AccessError" || s == "Forbidden") return absl::StatusCode::kPermissionDenied;
  if (s == "MissingError" || s == "NotFound") return absl::StatusCode::kNotFound;
  if (s == "ValidationError" || s == "UserError" || s == "RedirectWarning" || s == "IntegrityError") {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (s == "ValueError" || s == "TypeError" || s == "KeyError" || s == "UnprocessableEntity") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (http_status >= 400) return http::StatusCodeForHttp(http_status);
  return absl::StatusCode::kUnknown;
}

std::string OneLine(std::string s, size_t max) {
  if (s.size() > max) s = s.substr(0, max) + "...";
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

// HttpError over the body with every secret redacted first, so that an
// answer echoing the API key (a proxy, a debug page) cannot put it into a
// message, not even cut in half by the snippet's length limit.
absl::Status RedactedHttpError(absl::string_view what, const http::Response& response) {
  http::Response redacted = response;
  redacted.body = Redact(response.body);
  return http::HttpError(what, redacted);
}

}  // namespace

std::string KeyRefusedHint() {
  return "the API key was refused: it may have expired (Odoo API keys last at most three months) or been "
         "revoked, or the login or database is wrong; as the Pulse user in Odoo open Preferences > Account "
         "Security > New API Key, then put the new key where adapter.credentials_file or "
         "adapter.credentials_env points and restart Pulse";
}

absl::Status OdooError(absl::string_view what, const Json& error, int http_status) {
  std::string name;
  std::string message;
  if (error.is_object()) {
    if (error.contains("name") && error["name"].is_string()) name = error["name"].get<std::string>();
    if (error.contains("message") && error["message"].is_string()) message = error["message"].get<std::string>();
  } else if (error.is_string()) {
    message = error.get<std::string>();  // JSON-2 answers some 422s with a bare string
  }
  const absl::StatusCode code = CodeForException(name, http_status);
  std::string text = absl::StrCat("odoo: ", what, ": ", name.empty() ? "error" : Redact(ShortName(name)), ": ",
                                  OneLine(Redact(message), 500));
  if (http_status > 0 && http_status != 200) absl::StrAppend(&text, " (HTTP ", http_status, ")");
  if (code == absl::StatusCode::kUnauthenticated) absl::StrAppend(&text, "; ", KeyRefusedHint());
  return absl::Status(code, text);
}

OdooRpc::OdooRpc(const OdooOptions& options, std::unique_ptr<http::HttpClient> http)
    : options_(options), http_(std::move(http)), api_(options.api) {}

absl::StatusOr<http::Response> OdooRpc::Post(const std::string& path, const Json& body, bool idempotent,
                                             bool bearer, absl::string_view what) {
  http::Request request;
  request.method = "POST";
  request.url = absl::StrCat(options_.url, path);
  request.headers.emplace_back("Content-Type", std::string(kJson));
  request.headers.emplace_back("Accept", "application/json");
  if (bearer) {
    request.headers.emplace_back("Authorization", absl::StrCat("bearer ", options_.api_key));
    if (!options_.database.empty()) request.headers.emplace_back("X-Odoo-Database", options_.database);
  }
  request.body = body.dump();
  request.idempotent = idempotent;
  absl::StatusOr<http::Response> response = http_->Send(request);
  if (!response.ok()) {
    absl::Status s(response.status().code(),
                   absl::StrCat("odoo: ", what, ": ", Redact(response.status().message())));
    // Keep the transport's payloads (WasNotSent) for the caller.
    response.status().ForEachPayload([&s](absl::string_view url, const absl::Cord& payload) {
      s.SetPayload(url, payload);
    });
    return s;
  }
  return response;
}

absl::Status OdooRpc::DetectApi() {
  if (api_ != OdooApi::kAuto) return absl::OkStatus();
  http::Request request;
  request.url = absl::StrCat(options_.url, "/web/version");
  absl::StatusOr<http::Response> response = http_->Send(request);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat("odoo: detecting the API (GET /web/version): ", response.status().message()));
  }
  if (response->status == 404) {
    api_ = OdooApi::kJsonRpc;  // older than the /web/version route
    LogInfo("odoo", "GET /web/version: not found; using JSON-RPC (/jsonrpc)");
    return absl::OkStatus();
  }
  if (response->status != 200) return RedactedHttpError("odoo: detecting the API (GET /web/version)", *response);
  const Json version = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!version.is_object() || !version.contains("version_info") || !version["version_info"].is_array() ||
      version["version_info"].empty() || !version["version_info"][0].is_number_integer()) {
    return absl::DataLossError(
        "odoo: detecting the API (GET /web/version): the answer is not Odoo's version object; is the url "
        "the Odoo server? Set adapter.odoo.api to jsonrpc or json2 to skip detection");
  }
  const int major = version["version_info"][0].get<int>();
  api_ = major >= 19 ? OdooApi::kJson2 : OdooApi::kJsonRpc;
  LogInfo("odoo", "Odoo ", major, ": using ", major >= 19 ? "JSON-2 (/json/2)" : "JSON-RPC (/jsonrpc)");
  return absl::OkStatus();
}

absl::Status OdooRpc::Login() {
  if (api_ != OdooApi::kJsonRpc || uid_ != 0) return absl::OkStatus();
  Json body = {{"jsonrpc", "2.0"},
               {"method", "call"},
               {"id", next_id_++},
               {"params",
                {{"service", "common"},
                 {"method", "authenticate"},
                 {"args", {options_.database, options_.username, options_.api_key, Json::object()}}}}};
  const std::string what = "common.authenticate";
  absl::StatusOr<http::Response> response = Post("/jsonrpc", body, true, false, what);
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    return absl::NotFoundError(
        "odoo: common.authenticate: POST /jsonrpc is not found (HTTP 404): the url is not an Odoo server, or "
        "JSON-RPC is gone from this Odoo (removed after 19): set adapter.odoo.api to json2");
  }
  if (response->status != 200) return RedactedHttpError(absl::StrCat("odoo: ", what), *response);
  const Json answer = Json::parse(response->body, nullptr, false);
  if (!answer.is_object()) {
    return absl::DataLossError(absl::StrCat("odoo: ", what, ": the answer is not JSON-RPC (",
                                            OneLine(Redact(response->body), 120), ")"));
  }
  if (answer.contains("error")) {
    const Json& e = answer["error"];
    return OdooError(what, e.is_object() && e.contains("data") ? e["data"] : e, 200);
  }
  const Json& result = answer.contains("result") ? answer["result"] : Json();
  if (!result.is_number_integer() || result.get<int64_t>() <= 0) {
    return absl::UnauthenticatedError(absl::StrCat("odoo: ", what, ": login '", options_.username,
                                                   "' on database '", options_.database, "': ",
                                                   KeyRefusedHint()));
  }
  uid_ = result.get<int64_t>();
  return absl::OkStatus();
}

absl::Status OdooRpc::Connect() {
  if (absl::Status s = DetectApi(); !s.ok()) return s;
  if (api_ == OdooApi::kJsonRpc) return Login();
  if (uid_ != 0) return absl::OkStatus();
  // JSON-2 knows the user by its key: context_get says who it is.
  Call who;
  who.model = "res.users";
  who.method = "context_get";
  absl::StatusOr<Json> context = ExecuteJson2(who);
  if (!context.ok()) return context.status();
  if (context->is_object() && context->contains("uid") && (*context)["uid"].is_number_integer()) {
    uid_ = (*context)["uid"].get<int64_t>();
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> OdooRpc::Execute(const Call& call) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  if (api_ == OdooApi::kJson2) return ExecuteJson2(call);
  absl::StatusOr<Json> result = ExecuteJsonRpc(call);
  // A key that expired since the login: log in again next time.
  if (result.status().code() == absl::StatusCode::kUnauthenticated) uid_ = 0;
  return result;
}

absl::StatusOr<Json> OdooRpc::ExecuteJsonRpc(const Call& call) {
  const std::string what = absl::StrCat(call.model, ".", call.method);
  Json args = Json::array();
  if (call.ids.has_value()) args.push_back(*call.ids);
  for (const auto& [name, value] : call.args) args.push_back(value);
  Json kwargs = call.kwargs;
  if (!call.context.empty()) kwargs["context"] = call.context;
  Json body = {{"jsonrpc", "2.0"},
               {"method", "call"},
               {"id", next_id_++},
               {"params",
                {{"service", "object"},
                 {"method", "execute_kw"},
                 {"args", {options_.database, uid_, options_.api_key, call.model, call.method, args, kwargs}}}}};
  absl::StatusOr<http::Response> response = Post("/jsonrpc", body, call.idempotent, false, what);
  if (!response.ok()) return response.status();
  return ParseJsonRpcAnswer(what, *response);
}

absl::StatusOr<Json> OdooRpc::ExecuteJson2(const Call& call) {
  const std::string what = absl::StrCat(call.model, ".", call.method);
  Json body = call.kwargs;
  if (call.ids.has_value()) body["ids"] = *call.ids;
  for (const auto& [name, value] : call.args) body[name] = value;
  if (!call.context.empty()) body["context"] = call.context;
  absl::StatusOr<http::Response> response =
      Post(absl::StrCat("/json/2/", call.model, "/", call.method), body, call.idempotent, true, what);
  if (!response.ok()) return response.status();
  return ParseJson2Answer(what, *response);
}

absl::StatusOr<Json> ParseJsonRpcAnswer(absl::string_view what, const http::Response& response) {
  if (response.status != 200) {
    const Json e = Json::parse(response.body, nullptr, false);
    if (e.is_object() && e.contains("error")) {
      const Json& err = e["error"];
      return OdooError(what, err.is_object() && err.contains("data") ? err["data"] : err, response.status);
    }
    return RedactedHttpError(absl::StrCat("odoo: ", what), response);
  }
  const Json answer = Json::parse(response.body, nullptr, false);
  if (!answer.is_object() || (!answer.contains("result") && !answer.contains("error"))) {
    return absl::DataLossError(absl::StrCat("odoo: ", what, ": the answer is not JSON-RPC (",
                                            OneLine(Redact(response.body), 120), ")"));
  }
  if (answer.contains("error")) {
    const Json& e = answer["error"];
    return OdooError(what, e.is_object() && e.contains("data") ? e["data"] : e, 200);
  }
  return answer["result"];
}

absl::StatusOr<Json> ParseJson2Answer(absl::string_view what, const http::Response& response) {
  const Json answer = Json::parse(response.body, nullptr, false);
  if (response.status != 200) {
    if (!answer.is_discarded() && (answer.is_object() || answer.is_string())) {
      return OdooError(what, answer, response.status);
    }
    absl::Status s = RedactedHttpError(absl::StrCat("odoo: ", what), response);
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(absl::StrCat(s.message(), "; ", KeyRefusedHint()));
    }
    return s;
  }
  if (answer.is_discarded()) {
    return absl::DataLossError(
        absl::StrCat("odoo: ", what, ": the answer is not JSON (", OneLine(Redact(response.body), 120), ")"));
  }
  return answer;
}

}  // namespace pulse::odoo_internal
