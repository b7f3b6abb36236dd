#include "tests/adapters/suitecrm/suitecrm_double.h"

#include <httplib.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pulse::testing {
namespace {

using json = nlohmann::json;

const std::set<std::string>& DatetimeFields() {
  static const auto* fields = new std::set<std::string>{"date_entered", "date_modified",      "date_start",
                                                        "date_end",     "date_due",           "date_sent_received",
                                                        "date_reviewed", "last_response_at"};
  return *fields;
}

// The columns of each module SuiteCRM 7.14 has out of the box (vardefs);
// a filter on anything else is a database error.
const std::set<std::string>& StandardColumns(const std::string& module) {
  static const auto* columns = new std::map<std::string, std::set<std::string>>{
      {"Users", {"user_name", "first_name", "last_name", "status", "employee_status", "is_admin", "email1"}},
      {"Accounts", {"account_type", "industry", "annual_revenue", "billing_address_country", "parent_id"}},
      {"Contacts", {"first_name", "last_name", "title", "account_id", "email1", "do_not_call"}},
      {"AOS_Invoices", {"billing_account_id", "total_amount", "currency_id", "invoice_date", "status", "number"}},
      {"AOS_Products_Quotes", {"parent_type", "parent_id", "product_id", "part_number", "product_qty",
                               "product_total_price"}},
      {"Opportunities", {"account_id", "amount", "currency_id", "date_closed", "sales_stage"}},
      {"Cases", {"case_number", "account_id", "state", "status", "priority", "type"}},
      {"AOP_Case_Updates", {"case_id", "contact_id", "internal"}},
      {"Calls", {"status", "direction", "date_start", "date_end", "duration_hours", "duration_minutes",
                 "parent_type", "parent_id"}},
      {"Meetings", {"status", "date_start", "date_end", "parent_type", "parent_id"}},
      {"Emails", {"type", "status", "date_sent_received", "parent_type", "parent_id"}},
      {"Tasks", {"status", "priority", "date_due", "date_start", "parent_type", "parent_id", "contact_id"}},
      {"Currencies", {"iso4217", "symbol", "conversion_rate", "status"}},
  };
  static const std::set<std::string> none;
  auto it = columns->find(module);
  return it == columns->end() ? none : it->second;
}

bool IsDbDatetime(const std::string& v) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$)");
  return std::regex_match(v, re);
}

// The JSON:API type SuiteCRM gives a module's records.
std::string TypeName(const std::string& module) {
  static const std::map<std::string, std::string> names = {
      {"Accounts", "Account"}, {"Contacts", "Contact"},       {"Users", "User"},       {"Cases", "Case"},
      {"Calls", "Call"},       {"Meetings", "Meeting"},       {"Tasks", "Task"},       {"Emails", "Email"},
      {"Opportunities", "Opportunity"}, {"Currencies", "Currency"}};
  auto it = names.find(module);
  return it == names.end() ? module : it->second;
}

std::string Md5(const std::string& s) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d, &n, EVP_md5(), nullptr);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(hex[d[i] >> 4]);
    out.push_back(hex[d[i] & 15]);
  }
  return out;
}

void Reply(httplib::Response& res, int status, const json& body, const char* type = "application/vnd.api+json") {
  res.status = status;
  res.set_content(body.dump(), type);
}

void V8Error(httplib::Response& res, int status, const std::string& detail) {
  Reply(res, status, {{"errors", {{"status", status}, {"title", nullptr}, {"detail", detail}}}});
}

// SQL LIKE with % and _.
bool Like(const std::string& value, const std::string& pattern) {
  std::string re;
  for (char c : pattern) {
    if (c == '%') {
      re += "[\\s\\S]*";  // SQL's % spans lines
    } else if (c == '_') {
      re += "[\\s\\S]";
    } else if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return std::regex_match(value, std::regex(re, std::regex::icase));
}

bool Compare(const std::string& value, const std::string& op, const std::string& arg) {
  if (op == "eq") return value == arg;
  if (op == "neq") return value != arg;
  if (op == "gt") return value > arg;
  if (op == "gte") return value >= arg;
  if (op == "lt") return value < arg;
  if (op == "lte") return value <= arg;
  if (op == "like") return Like(value, arg);
  return false;
}

}  // namespace

SuiteCrmDouble::SuiteCrmDouble() : SuiteCrmDouble(Options()) {}

SuiteCrmDouble::SuiteCrmDouble(Options options)
    : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 22, 7, 50, 0), absl::UTCTimeZone());
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Patch(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

SuiteCrmDouble::~SuiteCrmDouble() {
  server_->stop();
  thread_.join();
}

std::string SuiteCrmDouble::RootUrl() const { return absl::StrCat("http://127.0.0.1:", port_); }
std::string SuiteCrmDouble::BaseUrl() const { return absl::StrCat(RootUrl(), options_.prefix); }

void SuiteCrmDouble::SetNow(absl::Time now) {
  absl::MutexLock lock(&mu_);
  now_ = now;
}
void SuiteCrmDouble::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}
absl::Time SuiteCrmDouble::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}
std::string SuiteCrmDouble::DbNow() const { return absl::FormatTime("%Y-%m-%d %H:%M:%S", now_, absl::UTCTimeZone()); }

std::string SuiteCrmDouble::Add(const std::string& module, json attributes, std::string id) {
  absl::MutexLock lock(&mu_);
  Stored r;
  r.order = next_id_++;
  r.id = id.empty() ? absl::StrCat(absl::AsciiStrToLower(TypeName(module)), "-", 100000 + r.order) : id;
  r.attributes["date_entered"] = DbNow();
  r.attributes["date_modified"] = DbNow();
  for (auto& [k, v] : attributes.items()) r.attributes[k] = v.is_string() ? v.get<std::string>() : v.dump();
  modules_[module][r.id] = r;
  return r.id;
}

void SuiteCrmDouble::AddColumn(const std::string& module, const std::string& field) {
  absl::MutexLock lock(&mu_);
  custom_columns_[module].insert(field);
}

void SuiteCrmDouble::Update(const std::string& module, const std::string& id, const json& attributes) {
  absl::MutexLock lock(&mu_);
  Stored& r = modules_[module][id];
  for (auto& [k, v] : attributes.items()) r.attributes[k] = v.is_string() ? v.get<std::string>() : v.dump();
  r.attributes["date_modified"] = DbNow();
}

void SuiteCrmDouble::Delete(const std::string& module, const std::string& id) {
  absl::MutexLock lock(&mu_);
  Stored& r = modules_[module][id];
  r.deleted = true;
  r.attributes["date_modified"] = DbNow();
}

json SuiteCrmDouble::Record(const std::string& module, const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto m = modules_.find(module);
  if (m == modules_.end()) return nullptr;
  auto it = m->second.find(id);
  if (it == m->second.end()) return nullptr;
  json out = it->second.attributes;
  out["id"] = id;
  out["deleted"] = it->second.deleted ? "1" : "0";
  return out;
}

std::vector<json> SuiteCrmDouble::Records(const std::string& module) const {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    auto m = modules_.find(module);
    if (m == modules_.end()) return {};
    for (const auto& [id, r] : m->second) {
      if (!r.deleted) ids.push_back(id);
    }
  }
  std::vector<json> out;
  for (const std::string& id : ids) out.push_back(Record(module, id));
  return out;
}

void SuiteCrmDouble::ExpireTokens() {
  absl::MutexLock lock(&mu_);
  tokens_.clear();
}
void SuiteCrmDouble::ExpireSessions() {
  absl::MutexLock lock(&mu_);
  sessions_.clear();
}
int SuiteCrmDouble::token_requests() const {
  absl::MutexLock lock(&mu_);
  return token_requests_;
}
void SuiteCrmDouble::AddFault(SuiteCrmFault fault) {
  absl::MutexLock lock(&mu_);
  faults_.push_back(std::move(fault));
}
std::vector<SuiteCrmDouble::Logged> SuiteCrmDouble::Requests() const {
  absl::MutexLock lock(&mu_);
  return log_;
}
std::vector<SuiteCrmDouble::Logged> SuiteCrmDouble::RequestsTo(const std::string& path_part,
                                                                const std::string& method) const {
  std::vector<Logged> out;
  for (const Logged& l : Requests()) {
    if (absl::StrContains(l.path, path_part) && (method.empty() || l.method == method)) out.push_back(l);
  }
  return out;
}
void SuiteCrmDouble::ClearLog() {
  absl::MutexLock lock(&mu_);
  log_.clear();
}

void SuiteCrmDouble::Handle(const httplib::Request& req, httplib::Response& res) {
  std::optional<SuiteCrmFault> fault;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (!it->method.empty() && it->method != req.method) continue;
      if (!absl::StrContains(req.path, it->path_contains)) continue;
      if (!it->param_equals.empty()) {
        bool found = false;
        for (const auto& [k, v] : req.params) found = found || absl::StrCat(k, "=", v) == it->param_equals;
        if (!found) continue;
      }
      if (it->skip > 0) {
        --it->skip;
        break;
      }
      fault = *it;
      if (--it->times <= 0) faults_.erase(it);
      break;
    }
  }
  using Kind = SuiteCrmFault::Kind;
  if (fault.has_value() && fault->kind == Kind::kStatus) {
    res.status = fault->status;
    if (!fault->retry_after.empty()) res.set_header("Retry-After", fault->retry_after);
    res.set_content(fault->body.empty() ? json({{"errors", {{"status", fault->status}, {"title", "injected"},
                                                            {"detail", "fault injected by the test"}}}})
                                              .dump()
                                        : fault->body,
                    "application/vnd.api+json");
  } else {
    if (fault.has_value() && fault->kind == Kind::kTimeout) absl::SleepFor(fault->delay);
    Route(req, res);
    if (fault.has_value()) {
      switch (fault->kind) {
        case Kind::kMalformedJson: {
          std::string body = res.body.substr(0, res.body.size() / 2);
          res.status = 200;
          res.set_content(body.empty() ? "{\"data\": [" : body, "application/vnd.api+json");
          break;
        }
        case Kind::kTruncatedBody: {
          const std::string full = res.body;
          const std::string half = full.substr(0, full.size() / 2);
          res.body.clear();  // a body would be sent instead of the provider
          res.set_content_provider(full.size(), "application/vnd.api+json",
                                   [half](size_t offset, size_t, httplib::DataSink& sink) {
                                     if (offset == 0) sink.write(half.data(), half.size());
                                     return false;  // closes the connection short of Content-Length
                                   });
          break;
        }
        case Kind::kAcceptThenTimeout:
          absl::SleepFor(fault->delay);
          break;
        case Kind::kAcceptThenStatus:
          res.status = fault->status;
          res.set_content("<html><body>Internal Server Error</body></html>", "text/html");
          break;
        default:
          break;
      }
    }
  }
  Logged l;
  l.method = req.method;
  l.path = req.path;
  for (const auto& [k, v] : req.params) l.params.emplace(k, v);
  l.body = req.body;
  l.status = res.status;
  absl::MutexLock lock(&mu_);
  log_.push_back(std::move(l));
}

void SuiteCrmDouble::Route(const httplib::Request& req, httplib::Response& res) {
  std::string path = req.path;
  if (!options_.prefix.empty()) {
    if (!absl::StartsWith(path, options_.prefix + "/")) {
      res.status = 404;
      res.set_content("<html><body>Not Found</body></html>", "text/html");
      return;
    }
    path = path.substr(options_.prefix.size());
  }
  if (path == "/Api/access_token" && req.method == "POST") return Token(req, res);
  if (path == "/service/v4_1/rest.php" && req.method == "POST") return Legacy(req, res);
  if (absl::StartsWith(path, "/Api/V8/")) {
    absl::MutexLock lock(&mu_);
    if (!Authorized(req, res)) return;
  }
  if (path == "/Api/V8/module" && (req.method == "POST" || req.method == "PATCH")) {
    return Write(req.method == "POST", req, res);
  }
  if (absl::StartsWith(path, "/Api/V8/module/") && req.method == "GET") {
    std::vector<std::string> parts = absl::StrSplit(path.substr(strlen("/Api/V8/module/")), '/');
    if (parts.size() == 1) return List(parts[0], req, res);
    if (parts.size() == 2) return GetOne(parts[0], parts[1], req, res);
  }
  res.status = 404;
  res.set_content("<html><body>Not Found</body></html>", "text/html");
}

bool SuiteCrmDouble::Authorized(const httplib::Request& req, httplib::Response& res) {
  const std::string auth = req.get_header_value("Authorization");
  auto it = absl::StartsWith(auth, "Bearer ") ? tokens_.find(auth.substr(7)) : tokens_.end();
  if (it != tokens_.end() && now_ < it->second) return true;
  Reply(res, 401,
        {{"error", "access_denied"},
         {"error_description", "The resource owner or authorization server denied the request."},
         {"hint", "Access token could not be verified"},
         {"message", "The resource owner or authorization server denied the request."}},
        "application/json");
  return false;
}

void SuiteCrmDouble::Token(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, false);
  auto field = [&](const char* name) -> std::string {
    if (body.is_object() && body.contains(name) && body[name].is_string()) return body[name].get<std::string>();
    return req.has_param(name) ? req.get_param_value(name) : "";
  };
  absl::MutexLock lock(&mu_);
  ++token_requests_;
  const std::string grant = field("grant_type");
  bool ok = field("client_id") == options_.client_id && field("client_secret") == options_.client_secret;
  if (grant == "password") {
    ok = ok && field("username") == options_.username && field("password") == options_.password;
  } else if (grant != "client_credentials") {
    ok = false;
  }
  if (!ok) {
    Reply(res, 401,
          {{"error", "invalid_client"},
           {"error_description", "Client authentication failed"},
           {"message", "Client authentication failed"}},
          "application/json");
    return;
  }
  const std::string token = absl::StrCat("eyJ0eXAiOiJKV1Qi.token-", token_requests_);
  tokens_[token] = now_ + absl::Seconds(options_.expires_in);
  json out = {{"token_type", "Bearer"}, {"expires_in", options_.expires_in}, {"access_token", token}};
  if (grant == "password") out["refresh_token"] = absl::StrCat("def50200refresh", token_requests_);
  Reply(res, 200, out, "application/json");
}

json SuiteCrmDouble::Render(const std::string& module, const Stored& r, const std::set<std::string>* fields) const {
  json attributes = json::object();
  for (const auto& [k, v] : r.attributes) {
    if (fields != nullptr && fields->count(k) == 0) continue;
    if (DatetimeFields().count(k) != 0 && IsDbDatetime(v)) {
      std::string iso = absl::StrCat(v.substr(0, 10), "T", v.substr(11), "+00:00");
      if (options_.minute_precision) iso.replace(17, 2, "00");
      attributes[k] = iso;
    } else {
      attributes[k] = v;
    }
  }
  return {{"type", TypeName(module)}, {"id", r.id}, {"attributes", attributes}};
}

void SuiteCrmDouble::List(const std::string& module, const httplib::Request& req, httplib::Response& res) {
  std::set<std::string> fields;
  bool has_fields = false;
  int size = 20;
  int number = 1;
  std::string sort;
  struct F {
    std::string field, op, value;
  };
  std::vector<F> filters;
  static const std::regex filter_re(R"(^filter\[([^\]]+)\]\[([a-z]+)\]$)");
  for (const auto& [k, v] : req.params) {
    std::smatch m;
    if (k == absl::StrCat("fields[", module, "]")) {
      has_fields = true;
      for (absl::string_view f : absl::StrSplit(v, ',')) fields.insert(std::string(f));
    } else if (k == "page[size]") {
      if (!absl::SimpleAtoi(v, &size) || size < 1) size = 20;
    } else if (k == "page[number]") {
      if (!absl::SimpleAtoi(v, &number) || number < 1) number = 1;
    } else if (k == "sort") {
      sort = v;
    } else if (std::regex_match(k, m, filter_re)) {
      filters.push_back({m[1], m[2], v});
    }
  }
  absl::MutexLock lock(&mu_);
  std::map<std::string, Stored>& rows = modules_[module];
  std::set<std::string> columns = {"id", "deleted", "date_entered", "date_modified", "assigned_user_id", "name",
                                   "description"};
  const std::set<std::string>& standard = StandardColumns(module);
  columns.insert(standard.begin(), standard.end());
  columns.insert(custom_columns_[module].begin(), custom_columns_[module].end());
  // V8 refuses to list a field the module does not have.
  for (const std::string& f : fields) {
    if (columns.count(f) == 0) {
      return V8Error(res, 400, absl::StrCat("The following field in ", module, " module is not found: ", f));
    }
  }
  for (const F& f : filters) {
    if (f.field == "deleted") {
      std::string some_id = rows.empty() ? "" : rows.begin()->first;
      for (const auto& [id, r] : rows) {
        if (r.deleted) some_id = id;
      }
      return V8Error(res, 400, absl::StrCat(module, " module with id ", some_id, " is not found"));
    }
    if (columns.count(f.field) == 0) return V8Error(res, 400, "Database failure. Please refer to the logs.");
  }
  std::vector<const Stored*> hits;
  for (const auto& [id, r] : rows) {
    if (r.deleted) continue;
    bool keep = true;
    for (const F& f : filters) {
      auto it = r.attributes.find(f.field);
      const std::string value = f.field == "id" ? id : (it == r.attributes.end() ? "" : it->second);
      keep = keep && Compare(value, f.op, f.value);
    }
    if (keep) hits.push_back(&r);
  }
  // Only the id is unique: any other order leaves ties in the order the
  // database happens to return them, which changes between requests.
  static std::mt19937 rng(7);
  std::shuffle(hits.begin(), hits.end(), rng);
  if (!sort.empty()) {
    const bool desc = sort[0] == '-';
    const std::string key = desc ? sort.substr(1) : sort;
    std::stable_sort(hits.begin(), hits.end(), [&](const Stored* a, const Stored* b) {
      auto value = [&key](const Stored* s) {
        if (key == "id") return s->id;
        auto it = s->attributes.find(key);
        return it == s->attributes.end() ? std::string() : it->second;
      };
      return desc ? value(b) < value(a) : value(a) < value(b);
    });
  }
  const int total_pages = static_cast<int>((hits.size() + size - 1) / size);
  json data = json::array();
  for (size_t i = static_cast<size_t>(number - 1) * size; i < hits.size() && i < static_cast<size_t>(number) * size;
       ++i) {
    data.push_back(Render(module, *hits[i], has_fields ? &fields : nullptr));
  }
  const std::string self = absl::StrCat("V8/module/", module, "?page[size]=", size);
  json links = {{"first", nullptr}, {"prev", nullptr}, {"next", nullptr}, {"last", nullptr}};
  if (number < total_pages) {
    links["next"] = absl::StrCat(self, "&page[number]=", number + 1);
    links["last"] = absl::StrCat(self, "&page[number]=", total_pages);
  }
  if (number > 1) {
    links["first"] = absl::StrCat(self, "&page[number]=1");
    links["prev"] = absl::StrCat(self, "&page[number]=", number - 1);
  }
  Reply(res, 200,
        {{"meta", {{"total-pages", total_pages}, {"records-on-this-page", static_cast<int>(data.size())}}},
         {"data", data},
         {"links", links}});
}

void SuiteCrmDouble::GetOne(const std::string& module, const std::string& id, const httplib::Request& req,
                            httplib::Response& res) {
  std::set<std::string> fields;
  const std::string key = absl::StrCat("fields[", module, "]");
  const bool has_fields = req.has_param(key.c_str());
  if (has_fields) {
    for (absl::string_view f : absl::StrSplit(req.get_param_value(key.c_str()), ',')) fields.insert(std::string(f));
  }
  absl::MutexLock lock(&mu_);
  auto& rows = modules_[module];
  auto it = rows.find(id);
  if (it == rows.end()) return V8Error(res, 400, absl::StrCat(module, " module with id ", id, " is not found"));
  if (it->second.deleted) {
    return Reply(res, 200, {{"meta", {{"message", absl::StrCat("Record with id ", id, " is deleted")}}},
                            {"data", json::array()}});
  }
  Reply(res, 200, {{"data", Render(module, it->second, has_fields ? &fields : nullptr)}});
}

void SuiteCrmDouble::Write(bool create, const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value("Content-Type") != "application/vnd.api+json") {
    return V8Error(res, 400, "Content-Type must be application/vnd.api+json");
  }
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_object() ||
      !body["data"].value("type", json()).is_string()) {
    return V8Error(res, 400, "The data.type field is required");
  }
  const json& data = body["data"];
  const std::string module = data["type"].get<std::string>();
  absl::MutexLock lock(&mu_);
  std::map<std::string, Stored>& rows = modules_[module];
  Stored* r = nullptr;
  if (create) {
    Stored fresh;
    fresh.order = next_id_++;
    fresh.id = absl::StrCat("b36f1b60-6b2a-5edd-", 1000 + fresh.order, "-", absl::AsciiStrToLower(module));
    fresh.attributes["date_entered"] = DbNow();
    fresh.attributes["deleted"] = "0";
    r = &(rows[fresh.id] = fresh);
  } else {
    const std::string id = data.value("id", std::string());
    auto it = rows.find(id);
    if (it == rows.end() || it->second.deleted) {
      return V8Error(res, 400, absl::StrCat(module, " module with id ", id, " is not found"));
    }
    r = &it->second;
  }
  if (data.contains("attributes") && data["attributes"].is_object()) {
    for (auto& [k, v] : data["attributes"].items()) {
      std::string value = v.is_string() ? v.get<std::string>() : v.dump();
      // The observed trap: a datetime in any other form is stored empty.
      if (DatetimeFields().count(k) != 0 && !IsDbDatetime(value)) value = "";
      r->attributes[k] = value;
    }
  }
  r->attributes["date_modified"] = DbNow();
  Reply(res, create ? 201 : 200, {{"data", Render(module, *r, nullptr)}});
}

void SuiteCrmDouble::Legacy(const httplib::Request& req, httplib::Response& res) {
  const std::string method = req.get_param_value("method");
  json args = json::parse(req.get_param_value("rest_data"), nullptr, false);
  auto arg = [&args](size_t i, const char* name) -> json {
    if (args.is_array()) return i < args.size() ? args[i] : json();
    if (args.is_object() && args.contains(name)) return args[name];
    return json();
  };
  absl::MutexLock lock(&mu_);
  if (method == "login") {
    const json auth = arg(0, "user_auth");
    const bool ok = auth.is_object() && auth.value("user_name", "") == options_.username &&
                    auth.value("password", "") == Md5(options_.password);
    if (!ok) {
      return Reply(res, 200,
                   {{"name", "Invalid Login"},
                    {"number", 10},
                    {"description", "Login attempt failed please check the username and password"}},
                   "application/json");
    }
    const std::string session = absl::StrCat("53f7pf685a5rssrirbes", sessions_.size() + 1);
    sessions_.insert(session);
    return Reply(res, 200, {{"id", session}, {"module_name", "Users"}, {"name_value_list", json::object()}},
                 "application/json");
  }
  if (method != "get_entry_list") {
    return Reply(res, 200, {{"name", "Invalid method"}, {"number", 1000}, {"description", method}}, "application/json");
  }
  if (!arg(0, "session").is_string() || sessions_.count(arg(0, "session").get<std::string>()) == 0) {
    return Reply(res, 200, {{"name", "Invalid Session ID"}, {"number", 11}, {"description", "The session ID is invalid"}},
                 "application/json");
  }
  const std::string module = arg(1, "module_name").is_string() ? arg(1, "module_name").get<std::string>() : "";
  const std::string query = arg(2, "query").is_string() ? arg(2, "query").get<std::string>() : "";
  const int offset = arg(4, "offset").is_number() ? arg(4, "offset").get<int>() : 0;
  const int max_results = arg(7, "max_results").is_number() ? arg(7, "max_results").get<int>() : 20;
  const bool with_deleted = arg(8, "deleted").is_number() && arg(8, "deleted").get<int>() == 1;
  std::smatch m;
  std::string since;
  if (std::regex_search(query, m, std::regex(R"(date_modified >= '([^']*)')"))) since = m[1];
  const bool only_deleted = std::regex_search(query, std::regex(R"(deleted = 1)"));
  std::vector<const Stored*> hits;
  for (const auto& [id, r] : modules_[module]) {
    if (r.deleted && !with_deleted) continue;
    if (only_deleted && !r.deleted) continue;
    auto it = r.attributes.find("date_modified");
    if (!since.empty() && (it == r.attributes.end() || it->second < since)) continue;
    hits.push_back(&r);
  }
  json list = json::array();
  for (size_t i = offset; i < hits.size() && i < static_cast<size_t>(offset + max_results); ++i) {
    const Stored& r = *hits[i];
    auto value = [&r](const std::string& k) {
      auto it = r.attributes.find(k);
      return it == r.attributes.end() ? std::string() : it->second;
    };
    list.push_back({{"id", r.id},
                    {"module_name", module},
                    {"name_value_list",
                     {{"id", {{"name", "id"}, {"value", r.id}}},
                      {"date_modified", {{"name", "date_modified"}, {"value", value("date_modified")}}},
                      {"deleted", {{"name", "deleted"}, {"value", r.deleted ? "1" : "0"}}}}}});
  }
  Reply(res, 200,
        {{"result_count", static_cast<int>(list.size())},
         {"total_count", std::to_string(hits.size())},
         {"next_offset", offset + static_cast<int>(list.size())},
         {"entry_list", list},
         {"relationship_list", json::array()}},
        "application/json");
}

}  // namespace pulse::testing
