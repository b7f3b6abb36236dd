#include "sidecar/cli/app.h"

#include "absl/strings/str_cat.h"
#include "adapters/csv/csv_adapter.h"

namespace pulse {

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeAdapter(const AdapterConfig& config) {
  if (config.type == "csv") {
    CsvAdapterOptions options;
    options.dir = config.csv.dir;
    return MakeCsvAdapter(options);
  }
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
