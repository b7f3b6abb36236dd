// The two SuiteCRM APIs the adapter talks to, over the shared HTTP transport:
//
// V8Api: the JSON:API of SuiteCRM 7.x and 8.x (/Api/V8, /legacy/Api/V8 on
// 8.x). OAuth2 client-credentials or password grant; the token is cached,
// renewed a minute before it expires, and once more when a call answers 401.
// Lists are paged sorted by id (the only stable order), page 1 first to learn
// the number of pages, then the rest with `concurrency` requests in flight.
//
// LegacyApi: the v4_1 REST API (/service/v4_1/rest.php), used only to list
// deleted rows, which V8 cannot see.
//
// Errors carry what was being done ("SuiteCRM Accounts page 3: HTTP 503 ...")
// and never a credential: every message goes through Redact().
// Thread-safety: both classes are safe to use from several threads.
#ifndef PULSE_ADAPTERS_SUITECRM_SUITECRM_API_H_
#define PULSE_ADAPTERS_SUITECRM_SUITECRM_API_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/http/http_client.h"
#include "nlohmann/json.hpp"

namespace pulse::suitecrm_internal {

struct ApiParams {
  // Where /Api/access_token lives: "https://crm.example.com" (7.x) or
  // "https://crm.example.com/legacy" (8.x). Without a trailing slash.
  std::string base_url;
  bool password_grant = false;
  std::string client_id;
  std::string client_secret;
  std::string username;  // password grant and the legacy API
  std::string password;
  int concurrency = 4;
  int page_size = 100;
  // The clock for token expiry; tests replace it. Default absl::Now.
  std::function<absl::Time()> now;
};

// One filter of a list: filter[field][op]=value.
struct Filter {
  std::string field;
  std::string op;  // eq, neq, gt, gte, lt, lte, like
  std::string value;
};

struct ListQuery {
  std::string module;
  std::vector<std::string> fields;
  std::vector<Filter> filters;
};

// A record of a list with the page it came on (for messages).
struct ListedRecord {
  int page = 0;
  nlohmann::json record;  // {"type", "id", "attributes"}
};

struct Listing {
  std::vector<ListedRecord> records;
  // Pages that could not be read (after the transport's retries), with why;
  // the records on them are missing from `records`.
  std::vector<std::pair<int, absl::Status>> broken_pages;
  // Elements of `data` that are not records ({"id": string, "attributes":
  // object}): page, position on the page, the id when there is one.
  struct Malformed {
    int page = 0;
    int index = 0;
    std::string id;
  };
  std::vector<Malformed> malformed;
};

// One page of a list, read out of the V8 API's answer.
struct ListPage {
  std::vector<ListedRecord> records;
  std::vector<Listing::Malformed> malformed;
  // meta.total-pages (a number or a numeric string), else the page's own
  // number; at most kMaxListPages.
  int total_pages = 0;
  // Elements of `data`, records or not (to tell a full page).
  int count = 0;
};

// More pages than this in one list is not an answer to believe (at 100 rows
// a page, ten million rows).
inline constexpr int kMaxListPages = 100000;

// Splits the parsed answer to a list request into records and malformed
// elements. No I/O: the adapter and the fuzzer (tests/fuzz/) call it.
// Unavailable "<what>: the answer has no data list" when `body` is not an
// object with a `data` array, or names more than kMaxListPages pages.
absl::StatusOr<ListPage> ParseListPage(absl::string_view what, int page_number, nlohmann::json body);

class V8Api {
 public:
  V8Api(std::unique_ptr<http::HttpClient> http, ApiParams params);

  // Fetches a token now (also to check the credentials).
  absl::Status Login();

  // Sends `method` to base_url + `path` ("/Api/V8/module/Accounts/ID?...")
  // with the bearer token, once more with a fresh token after a 401. Returns
  // the parsed body of a 2xx answer. Errors: the transport's, the HTTP
  // status's canonical code with the JSON:API error's title and detail,
  // Unavailable for a body that is not JSON, all prefixed with `what`.
  // `idempotent` tells the transport whether it may repeat the request.
  absl::StatusOr<nlohmann::json> Call(const std::string& method, const std::string& path, const std::string& body,
                                      bool idempotent, const std::string& what);

  // Reads every page of the query. Fails when page 1 fails, or any page
  // fails in a way that will not pass by itself (401/403, 400, 404); other
  // page failures (5xx, 429, timeouts, broken bodies) are listed in
  // broken_pages. `on_page(records_so_far)` is called on this thread.
  absl::StatusOr<Listing> List(const ListQuery& query, const std::function<void(int64_t)>& on_page);

  // "/Api/V8/module/Accounts?fields[Accounts]=...&filter...&page[size]=..."
  // (percent-encoded), for a page.
  std::string ListPath(const ListQuery& query, int page_number) const;

  // The base URL in use (see base_).
  std::string base_url() const;

 private:
  struct Token {
    std::string value;
    absl::Time expires_at;
    int64_t generation = 0;
  };
  absl::StatusOr<Token> CurrentToken();
  absl::StatusOr<Token> FetchToken(const std::string& base_url);
  void Invalidate(int64_t generation);
  absl::StatusOr<ListPage> FetchPage(const ListQuery& query, int page_number);

  std::unique_ptr<http::HttpClient> http_;
  const ApiParams params_;
  mutable absl::Mutex mu_;
  // The base URL in use: params_.base_url, or it with "/legacy" appended when
  // only that answers (SuiteCRM 8 given without its /legacy prefix).
  std::string base_ ABSL_GUARDED_BY(mu_);
  Token token_ ABSL_GUARDED_BY(mu_);
  int64_t generations_ ABSL_GUARDED_BY(mu_) = 0;
};

// A deleted row as the legacy API lists it.
struct DeletedRow {
  std::string id;
  std::string date_modified;  // "YYYY-MM-DD HH:MM:SS"
};

class LegacyApi {
 public:
  // `base_url` comes from V8Api::base_url() (the same prefix serves both).
  LegacyApi(http::HttpClient* http, std::function<std::string()> base_url, std::string username,
            std::string password);

  // The rows of `module` (table `table`) deleted at or after `since`
  // ("YYYY-MM-DD HH:MM:SS", or empty for all), paging by offset. Logs in
  // (md5 of the password, as v4_1 wants) and once more when the session
  // has expired.
  absl::StatusOr<std::vector<DeletedRow>> ListDeleted(const std::string& module, const std::string& table,
                                                      const std::string& since);

 private:
  absl::StatusOr<nlohmann::json> Post(const std::string& method, const nlohmann::json& rest_data,
                                      const std::string& what);
  absl::StatusOr<std::string> Session(bool renew);

  http::HttpClient* http_;
  const std::function<std::string()> base_url_;
  const std::string username_;
  const std::string password_md5_;
  absl::Mutex mu_;
  std::string session_ ABSL_GUARDED_BY(mu_);
};

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(absl::string_view s);
// The hex MD5 of `s` (what v4_1 login wants instead of the password).
std::string Md5Hex(absl::string_view s);

}  // namespace pulse::suitecrm_internal

#endif  // PULSE_ADAPTERS_SUITECRM_SUITECRM_API_H_
