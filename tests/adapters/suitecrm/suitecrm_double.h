// A contract-faithful SuiteCRM for tests: an in-process HTTP server (cpp-httplib
// on a loopback port the kernel picks) that speaks the wire format observed
// on SuiteCRM 7.14.6 (see /work/shared/crm/suitecrm-v8.md):
//   - POST /Api/access_token (client_credentials and password grants), bearer
//     tokens that expire (401 afterwards);
//   - GET /Api/V8/module/{Module}?fields[..]&filter[f][op]=v&page[size]&
//     page[number]&sort: JSON:API lists with meta total-pages and
//     records-on-this-page, every value a string, datetimes ISO 8601 with
//     +00:00 (cut to the minute when asked), only `sort=id` giving a stable
//     order (any other order shuffles ties on every request), filters
//     compared as strings the way SQL compares the DB format, a filter on
//     `deleted` answering 400, a filter on a field that is not a column
//     answering 400;
//   - GET /Api/V8/module/{Module}/{id}; POST and PATCH /Api/V8/module (a
//     datetime not in "YYYY-MM-DD HH:MM:SS" is silently stored empty);
//   - deleted rows invisible to V8; POST /service/v4_1/rest.php (login with
//     the md5 of the password, get_entry_list with deleted=1);
//   - the same under a prefix ("/legacy", as SuiteCRM 8 serves it), with
//     404 at the root.
// Faults can be injected per request: an HTTP status (with Retry-After),
// malformed JSON, a body cut short, no answer in time, or a write that is
// done and then answered late or with 500.
#ifndef PULSE_TESTS_ADAPTERS_SUITECRM_SUITECRM_DOUBLE_H_
#define PULSE_TESTS_ADAPTERS_SUITECRM_SUITECRM_DOUBLE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace pulse::testing {

struct SuiteCrmFault {
  enum class Kind {
    kStatus,             // answer `status` with `body` (and Retry-After), do nothing
    kMalformedJson,      // do it, answer 200 with JSON cut in the middle
    kTruncatedBody,      // do it, close the connection half way through the body
    kTimeout,            // wait `delay` and then do it (the client gave up)
    kAcceptThenTimeout,  // do it, then wait `delay` before answering
    kAcceptThenStatus,   // do it, then answer `status` (a 500 after the write)
  };
  Kind kind = Kind::kStatus;
  std::string method;          // "GET", "POST", "PATCH"; empty = any
  std::string path_contains;   // e.g. "/module/Accounts", "/access_token"
  std::string param_equals;    // e.g. "page[number]=2"; empty = any
  int status = 503;
  std::string retry_after;
  std::string body;
  absl::Duration delay = absl::Milliseconds(800);
  int skip = 0;   // matching requests let through before the fault starts
  int times = 1;
};

class SuiteCrmDouble {
 public:
  struct Options {
    std::string prefix;  // "" (SuiteCRM 7) or "/legacy" (SuiteCRM 8)
    std::string client_id = "pulse-client";
    std::string client_secret = "s3cret-client";
    std::string username = "pulse-api";
    std::string password = "pa55word";
    int expires_in = 3600;
    bool minute_precision = false;  // datetimes returned cut to the minute
  };
  SuiteCrmDouble();
  explicit SuiteCrmDouble(Options options);
  ~SuiteCrmDouble();
  SuiteCrmDouble(const SuiteCrmDouble&) = delete;
  SuiteCrmDouble& operator=(const SuiteCrmDouble&) = delete;

  // "http://127.0.0.1:PORT" (without the prefix).
  std::string RootUrl() const;
  // RootUrl() + prefix: where the API is.
  std::string BaseUrl() const;
  const Options& options() const { return options_; }

  // The CRM's clock (date_entered, date_modified, token expiry).
  void SetNow(absl::Time now);
  void Advance(absl::Duration d);
  absl::Time Now() const;

  // Adds a record; `attributes` values are strings as SuiteCRM keeps them
  // (datetimes in "YYYY-MM-DD HH:MM:SS"). date_entered and date_modified
  // default to now. Returns the id (given or made).
  std::string Add(const std::string& module, nlohmann::json attributes, std::string id = "");
  // Declares a custom field (a column SuiteCRM's Studio added, "..._c").
  void AddColumn(const std::string& module, const std::string& field);
  // Changes attributes and date_modified (to now), as a save in the UI does.
  void Update(const std::string& module, const std::string& id, const nlohmann::json& attributes);
  // Marks deleted (deleted = 1, date_modified = now), as SuiteCRM does.
  void Delete(const std::string& module, const std::string& id);
  // The stored attributes (datetimes in DB form); null when there is none.
  nlohmann::json Record(const std::string& module, const std::string& id) const;
  // Records not deleted.
  std::vector<nlohmann::json> Records(const std::string& module) const;

  // Every token and legacy session given out so far stops working.
  void ExpireTokens();
  void ExpireSessions();
  int token_requests() const;

  void AddFault(SuiteCrmFault fault);

  struct Logged {
    std::string method;
    std::string path;
    std::multimap<std::string, std::string> params;
    std::string body;
    int status = 0;
  };
  std::vector<Logged> Requests() const;
  // The requests whose path contains `path_part` (and method, when given).
  std::vector<Logged> RequestsTo(const std::string& path_part, const std::string& method = "") const;
  void ClearLog();

 private:
  struct Stored {
    std::string id;
    std::map<std::string, std::string> attributes;
    bool deleted = false;
    int64_t order = 0;
  };
  void Handle(const httplib::Request& req, httplib::Response& res);
  void Route(const httplib::Request& req, httplib::Response& res);
  void Token(const httplib::Request& req, httplib::Response& res);
  void List(const std::string& module, const httplib::Request& req, httplib::Response& res);
  void GetOne(const std::string& module, const std::string& id, const httplib::Request& req, httplib::Response& res);
  void Write(bool create, const httplib::Request& req, httplib::Response& res);
  void Legacy(const httplib::Request& req, httplib::Response& res);
  bool Authorized(const httplib::Request& req, httplib::Response& res) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  nlohmann::json Render(const std::string& module, const Stored& r, const std::set<std::string>* fields) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string DbNow() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, Stored>> modules_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, absl::Time> tokens_ ABSL_GUARDED_BY(mu_);  // token -> expiry
  std::set<std::string> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> custom_columns_ ABSL_GUARDED_BY(mu_);
  int token_requests_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SuiteCrmFault> faults_ ABSL_GUARDED_BY(mu_);
  std::vector<Logged> log_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pulse::testing

#endif  // PULSE_TESTS_ADAPTERS_SUITECRM_SUITECRM_DOUBLE_H_
