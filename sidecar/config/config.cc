#include "sidecar/config/config.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sidecar/common/logging.h"
#include "sidecar/config/templates_file.h"
#include "yaml-cpp/yaml.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;

// Walks the YAML tree, remembering the key path for messages and which keys
// of each map were used so unknown keys can be reported.
class ConfigReader {
 public:
  absl::Status error() const { return error_; }
  bool ok() const { return error_.ok(); }

  void Fail(const std::string& path, const std::string& what) {
    if (error_.ok()) error_ = absl::InvalidArgumentError(absl::StrCat("config: ", path, ": ", what));
  }

  // Checks that `node` is a map whose keys are all in `known`.
  bool ExpectMap(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known) {
    if (!node.IsMap()) {
      Fail(path, "must be a mapping of keys to values");
      return false;
    }
    for (const auto& kv : node) {
      if (!IsName(kv.first, path)) return false;
      const std::string key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Fail(Join(path, key), absl::StrCat("unknown key (known: ", absl::StrJoin(known, ", "), ")"));
        return false;
      }
    }
    return true;
  }

  // A mapping key must be a name: YAML also allows a list, a mapping or null
  // there ("? [a, b]: 1", "~: 1"), which has no text to read.
  bool IsName(const YAML::Node& key, const std::string& path) {
    if (key.IsScalar()) return true;
    Fail(path.empty() ? "top level" : path, "has a key that is not a name (a list, a mapping or null)");
    return false;
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

  void String(const YAML::Node& parent, const std::string& path, const std::string& key, std::string* out) {
    const YAML::Node n = parent[key];
    if (!n) return;
    if (!n.IsScalar()) return Fail(Join(path, key), "must be a string");
    *out = n.as<std::string>();
  }

  void Bool(const YAML::Node& parent, const std::string& path, const std::string& key, bool* out) {
    const YAML::Node n = parent[key];
    if (!n) return;
    bool v;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) return Fail(Join(path, key), "must be true or false");
    *out = v;
  }

  void Int(const YAML::Node& parent, const std::string& path, const std::string& key, int* out, int min, int max) {
    const YAML::Node n = parent[key];
    if (!n) return;
    int v;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v)) {
      return Fail(Join(path, key), absl::StrCat("must be a whole number, got '", Scalar(n), "'"));
    }
    if (v < min || v > max) return Fail(Join(path, key), absl::StrCat("must be between ", min, " and ", max, ", got ", v));
    *out = v;
  }

  void Double(const YAML::Node& parent, const std::string& path, const std::string& key, double* out, double min,
              double max) {
    const YAML::Node n = parent[key];
    if (!n) return;
    double v;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) {
      return Fail(Join(path, key), absl::StrCat("must be a number, got '", Scalar(n), "'"));
    }
    if (!(v >= min && v <= max)) {
      return Fail(Join(path, key), absl::StrCat("must be between ", min, " and ", max, ", got ", v));
    }
    *out = v;
  }

  // A setting that is one number for every tier, or a map of some of key,
  // mid and tail to numbers (tiers left out keep their value).
  template <typename T>
  void Tiered(const YAML::Node& parent, const std::string& path, const std::string& key, PerTier<T>* out,
              std::common_type_t<T> min, std::common_type_t<T> max) {
    const YAML::Node n = parent[key];
    if (!n) return;
    const std::string where = Join(path, key);
    if (n.IsMap()) {
      if (!ExpectMap(n, where, {"key", "mid", "tail"})) return;
      Number(n, where, "key", &out->key, min, max);
      Number(n, where, "mid", &out->mid, min, max);
      Number(n, where, "tail", &out->tail, min, max);
      return;
    }
    if (!n.IsScalar()) return Fail(where, "must be a number, or a map of tiers (key, mid, tail) to numbers");
    T all = out->tail;
    const bool was_ok = ok();
    Number(parent, path, key, &all, min, max);
    if (was_ok && ok()) *out = PerTier<T>(all);
  }
  void Number(const YAML::Node& parent, const std::string& path, const std::string& key, int* out, int min, int max) {
    Int(parent, path, key, out, min, max);
  }
  void Number(const YAML::Node& parent, const std::string& path, const std::string& key, double* out, double min,
              double max) {
    Double(parent, path, key, out, min, max);
  }

  void Duration(const YAML::Node& parent, const std::string& path, const std::string& key, absl::Duration* out,
                absl::Duration min) {
    const YAML::Node n = parent[key];
    if (!n) return;
    absl::Duration d;
    if (!n.IsScalar() || !absl::ParseDuration(n.as<std::string>(), &d)) {
      return Fail(Join(path, key), absl::StrCat("must be a duration such as 30m or 1h, got '", Scalar(n), "'"));
    }
    if (d < min) return Fail(Join(path, key), absl::StrCat("must be at least ", absl::FormatDuration(min)));
    *out = d;
  }

  void StringList(const YAML::Node& parent, const std::string& path, const std::string& key,
                  std::vector<std::string>* out) {
    const YAML::Node n = parent[key];
    if (!n) return;
    if (n.IsNull()) {
      out->clear();
      return;
    }
    if (!n.IsSequence()) return Fail(Join(path, key), "must be a list of strings");
    out->clear();
    for (const auto& item : n) {
      if (!item.IsScalar() || item.as<std::string>().empty()) {
        return Fail(Join(path, key), "must be a list of non-empty strings");
      }
      out->push_back(item.as<std::string>());
    }
  }

 private:
  static std::string Scalar(const YAML::Node& n) { return n.IsScalar() ? n.as<std::string>() : "(not a scalar)"; }
  absl::Status error_;
};

// HOST:PORT with a port in 0..65535 (0 = any free port); IPv6 hosts in brackets.
bool IsHostPort(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  const std::string host = s.substr(0, colon);
  if (host.front() == '[' ? host.back() != ']' || host.size() < 3 : host.find(':') != std::string::npos) return false;
  int port = 0;
  return absl::SimpleAtoi(s.substr(colon + 1), &port) && port >= 0 && port <= 65535 &&
         s.find_first_not_of("0123456789", colon + 1) == std::string::npos;
}

bool IsEnvName(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char ch : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
  }
  return true;
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (fs::path(base_dir) / path).lexically_normal().string();
}

// adapter.suitecrm; with type suitecrm, what the adapter cannot do without.
void ParseSuiteCrm(const YAML::Node& adapter, AdapterConfig& a, ConfigReader& r) {
  const std::string path = "adapter.suitecrm";
  SuiteCrmSettings& s = a.suitecrm;
  if (const YAML::Node n = adapter["suitecrm"];
      n && r.ExpectMap(n, path, {"base_url", "grant", "client_id", "username", "order_sources", "task_module",
                                 "first_response", "task_key_field", "deletions", "reconcile_every", "concurrency",
                                 "page_size", "timeout", "verify_tls", "ca_file"})) {
    r.String(n, path, "base_url", &s.base_url);
    r.String(n, path, "grant", &s.grant);
    r.String(n, path, "client_id", &s.client_id);
    r.String(n, path, "username", &s.username);
    r.StringList(n, path, "order_sources", &s.order_sources);
    r.String(n, path, "task_module", &s.task_module);
    r.String(n, path, "first_response", &s.first_response);
    r.String(n, path, "task_key_field", &s.task_key_field);
    r.String(n, path, "deletions", &s.deletions);
    r.Int(n, path, "reconcile_every", &s.reconcile_every, 1, 10000);
    r.Int(n, path, "concurrency", &s.concurrency, 1, 16);
    r.Int(n, path, "page_size", &s.page_size, 1, 1000);
    r.Duration(n, path, "timeout", &s.timeout, absl::Seconds(1));
    r.Bool(n, path, "verify_tls", &s.verify_tls);
    r.String(n, path, "ca_file", &s.ca_file);
    if (!s.base_url.empty() && s.base_url.rfind("https://", 0) != 0 && s.base_url.rfind("http://", 0) != 0) {
      r.Fail(path + ".base_url", absl::StrCat("must start with https:// (or http://), got '", s.base_url, "'"));
    }
    if (s.grant != "client_credentials" && s.grant != "password") {
      r.Fail(path + ".grant", "must be client_credentials or password");
    }
    if (s.order_sources.empty()) r.Fail(path + ".order_sources", "must name invoices, opportunities or both");
    for (const std::string& source : s.order_sources) {
      if (source != "invoices" && source != "opportunities") {
        r.Fail(path + ".order_sources", absl::StrCat("unknown source '", source, "' (invoices, opportunities)"));
      }
    }
    if (s.task_module != "Tasks" && s.task_module != "Calls") r.Fail(path + ".task_module", "must be Tasks or Calls");
    if (s.first_response != "case_updates" &&
        (s.first_response.rfind("field:", 0) != 0 || s.first_response.size() == strlen("field:"))) {
      r.Fail(path + ".first_response", "must be case_updates or field:NAME (the case field holding the time)");
    }
    if (s.deletions != "legacy_api" && s.deletions != "reconcile") {
      r.Fail(path + ".deletions", "must be legacy_api or reconcile");
    }
  }
  if (a.type != "suitecrm" || !r.ok()) return;
  if (s.base_url.empty()) r.Fail(path + ".base_url", "is required (https://crm.example.com, or .../legacy for 8.x)");
  if (s.client_id.empty()) r.Fail(path + ".client_id", "is required (Admin -> OAuth2 Clients and Tokens)");
  if ((s.grant == "password" || s.deletions == "legacy_api") && s.username.empty()) {
    r.Fail(path + ".username", "is required with grant: password and with deletions: legacy_api");
  }
  if (a.credentials_file.empty() && a.credentials_env.empty()) {
    r.Fail("adapter.credentials_file", "or adapter.credentials_env is required: the SuiteCRM client secret");
  }
}

bool OnlyFrom(const std::vector<std::string>& values, const std::vector<std::string>& allowed) {
  for (const std::string& v : values) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) return false;
  }
  return true;
}

// adapter.odoo, and what adapter.type: odoo requires.
void ParseOdooSettings(ConfigReader& r, const YAML::Node& adapter, AdapterConfig* a) {
  OdooAdapterSettings& o = a->odoo;
  const std::string path = "adapter.odoo";
  if (const YAML::Node n = adapter["odoo"];
      n && r.ExpectMap(n, path, {"url", "database", "username", "api", "order_sources", "activity_sources",
                                 "reconcile_every", "page_size", "timeout", "verify_tls", "ca_file"})) {
    r.String(n, path, "url", &o.url);
    r.String(n, path, "database", &o.database);
    r.String(n, path, "username", &o.username);
    r.String(n, path, "api", &o.api);
    r.StringList(n, path, "order_sources", &o.order_sources);
    r.StringList(n, path, "activity_sources", &o.activity_sources);
    r.Duration(n, path, "reconcile_every", &o.reconcile_every, absl::ZeroDuration());
    r.Int(n, path, "page_size", &o.page_size, 1, 10000);
    r.Duration(n, path, "timeout", &o.timeout, absl::Seconds(1));
    r.Bool(n, path, "verify_tls", &o.verify_tls);
    r.String(n, path, "ca_file", &o.ca_file);
  }
  if (o.api != "auto" && o.api != "jsonrpc" && o.api != "json2") {
    r.Fail("adapter.odoo.api", absl::StrCat("must be auto, jsonrpc (Odoo 14-18) or json2 (Odoo 19+), got '", o.api, "'"));
  }
  if (o.order_sources.empty() || !OnlyFrom(o.order_sources, {"sale_orders", "invoices"})) {
    r.Fail("adapter.odoo.order_sources", "must list sale_orders, invoices or both");
  }
  if (!OnlyFrom(o.activity_sources, {"messages", "calendar_events"})) {
    r.Fail("adapter.odoo.activity_sources", "may list only messages and calendar_events");
  }
  if (a->type != "odoo" || !r.ok()) return;
  if (o.url.empty()) {
    r.Fail("adapter.odoo.url", "is required: the Odoo server's address, e.g. https://erp.example.com");
  } else if (!absl::StartsWith(o.url, "https://") && !absl::StartsWith(o.url, "http://")) {
    r.Fail("adapter.odoo.url", absl::StrCat("must start with https:// (or http://), got '", o.url, "'"));
  } else if (o.api != "json2" && o.database.empty()) {
    r.Fail("adapter.odoo.database", "is required unless api is json2: the Odoo database to log in to");
  } else if (o.api != "json2" && o.username.empty()) {
    r.Fail("adapter.odoo.username", "is required unless api is json2: the login of the API key's user");
  } else if (a->credentials_file.empty() && a->credentials_env.empty()) {
    r.Fail("adapter.credentials_file", "or adapter.credentials_env is required for odoo: where the API key is");
  }
}

// One value when every tier has the same, else a flow map of the three.
template <typename T>
void EmitTiered(YAML::Emitter& out, const char* key, const PerTier<T>& value) {
  out << YAML::Key << key << YAML::Value;
  if (value.key == value.tail && value.mid == value.tail) {
    out << value.tail;
    return;
  }
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "key" << YAML::Value << value.key;
  out << YAML::Key << "mid" << YAML::Value << value.mid;
  out << YAML::Key << "tail" << YAML::Value << value.tail;
  out << YAML::EndMap;
}

}  // namespace

absl::StatusOr<PulseConfig> ParseConfig(const std::string& yaml_text, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: not valid YAML: line ", e.mark.line + 1, ", column ",
                                                   e.mark.column + 1, ": ", e.msg));
  }
  PulseConfig c;
  ConfigReader r;
  if (!root || root.IsNull()) return absl::InvalidArgumentError("config: the file is empty");
  if (!r.ExpectMap(root, "", {"listen", "http_listen", "log_level", "log_format", "store", "adapter", "sweep", "tls",
                              "auth", "limits", "tiers", "signals", "churn_weights", "churn_model", "contact",
                              "handoff", "feedback", "recognition"})) {
    return r.error();
  }
  r.String(root, "", "listen", &c.listen);
  r.String(root, "", "http_listen", &c.http_listen);
  if (!c.http_listen.empty() && !IsHostPort(c.http_listen)) {
    r.Fail("http_listen", absl::StrCat("must be HOST:PORT (port 0 to 65535), or empty to disable the HTTP endpoint, "
                                       "got '", c.http_listen, "'"));
  }
  r.String(root, "", "log_level", &c.log_level);
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" && c.log_level != "error") {
    r.Fail("log_level", "must be one of debug, info, warning, error");
  }
  r.String(root, "", "log_format", &c.log_format);
  if (c.log_format != "text" && c.log_format != "json") r.Fail("log_format", "must be text or json");

  if (const YAML::Node store = root["store"]) {
    if (r.ExpectMap(store, "store", {"path", "integrity_check", "backup"})) {
      r.String(store, "store", "path", &c.store_path);
      r.String(store, "store", "integrity_check", &c.store_integrity_check);
      if (c.store_integrity_check != "quick" && c.store_integrity_check != "full" &&
          c.store_integrity_check != "off") {
        r.Fail("store.integrity_check",
               absl::StrCat("must be quick, full or off, got '", c.store_integrity_check, "'"));
      }
      if (const YAML::Node backup = store["backup"];
          backup && r.ExpectMap(backup, "store.backup", {"dir", "interval", "keep"})) {
        StoreBackupConfig& b = c.store_backup;
        r.String(backup, "store.backup", "dir", &b.dir);
        r.Duration(backup, "store.backup", "interval", &b.interval, absl::Minutes(1));
        r.Int(backup, "store.backup", "keep", &b.keep, 1, 1000);
        if (b.dir.empty() && r.ok()) {
          r.Fail("store.backup.dir", "is required with store.backup: the folder the backup generations go to");
        }
      }
    }
  }
  if (c.store_path.empty() && r.ok()) r.Fail("store.path", "is required (the SQLite file Pulse keeps its state in)");
  if (c.store_path == ":memory:" && c.store_backup.enabled() && r.ok()) {
    r.Fail("store.backup", "needs a store file: store.path is \":memory:\"");
  }

  if (const YAML::Node adapter = root["adapter"];
      adapter && r.ExpectMap(adapter, "adapter", {"type", "csv", "suitecrm", "odoo", "credentials_file", "credentials_env"})) {
    r.String(adapter, "adapter", "type", &c.adapter.type);
    r.String(adapter, "adapter", "credentials_file", &c.adapter.credentials_file);
    r.String(adapter, "adapter", "credentials_env", &c.adapter.credentials_env);
    if (!c.adapter.credentials_file.empty() && !c.adapter.credentials_env.empty()) {
      r.Fail("adapter.credentials_file", "cannot be combined with adapter.credentials_env: set only one of them");
    }
    if (!c.adapter.credentials_env.empty() && !IsEnvName(c.adapter.credentials_env)) {
      r.Fail("adapter.credentials_env", "must be an environment variable name (letters, digits, _)");
    }
    if (c.adapter.type != "csv" && c.adapter.type != "suitecrm" && c.adapter.type != "odoo") {
      r.Fail("adapter.type", absl::StrCat("unknown adapter '", c.adapter.type, "' (available: csv, suitecrm, odoo)"));
    }
    ParseOdooSettings(r, adapter, &c.adapter);
    if (const YAML::Node csv = adapter["csv"]; csv && r.ExpectMap(csv, "adapter.csv", {"dir"})) {
      r.String(csv, "adapter.csv", "dir", &c.adapter.csv.dir);
    }
    if (c.adapter.type == "csv" && c.adapter.csv.dir.empty() && r.ok()) {
      r.Fail("adapter.csv.dir", "is required: the folder holding users.csv, accounts.csv and orders.csv");
    }
    ParseSuiteCrm(adapter, c.adapter, r);
  } else if (r.ok()) {
    r.Fail("adapter", "is required (which CRM to read, e.g. type: csv)");
  }

  if (const YAML::Node sweep = root["sweep"];
      sweep && r.ExpectMap(sweep, "sweep", {"interval", "run_on_start", "write_tasks"})) {
    r.Duration(sweep, "sweep", "interval", &c.sweep.interval, absl::Minutes(1));
    r.Bool(sweep, "sweep", "run_on_start", &c.sweep.run_on_start);
    r.Bool(sweep, "sweep", "write_tasks", &c.sweep.write_tasks);
  }

  if (const YAML::Node tls = root["tls"];
      tls && r.ExpectMap(tls, "tls", {"cert_file", "key_file", "client_ca_file", "require_client_cert",
                                      "reload_interval"})) {
    r.String(tls, "tls", "cert_file", &c.tls.cert_file);
    r.String(tls, "tls", "key_file", &c.tls.key_file);
    r.String(tls, "tls", "client_ca_file", &c.tls.client_ca_file);
    r.Bool(tls, "tls", "require_client_cert", &c.tls.require_client_cert);
    r.Duration(tls, "tls", "reload_interval", &c.tls.reload_interval, absl::Seconds(1));
    if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
      r.Fail(c.tls.cert_file.empty() ? "tls.cert_file" : "tls.key_file",
             "tls.cert_file and tls.key_file go together: set both (PEM files) or neither");
    }
    if (!c.tls.client_ca_file.empty() && c.tls.cert_file.empty()) {
      r.Fail("tls.client_ca_file", "needs tls.cert_file and tls.key_file (client certificates need TLS)");
    }
    if (c.tls.require_client_cert && c.tls.client_ca_file.empty()) {
      r.Fail("tls.require_client_cert", "needs tls.client_ca_file: the CA that signs the client certificates");
    }
  }
  if (const YAML::Node auth = root["auth"];
      auth && r.ExpectMap(auth, "auth", {"tokens_file", "allow_insecure"})) {
    r.String(auth, "auth", "tokens_file", &c.auth.tokens_file);
    r.Bool(auth, "auth", "allow_insecure", &c.auth.allow_insecure);
  }
  if (const YAML::Node limits = root["limits"];
      limits && r.ExpectMap(limits, "limits", {"max_receive_message_bytes", "max_concurrent_streams",
                                               "default_deadline"})) {
    r.Int(limits, "limits", "max_receive_message_bytes", &c.limits.max_receive_message_bytes, 1024,
          64 * 1024 * 1024);
    r.Int(limits, "limits", "max_concurrent_streams", &c.limits.max_concurrent_streams, 1, 10000);
    r.Duration(limits, "limits", "default_deadline", &c.limits.default_deadline, absl::Seconds(1));
  }

  TierPolicy& t = c.engine.tiers;
  if (const YAML::Node n = root["tiers"];
      n && r.ExpectMap(n, "tiers", {"key_revenue_share", "key_max_account_share", "mid_account_share", "use_crm_tier"})) {
    r.Double(n, "tiers", "key_revenue_share", &t.key_revenue_share, 0, 1);
    r.Double(n, "tiers", "key_max_account_share", &t.key_max_account_share, 0, 1);
    r.Double(n, "tiers", "mid_account_share", &t.mid_account_share, 0, 1);
    r.Bool(n, "tiers", "use_crm_tier", &t.use_crm_tier);
  }

  SignalPolicy& s = c.engine.signals;
  if (const YAML::Node n = root["signals"];
      n && r.ExpectMap(n, "signals", {"overdue_ratio", "overdue_min_days", "min_orders_for_cadence",
                                      "volume_window_days", "volume_drop_share", "complaint_window_days",
                                      "complaint_min_cases", "complaint_rise_ratio", "contact_gap_days",
                                      "slow_response_window_days", "slow_response_min_cases",
                                      "first_response_sla_hours", "contact_frequency_window_days",
                                      "contact_frequency_drop_share", "contact_frequency_min_baseline",
                                      "key_contact_window_days", "engagement_window_days", "engagement_drop_share",
                                      "engagement_min_sent", "price_talk_window_days", "price_talk_min_mentions",
                                      "price_terms", "growth_rise_share", "health_check_interval_days",
                                      "onboarding_days", "negative_feedback_window_days", "nps_detractor_max",
                                      "csat_negative_max"})) {
    r.Tiered(n, "signals", "overdue_ratio", &s.overdue_ratio, 1, 100);
    r.Tiered(n, "signals", "overdue_min_days", &s.overdue_min_days, 1, 3650);
    r.Int(n, "signals", "min_orders_for_cadence", &s.min_orders_for_cadence, 2, 1000);
    r.Tiered(n, "signals", "volume_window_days", &s.volume_window_days, 7, 365);
    r.Tiered(n, "signals", "volume_drop_share", &s.volume_drop_share, 0.01, 1);
    r.Tiered(n, "signals", "complaint_window_days", &s.complaint_window_days, 7, 730);
    r.Tiered(n, "signals", "complaint_min_cases", &s.complaint_min_cases, 1, 1000);
    r.Tiered(n, "signals", "complaint_rise_ratio", &s.complaint_rise_ratio, 1, 100);
    r.Tiered(n, "signals", "contact_gap_days", &s.contact_gap_days, 1, 3650);
    r.Tiered(n, "signals", "slow_response_window_days", &s.slow_response_window_days, 7, 730);
    r.Tiered(n, "signals", "slow_response_min_cases", &s.slow_response_min_cases, 1, 1000);
    r.Tiered(n, "signals", "first_response_sla_hours", &s.first_response_sla_hours, 0.1, 8760);
    r.Tiered(n, "signals", "contact_frequency_window_days", &s.contact_frequency_window_days, 7, 730);
    r.Tiered(n, "signals", "contact_frequency_drop_share", &s.contact_frequency_drop_share, 0.01, 1);
    r.Tiered(n, "signals", "contact_frequency_min_baseline", &s.contact_frequency_min_baseline, 1, 1000);
    r.Tiered(n, "signals", "key_contact_window_days", &s.key_contact_window_days, 1, 3650);
    r.Tiered(n, "signals", "engagement_window_days", &s.engagement_window_days, 7, 730);
    r.Tiered(n, "signals", "engagement_drop_share", &s.engagement_drop_share, 0.01, 1);
    r.Tiered(n, "signals", "engagement_min_sent", &s.engagement_min_sent, 1, 100000);
    r.Tiered(n, "signals", "price_talk_window_days", &s.price_talk_window_days, 7, 730);
    r.Tiered(n, "signals", "price_talk_min_mentions", &s.price_talk_min_mentions, 1, 1000);
    r.StringList(n, "signals", "price_terms", &s.price_terms);
    r.Tiered(n, "signals", "growth_rise_share", &s.growth_rise_share, 0.01, 100);
    r.Tiered(n, "signals", "health_check_interval_days", &s.health_check_interval_days, 30, 3650);
    r.Tiered(n, "signals", "onboarding_days", &s.onboarding_days, 7, 730);
    r.Tiered(n, "signals", "negative_feedback_window_days", &s.negative_feedback_window_days, 7, 3650);
    r.Tiered(n, "signals", "nps_detractor_max", &s.nps_detractor_max, 0, 10);
    r.Tiered(n, "signals", "csat_negative_max", &s.csat_negative_max, 1, 5);
    // Terms are matched against lower-cased text.
    for (std::string& term : s.price_terms) term = absl::AsciiStrToLower(term);
  }

  ChurnWeights& w = c.engine.weights;
  if (const YAML::Node n = root["churn_weights"];
      n && r.ExpectMap(n, "churn_weights",
                       {"volume_falling", "complaints_rising", "contact_gap", "no_owner", "owner_inactive",
                        "slow_first_response", "contact_frequency_falling", "key_contact_gone",
                        "engagement_falling", "price_talk", "negative_feedback"})) {
    r.Double(n, "churn_weights", "volume_falling", &w.volume_falling, -10, 10);
    r.Double(n, "churn_weights", "complaints_rising", &w.complaints_rising, -10, 10);
    r.Double(n, "churn_weights", "contact_gap", &w.contact_gap, -10, 10);
    r.Double(n, "churn_weights", "no_owner", &w.no_owner, -10, 10);
    r.Double(n, "churn_weights", "owner_inactive", &w.owner_inactive, -10, 10);
    r.Double(n, "churn_weights", "slow_first_response", &w.slow_first_response, -10, 10);
    r.Double(n, "churn_weights", "contact_frequency_falling", &w.contact_frequency_falling, -10, 10);
    r.Double(n, "churn_weights", "key_contact_gone", &w.key_contact_gone, -10, 10);
    r.Double(n, "churn_weights", "engagement_falling", &w.engagement_falling, -10, 10);
    r.Double(n, "churn_weights", "price_talk", &w.price_talk, -10, 10);
    r.Double(n, "churn_weights", "negative_feedback", &w.negative_feedback, -10, 10);
  }

  ChurnModelPolicy& m = c.engine.churn_model;
  if (const YAML::Node n = root["churn_model"];
      n && r.ExpectMap(n, "churn_model", {"learn", "max_training_cuts", "min_training_accounts",
                                          "max_accounts_per_cut", "max_fit_accounts", "l2",
                                          "min_label_window_days"})) {
    r.Bool(n, "churn_model", "learn", &m.learn);
    r.Int(n, "churn_model", "max_training_cuts", &m.max_training_cuts, 1, 24);
    r.Int(n, "churn_model", "min_training_accounts", &m.min_training_accounts, 20, 10000000);
    r.Int(n, "churn_model", "max_accounts_per_cut", &m.max_accounts_per_cut, 100, 10000000);
    r.Int(n, "churn_model", "max_fit_accounts", &m.max_fit_accounts, 100, 10000000);
    r.Double(n, "churn_model", "l2", &m.l2, 0, 1e6);
    r.Int(n, "churn_model", "min_label_window_days", &m.min_label_window_days, 7, 730);
  }

  ContactPolicy& p = c.engine.contact;
  if (const YAML::Node n = root["contact"];
      n && r.ExpectMap(n, "contact", {"horizon_days", "at_risk_probability", "min_churn_probability",
                                      "default_weekly_capacity", "pool_users", "key_account_users",
                                      "same_reason_cooldown_days", "account_cooldown_days", "language",
                                      "effectiveness", "holdout", "holdout_exempt_actions",
                                      "effect_min_per_arm", "effect_prior_weight", "templates_file",
                                      "language_by_country", "proactive_capacity_share"})) {
    r.Int(n, "contact", "horizon_days", &p.horizon_days, 7, 730);
    r.Double(n, "contact", "at_risk_probability", &p.at_risk_probability, 0, 1);
    r.Double(n, "contact", "min_churn_probability", &p.min_churn_probability, 0, 1);
    r.Int(n, "contact", "default_weekly_capacity", &p.default_weekly_capacity, 0, 10000);
    r.StringList(n, "contact", "pool_users", &p.pool_user_ids);
    r.StringList(n, "contact", "key_account_users", &p.key_account_user_ids);
    r.Int(n, "contact", "same_reason_cooldown_days", &p.same_reason_cooldown_days, 0, 3650);
    r.Int(n, "contact", "account_cooldown_days", &p.account_cooldown_days, 0, 3650);
    r.String(n, "contact", "language", &p.language);
    if (p.language != "en" && p.language != "fi") r.Fail("contact.language", "must be en or fi");
    if (const YAML::Node e = n["effectiveness"]) {
      if (!e.IsMap()) {
        r.Fail("contact.effectiveness", "must map action ids to numbers");
      } else {
        for (const auto& kv : e) {
          if (!r.IsName(kv.first, "contact.effectiveness")) break;
          const std::string action = kv.first.as<std::string>();
          if (p.effectiveness.count(action) == 0) {
            r.Fail(absl::StrCat("contact.effectiveness.", action), "unknown action id");
            break;
          }
          r.Double(e, "contact.effectiveness", action, &p.effectiveness[action], 0, 1);
        }
      }
    }
    if (const YAML::Node h = n["holdout"]; h && r.ExpectMap(h, "contact.holdout", {"key", "mid", "tail"})) {
      for (const char* tier : {"key", "mid", "tail"}) {
        r.Double(h, "contact.holdout", tier, &p.holdout_share[tier], 0, 0.5);
      }
    }
    r.StringList(n, "contact", "holdout_exempt_actions", &p.holdout_exempt_actions);
    for (const std::string& action : p.holdout_exempt_actions) {
      if (p.effectiveness.count(action) == 0) {
        r.Fail("contact.holdout_exempt_actions", absl::StrCat("unknown action id '", action, "'"));
        break;
      }
    }
    r.String(n, "contact", "templates_file", &p.templates_file);
    if (const YAML::Node m = n["language_by_country"]) {
      if (!m.IsMap()) {
        r.Fail("contact.language_by_country", "must map country codes to en or fi, e.g. {FI: fi}");
      } else {
        for (const auto& kv : m) {
          if (!r.IsName(kv.first, "contact.language_by_country")) break;
          const std::string country = kv.first.as<std::string>();
          const std::string language = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
          if (!IsTemplateLanguage(language)) {
            r.Fail(absl::StrCat("contact.language_by_country.", country), "must be en or fi");
            break;
          }
          p.language_by_country[country] = language;
        }
      }
    }
    r.Int(n, "contact", "effect_min_per_arm", &p.effect_min_per_arm, 1, 1000000);
    r.Double(n, "contact", "effect_prior_weight", &p.effect_prior_weight, 0, 1e9);
    r.Double(n, "contact", "proactive_capacity_share", &p.proactive_capacity_share, 0, 1);
  }
  HandoffPolicy& h = c.engine.handoff;
  if (const YAML::Node n = root["handoff"];
      n && r.ExpectMap(n, "handoff", {"value_weight", "account_weight", "risk_weight", "capacity_headroom",
                                      "key_account_holders", "affinity", "affinity_bonus", "watch_days",
                                      "watch_threshold_factor"})) {
    r.Double(n, "handoff", "value_weight", &h.value_weight, 0, 100);
    r.Double(n, "handoff", "account_weight", &h.account_weight, 0, 100);
    r.Double(n, "handoff", "risk_weight", &h.risk_weight, 0, 100);
    if (h.value_weight + h.account_weight + h.risk_weight <= 0) {
      r.Fail("handoff.account_weight", "value_weight, account_weight and risk_weight must not all be 0");
    }
    r.Double(n, "handoff", "capacity_headroom", &h.capacity_headroom, 0, 10);
    r.StringList(n, "handoff", "key_account_holders", &h.key_account_holders);
    r.String(n, "handoff", "affinity", &h.affinity);
    if (h.affinity != "none" && h.affinity != "country" && h.affinity != "industry") {
      r.Fail("handoff.affinity", absl::StrCat("must be none, country or industry, got '", h.affinity, "'"));
    }
    r.Double(n, "handoff", "affinity_bonus", &h.affinity_bonus, 0, 1);
    r.Int(n, "handoff", "watch_days", &h.watch_days, 0, 3650);
    r.Double(n, "handoff", "watch_threshold_factor", &h.watch_threshold_factor, 0, 1);
  }
  FeedbackPolicy& fb = c.engine.feedback;
  if (const YAML::Node n = root["feedback"];
      n && r.ExpectMap(n, "feedback", {"enabled", "ask_interval_days", "monthly_share", "answer_window_days"})) {
    r.Bool(n, "feedback", "enabled", &fb.enabled);
    r.Int(n, "feedback", "ask_interval_days", &fb.ask_interval_days, 30, 3650);
    if (const YAML::Node m = n["monthly_share"]; m && r.ExpectMap(m, "feedback.monthly_share", {"mid", "tail"})) {
      for (const char* tier : {"mid", "tail"}) {
        r.Double(m, "feedback.monthly_share", tier, &fb.monthly_share[tier], 0, 1);
      }
    }
    r.Int(n, "feedback", "answer_window_days", &fb.answer_window_days, 1, 365);
  }
  RecognitionPolicy& rec = c.engine.recognition;
  if (const YAML::Node n = root["recognition"];
      n && r.ExpectMap(n, "recognition", {"enabled", "tiers", "min_tenure_days", "quiet_days", "max_churn_probability",
                                          "max_per_owner_per_week", "interval_days"})) {
    r.Bool(n, "recognition", "enabled", &rec.enabled);
    r.StringList(n, "recognition", "tiers", &rec.tiers);
    for (const std::string& tier : rec.tiers) {
      if (tier != "key" && tier != "mid" && tier != "tail") {
        r.Fail("recognition.tiers", absl::StrCat("unknown tier '", tier, "' (known: key, mid, tail)"));
        break;
      }
    }
    r.Int(n, "recognition", "min_tenure_days", &rec.min_tenure_days, 0, 36500);
    r.Int(n, "recognition", "quiet_days", &rec.quiet_days, 0, 3650);
    r.Double(n, "recognition", "max_churn_probability", &rec.max_churn_probability, 0, 1);
    r.Int(n, "recognition", "max_per_owner_per_week", &rec.max_per_owner_per_week, 0, 100);
    r.Int(n, "recognition", "interval_days", &rec.interval_days, 1, 3650);
  }
  if (!r.ok()) return r.error();
  c.store_path = c.store_path == ":memory:" ? c.store_path : Resolve(base_dir, c.store_path);
  c.store_backup.dir = Resolve(base_dir, c.store_backup.dir);
  c.adapter.csv.dir = Resolve(base_dir, c.adapter.csv.dir);
  c.adapter.credentials_file = Resolve(base_dir, c.adapter.credentials_file);
  if (ContactPolicy& contact = c.engine.contact; !contact.templates_file.empty()) {
    contact.templates_file = Resolve(base_dir, contact.templates_file);
    std::ifstream in(contact.templates_file, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat("config: contact.templates_file: cannot read '",
                                                     contact.templates_file, "'"));
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<TaskTemplates> templates =
        ApplyTemplateOverrides(DefaultTaskTemplates(), text.str(), contact.templates_file);
    if (!templates.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config: contact.templates_file: ", templates.status().message()));
    }
    contact.templates = std::move(*templates);
  }
  c.adapter.suitecrm.ca_file = Resolve(base_dir, c.adapter.suitecrm.ca_file);
  c.adapter.odoo.ca_file = Resolve(base_dir, c.adapter.odoo.ca_file);
  c.tls.cert_file = Resolve(base_dir, c.tls.cert_file);
  c.tls.key_file = Resolve(base_dir, c.tls.key_file);
  c.tls.client_ca_file = Resolve(base_dir, c.tls.client_ca_file);
  c.auth.tokens_file = Resolve(base_dir, c.auth.tokens_file);
  return c;
}

bool IsLoopbackAddress(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  std::string host = colon == std::string::npos ? host_port : host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  host = absl::AsciiStrToLower(host);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

absl::Status CheckTransportSecurity(const PulseConfig& config) {
  if (!config.auth.enabled() || config.tls.enabled() || config.auth.allow_insecure) return absl::OkStatus();
  if (IsLoopbackAddress(config.listen)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "config: auth.tokens_file: bearer tokens would cross the network in clear text on listen address '",
      config.listen, "': set tls.cert_file and tls.key_file, listen on a loopback address, or set "
      "auth.allow_insecure: true if a proxy in front of Pulse terminates TLS"));
}

absl::StatusOr<std::string> LoadAdapterCredentials(const AdapterConfig& adapter) {
  std::string value;
  std::string source;
  if (!adapter.credentials_file.empty()) {
    source = absl::StrCat("adapter.credentials_file '", adapter.credentials_file, "'");
    std::ifstream in(adapter.credentials_file, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(source, ": cannot read the file"));
    std::stringstream ss;
    ss << in.rdbuf();
    value = ss.str();
  } else if (!adapter.credentials_env.empty()) {
    source = absl::StrCat("adapter.credentials_env ", adapter.credentials_env);
    const char* env = std::getenv(adapter.credentials_env.c_str());
    if (env == nullptr) return absl::NotFoundError(absl::StrCat(source, ": the environment variable is not set"));
    value = env;
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("the ", adapter.type, " adapter needs credentials: set adapter.credentials_file or "
                     "adapter.credentials_env"));
  }
  value = std::string(absl::StripAsciiWhitespace(value));
  if (value.empty()) return absl::FailedPreconditionError(absl::StrCat(source, ": the credentials are empty"));
  RegisterSecret(value);
  return value;
}

absl::StatusOr<PulseConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("config: cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string base = fs::absolute(fs::path(path)).parent_path().string();
  absl::StatusOr<PulseConfig> c = ParseConfig(ss.str(), base);
  if (!c.ok()) {
    return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
  }
  c->source_path = path;
  return c;
}

std::string RenderConfig(const PulseConfig& c) {
  const EngineConfig& e = c.engine;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << c.listen;
  out << YAML::Key << "http_listen" << YAML::Value << c.http_listen;
  out << YAML::Key << "log_level" << YAML::Value << c.log_level;
  out << YAML::Key << "log_format" << YAML::Value << c.log_format;
  out << YAML::Key << "store" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value << c.store_path;
  out << YAML::Key << "integrity_check" << YAML::Value << c.store_integrity_check;
  if (c.store_backup.enabled()) {
    out << YAML::Key << "backup" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "dir" << YAML::Value << c.store_backup.dir;
    out << YAML::Key << "interval" << YAML::Value << absl::FormatDuration(c.store_backup.interval);
    out << YAML::Key << "keep" << YAML::Value << c.store_backup.keep;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "adapter" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << c.adapter.type;
  out << YAML::Key << "csv" << YAML::Value << YAML::BeginMap << YAML::Key << "dir" << YAML::Value << c.adapter.csv.dir
      << YAML::EndMap;
  if (c.adapter.type == "suitecrm") {
    const SuiteCrmSettings& s = c.adapter.suitecrm;
    out << YAML::Key << "suitecrm" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "base_url" << YAML::Value << s.base_url;
    out << YAML::Key << "grant" << YAML::Value << s.grant;
    out << YAML::Key << "client_id" << YAML::Value << s.client_id;
    if (!s.username.empty()) out << YAML::Key << "username" << YAML::Value << s.username;
    out << YAML::Key << "order_sources" << YAML::Value << YAML::Flow << s.order_sources;
    out << YAML::Key << "task_module" << YAML::Value << s.task_module;
    out << YAML::Key << "first_response" << YAML::Value << s.first_response;
    if (!s.task_key_field.empty()) out << YAML::Key << "task_key_field" << YAML::Value << s.task_key_field;
    out << YAML::Key << "deletions" << YAML::Value << s.deletions;
    out << YAML::Key << "reconcile_every" << YAML::Value << s.reconcile_every;
    out << YAML::Key << "concurrency" << YAML::Value << s.concurrency;
    out << YAML::Key << "page_size" << YAML::Value << s.page_size;
    out << YAML::Key << "timeout" << YAML::Value << absl::FormatDuration(s.timeout);
    out << YAML::Key << "verify_tls" << YAML::Value << s.verify_tls;
    if (!s.ca_file.empty()) out << YAML::Key << "ca_file" << YAML::Value << s.ca_file;
    out << YAML::EndMap;
  }
  if (!c.adapter.credentials_file.empty()) {
    out << YAML::Key << "credentials_file" << YAML::Value << c.adapter.credentials_file;
  }
  if (!c.adapter.credentials_env.empty()) {
    out << YAML::Key << "credentials_env" << YAML::Value << c.adapter.credentials_env;
  }
  if (c.adapter.type == "odoo") {
    const OdooAdapterSettings& o = c.adapter.odoo;
    out << YAML::Key << "odoo" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << o.url;
    out << YAML::Key << "database" << YAML::Value << o.database;
    out << YAML::Key << "username" << YAML::Value << o.username;
    out << YAML::Key << "api" << YAML::Value << o.api;
    out << YAML::Key << "order_sources" << YAML::Value << YAML::Flow << o.order_sources;
    out << YAML::Key << "activity_sources" << YAML::Value << YAML::Flow << o.activity_sources;
    out << YAML::Key << "reconcile_every" << YAML::Value << absl::FormatDuration(o.reconcile_every);
    out << YAML::Key << "page_size" << YAML::Value << o.page_size;
    out << YAML::Key << "timeout" << YAML::Value << absl::FormatDuration(o.timeout);
    out << YAML::Key << "verify_tls" << YAML::Value << o.verify_tls;
    if (!o.ca_file.empty()) out << YAML::Key << "ca_file" << YAML::Value << o.ca_file;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "sweep" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "interval" << YAML::Value << absl::FormatDuration(c.sweep.interval);
  out << YAML::Key << "run_on_start" << YAML::Value << c.sweep.run_on_start;
  out << YAML::Key << "write_tasks" << YAML::Value << c.sweep.write_tasks;
  out << YAML::EndMap;
  if (c.tls.enabled()) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "cert_file" << YAML::Value << c.tls.cert_file;
    out << YAML::Key << "key_file" << YAML::Value << c.tls.key_file;
    if (!c.tls.client_ca_file.empty()) out << YAML::Key << "client_ca_file" << YAML::Value << c.tls.client_ca_file;
    out << YAML::Key << "require_client_cert" << YAML::Value << c.tls.require_client_cert;
    out << YAML::Key << "reload_interval" << YAML::Value << absl::FormatDuration(c.tls.reload_interval);
    out << YAML::EndMap;
  }
  if (c.auth.enabled()) {
    out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "tokens_file" << YAML::Value << c.auth.tokens_file;
    out << YAML::Key << "allow_insecure" << YAML::Value << c.auth.allow_insecure;
    out << YAML::EndMap;
  }
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_receive_message_bytes" << YAML::Value << c.limits.max_receive_message_bytes;
  out << YAML::Key << "max_concurrent_streams" << YAML::Value << c.limits.max_concurrent_streams;
  out << YAML::Key << "default_deadline" << YAML::Value << absl::FormatDuration(c.limits.default_deadline);
  out << YAML::EndMap;
  out << YAML::Key << "tiers" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "key_revenue_share" << YAML::Value << e.tiers.key_revenue_share;
  out << YAML::Key << "key_max_account_share" << YAML::Value << e.tiers.key_max_account_share;
  out << YAML::Key << "mid_account_share" << YAML::Value << e.tiers.mid_account_share;
  out << YAML::Key << "use_crm_tier" << YAML::Value << e.tiers.use_crm_tier;
  out << YAML::EndMap;
  out << YAML::Key << "signals" << YAML::Value << YAML::BeginMap;
  EmitTiered(out, "overdue_ratio", e.signals.overdue_ratio);
  EmitTiered(out, "overdue_min_days", e.signals.overdue_min_days);
  out << YAML::Key << "min_orders_for_cadence" << YAML::Value << e.signals.min_orders_for_cadence;
  EmitTiered(out, "volume_window_days", e.signals.volume_window_days);
  EmitTiered(out, "volume_drop_share", e.signals.volume_drop_share);
  EmitTiered(out, "complaint_window_days", e.signals.complaint_window_days);
  EmitTiered(out, "complaint_min_cases", e.signals.complaint_min_cases);
  EmitTiered(out, "complaint_rise_ratio", e.signals.complaint_rise_ratio);
  EmitTiered(out, "contact_gap_days", e.signals.contact_gap_days);
  EmitTiered(out, "slow_response_window_days", e.signals.slow_response_window_days);
  EmitTiered(out, "slow_response_min_cases", e.signals.slow_response_min_cases);
  EmitTiered(out, "first_response_sla_hours", e.signals.first_response_sla_hours);
  EmitTiered(out, "contact_frequency_window_days", e.signals.contact_frequency_window_days);
  EmitTiered(out, "contact_frequency_drop_share", e.signals.contact_frequency_drop_share);
  EmitTiered(out, "contact_frequency_min_baseline", e.signals.contact_frequency_min_baseline);
  EmitTiered(out, "key_contact_window_days", e.signals.key_contact_window_days);
  EmitTiered(out, "engagement_window_days", e.signals.engagement_window_days);
  EmitTiered(out, "engagement_drop_share", e.signals.engagement_drop_share);
  EmitTiered(out, "engagement_min_sent", e.signals.engagement_min_sent);
  EmitTiered(out, "price_talk_window_days", e.signals.price_talk_window_days);
  EmitTiered(out, "price_talk_min_mentions", e.signals.price_talk_min_mentions);
  out << YAML::Key << "price_terms" << YAML::Value << YAML::Flow << e.signals.price_terms;
  EmitTiered(out, "growth_rise_share", e.signals.growth_rise_share);
  EmitTiered(out, "health_check_interval_days", e.signals.health_check_interval_days);
  EmitTiered(out, "onboarding_days", e.signals.onboarding_days);
  EmitTiered(out, "negative_feedback_window_days", e.signals.negative_feedback_window_days);
  EmitTiered(out, "nps_detractor_max", e.signals.nps_detractor_max);
  EmitTiered(out, "csat_negative_max", e.signals.csat_negative_max);
  out << YAML::EndMap;
  out << YAML::Key << "churn_weights" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "volume_falling" << YAML::Value << e.weights.volume_falling;
  out << YAML::Key << "complaints_rising" << YAML::Value << e.weights.complaints_rising;
  out << YAML::Key << "contact_gap" << YAML::Value << e.weights.contact_gap;
  out << YAML::Key << "no_owner" << YAML::Value << e.weights.no_owner;
  out << YAML::Key << "owner_inactive" << YAML::Value << e.weights.owner_inactive;
  out << YAML::Key << "slow_first_response" << YAML::Value << e.weights.slow_first_response;
  out << YAML::Key << "contact_frequency_falling" << YAML::Value << e.weights.contact_frequency_falling;
  out << YAML::Key << "key_contact_gone" << YAML::Value << e.weights.key_contact_gone;
  out << YAML::Key << "engagement_falling" << YAML::Value << e.weights.engagement_falling;
  out << YAML::Key << "price_talk" << YAML::Value << e.weights.price_talk;
  out << YAML::Key << "negative_feedback" << YAML::Value << e.weights.negative_feedback;
  out << YAML::EndMap;
  out << YAML::Key << "churn_model" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "learn" << YAML::Value << e.churn_model.learn;
  out << YAML::Key << "max_training_cuts" << YAML::Value << e.churn_model.max_training_cuts;
  out << YAML::Key << "min_training_accounts" << YAML::Value << e.churn_model.min_training_accounts;
  out << YAML::Key << "max_accounts_per_cut" << YAML::Value << e.churn_model.max_accounts_per_cut;
  out << YAML::Key << "max_fit_accounts" << YAML::Value << e.churn_model.max_fit_accounts;
  out << YAML::Key << "l2" << YAML::Value << e.churn_model.l2;
  out << YAML::Key << "min_label_window_days" << YAML::Value << e.churn_model.min_label_window_days;
  out << YAML::EndMap;
  out << YAML::Key << "contact" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "horizon_days" << YAML::Value << e.contact.horizon_days;
  out << YAML::Key << "at_risk_probability" << YAML::Value << e.contact.at_risk_probability;
  out << YAML::Key << "min_churn_probability" << YAML::Value << e.contact.min_churn_probability;
  out << YAML::Key << "default_weekly_capacity" << YAML::Value << e.contact.default_weekly_capacity;
  out << YAML::Key << "pool_users" << YAML::Value << YAML::Flow << e.contact.pool_user_ids;
  out << YAML::Key << "key_account_users" << YAML::Value << YAML::Flow << e.contact.key_account_user_ids;
  out << YAML::Key << "same_reason_cooldown_days" << YAML::Value << e.contact.same_reason_cooldown_days;
  out << YAML::Key << "account_cooldown_days" << YAML::Value << e.contact.account_cooldown_days;
  out << YAML::Key << "language" << YAML::Value << e.contact.language;
  out << YAML::Key << "effectiveness" << YAML::Value << YAML::BeginMap;
  for (const auto& [action, value] : e.contact.effectiveness) out << YAML::Key << action << YAML::Value << value;
  out << YAML::EndMap;
  out << YAML::Key << "holdout" << YAML::Value << YAML::BeginMap;
  for (const auto& [tier, share] : e.contact.holdout_share) out << YAML::Key << tier << YAML::Value << share;
  out << YAML::EndMap;
  out << YAML::Key << "holdout_exempt_actions" << YAML::Value << YAML::Flow << e.contact.holdout_exempt_actions;
  if (!e.contact.templates_file.empty()) {
    out << YAML::Key << "templates_file" << YAML::Value << e.contact.templates_file;
  }
  if (!e.contact.language_by_country.empty()) {
    out << YAML::Key << "language_by_country" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [country, language] : e.contact.language_by_country) {
      out << YAML::Key << country << YAML::Value << language;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "effect_min_per_arm" << YAML::Value << e.contact.effect_min_per_arm;
  out << YAML::Key << "effect_prior_weight" << YAML::Value << e.contact.effect_prior_weight;
  out << YAML::Key << "proactive_capacity_share" << YAML::Value << e.contact.proactive_capacity_share;
  out << YAML::EndMap;
  out << YAML::Key << "handoff" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "value_weight" << YAML::Value << e.handoff.value_weight;
  out << YAML::Key << "account_weight" << YAML::Value << e.handoff.account_weight;
  out << YAML::Key << "risk_weight" << YAML::Value << e.handoff.risk_weight;
  out << YAML::Key << "capacity_headroom" << YAML::Value << e.handoff.capacity_headroom;
  out << YAML::Key << "key_account_holders" << YAML::Value << YAML::Flow << e.handoff.key_account_holders;
  out << YAML::Key << "affinity" << YAML::Value << e.handoff.affinity;
  out << YAML::Key << "affinity_bonus" << YAML::Value << e.handoff.affinity_bonus;
  out << YAML::Key << "watch_days" << YAML::Value << e.handoff.watch_days;
  out << YAML::Key << "watch_threshold_factor" << YAML::Value << e.handoff.watch_threshold_factor;
  out << YAML::EndMap;
  out << YAML::Key << "feedback" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << e.feedback.enabled;
  out << YAML::Key << "ask_interval_days" << YAML::Value << e.feedback.ask_interval_days;
  out << YAML::Key << "monthly_share" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& [tier, share] : e.feedback.monthly_share) out << YAML::Key << tier << YAML::Value << share;
  out << YAML::EndMap;
  out << YAML::Key << "answer_window_days" << YAML::Value << e.feedback.answer_window_days;
  out << YAML::EndMap;
  out << YAML::Key << "recognition" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << e.recognition.enabled;
  out << YAML::Key << "tiers" << YAML::Value << YAML::Flow << e.recognition.tiers;
  out << YAML::Key << "min_tenure_days" << YAML::Value << e.recognition.min_tenure_days;
  out << YAML::Key << "quiet_days" << YAML::Value << e.recognition.quiet_days;
  out << YAML::Key << "max_churn_probability" << YAML::Value << e.recognition.max_churn_probability;
  out << YAML::Key << "max_per_owner_per_week" << YAML::Value << e.recognition.max_per_owner_per_week;
  out << YAML::Key << "interval_days" << YAML::Value << e.recognition.interval_days;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace pulse
