#include "tests/adapters/odoo/odoo_double.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pulse::testing {
namespace {

// Positional argument names of the methods execute_kw may call.
const std::map<std::string, std::vector<std::string>>& Positional() {
  static const auto* m = new std::map<std::string, std::vector<std::string>>{
      {"search_read", {"domain", "fields", "offset", "limit", "order"}},
      {"search", {"domain", "offset", "limit", "order"}},
      {"search_count", {"domain"}},
      {"read", {"ids", "fields"}},
      {"create", {"vals_list"}},
      {"write", {"ids", "vals"}},
      {"fields_get", {"allfields", "attributes"}},
      {"context_get", {}},
  };
  return *m;
}

bool IsFalse(const Json& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_array() && v.empty());
}

std::string Lower(std::string s) { return absl::AsciiStrToLower(s); }

}  // namespace

OdooDouble::OdooDouble(OdooDoubleOptions options) : options_(std::move(options)) {
  const std::map<std::string, std::string> common = {{"id", "int"}, {"create_date", "datetime"},
                                                     {"write_date", "datetime"}, {"display_name", "char"}};
  schema_ = {
      {"res.users",
       {{"name", "char"}, {"login", "char"}, {"email", "char"}, {"active", "bool"}, {"share", "bool"},
        {"partner_id", "m2o:res.partner"}}},
      {"res.partner",
       {{"name", "char"}, {"is_company", "bool"}, {"parent_id", "m2o:res.partner"}, {"user_id", "m2o:res.users"},
        {"industry_id", "m2o:res.partner.industry"}, {"country_id", "m2o:res.country"}, {"email", "char"},
        {"function", "char"}, {"active", "bool"}, {"commercial_partner_id", "m2o:res.partner"}}},
      {"res.partner.industry", {{"name", "char"}}},
      {"res.country", {{"name", "char"}}},
      {"res.currency", {{"name", "char"}}},
      {"product.product", {{"name", "char"}}},
      {"sale.order",
       {{"name", "char"}, {"partner_id", "m2o:res.partner"}, {"user_id", "m2o:res.users"}, {"date_order", "datetime"},
        {"amount_total", "float"}, {"currency_id", "m2o:res.currency"}, {"state", "selection"}}},
      {"sale.order.line",
       {{"order_id", "m2o:sale.order"}, {"product_id", "m2o:product.product"}, {"name", "char"},
        {"product_uom_qty", "float"}, {"price_subtotal", "float"}, {"display_type", "selection"}}},
      {"account.move",
       {{"name", "char"}, {"partner_id", "m2o:res.partner"}, {"commercial_partner_id", "m2o:res.partner"},
        {"invoice_date", "date"}, {"move_type", "selection"}, {"amount_total", "float"},
        {"currency_id", "m2o:res.currency"}, {"state", "selection"}}},
      {"mail.message.subtype", {{"name", "char"}}},
      {"mail.activity.type", {{"name", "char"}}},
      {"mail.message",
       {{"model", "char"}, {"res_id", "int"}, {"message_type", "selection"}, {"subtype_id", "m2o:mail.message.subtype"},
        {"mail_activity_type_id", "m2o:mail.activity.type"}, {"date", "datetime"}, {"author_id", "m2o:res.partner"},
        {"subject", "char"}, {"body", "html"}}},
      {"mail.activity",
       {{"res_model_id", "m2o:ir.model"}, {"res_model", "char"}, {"res_id", "int"},
        {"activity_type_id", "m2o:mail.activity.type"}, {"user_id", "m2o:res.users"}, {"date_deadline", "date"},
        {"summary", "char"}, {"note", "html"}, {"active", "bool"}}},
      {"ir.model", {{"model", "char"}, {"name", "char"}}},
      {"ir.model.data",
       {{"module", "char"}, {"name", "char"}, {"model", "char"}, {"res_id", "int"}, {"noupdate", "bool"}}},
  };
  if (options_.calendar) {
    schema_["calendar.event"] = {{"name", "char"}, {"start", "datetime"}, {"user_id", "m2o:res.users"},
                                 {"partner_ids", "m2m:res.partner"}, {"active", "bool"}};
  }
  if (options_.helpdesk) {
    schema_["helpdesk.stage"] = {{"name", "char"}};
    schema_["helpdesk.ticket.type"] = {{"name", "char"}};
    schema_["helpdesk.ticket"] = {{"name", "char"},
                                  {"partner_id", "m2o:res.partner"},
                                  {"stage_id", "m2o:helpdesk.stage"},
                                  {"priority", "selection"},
                                  {"close_date", "datetime"},
                                  {"ticket_type_id", "m2o:helpdesk.ticket.type"},
                                  {"active", "bool"}};
  }
  for (auto& [model, fields] : schema_) fields.insert(common.begin(), common.end());

  {
    absl::MutexLock lock(&mu_);
    for (const auto& [model, fields] : schema_) {
      if (!absl::StartsWith(model, "ir.")) AddLocked("ir.model", {{"model", model}, {"name", model}});
    }
    const int64_t company = AddLocked("res.partner", {{"name", "My Company"}, {"is_company", true}});
    const int64_t bot_partner = AddLocked("res.partner", {{"name", "Pulse Bot"}, {"parent_id", company}});
    bot_uid_ = AddLocked("res.users", {{"name", "Pulse Bot"}, {"login", options_.login}, {"partner_id", bot_partner}});
    for (const char* type : {"call", "meeting", "email"}) {
      const int64_t id = AddLocked("mail.activity.type", {{"name", type == std::string("call") ? "Call"
                                                                   : type == std::string("meeting") ? "Meeting"
                                                                                                    : "Email"}});
      AddLocked("ir.model.data", {{"module", "mail"},
                                  {"name", absl::StrCat("mail_activity_data_", type)},
                                  {"model", "mail.activity.type"},
                                  {"res_id", id}});
    }
    for (const char* subtype : {"note", "comment"}) {
      const int64_t id = AddLocked("mail.message.subtype", {{"name", subtype == std::string("note") ? "Note" : "Discussions"}});
      AddLocked("ir.model.data", {{"module", "mail"},
                                  {"name", absl::StrCat("mt_", subtype)},
                                  {"model", "mail.message.subtype"},
                                  {"res_id", id}});
    }
  }

  server_.Post("/jsonrpc", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, false, "", "");
  });
  server_.Post(R"(/json/2/([a-z0-9_.]+)/([a-z0-9_]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (options_.version < 19) {
      res.status = 404;
      res.set_content("<html><body>Not Found</body></html>", "text/html");
      return;
    }
    Serve(req, res, true, req.matches[1], req.matches[2]);
  });
  server_.Get("/web/version", [this](const httplib::Request&, httplib::Response& res) {
    if (options_.version < 19) {
      res.status = 404;
      res.set_content("<html><body>Not Found</body></html>", "text/html");
      return;
    }
    const Json v = {{"version_info", {options_.version, 0, 0, "final", 0, ""}},
                    {"version", absl::StrCat(options_.version, ".0")}};
    res.set_content(v.dump(), "application/json");
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

OdooDouble::~OdooDouble() {
  server_.stop();
  thread_.join();
}

std::string OdooDouble::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

int64_t OdooDouble::AddLocked(const std::string& model, Json vals) {
  const int64_t id = next_id_++;
  vals["id"] = id;
  if (!vals.contains("create_date")) vals["create_date"] = now_;
  vals["write_date"] = now_;
  const auto& fields = schema_.at(model);
  if (fields.count("active") && !vals.contains("active")) vals["active"] = true;
  records_[model][id] = std::move(vals);
  return id;
}

int64_t OdooDouble::Add(const std::string& model, Json vals) {
  absl::MutexLock lock(&mu_);
  return AddLocked(model, std::move(vals));
}

void OdooDouble::Update(const std::string& model, int64_t id, const Json& vals) {
  absl::MutexLock lock(&mu_);
  Json& r = records_[model].at(id);
  for (auto it = vals.begin(); it != vals.end(); ++it) r[it.key()] = it.value();
  r["write_date"] = now_;
}

void OdooDouble::Remove(const std::string& model, int64_t id) {
  absl::MutexLock lock(&mu_);
  records_[model].erase(id);
}

Json OdooDouble::Get(const std::string& model, int64_t id) const {
  absl::MutexLock lock(&mu_);
  auto m = records_.find(model);
  if (m == records_.end()) return nullptr;
  auto it = m->second.find(id);
  return it == m->second.end() ? Json(nullptr) : it->second;
}

std::vector<Json> OdooDouble::All(const std::string& model) const {
  absl::MutexLock lock(&mu_);
  std::vector<Json> out;
  if (auto m = records_.find(model); m != records_.end()) {
    for (const auto& [id, r] : m->second) out.push_back(r);
  }
  return out;
}

void OdooDouble::SetNow(const std::string& odoo_time) {
  absl::MutexLock lock(&mu_);
  now_ = odoo_time;
}

int64_t OdooDouble::Ref(const std::string& xml_id) const {
  std::pair<std::string, std::string> parts = absl::StrSplit(xml_id, absl::MaxSplits('.', 1));
  absl::MutexLock lock(&mu_);
  for (const auto& [id, r] : records_.at("ir.model.data")) {
    if (r["module"] == parts.first && r["name"] == parts.second) return r["res_id"].get<int64_t>();
  }
  return 0;
}

void OdooDouble::MarkActivityDone(int64_t activity_id) {
  absl::MutexLock lock(&mu_);
  const Json activity = records_["mail.activity"].at(activity_id);
  records_["mail.activity"].erase(activity_id);
  auto& data = records_["ir.model.data"];
  for (auto it = data.begin(); it != data.end();) {
    if (it->second["model"] == "mail.activity" && it->second["res_id"] == activity_id) {
      it = data.erase(it);
    } else {
      ++it;
    }
  }
  AddLocked("mail.message",
            {{"model", activity["res_model"]},
             {"res_id", activity["res_id"]},
             {"message_type", "notification"},
             {"mail_activity_type_id", activity["activity_type_id"]},
             {"date", now_},
             {"author_id", false},
             {"subject", false},
             {"body", absl::StrCat("<div><p>Call done: ", activity["summary"].get<std::string>(),
                                   "</p><div>Original note:</div>", activity["note"].get<std::string>(), "</div>")}});
}

void OdooDouble::AddFault(const OdooFault& fault) {
  absl::MutexLock lock(&mu_);
  faults_.push_back(fault);
}

void OdooDouble::ExpireKey() {
  absl::MutexLock lock(&mu_);
  key_expired_ = true;
}

int OdooDouble::Calls(const std::string& model, const std::string& method) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(absl::StrCat(model, ".", method));
  return it == calls_.end() ? 0 : it->second;
}

bool OdooDouble::ApplyFault(const std::string& model, const std::string& method, httplib::Response& res,
                            int* stall_ms) {
  absl::MutexLock lock(&mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if ((!it->model.empty() && it->model != model) || (!it->method.empty() && it->method != method)) continue;
    const OdooFault f = *it;
    if (--it->times <= 0) faults_.erase(it);
    switch (f.kind) {
      case OdooFault::Kind::kHttpStatus:
        res.status = f.status;
        if (f.status == 429 || f.status == 503) res.set_header("Retry-After", "0");
        res.set_content("<html><body>Service Unavailable</body></html>", "text/html");
        return true;
      case OdooFault::Kind::kNotJson:
        res.status = 200;
        res.set_content("<html><body>502 Bad Gateway (from the proxy)</body>", "text/html");
        return true;
      case OdooFault::Kind::kAccessError:
        throw OdooException{"odoo.exceptions.AccessError",
                            absl::StrCat("You are not allowed to access '", model, "' records.")};
      case OdooFault::Kind::kStallAfterWork:
        *stall_ms = f.stall_ms;
        return false;
    }
  }
  return false;
}

void OdooDouble::Serve(const httplib::Request& req, httplib::Response& res, bool json2, const std::string& url_model,
                       const std::string& url_method) {
  const Json body = Json::parse(req.body, nullptr, false);
  Json rpc_id = nullptr;
  std::string model = url_model, method = url_method;
  int stall_ms = 0;
  auto reply = [&](const Json& result) {
    if (stall_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms));
    if (json2) {
      res.status = 200;
      res.set_content(result.dump(), "application/json; charset=utf-8");
    } else {
      res.set_content(Json({{"jsonrpc", "2.0"}, {"id", rpc_id}, {"result", result}}).dump(), "application/json");
    }
  };
  auto fail = [&](const OdooException& e) {
    const Json data = {{"name", e.name},
                       {"message", e.message},
                       {"arguments", {e.message}},
                       {"context", Json::object()},
                       {"debug", "Traceback (most recent call last):\n  ...\n" + e.name + ": " + e.message}};
    if (json2) {
      const std::string s = e.name.substr(e.name.rfind('.') + 1);
      res.status = s == "AccessDenied" || s == "Unauthorized" ? 401
                   : s == "AccessError"                       ? 403
                   : s == "MissingError" || s == "NotFound"   ? 404
                   : s == "UserError" || s == "ValidationError" ? 422
                                                                : 500;
      res.set_content(data.dump(), "application/json; charset=utf-8");
    } else {
      res.status = 200;
      res.set_content(
          Json({{"jsonrpc", "2.0"},
                {"id", rpc_id},
                {"error", {{"code", 200}, {"message", "Odoo Server Error"}, {"data", data}}}})
              .dump(),
          "application/json");
    }
  };
  try {
    if (body.is_discarded() || !body.is_object()) {
      res.status = 400;
      res.set_content("<html>Bad Request</html>", "text/html");
      return;
    }
    bool expired;
    {
      absl::MutexLock lock(&mu_);
      expired = key_expired_;
    }
    if (json2) {
      const std::string auth = req.get_header_value("Authorization");
      if (expired || Lower(auth) != Lower("bearer " + options_.api_key)) {
        throw OdooException{"werkzeug.exceptions.Unauthorized", "Invalid apikey"};
      }
      if (req.has_header("X-Odoo-Database") && req.get_header_value("X-Odoo-Database") != options_.database) {
        throw OdooException{"werkzeug.exceptions.NotFound", "database not found"};
      }
      if (!schema_.count(model)) throw OdooException{"werkzeug.exceptions.NotFound", "404 Not Found: model " + model};
      {
        absl::MutexLock lock(&mu_);
        ++calls_[absl::StrCat(model, ".", method)];
      }
      if (ApplyFault(model, method, res, &stall_ms)) return;
      reply(Dispatch(model, method, body, bot_uid_));
      return;
    }
    rpc_id = body.value("id", Json(nullptr));
    const Json params = body.value("params", Json::object());
    const std::string service = params.value("service", "");
    const std::string fn = params.value("method", "");
    const Json args = params.value("args", Json::array());
    if (service == "common" && (fn == "authenticate" || fn == "login")) {
      {
        absl::MutexLock lock(&mu_);
        ++calls_["common.authenticate"];
      }
      if (ApplyFault("common", fn, res, &stall_ms)) return;
      const bool ok = args.size() >= 3 && args[0] == options_.database && args[1] == options_.login &&
                      args[2] == options_.api_key && !expired;
      reply(ok ? Json(bot_uid_) : Json(false));
      return;
    }
    if (service != "object" || fn != "execute_kw" || args.size() < 6) {
      throw OdooException{"builtins.NameError", absl::StrCat("service ", service, " method ", fn, " not found")};
    }
    model = args[3].get<std::string>();
    method = args[4].get<std::string>();
    {
      absl::MutexLock lock(&mu_);
      ++calls_[absl::StrCat(model, ".", method)];
    }
    if (args[0] != options_.database || args[1] != bot_uid_ || args[2] != options_.api_key || expired) {
      throw OdooException{"odoo.exceptions.AccessDenied", "Access Denied"};
    }
    if (ApplyFault(model, method, res, &stall_ms)) return;
    Json named = args.size() > 6 && args[6].is_object() ? args[6] : Json::object();
    auto pos = Positional().find(method);
    if (pos == Positional().end()) {
      throw OdooException{"builtins.AttributeError", absl::StrCat("The method '", method, "' does not exist")};
    }
    const Json& positional = args[5];
    for (size_t i = 0; i < positional.size() && i < pos->second.size(); ++i) named[pos->second[i]] = positional[i];
    reply(Dispatch(model, method, named, bot_uid_));
  } catch (const OdooException& e) {
    fail(e);
  } catch (const std::exception& e) {
    fail(OdooException{"builtins.Exception", e.what()});
  }
}

std::string OdooDouble::FieldType(const std::string& model, const std::string& field) const {
  auto m = schema_.find(model);
  if (m == schema_.end()) return "";
  auto f = m->second.find(field);
  return f == m->second.end() ? "" : f->second;
}

Json OdooDouble::Value(const std::string& model, const Json& record, const std::string& field) {
  if (model == "res.partner" && field == "commercial_partner_id") {
    const Json* r = &record;
    for (int depth = 0; depth < 10; ++depth) {
      const Json parent = r->value("parent_id", Json(false));
      if (r->value("is_company", false) || IsFalse(parent)) return (*r)["id"];
      auto it = records_["res.partner"].find(parent.get<int64_t>());
      if (it == records_["res.partner"].end()) return (*r)["id"];
      r = &it->second;
    }
    return (*r)["id"];
  }
  if (field == "display_name") return record.value("name", Json(false));
  if (model == "mail.activity" && field == "res_model") return record.value("res_model", Json(false));
  auto it = record.find(field);
  if (it == record.end()) {
    return absl::StartsWith(FieldType(model, field), "m2m:") ? Json::array() : Json(false);
  }
  return *it;
}

bool OdooDouble::Leaf(const std::string& model, const Json& leaf, const Json& record) {
  if (!leaf.is_array() || leaf.size() != 3 || !leaf[0].is_string() || !leaf[1].is_string()) {
    throw OdooException{"builtins.ValueError", absl::StrCat("Invalid leaf ", leaf.dump())};
  }
  const std::string field = leaf[0];
  const std::string op = leaf[1];
  const Json& want = leaf[2];
  if (FieldType(model, field).empty()) {
    throw OdooException{"builtins.ValueError", absl::StrCat("Invalid field ", model, ".", field, " in leaf ", leaf.dump())};
  }
  const Json have = Value(model, record, field);
  auto equal = [&](const Json& a, const Json& b) {
    if (IsFalse(b)) return IsFalse(a);
    if (a.is_array()) return std::find(a.begin(), a.end(), b) != a.end();  // many2many contains
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    return a == b;
  };
  if (op == "=") return equal(have, want);
  if (op == "!=") return !equal(have, want);
  if (op == "in" || op == "not in") {
    if (!want.is_array()) throw OdooException{"builtins.ValueError", "in needs a list"};
    bool found = false;
    for (const Json& w : want) found = found || equal(have, w);
    return op == "in" ? found : !found;
  }
  if (op == "like" || op == "ilike") {
    if (!have.is_string() || !want.is_string()) return false;
    std::string h = have, w = want;
    if (op == "ilike") {
      h = Lower(h);
      w = Lower(w);
    }
    return absl::StrContains(h, w);
  }
  if (op == ">" || op == ">=" || op == "<" || op == "<=") {
    if (IsFalse(have)) return false;
    int cmp;
    if (have.is_number() && want.is_number()) {
      cmp = have.get<double>() < want.get<double>() ? -1 : have.get<double>() > want.get<double>() ? 1 : 0;
    } else if (have.is_string() && want.is_string()) {
      cmp = have.get<std::string>().compare(want.get<std::string>());
    } else {
      return false;
    }
    if (op == ">") return cmp > 0;
    if (op == ">=") return cmp >= 0;
    if (op == "<") return cmp < 0;
    return cmp <= 0;
  }
  throw OdooException{"builtins.ValueError", absl::StrCat("Invalid operator ", op)};
}

bool OdooDouble::EvalOne(const std::string& model, const Json& domain, size_t* i, const Json& record) {
  if (*i >= domain.size()) throw OdooException{"builtins.ValueError", "Invalid domain: missing operand"};
  const Json& item = domain[(*i)++];
  if (item.is_string()) {
    const std::string op = item;
    if (op == "!") return !EvalOne(model, domain, i, record);
    if (op == "&" || op == "|") {
      const bool a = EvalOne(model, domain, i, record);
      const bool b = EvalOne(model, domain, i, record);
      return op == "&" ? a && b : a || b;
    }
    throw OdooException{"builtins.ValueError", absl::StrCat("Invalid domain operator ", op)};
  }
  return Leaf(model, item, record);
}

bool OdooDouble::Match(const std::string& model, const Json& domain, const Json& record) {
  bool all = true;
  size_t i = 0;
  while (i < domain.size()) all = EvalOne(model, domain, &i, record) && all;
  return all;
}

Json OdooDouble::Search(const std::string& model, const Json& domain, const Json& context, int64_t offset,
                        int64_t limit, const std::string& order) {
  if (!domain.is_array()) throw OdooException{"builtins.ValueError", "the domain must be a list"};
  bool active_test = !(context.is_object() && context.value("active_test", true) == false);
  if (active_test && !FieldType(model, "active").empty()) {
    for (const Json& leaf : domain) {
      if (leaf.is_array() && !leaf.empty() && leaf[0] == "active") active_test = false;
    }
  } else {
    active_test = false;
  }
  std::vector<const Json*> found;
  for (const auto& [id, r] : records_[model]) {
    if (active_test && r.value("active", true) == false) continue;
    if (Match(model, domain, r)) found.push_back(&r);
  }
  if (order == "id desc") std::reverse(found.begin(), found.end());
  else if (!order.empty() && order != "id asc" && order != "id") {
    throw OdooException{"builtins.ValueError", absl::StrCat("the double orders by id only, not ", order)};
  }
  Json out = Json::array();
  for (int64_t i = offset; i < static_cast<int64_t>(found.size()) && (limit <= 0 || i < offset + limit); ++i) {
    out.push_back(*found[i]);
  }
  return out;
}

Json OdooDouble::Render(const std::string& model, const Json& record, const Json& fields) {
  Json out = {{"id", record["id"]}};
  std::vector<std::string> names;
  if (fields.is_array() && !fields.empty()) {
    for (const Json& f : fields) names.push_back(f.get<std::string>());
  } else {
    for (const auto& [name, type] : schema_.at(model)) names.push_back(name);
  }
  for (const std::string& name : names) {
    const std::string type = FieldType(model, name);
    if (type.empty()) throw OdooException{"builtins.ValueError", absl::StrCat("Invalid field '", name, "' on model '", model, "'")};
    Json v = Value(model, record, name);
    if (absl::StartsWith(type, "m2o:") && !IsFalse(v)) {
      const std::string comodel = type.substr(4);
      auto it = records_[comodel].find(v.get<int64_t>());
      const std::string display = it == records_[comodel].end() ? "" : it->second.value("name", "");
      v = Json::array({v, display});
    }
    out[name] = v;
  }
  return out;
}

Json OdooDouble::Dispatch(const std::string& model, const std::string& method, Json params, int64_t uid) {
  absl::MutexLock lock(&mu_);
  if (!schema_.count(model)) {
    throw OdooException{"builtins.KeyError", absl::StrCat("'", model, "'")};
  }
  const Json context = params.value("context", Json::object());
  if (method == "search_read" || method == "search" || method == "search_count") {
    const Json domain = params.value("domain", Json::array());
    const Json offset_v = params.value("offset", Json(0));
    const Json limit_v = params.value("limit", Json(0));
    const Json order_v = params.value("order", Json(""));
    const int64_t offset = offset_v.is_number() ? offset_v.get<int64_t>() : 0;
    const int64_t limit = limit_v.is_number() ? limit_v.get<int64_t>() : 0;  // null/false: no limit
    const std::string order = order_v.is_string() ? order_v.get<std::string>() : "";
    Json found = Search(model, domain, context, method == "search_count" ? 0 : offset,
                        method == "search_count" ? 0 : limit, order);
    if (method == "search_count") return found.size();
    Json out = Json::array();
    for (const Json& r : found) out.push_back(method == "search" ? r["id"] : Render(model, r, params.value("fields", Json::array())));
    return out;
  }
  if (method == "read") {
    Json out = Json::array();
    for (const Json& id : params.value("ids", Json::array())) {
      auto it = records_[model].find(id.get<int64_t>());
      if (it == records_[model].end()) {
        throw OdooException{"odoo.exceptions.MissingError", absl::StrCat("Record does not exist or has been deleted. (Record: ", model, "(", id.dump(), "))")};
      }
      out.push_back(Render(model, it->second, params.value("fields", Json::array())));
    }
    return out;
  }
  if (method == "fields_get") {
    Json out = Json::object();
    for (const auto& [name, type] : schema_.at(model)) out[name] = {{"type", type.substr(0, type.find(':'))}};
    return out;
  }
  if (method == "context_get") return {{"lang", "en_US"}, {"tz", "UTC"}, {"uid", uid}};
  if (method == "create") {
    const Json vals_list = params.value("vals_list", Json());
    const bool single = vals_list.is_object();
    Json ids = Json::array();
    for (Json vals : single ? Json::array({vals_list}) : vals_list) {
      for (auto it = vals.begin(); it != vals.end(); ++it) {
        if (FieldType(model, it.key()).empty()) {
          throw OdooException{"builtins.ValueError", absl::StrCat("Invalid field '", it.key(), "' on model '", model, "'")};
        }
      }
      if (model == "ir.model.data") {
        for (const auto& [id, r] : records_[model]) {
          if (r["module"] == vals["module"] && r["name"] == vals["name"]) {
            throw OdooException{"odoo.exceptions.ValidationError", "The external id must be unique (module, name)"};
          }
        }
      }
      if (model == "mail.activity") {
        for (const char* required : {"res_model_id", "res_id", "activity_type_id", "date_deadline"}) {
          if (!vals.contains(required) || IsFalse(vals[required])) {
            throw OdooException{"odoo.exceptions.ValidationError", absl::StrCat("Missing required field ", required)};
          }
        }
        auto m = records_["ir.model"].find(vals["res_model_id"].get<int64_t>());
        if (m == records_["ir.model"].end()) throw OdooException{"odoo.exceptions.MissingError", "no such ir.model"};
        vals["res_model"] = m->second["model"];
        if (!vals.contains("user_id")) vals["user_id"] = uid;
      }
      ids.push_back(AddLocked(model, vals));
    }
    return single ? ids[0] : ids;
  }
  if (method == "write") {
    const Json vals = params.value("vals", Json::object());
    for (const Json& id : params.value("ids", Json::array())) {
      auto it = records_[model].find(id.get<int64_t>());
      if (it == records_[model].end()) {
        throw OdooException{"odoo.exceptions.MissingError", "Record does not exist or has been deleted."};
      }
      for (auto v = vals.begin(); v != vals.end(); ++v) {
        if (FieldType(model, v.key()).empty()) throw OdooException{"builtins.ValueError", "Invalid field " + v.key()};
        it->second[v.key()] = v.value();
      }
      it->second["write_date"] = now_;
    }
    return true;
  }
  throw OdooException{"builtins.AttributeError", absl::StrCat("The method '", method, "' does not exist on the model '", model, "'")};
}

}  // namespace pulse::testing
