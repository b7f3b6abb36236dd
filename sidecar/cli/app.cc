#include "sidecar/cli/app.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "adapters/csv/csv_adapter.h"
#include "adapters/suitecrm/suitecrm_adapter.h"
#include "adapters/odoo/odoo_adapter.h"

namespace pulse {
namespace {

// adapter.suitecrm and the credentials -> SuiteCrmOptions.
absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeSuiteCrmAdapterFromConfig(const AdapterConfig& config) {
  const SuiteCrmSettings& s = config.suitecrm;
  absl::StatusOr<std::string> credentials = LoadAdapterCredentials(config);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<SuiteCrmSecrets> secrets = ParseSuiteCrmSecrets(*credentials);
  if (!secrets.ok()) return secrets.status();
  SuiteCrmOptions o;
  o.base_url = s.base_url;
  o.grant = s.grant == "password" ? SuiteCrmOptions::Grant::kPassword : SuiteCrmOptions::Grant::kClientCredentials;
  o.client_id = s.client_id;
  o.username = s.username;
  o.secrets = *secrets;
  o.orders_from_invoices = std::find(s.order_sources.begin(), s.order_sources.end(), "invoices") != s.order_sources.end();
  o.orders_from_opportunities =
      std::find(s.order_sources.begin(), s.order_sources.end(), "opportunities") != s.order_sources.end();
  o.task_module = s.task_module;
  if (s.first_response.rfind("field:", 0) == 0) o.first_response_field = s.first_response.substr(6);
  o.task_key_field = s.task_key_field;
  o.deletions = s.deletions == "legacy_api" ? SuiteCrmOptions::Deletions::kLegacyApi
                                            : SuiteCrmOptions::Deletions::kReconcile;
  o.reconcile_every = s.reconcile_every;
  o.concurrency = s.concurrency;
  o.page_size = s.page_size;
  o.http.timeout = s.timeout;
  o.http.verify_tls = s.verify_tls;
  o.http.ca_file = s.ca_file;
  return MakeSuiteCrmAdapter(o);
}

}  // namespace

namespace {

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeOdooAdapterFromConfig(const AdapterConfig& config) {
  absl::StatusOr<std::string> key = LoadAdapterCredentials(config);
  if (!key.ok()) return key.status();
  const OdooAdapterSettings& s = config.odoo;
  auto has = [](const std::vector<std::string>& list, const char* item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  };
  OdooOptions options;
  options.url = s.url;
  options.database = s.database;
  options.username = s.username;
  options.api_key = *key;
  options.api = s.api == "jsonrpc" ? OdooApi::kJsonRpc : s.api == "json2" ? OdooApi::kJson2 : OdooApi::kAuto;
  options.sale_orders = has(s.order_sources, "sale_orders");
  options.invoices = has(s.order_sources, "invoices");
  options.messages = has(s.activity_sources, "messages");
  options.calendar_events = has(s.activity_sources, "calendar_events");
  options.reconcile_every = s.reconcile_every;
  options.page_size = s.page_size;
  options.http.timeout = s.timeout;
  options.http.verify_tls = s.verify_tls;
  options.http.ca_file = s.ca_file;
  return MakeOdooAdapter(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeAdapter(const AdapterConfig& config) {
  if (config.type == "csv") {
    CsvAdapterOptions options;
    options.dir = config.csv.dir;
    return MakeCsvAdapter(options);
  }
  if (config.type == "suitecrm") return MakeSuiteCrmAdapterFromConfig(config);
  if (config.type == "odoo") return MakeOdooAdapterFromConfig(config);
  return absl::InvalidArgumentError(absl::StrCat("adapter.type: unknown adapter '", config.type, "'"));
}

absl::Status WithRestoreAdvice(const absl::Status& status, const PulseConfig& config) {
  if (status.code() != absl::StatusCode::kDataLoss) return status;
  const std::string& path = config.store_path;
  std::string advice = absl::StrCat(
      status.message(), "\nPulse will not run on a damaged store. To recover: stop pulsed, move ", path,
      " (and ", path, "-wal, ", path, "-shm if present) aside");
  if (!config.store_backup.enabled()) {
    absl::StrAppend(&advice, ", and restore a copy of it from your own backups (store.backup is not configured: "
                             "configure it so Pulse keeps its own); or start with an empty store, which syncs the "
                             "CRM again but loses Pulse's task history. See docs/RELIABILITY.md, \"Restore\".");
    return absl::DataLossError(advice);
  }
  absl::StatusOr<std::vector<BackupFile>> backups = ListBackupGenerations(config.store_backup.dir);
  if (!backups.ok() || backups->empty()) {
    absl::StrAppend(&advice, "; no backup was found in ", config.store_backup.dir,
                    ", so restore one from your own copies. See docs/RELIABILITY.md, \"Restore\".");
    return absl::DataLossError(advice);
  }
  absl::StrAppend(&advice, ", then restore the newest backup (", backups->size(), " in ", config.store_backup.dir,
                  ", newest taken ", absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", backups->front().taken_at,
                                                      absl::UTCTimeZone()),
                  "):\n  cp ", backups->front().path, " ", path,
                  "\nand start pulsed again. See docs/RELIABILITY.md, \"Restore\".");
  return absl::DataLossError(advice);
}

absl::StatusOr<PulseApp> OpenPulseApp(const PulseConfig& config) {
  PulseApp app;
  StoreOptions store_options;
  store_options.path = config.store_path;
  if (!ParseIntegrityCheck(config.store_integrity_check, &store_options.integrity_check)) {
    return absl::InvalidArgumentError(
        absl::StrCat("store.integrity_check: unknown value '", config.store_integrity_check, "'"));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(store_options);
  if (!store.ok()) return WithRestoreAdvice(store.status(), config);
  app.store = std::move(*store);
  absl::StatusOr<std::unique_ptr<CrmAdapter>> adapter = MakeAdapter(config.adapter);
  if (!adapter.ok()) return adapter.status();
  app.sweeper = std::make_unique<Sweeper>(std::move(*adapter), app.store.get(), config);
  return app;
}

namespace {

template <typename T>
absl::Status ReadInto(absl::StatusOr<ChangeBatch<T>> batch, std::vector<T>* out,
                      std::vector<RejectedRecord>* rejected) {
  if (!batch.ok()) return batch.status();
  *out = std::move(batch->upserts);
  if (rejected != nullptr) {
    rejected->insert(rejected->end(), batch->rejected.begin(), batch->rejected.end());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CustomerData> ReadAllRecords(CrmAdapter& adapter, std::vector<RejectedRecord>* rejected) {
  CustomerData data;
  const ReadParams from_scratch;
  const Capabilities caps = adapter.GetCapabilities();
  if (absl::Status s = ReadInto(adapter.ReadUsers(from_scratch), &data.users, rejected); !s.ok()) return s;
  if (absl::Status s = ReadInto(adapter.ReadAccounts(from_scratch), &data.accounts, rejected); !s.ok()) return s;
  if (absl::Status s = ReadInto(adapter.ReadOrders(from_scratch), &data.orders, rejected); !s.ok()) return s;
  if (caps.contacts) {
    if (absl::Status s = ReadInto(adapter.ReadContacts(from_scratch), &data.contacts, rejected); !s.ok()) return s;
  }
  if (caps.cases) {
    if (absl::Status s = ReadInto(adapter.ReadCases(from_scratch), &data.cases, rejected); !s.ok()) return s;
  }
  if (caps.activities) {
    if (absl::Status s = ReadInto(adapter.ReadActivities(from_scratch), &data.activities, rejected); !s.ok()) return s;
  }
  if (caps.engagement) {
    if (absl::Status s = ReadInto(adapter.ReadEngagement(from_scratch), &data.engagement, rejected); !s.ok()) return s;
  }
  if (caps.feedback) {
    if (absl::Status s = ReadInto(adapter.ReadFeedback(from_scratch), &data.feedback, rejected); !s.ok()) return s;
  }
  return data;
}

}  // namespace pulse
