// An in-process Odoo for tests: a cpp-httplib server on a loopback port
// chosen by the kernel that speaks JSON-RPC (/jsonrpc: common.authenticate,
// object.execute_kw) and, as Odoo 19, JSON-2 (/json/2/<model>/<method>,
// bearer key, X-Odoo-Database) and GET /web/version, over models held in
// memory: res.users, res.partner, sale.order(.line), account.move,
// mail.message, mail.activity, calendar.event, helpdesk.ticket, ir.model,
// ir.model.data and the small models they point to.
//
// Methods: search_read, search, search_count, read, create, write,
// fields_get, context_get. Domains in prefix notation with =, !=, >, >=, <,
// <=, in, not in, like, ilike, '&', '|', '!'; unknown fields or operators
// fail as Odoo does. Many2one values come back as [id, "name"] or false;
// records with `active` are hidden unless the context says active_test:
// false or the domain names `active`. Errors are Odoo's payloads: JSON-RPC
// answers HTTP 200 with {"error":{"code":200,"message":"Odoo Server
// Error","data":{"name":...,"message":...}}}; JSON-2 answers 4xx/5xx with
// {"name","message","arguments","context","debug"}.
//
// Faults: an HTTP status (5xx, 429 with Retry-After: 0), a body that is not
// JSON, an AccessError, "do the work, then stall past the client's timeout"
// (a create whose answer is lost), and an expired key.
// Thread-safe.
#ifndef PULSE_TESTS_ADAPTERS_ODOO_ODOO_DOUBLE_H_
#define PULSE_TESTS_ADAPTERS_ODOO_ODOO_DOUBLE_H_

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace pulse::testing {

using Json = nlohmann::json;

struct OdooDoubleOptions {
  int version = 17;  // 19+ serves JSON-2 and /web/version
  std::string database = "pulse";
  std::string login = "pulse-bot";
  std::string api_key = "k3y-0f-the-bot-5ecret";
  bool helpdesk = true;
  bool calendar = true;
};

struct OdooFault {
  enum class Kind { kHttpStatus, kNotJson, kAccessError, kStallAfterWork };
  Kind kind = Kind::kHttpStatus;
  std::string model;   // "" = any; "common" for authenticate
  std::string method;  // "" = any
  int status = 503;
  int times = 1;
  int stall_ms = 1500;
};

class OdooDouble {
 public:
  explicit OdooDouble(OdooDoubleOptions options = OdooDoubleOptions());
  ~OdooDouble();
  OdooDouble(const OdooDouble&) = delete;
  OdooDouble& operator=(const OdooDouble&) = delete;

  std::string url() const;
  const OdooDoubleOptions& options() const { return options_; }
  // The id of the key's user.
  int64_t bot_uid() const { return bot_uid_; }

  // Adds a record (many2one as an id or false, many2many as a list of ids);
  // sets id, create_date and write_date. Returns the id.
  int64_t Add(const std::string& model, Json vals);
  // Changes fields and write_date, as a user editing in Odoo would.
  void Update(const std::string& model, int64_t id, const Json& vals);
  void Remove(const std::string& model, int64_t id);
  // The stored record (raw values), or null.
  Json Get(const std::string& model, int64_t id) const;
  std::vector<Json> All(const std::string& model) const;
  // write_date of later changes: "YYYY-MM-DD HH:MM:SS".
  void SetNow(const std::string& odoo_time);
  // Odoo <= 17 marking an activity done: the activity (and external ids
  // pointing at it) is deleted and a message quoting its note is posted.
  void MarkActivityDone(int64_t activity_id);
  // The id of a record of ir.model.data module.name, or 0.
  int64_t Ref(const std::string& xml_id) const;

  void AddFault(const OdooFault& fault);
  void ExpireKey();
  // Calls of model.method so far (execute_kw or JSON-2).
  int Calls(const std::string& model, const std::string& method) const;

 private:
  struct OdooException {
    std::string name;
    std::string message;
  };
  void Serve(const httplib::Request& req, httplib::Response& res, bool json2, const std::string& model,
             const std::string& method);
  bool ApplyFault(const std::string& model, const std::string& method, httplib::Response& res, int* stall_ms);
  Json Dispatch(const std::string& model, const std::string& method, Json params, int64_t uid);
  Json Search(const std::string& model, const Json& domain, const Json& context, int64_t offset, int64_t limit,
              const std::string& order) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json Render(const std::string& model, const Json& record, const Json& fields) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Match(const std::string& model, const Json& domain, const Json& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool EvalOne(const std::string& model, const Json& domain, size_t* i, const Json& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Leaf(const std::string& model, const Json& leaf, const Json& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Json Value(const std::string& model, const Json& record, const std::string& field)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string FieldType(const std::string& model, const std::string& field) const;
  int64_t AddLocked(const std::string& model, Json vals) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const OdooDoubleOptions options_;
  std::map<std::string, std::map<std::string, std::string>> schema_;  // model -> field -> type
  mutable absl::Mutex mu_;
  std::map<std::string, std::map<int64_t, Json>> records_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 100;
  std::string now_ ABSL_GUARDED_BY(mu_) = "2025-11-01 08:00:00";
  bool key_expired_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<OdooFault> faults_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  int64_t bot_uid_ = 0;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace pulse::testing

#endif  // PULSE_TESTS_ADAPTERS_ODOO_ODOO_DOUBLE_H_
