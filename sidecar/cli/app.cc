#include "sidecar/cli/app.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "adapters/csv/csv_adapter.h"
#include "adapters/odoo/odoo_adapter.h"

namespace pulse {

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
  if (config.type == "odoo") return MakeOdooAdapterFromConfig(config);
  return absl::InvalidArgumentError(absl::StrCat("adapter.type: unknown adapter '", config.type, "'"));
}

absl::StatusOr<PulseApp> OpenPulseApp(const PulseConfig& config) {
  PulseApp app;
  StoreOptions store_options;
  store_options.path = config.store_path;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(store_options);
  if (!store.ok()) return store.status();
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
