#include "adapters/suitecrm/suitecrm_api.h"

#include <openssl/evp.h>

#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sidecar/common/logging.h"

namespace pulse::suitecrm_internal {
namespace {

using json = nlohmann::json;

constexpr char kLog[] = "suitecrm";
// A token is renewed this long before SuiteCRM says it expires.
constexpr absl::Duration kTokenMargin = absl::Seconds(60);

// The same status with `what` in front and the message redacted; payloads
// (the transport's "never sent" mark) are kept.
absl::Status Prefixed(const absl::Status& s, absl::string_view what) {
  absl::Status out(s.code(), Redact(absl::StrCat(what, ": ", s.message())));
  s.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

std::string JsonText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// "title: detail" of one JSON:API error object.
std::string DescribeError(const json& e) {
  if (!e.is_object()) return JsonText(e);
  std::vector<std::string> parts;
  for (const char* key : {"title", "detail"}) {
    if (auto it = e.find(key); it != e.end()) {
      std::string text = JsonText(*it);
      if (!text.empty()) parts.push_back(std::move(text));
    }
  }
  return absl::StrJoin(parts, ": ");
}

// The message of a JSON:API `errors` member (an object, as SuiteCRM sends
// it, or an array, as the spec has it), or of an OAuth2 error body.
std::optional<std::string> ErrorBodyMessage(const json& body) {
  if (!body.is_object()) return std::nullopt;
  if (auto it = body.find("errors"); it != body.end()) {
    if (it->is_array()) {
      std::vector<std::string> all;
      for (const json& e : *it) all.push_back(DescribeError(e));
      return absl::StrJoin(all, "; ");
    }
    return DescribeError(*it);
  }
  if (auto it = body.find("error"); it != body.end()) {
    std::string m = JsonText(*it);
    for (const char* key : {"error_description", "message", "hint"}) {
      if (auto d = body.find(key); d != body.end() && !JsonText(*d).empty()) absl::StrAppend(&m, ": ", JsonText(*d));
    }
    return m;
  }
  return std::nullopt;
}

// The Status for an answer that is not a success.
absl::Status AnswerError(absl::string_view what, const http::Response& response) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (std::optional<std::string> m = ErrorBodyMessage(body)) {
    return absl::Status(http::StatusCodeForHttp(response.status),
                        Redact(absl::StrCat(what, ": HTTP ", response.status, ": ", *m)));
  }
  absl::Status s = http::HttpError(what, response);
  return absl::Status(s.code(), Redact(s.message()));
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

absl::StatusOr<json> ParseBody(absl::string_view what, const http::Response& response) {
  if (absl::StripAsciiWhitespace(response.body).empty()) return json::object();
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return absl::UnavailableError(
        Redact(absl::StrCat(what, ": the answer (HTTP ", response.status, ", ", response.body.size(),
                            " bytes) is not valid JSON; the body was cut short or the URL is not SuiteCRM's API")));
  }
  return body;
}

// Codes that another attempt of the same request will not change.
bool IsLasting(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return true;
    default:
      return false;
  }
}

int JsonInt(const json& v, int fallback) {
  if (v.is_number_integer()) return v.get<int>();
  int n;
  if (v.is_string() && absl::SimpleAtoi(v.get<std::string>(), &n)) return n;
  return fallback;
}

}  // namespace

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Md5Hex(absl::string_view s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

V8Api::V8Api(std::unique_ptr<http::HttpClient> http, ApiParams params)
    : http_(std::move(http)), params_(std::move(params)), base_(params_.base_url) {}

std::string V8Api::base_url() const {
  absl::MutexLock lock(&mu_);
  return base_;
}

absl::Status V8Api::Login() {
  {
    absl::MutexLock lock(&mu_);
    token_ = Token();
  }
  return CurrentToken().status();
}

absl::StatusOr<V8Api::Token> V8Api::FetchToken(const std::string& base) {
  json body = {{"grant_type", params_.password_grant ? "password" : "client_credentials"},
               {"client_id", params_.client_id},
               {"client_secret", params_.client_secret}};
  if (params_.password_grant) {
    body["username"] = params_.username;
    body["password"] = params_.password;
  }
  http::Request req;
  req.method = "POST";
  req.url = absl::StrCat(base, "/Api/access_token");
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  req.body = body.dump();
  req.idempotent = true;  // asking for a token twice is harmless
  const std::string what = "SuiteCRM login";
  absl::StatusOr<http::Response> res = http_->Send(req);
  if (!res.ok()) return Prefixed(res.status(), what);
  if (!IsSuccess(res->status)) {
    absl::Status s = AnswerError(what, *res);
    if (res->status == 400 || res->status == 401) {
      return absl::UnauthenticatedError(absl::StrCat(
          s.message(), " (check adapter.suitecrm.client_id, the client secret",
          params_.password_grant ? ", username and password" : "", " in the credentials)"));
    }
    return s;
  }
  absl::StatusOr<json> parsed = ParseBody(what, *res);
  if (!parsed.ok()) return parsed.status();
  auto token = parsed->find("access_token");
  if (!parsed->is_object() || token == parsed->end() || !token->is_string() || token->get<std::string>().empty()) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer has no access_token"));
  }
  Token t;
  t.value = token->get<std::string>();
  RegisterSecret(t.value);
  const int expires_in = JsonInt(parsed->value("expires_in", json(3600)), 3600);
  const absl::Time now = params_.now ? params_.now() : absl::Now();
  t.expires_at = now + std::max(absl::Seconds(expires_in) - kTokenMargin, absl::Seconds(expires_in) / 2);
  return t;
}

absl::StatusOr<V8Api::Token> V8Api::CurrentToken() {
  // Held while fetching: workers that all need a token wait for one fetch.
  absl::MutexLock lock(&mu_);
  const absl::Time now = params_.now ? params_.now() : absl::Now();
  if (!token_.value.empty() && now < token_.expires_at) return token_;
  absl::StatusOr<Token> t = FetchToken(base_);
  if (!t.ok() && !absl::EndsWith(base_, "/legacy") &&
      (t.status().code() == absl::StatusCode::kNotFound || t.status().code() == absl::StatusCode::kUnavailable) &&
      !http::WasNotSent(t.status())) {
    // SuiteCRM 8 serves the V8 API under /legacy.
    const std::string legacy = absl::StrCat(base_, "/legacy");
    absl::StatusOr<Token> again = FetchToken(legacy);
    if (again.ok()) {
      LogInfo(kLog, "the API answers under ", legacy, " (SuiteCRM 8): using that");
      base_ = legacy;
      t = std::move(again);
    }
  }
  if (!t.ok()) return t.status();
  token_ = *t;
  token_.generation = ++generations_;
  return token_;
}

void V8Api::Invalidate(int64_t generation) {
  absl::MutexLock lock(&mu_);
  if (token_.generation == generation) token_ = Token();
}

absl::StatusOr<json> V8Api::Call(const std::string& method, const std::string& path, const std::string& body,
                                 bool idempotent, const std::string& what) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Token> token = CurrentToken();
    if (!token.ok()) return Prefixed(token.status(), what);
    http::Request req;
    req.method = method;
    req.url = absl::StrCat(base_url(), path);
    req.headers = {{"Authorization", absl::StrCat("Bearer ", token->value)},
                   {"Accept", "application/vnd.api+json"}};
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/vnd.api+json");
    req.body = body;
    req.idempotent = idempotent;
    absl::StatusOr<http::Response> res = http_->Send(req);
    if (!res.ok()) return Prefixed(res.status(), what);
    // An expired or revoked token: one new token, one more try. The request
    // was refused, so even a create is safe to send again.
    if (res->status == 401 && attempt == 0) {
      Invalidate(token->generation);
      continue;
    }
    if (!IsSuccess(res->status)) return AnswerError(what, *res);
    absl::StatusOr<json> parsed = ParseBody(what, *res);
    if (!parsed.ok()) return parsed.status();
    if (std::optional<std::string> m = ErrorBodyMessage(*parsed); m.has_value() && parsed->contains("errors")) {
      return absl::InvalidArgumentError(Redact(absl::StrCat(what, ": ", *m)));
    }
    return parsed;
  }
}

std::string V8Api::ListPath(const ListQuery& q, int page_number) const {
  std::string path = absl::StrCat("/Api/V8/module/", UrlEncode(q.module), "?");
  if (!q.fields.empty()) {
    absl::StrAppend(&path, UrlEncode(absl::StrCat("fields[", q.module, "]")), "=",
                    UrlEncode(absl::StrJoin(q.fields, ",")), "&");
  }
  for (const Filter& f : q.filters) {
    absl::StrAppend(&path, UrlEncode(absl::StrCat("filter[", f.field, "][", f.op, "]")), "=", UrlEncode(f.value),
                    "&");
  }
  // Sorted by id: date_modified has ties and pages over it repeat and skip
  // records.
  absl::StrAppend(&path, UrlEncode("page[size]"), "=", params_.page_size, "&", UrlEncode("page[number]"), "=",
                  page_number, "&sort=id");
  return path;
}

absl::StatusOr<ListPage> ParseListPage(absl::string_view what, int page_number, json body) {
  auto data = body.is_object() ? body.find("data") : body.end();
  if (!body.is_object() || data == body.end() || !data->is_array()) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer has no data list"));
  }
  ListPage page;
  page.count = static_cast<int>(data->size());
  page.total_pages = page_number;
  if (auto meta = body.find("meta"); meta != body.end() && meta->is_object()) {
    if (auto tp = meta->find("total-pages"); tp != meta->end()) page.total_pages = JsonInt(*tp, page_number);
  }
  // List() makes room for every page it is told of before reading them.
  if (page.total_pages > kMaxListPages) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer says there are ", page.total_pages,
                                               " pages (meta.total-pages); more than ", kMaxListPages,
                                               " is not believable, so the list is not read"));
  }
  int index = 0;
  for (json& r : *data) {
    auto id = r.is_object() ? r.find("id") : r.end();
    auto attrs = r.is_object() ? r.find("attributes") : r.end();
    const bool has_id = r.is_object() && id != r.end() && id->is_string() && !id->get<std::string>().empty();
    if (!has_id || attrs == r.end() || !attrs->is_object()) {
      page.malformed.push_back({page_number, index, has_id ? id->get<std::string>() : ""});
    } else {
      page.records.push_back({page_number, std::move(r)});
    }
    ++index;
  }
  return page;
}

absl::StatusOr<ListPage> V8Api::FetchPage(const ListQuery& q, int page_number) {
  const std::string what = absl::StrCat("SuiteCRM ", q.module, " page ", page_number);
  absl::StatusOr<json> body = Call("GET", ListPath(q, page_number), "", true, what);
  if (!body.ok()) return body.status();
  return ParseListPage(what, page_number, *std::move(body));
}

absl::StatusOr<Listing> V8Api::List(const ListQuery& q, const std::function<void(int64_t)>& on_page) {
  Listing out;
  absl::StatusOr<ListPage> first = FetchPage(q, 1);
  if (!first.ok()) return first.status();
  const int total = std::max(first->total_pages, 1);
  std::vector<std::optional<absl::StatusOr<ListPage>>> pages(static_cast<size_t>(total) + 1);
  pages[1] = std::move(first);
  std::atomic<int> next{2};
  std::atomic<int64_t> records{pages[1]->value().count};
  auto work = [&](bool report) {
    for (int p = next++; p <= total; p = next++) {
      pages[p] = FetchPage(q, p);
      if (pages[p]->ok()) records += (*pages[p])->count;
      if (report && on_page) on_page(records.load());
    }
  };
  if (on_page) on_page(records.load());
  std::vector<std::thread> workers;
  for (int i = 1; i < params_.concurrency && i < total - 1; ++i) workers.emplace_back(work, false);
  work(true);
  for (std::thread& t : workers) t.join();
  if (on_page) on_page(records.load());
  // Records created while we read push the last ones onto new pages.
  for (int p = total; p < total + 1000 && pages.back()->ok() && (*pages.back())->count >= params_.page_size; ++p) {
    pages.push_back(FetchPage(q, p + 1));
  }
  for (size_t p = 1; p < pages.size(); ++p) {
    absl::StatusOr<ListPage>& page = *pages[p];
    if (!page.ok()) {
      if (IsLasting(page.status().code())) return page.status();
      out.broken_pages.emplace_back(static_cast<int>(p), page.status());
      continue;
    }
    for (ListedRecord& r : page->records) out.records.push_back(std::move(r));
    for (const Listing::Malformed& m : page->malformed) out.malformed.push_back(m);
  }
  return out;
}

LegacyApi::LegacyApi(http::HttpClient* http, std::function<std::string()> base_url, std::string username,
                     std::string password)
    : http_(http), base_url_(std::move(base_url)), username_(std::move(username)), password_md5_(Md5Hex(password)) {
  RegisterSecret(password_md5_);
}

absl::StatusOr<json> LegacyApi::Post(const std::string& method, const json& rest_data, const std::string& what) {
  http::Request req;
  req.method = "POST";
  req.url = absl::StrCat(base_url_(), "/service/v4_1/rest.php");
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  req.body = absl::StrCat("method=", method, "&input_type=JSON&response_type=JSON&rest_data=",
                          UrlEncode(rest_data.dump()));
  req.idempotent = true;  // logins and reads
  absl::StatusOr<http::Response> res = http_->Send(req);
  if (!res.ok()) return Prefixed(res.status(), what);
  if (!IsSuccess(res->status)) return AnswerError(what, *res);
  return ParseBody(what, *res);
}

absl::StatusOr<std::string> LegacyApi::Session(bool renew) {
  absl::MutexLock lock(&mu_);
  if (!session_.empty() && !renew) return session_;
  // Positional arguments: PHP 8 would take named ones by their PHP names.
  json args = json::array({{{"user_name", username_}, {"password", password_md5_}}, "pulse"});
  absl::StatusOr<json> res = Post("login", args, "SuiteCRM legacy v4_1 login");
  if (!res.ok()) return res.status();
  auto id = res->is_object() ? res->find("id") : res->end();
  if (id == res->end() || !id->is_string() || id->get<std::string>().empty()) {
    std::string why = res->is_object() ? JsonText(res->value("description", json(""))) : "";
    return absl::UnauthenticatedError(Redact(absl::StrCat(
        "SuiteCRM legacy v4_1 login failed", why.empty() ? "" : ": ", why,
        " (check adapter.suitecrm.username and the password in the credentials, or use deletions: reconcile)")));
  }
  session_ = id->get<std::string>();
  RegisterSecret(session_);
  return session_;
}

absl::StatusOr<std::vector<DeletedRow>> LegacyApi::ListDeleted(const std::string& module, const std::string& table,
                                                               const std::string& since) {
  constexpr int kMaxResults = 200;
  std::string query = absl::StrCat(table, ".deleted = 1");
  if (!since.empty()) absl::StrAppend(&query, " AND ", table, ".date_modified >= '", since, "'");
  std::vector<DeletedRow> out;
  bool renewed = false;
  for (int offset = 0;;) {
    absl::StatusOr<std::string> session = Session(false);
    if (!session.ok()) return session.status();
    const std::string what = absl::StrCat("SuiteCRM legacy v4_1 ", module, " deletions at offset ", offset);
    json args = json::array({*session, module, query, absl::StrCat(table, ".id"), offset,
                             json::array({"id", "date_modified", "deleted"}), json::array(), kMaxResults, 1});
    absl::StatusOr<json> res = Post("get_entry_list", args, what);
    if (!res.ok()) return res.status();
    if (res->is_object() && res->contains("number") && !res->contains("entry_list")) {
      const int number = JsonInt((*res)["number"], 0);
      if (number == 11 && !renewed) {  // Invalid Session ID: it expired
        renewed = true;
        if (absl::StatusOr<std::string> s = Session(true); !s.ok()) return s.status();
        continue;
      }
      const std::string m = absl::StrCat(what, ": ", JsonText(res->value("name", json(""))), ": ",
                                         JsonText(res->value("description", json(""))));
      return number == 11 || number == 10 ? absl::UnauthenticatedError(Redact(m))
                                          : absl::FailedPreconditionError(Redact(m));
    }
    auto list = res->is_object() ? res->find("entry_list") : res->end();
    if (list == res->end() || !list->is_array()) {
      return absl::UnavailableError(absl::StrCat(what, ": the answer has no entry_list"));
    }
    if (list->empty()) break;
    for (const json& e : *list) {
      const json nvl = e.is_object() ? e.value("name_value_list", json::object()) : json::object();
      auto field = [&nvl](const char* name) -> std::string {
        if (!nvl.is_object() || !nvl.contains(name)) return "";
        const json& f = nvl[name];
        return f.is_object() ? JsonText(f.value("value", json(""))) : JsonText(f);
      };
      DeletedRow row;
      row.id = e.is_object() ? JsonText(e.value("id", json(""))) : "";
      if (row.id.empty()) row.id = field("id");
      row.date_modified = field("date_modified");
      if (!row.id.empty() && field("deleted") != "0") out.push_back(std::move(row));
    }
    const int next = JsonInt(res->value("next_offset", json(0)), 0);
    if (next <= offset) break;
    offset = next;
  }
  return out;
}

}  // namespace pulse::suitecrm_internal
