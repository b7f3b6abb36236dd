// Pulse's configuration: one YAML file (the form a Kubernetes ConfigMap
// mounts). Unknown keys, wrong types and out-of-range values are errors that
// name the key, so a typo never silently falls back to a default.
// Secrets are never in the YAML: adapters name a file or an environment
// variable to read them from.
#ifndef PULSE_SIDECAR_CONFIG_CONFIG_H_
#define PULSE_SIDECAR_CONFIG_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

struct CsvAdapterSettings {
  std::string dir;  // absolute after loading
};

// adapter.suitecrm (docs/SUITECRM.md). The client secret (and the password
// for the password grant or legacy_api deletions) come from the adapter's
// credentials, never from here.
struct SuiteCrmSettings {
  std::string base_url;                      // https://crm.example.com[/legacy]
  std::string grant = "client_credentials";  // or "password"
  std::string client_id;
  std::string username;                              // password grant, legacy_api deletions
  std::vector<std::string> order_sources = {"invoices"};  // invoices, opportunities
  std::string task_module = "Tasks";                 // Tasks or Calls
  std::string first_response = "case_updates";       // or "field:NAME"
  std::string task_key_field;                        // empty: the description's last line
  std::string deletions = "reconcile";               // legacy_api or reconcile
  int reconcile_every = 24;                          // reads between full reads (reconcile)
  int concurrency = 4;
  int page_size = 100;
  absl::Duration timeout = absl::Seconds(60);
  bool verify_tls = true;
  std::string ca_file;  // absolute after loading
};

// adapter.odoo: an Odoo database (adapters/odoo/odoo_adapter.h, docs/ODOO.md).
// The API key comes from adapter.credentials_file / credentials_env.
struct OdooAdapterSettings {
  std::string url;       // https://erp.example.com
  std::string database;  // required unless api is json2
  std::string username;  // the key's user's login; required unless api is json2
  std::string api = "auto";  // auto | jsonrpc | json2
  std::vector<std::string> order_sources = {"sale_orders"};  // sale_orders, invoices
  std::vector<std::string> activity_sources = {"messages", "calendar_events"};  // either, both or none
  absl::Duration reconcile_every = absl::Hours(24);  // deletions looked for this often; 0 never
  int page_size = 500;
  absl::Duration timeout = absl::Seconds(60);
  bool verify_tls = true;
  std::string ca_file;  // absolute after loading
};

struct AdapterConfig {
  std::string type = "csv";  // "csv", "suitecrm" or "odoo"
  CsvAdapterSettings csv;
  SuiteCrmSettings suitecrm;
  OdooAdapterSettings odoo;
  // Where the CRM credentials come from: a file (absolute after loading; a
  // mounted Kubernetes Secret) or an environment variable. At most one is set.
  std::string credentials_file;
  std::string credentials_env;
};

struct SweepConfig {
  absl::Duration interval = absl::Hours(1);
  bool run_on_start = true;
  // When false, sweeps plan and record tasks but never write to the CRM.
  bool write_tasks = true;
};

// tls: the gRPC listener's certificate and key (PEM files, reloaded when
// they change) and, for mTLS, the CA that signs client certificates.
struct TlsConfig {
  std::string cert_file;       // absolute after loading; empty = plaintext
  std::string key_file;        // absolute after loading
  std::string client_ca_file;  // absolute after loading; empty = no client certificates
  bool require_client_cert = false;
  absl::Duration reload_interval = absl::Minutes(1);  // how often the files are checked for changes
  bool enabled() const { return !cert_file.empty(); }
};

// auth: bearer tokens with roles (docs/SECURITY.md).
struct AuthConfig {
  std::string tokens_file;  // absolute after loading; empty = no authentication
  // Allows tokens over plaintext on a non-loopback address (e.g. behind a
  // TLS-terminating mesh). Off: such a config is refused at start.
  bool allow_insecure = false;
  bool enabled() const { return !tokens_file.empty(); }
};

// limits: what one client may ask of the server.
struct LimitsConfig {
  int max_receive_message_bytes = 1024 * 1024;
  int max_concurrent_streams = 64;  // per connection
  // A streaming call whose client set no deadline ends after this (the sweep
  // it started goes on).
  absl::Duration default_deadline = absl::Hours(1);
};

// store.backup: scheduled online backups (docs/RELIABILITY.md).
struct StoreBackupConfig {
  std::string dir;  // absolute after loading; empty = no scheduled backups
  absl::Duration interval = absl::Hours(24);
  int keep = 7;  // generations kept
  bool enabled() const { return !dir.empty(); }
};

struct PulseConfig {
  std::string listen = "127.0.0.1:50051";
  std::string log_level = "info";
  std::string log_format = "text";  // "text" (terminals) or "json" (one object per line)
  // HOST:PORT of the HTTP endpoint (/metrics, /healthz); empty disables it.
  std::string http_listen = "127.0.0.1:9090";
  std::string store_path;  // absolute after loading
  std::string store_integrity_check = "quick";  // store.integrity_check: quick | full | off
  StoreBackupConfig store_backup;
  AdapterConfig adapter;
  SweepConfig sweep;
  TlsConfig tls;
  AuthConfig auth;
  LimitsConfig limits;
  EngineConfig engine;
  std::string source_path;  // the file it was loaded from
};

// Parses YAML text. Relative paths are resolved against `base_dir`.
// InvalidArgument "config: <key.path>: <what is wrong>" on any error.
absl::StatusOr<PulseConfig> ParseConfig(const std::string& yaml_text, const std::string& base_dir);

// Reads and parses a file; relative paths resolve against its folder.
// NotFound when it cannot be read.
absl::StatusOr<PulseConfig> LoadConfigFile(const std::string& path);

// The adapter's credentials, read from adapter.credentials_file (surrounding
// whitespace trimmed) or the variable adapter.credentials_env, and registered
// with RegisterSecret so they never reach a log line. Errors name the file or
// the variable, never the value: FailedPrecondition when neither is
// configured or the value is empty, NotFound when the file cannot be read or
// the variable is not set.
absl::StatusOr<std::string> LoadAdapterCredentials(const AdapterConfig& adapter);

// Whether `host_port` ("127.0.0.1:50051", "[::1]:0", "localhost:1") can only
// be reached from this machine.
bool IsLoopbackAddress(const std::string& host_port);

// Refuses what would send secrets in clear text: auth without tls on a
// `listen` address that is not loopback, unless auth.allow_insecure.
// Checked after command-line overrides. InvalidArgument naming the keys.
absl::Status CheckTransportSecurity(const PulseConfig& config);

// The YAML for a config: used by `pulsed demo` and as documentation.
std::string RenderConfig(const PulseConfig& config);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CONFIG_CONFIG_H_
