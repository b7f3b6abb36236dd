#include "adapters/suitecrm/suitecrm_adapter.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "adapters/suitecrm/suitecrm_api.h"
#include "adapters/suitecrm/suitecrm_mapping.h"
#include "sidecar/common/logging.h"

namespace pulse {

using suitecrm_internal::Filter;
using suitecrm_internal::LegacyApi;
using suitecrm_internal::ListedRecord;
using suitecrm_internal::Listing;
using suitecrm_internal::ListQuery;
using suitecrm_internal::Mapped;
using suitecrm_internal::V8Api;
using json = nlohmann::json;

absl::StatusOr<SuiteCrmSecrets> ParseSuiteCrmSecrets(absl::string_view text) {
  SuiteCrmSecrets out;
  text = absl::StripAsciiWhitespace(text);
  if (!absl::StrContains(text, '\n') && !absl::StartsWith(text, "client_secret=") &&
      !absl::StartsWith(text, "password=")) {
    out.client_secret = std::string(text);
  } else {
    int line_number = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      ++line_number;
      line = absl::StripAsciiWhitespace(line);
      if (line.empty() || absl::StartsWith(line, "#")) continue;
      const size_t eq = line.find('=');
      const absl::string_view key = eq == absl::string_view::npos ? line : absl::StripAsciiWhitespace(line.substr(0, eq));
      const std::string value(eq == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(line.substr(eq + 1)));
      if (eq == absl::string_view::npos || (key != "client_secret" && key != "password")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "SuiteCRM credentials line ", line_number,
            ": expected client_secret=... or password=... (or the client secret alone on one line)"));
      }
      (key == "client_secret" ? out.client_secret : out.password) = value;
    }
  }
  if (out.client_secret.empty()) {
    return absl::InvalidArgumentError("SuiteCRM credentials: the client secret is missing (client_secret=...)");
  }
  RegisterSecret(out.client_secret);
  if (!out.password.empty()) RegisterSecret(out.password);
  return out;
}

namespace {

constexpr char kLog[] = "suitecrm";
constexpr char kKeyPrefix[] = "pulse-key: ";

// One SuiteCRM module read for an entity.
struct ModuleSpec {
  std::string module;
  std::vector<std::string> fields;
  std::vector<Filter> filters;
  // Whether the legacy API is asked for its deleted rows (the modules whose
  // rows are Pulse records, not helpers such as AOP_Case_Updates).
  bool has_deletions = true;
};

// What an entity's watermark holds: per module the latest date_modified
// seen ("YYYY-MM-DD HH:MM:SS"), and the reads since the last full read.
struct Watermark {
  bool present = false;
  std::map<std::string, std::string> since;
  int reads = 0;
};

std::string EncodeWatermark(const Watermark& w) {
  json j = {{"v", 1}, {"since", w.since}, {"reads", w.reads}};
  return j.dump();
}

Watermark DecodeWatermark(const std::string& text) {
  Watermark w;
  if (text.empty()) return w;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("v", 0) != 1 || !j.contains("since") || !j["since"].is_object()) {
    LogWarning(kLog, "a watermark this adapter did not write; reading from scratch");
    return w;
  }
  w.present = true;
  for (auto& [module, since] : j["since"].items()) {
    if (since.is_string()) w.since[module] = since.get<std::string>();
  }
  w.reads = j.value("reads", 0);
  return w;
}

// The source of a rejected record: module and page.
std::string Source(const std::string& module, int page) { return absl::StrCat("SuiteCRM ", module, " page ", page); }

// What one module's read brought.
struct ModuleRead {
  std::string module;
  std::vector<ListedRecord> records;
  // No page was lost: the watermark may move.
  bool clean = true;
  std::string max_modified;
  std::vector<std::string> deleted_ids;
};

void NoteModified(const json& record, std::string* max_modified) {
  absl::StatusOr<std::optional<absl::Time>> t =
      suitecrm_internal::ParseSuiteTime(suitecrm_internal::Attr(record["attributes"], "date_modified"));
  if (!t.ok() || !t->has_value()) return;
  const std::string db = suitecrm_internal::FormatDbTime(**t);
  if (db > *max_modified) *max_modified = db;
}

// Counts records across the modules of one read and reports them.
class Progress {
 public:
  explicit Progress(const ReadParams& params) : report_(params.on_progress) {}
  // A callback for V8Api::List: `n` records of the module being listed.
  std::function<void(int64_t)> ForModule() {
    const int64_t base = done_;
    return [this, base](int64_t n) {
      done_ = base + n;
      if (report_) report_(done_);
    };
  }

 private:
  const std::function<void(int64_t)>& report_;
  int64_t done_ = 0;
};

class SuiteCrmAdapter final : public CrmAdapter {
 public:
  SuiteCrmAdapter(SuiteCrmOptions options, std::unique_ptr<http::HttpClient> http)
      : options_(std::move(options)), http_(http.get()) {
    suitecrm_internal::ApiParams p;
    p.base_url = options_.base_url;
    p.password_grant = options_.grant == SuiteCrmOptions::Grant::kPassword;
    p.client_id = options_.client_id;
    p.client_secret = options_.secrets.client_secret;
    p.username = options_.username;
    p.password = options_.secrets.password;
    p.concurrency = options_.concurrency;
    p.page_size = options_.page_size;
    p.now = options_.now;
    api_ = std::make_unique<V8Api>(std::move(http), std::move(p));
    if (options_.deletions == SuiteCrmOptions::Deletions::kLegacyApi) {
      legacy_ = std::make_unique<LegacyApi>(
          http_, [api = api_.get()] { return api->base_url(); }, options_.username, options_.secrets.password);
    }
  }

  std::string Name() const override { return "suitecrm"; }
  std::string TaskDestination() const override {
    return absl::StrCat("SuiteCRM ", options_.task_module, " at ", api_->base_url());
  }

  Capabilities GetCapabilities() const override {
    Capabilities c;
    c.users = c.accounts = c.contacts = c.orders = c.cases = c.activities = true;
    c.order_lines = options_.orders_from_invoices && options_.order_lines;
    c.engagement = c.feedback = false;
    c.write_tasks = c.change_owner = true;
    c.deletions = true;
    return c;
  }

  absl::Status Ping() override {
    if (absl::Status s = api_->Login(); !s.ok()) return s;
    ListQuery q;
    q.module = "Accounts";
    q.fields = {"name"};
    absl::StatusOr<json> page = api_->Call("GET", api_->ListPath(q, 1), "", true, "SuiteCRM Accounts page 1");
    if (!page.ok()) return page.status();
    if (legacy_ != nullptr) {
      absl::StatusOr<std::vector<suitecrm_internal::DeletedRow>> d =
          legacy_->ListDeleted("Accounts", "accounts", suitecrm_internal::FormatDbTime(Now()));
      if (!d.ok()) return d.status();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ChangeBatch<User>> ReadUsers(const ReadParams& params) override {
    ModuleSpec users{"Users", {"first_name", "last_name", "status", "email1", "date_modified"}, {}, true};
    return ReadSimple<User>(params, {users}, [](const std::string&, const json& r, User* u) {
      return suitecrm_internal::MapUser(r, u);
    });
  }

  absl::StatusOr<ChangeBatch<Account>> ReadAccounts(const ReadParams& params) override {
    ModuleSpec accounts{"Accounts",
                        {"name", "assigned_user_id", "industry", "billing_address_country", "date_entered",
                         "date_modified"},
                        {},
                        true};
    return ReadSimple<Account>(params, {accounts}, [](const std::string&, const json& r, Account* a) {
      return suitecrm_internal::MapAccount(r, a);
    });
  }

  absl::StatusOr<ChangeBatch<Contact>> ReadContacts(const ReadParams& params) override {
    ModuleSpec contacts{
        "Contacts", {"first_name", "last_name", "account_id", "title", "email1", "date_modified"}, {}, true};
    return ReadSimple<Contact>(params, {contacts}, [](const std::string&, const json& r, Contact* c) {
      return suitecrm_internal::MapContact(r, c);
    });
  }

  absl::StatusOr<ChangeBatch<Order>> ReadOrders(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Case>> ReadCases(const ReadParams& params) override;

  absl::StatusOr<ChangeBatch<Activity>> ReadActivities(const ReadParams& params) override {
    ModuleSpec calls{"Calls",
                     {"name", "status", "direction", "date_start", "parent_type", "parent_id", "assigned_user_id",
                      "date_entered", "date_modified"},
                     {},
                     true};
    ModuleSpec meetings{"Meetings",
                        {"name", "status", "date_start", "parent_type", "parent_id", "assigned_user_id",
                         "date_entered", "date_modified"},
                        {},
                        true};
    // Emails are many and rarely move between records: only the accounts'.
    ModuleSpec emails{"Emails",
                      {"name", "type", "status", "date_sent_received", "parent_type", "parent_id",
                       "assigned_user_id", "date_entered", "date_modified"},
                      {{"parent_type", "eq", "Accounts"}},
                      true};
    return ReadSimple<Activity>(params, {calls, meetings, emails},
                                [](const std::string& module, const json& r, Activity* a) {
                                  if (module == "Calls") return suitecrm_internal::MapCall(r, a);
                                  if (module == "Meetings") return suitecrm_internal::MapMeeting(r, a);
                                  return suitecrm_internal::MapEmail(r, a);
                                });
  }

  absl::StatusOr<ChangeBatch<EngagementPeriod>> ReadEngagement(const ReadParams& params) override {
    ChangeBatch<EngagementPeriod> b;
    b.watermark = params.since_watermark;
    return b;
  }
  absl::StatusOr<ChangeBatch<Feedback>> ReadFeedback(const ReadParams& params) override {
    ChangeBatch<Feedback> b;
    b.watermark = params.since_watermark;
    return b;
  }

  absl::StatusOr<TaskWriteResult> WriteTask(const TaskRequest& task) override;
  absl::StatusOr<OwnerChangeResult> ChangeOwner(const OwnerChangeRequest& change) override;

 private:
  absl::Time Now() const { return options_.now ? options_.now() : absl::Now(); }

  // How one read goes: from scratch or incremental, and where each module
  // starts.
  struct Plan {
    Watermark before;
    bool full = false;
    // "YYYY-MM-DD HH:MM:SS" to read a module from (watermark minus the
    // overlap), or "" for everything.
    std::string StartOf(const std::string& module, absl::Duration overlap) const {
      if (full) return "";
      auto it = before.since.find(module);
      if (it == before.since.end() || it->second.empty()) return "";
      absl::StatusOr<std::optional<absl::Time>> t = suitecrm_internal::ParseSuiteTime(it->second);
      if (!t.ok() || !t->has_value()) return "";
      return suitecrm_internal::FormatDbTime(**t - overlap);
    }
  };

  Plan StartRead(const ReadParams& params) const {
    Plan plan;
    plan.before = DecodeWatermark(params.since_watermark);
    plan.full = !plan.before.present || (options_.deletions == SuiteCrmOptions::Deletions::kReconcile &&
                                         plan.before.reads + 1 >= options_.reconcile_every);
    return plan;
  }

  // Lists one module since the plan's start (or the given start), and asks
  // the legacy API for its deletions. Lost pages are listed in `rejected`.
  absl::StatusOr<ModuleRead> ReadModule(const ModuleSpec& spec, const std::string& start, bool incremental,
                                        Progress* progress, std::vector<RejectedRecord>* rejected) {
    ListQuery q;
    q.module = spec.module;
    q.fields = spec.fields;
    q.filters = spec.filters;
    if (!start.empty()) q.filters.push_back({"date_modified", "gte", start});
    absl::StatusOr<Listing> listing = api_->List(q, progress->ForModule());
    if (!listing.ok()) return listing.status();
    ModuleRead out;
    out.module = spec.module;
    for (const auto& [page, status] : listing->broken_pages) {
      out.clean = false;
      rejected->push_back(RejectedRecord{
          Source(spec.module, page), 0,
          absl::StrCat("page not read, its records wait for the next sweep: ", Redact(status.message()))});
    }
    for (const Listing::Malformed& m : listing->malformed) {
      rejected->push_back(RejectedRecord{
          Source(spec.module, m.page), 0,
          absl::StrCat("record ", m.id.empty() ? absl::StrCat("#", m.index + 1) : m.id,
                       ": not a JSON:API record (an id and attributes)")});
    }
    for (const ListedRecord& r : listing->records) NoteModified(r.record, &out.max_modified);
    out.records = std::move(listing->records);
    if (incremental && spec.has_deletions && legacy_ != nullptr) {
      absl::StatusOr<std::vector<suitecrm_internal::DeletedRow>> deleted =
          legacy_->ListDeleted(spec.module, absl::AsciiStrToLower(spec.module), start);
      if (!deleted.ok()) {
        if (deleted.status().code() == absl::StatusCode::kUnauthenticated) return deleted.status();
        out.clean = false;
        rejected->push_back(RejectedRecord{absl::StrCat("SuiteCRM v4_1 ", spec.module, " deletions"), 0,
                                           absl::StrCat("not read, tried again next sweep: ", deleted.status().message())});
      } else {
        for (suitecrm_internal::DeletedRow& row : *deleted) {
          // A deletion is a change too: without this the watermark would
          // stay behind it and list it again on every read.
          absl::StatusOr<std::optional<absl::Time>> t = suitecrm_internal::ParseSuiteTime(row.date_modified);
          if (t.ok() && t->has_value()) {
            out.max_modified = std::max(out.max_modified, suitecrm_internal::FormatDbTime(**t));
          }
          out.deleted_ids.push_back(std::move(row.id));
        }
      }
    }
    return out;
  }

  // Maps the records of a module into the batch: kUse replaces any earlier
  // record with the id, kSkip (no longer a Pulse record) becomes a deletion
  // on incremental reads, kReject is listed with module, page and id.
  template <typename T, typename MapFn>
  void Collect(const ModuleRead& read, bool incremental, MapFn map, ChangeBatch<T>* batch,
               absl::flat_hash_map<std::string, size_t>* index) {
    for (const ListedRecord& r : read.records) {
      T record;
      const std::string id = r.record["id"].get<std::string>();
      Mapped m = map(read.module, r.record, &record);
      switch (m.verdict) {
        case Mapped::Verdict::kUse:
          if (auto it = index->find(record.id); it != index->end()) {
            batch->upserts[it->second] = std::move(record);
          } else {
            index->emplace(record.id, batch->upserts.size());
            batch->upserts.push_back(std::move(record));
          }
          break;
        case Mapped::Verdict::kSkip:
          if (incremental && !index->contains(id)) batch->deleted_ids.push_back(id);
          break;
        case Mapped::Verdict::kReject:
          batch->rejected.push_back(RejectedRecord{Source(read.module, r.page), 0, absl::StrCat("record ", id, ": ", m.reason)});
          break;
      }
    }
    for (const std::string& id : read.deleted_ids) batch->deleted_ids.push_back(id);
  }

  // The watermark after a read of `reads`.
  std::string FinishWatermark(const Plan& plan, const std::vector<ModuleRead>& reads, bool all_clean) const {
    Watermark after = plan.before;
    after.present = true;
    for (const ModuleRead& r : reads) {
      if (!r.clean) continue;  // the next read covers the lost pages again
      std::string& since = after.since[r.module];
      if (r.max_modified > since) since = r.max_modified;
    }
    if (options_.deletions == SuiteCrmOptions::Deletions::kLegacyApi) {
      after.reads = 0;
    } else {
      after.reads = plan.full && all_clean ? 0 : plan.before.reads + 1;
    }
    return EncodeWatermark(after);
  }

  template <typename T, typename MapFn>
  absl::StatusOr<ChangeBatch<T>> ReadSimple(const ReadParams& params, const std::vector<ModuleSpec>& specs, MapFn map) {
    const Plan plan = StartRead(params);
    Progress progress(params);
    ChangeBatch<T> batch;
    std::vector<ModuleRead> reads;
    for (const ModuleSpec& spec : specs) {
      absl::StatusOr<ModuleRead> read =
          ReadModule(spec, plan.StartOf(spec.module, options_.overlap), !plan.full, &progress, &batch.rejected);
      if (!read.ok()) return read.status();
      reads.push_back(std::move(*read));
    }
    absl::flat_hash_map<std::string, size_t> index;
    bool clean = true;
    for (const ModuleRead& read : reads) {
      Collect(read, !plan.full, map, &batch, &index);
      clean = clean && read.clean;
    }
    batch.full_snapshot = plan.full && clean;
    batch.watermark = FinishWatermark(plan, reads, clean);
    return batch;
  }

  // The ISO code of a currency id, "" for the system currency; the id itself
  // when the Currencies module cannot say.
  std::string CurrencyName(const std::string& currency_id);

  absl::StatusOr<std::optional<std::string>> FindTask(const TaskRequest& task);
  absl::StatusOr<std::string> CurrentOwner(const std::string& account_id);

  const SuiteCrmOptions options_;
  http::HttpClient* http_;  // owned by api_
  std::unique_ptr<V8Api> api_;
  std::unique_ptr<LegacyApi> legacy_;
  absl::Mutex currency_mu_;
  bool currencies_loaded_ ABSL_GUARDED_BY(currency_mu_) = false;
  absl::flat_hash_map<std::string, std::string> currencies_ ABSL_GUARDED_BY(currency_mu_);
};

std::string SuiteCrmAdapter::CurrencyName(const std::string& currency_id) {
  if (suitecrm_internal::IsSystemCurrency(currency_id)) return "";
  absl::MutexLock lock(&currency_mu_);
  if (!currencies_loaded_) {
    currencies_loaded_ = true;
    ListQuery q;
    q.module = "Currencies";
    q.fields = {"iso4217", "name"};
    absl::StatusOr<Listing> listing = api_->List(q, nullptr);
    if (!listing.ok()) {
      LogWarning(kLog, "currency names unknown, orders carry SuiteCRM's currency ids: ", listing.status().message());
    } else {
      for (const ListedRecord& r : listing->records) {
        currencies_[r.record["id"].get<std::string>()] = suitecrm_internal::Attr(r.record["attributes"], "iso4217");
      }
    }
  }
  auto it = currencies_.find(currency_id);
  return it == currencies_.end() || it->second.empty() ? currency_id : it->second;
}

absl::StatusOr<ChangeBatch<Order>> SuiteCrmAdapter::ReadOrders(const ReadParams& params) {
  const Plan plan = StartRead(params);
  Progress progress(params);
  ChangeBatch<Order> batch;
  std::vector<ModuleRead> reads;
  if (options_.orders_from_invoices) {
    ModuleSpec invoices{"AOS_Invoices",
                        {"name", "billing_account_id", "total_amount", "currency_id", "invoice_date", "status",
                         "date_entered", "date_modified"},
                        {},
                        true};
    absl::StatusOr<ModuleRead> read =
        ReadModule(invoices, plan.StartOf(invoices.module, options_.overlap), !plan.full, &progress, &batch.rejected);
    if (!read.ok()) return read.status();
    reads.push_back(std::move(*read));
  }
  if (options_.orders_from_opportunities) {
    ModuleSpec won{"Opportunities",
                   {"name", "account_id", "amount", "currency_id", "date_closed", "sales_stage", "date_modified"},
                   {},
                   true};
    absl::StatusOr<ModuleRead> read =
        ReadModule(won, plan.StartOf(won.module, options_.overlap), !plan.full, &progress, &batch.rejected);
    if (!read.ok()) return read.status();
    reads.push_back(std::move(*read));
  }
  absl::flat_hash_map<std::string, size_t> index;
  for (const ModuleRead& read : reads) {
    Collect(read, !plan.full, [](const std::string& module, const json& r, Order* o) {
      return module == "AOS_Invoices" ? suitecrm_internal::MapInvoice(r, o) : suitecrm_internal::MapOpportunity(r, o);
    }, &batch, &index);
  }
  // Invoice lines: the store replaces an order's lines with what comes with
  // it, so every line of every invoice read, not only the changed ones.
  if (options_.orders_from_invoices && options_.order_lines && !batch.upserts.empty()) {
    ModuleSpec lines{"AOS_Products_Quotes",
                     {"parent_id", "name", "part_number", "product_id", "product_qty", "product_total_price"},
                     {{"parent_type", "eq", "AOS_Invoices"}},
                     false};
    absl::StatusOr<ModuleRead> read = ReadModule(lines, "", false, &progress, &batch.rejected);
    if (!read.ok()) return read.status();
    if (!read->clean) reads.front().clean = false;  // some invoices may lack lines: read them again
    for (const ListedRecord& r : read->records) {
      std::string order_id;
      OrderLine line;
      Mapped m = suitecrm_internal::MapInvoiceLine(r.record, &order_id, &line);
      auto it = index.find(order_id);
      if (it == index.end()) continue;  // an invoice not read now, or not an order
      if (m.verdict == Mapped::Verdict::kReject) {
        batch.rejected.push_back(RejectedRecord{Source(lines.module, r.page), 0,
                                                absl::StrCat("record ", r.record["id"].get<std::string>(), ": ", m.reason)});
        continue;
      }
      batch.upserts[it->second].lines.push_back(std::move(line));
    }
  }
  for (Order& o : batch.upserts) o.currency = CurrencyName(o.currency);
  bool clean = true;
  for (const ModuleRead& r : reads) clean = clean && r.clean;
  batch.full_snapshot = plan.full && clean;
  batch.watermark = FinishWatermark(plan, reads, clean);
  return batch;
}

absl::StatusOr<ChangeBatch<Case>> SuiteCrmAdapter::ReadCases(const ReadParams& params) {
  const Plan plan = StartRead(params);
  const bool incremental = !plan.full;
  Progress progress(params);
  ChangeBatch<Case> batch;
  std::vector<std::string> fields = {"name", "account_id", "state", "status", "priority", "type", "date_entered",
                                     "date_modified"};
  if (!options_.first_response_field.empty()) fields.push_back(options_.first_response_field);
  ModuleSpec cases{"Cases", fields, {}, true};
  absl::StatusOr<ModuleRead> read =
      ReadModule(cases, plan.StartOf(cases.module, options_.overlap), incremental, &progress, &batch.rejected);
  if (!read.ok()) return read.status();
  std::vector<ModuleRead> reads;
  reads.push_back(std::move(*read));
  auto map = [this](const std::string&, const json& r, Case* c) {
    return suitecrm_internal::MapCase(r, options_.first_response_field, c);
  };
  absl::flat_hash_map<std::string, size_t> index;
  Collect(reads[0], incremental, map, &batch, &index);

  if (options_.first_response_field.empty()) {
    // A reply does not touch its case's date_modified: the updates changed
    // since the watermark name the cases to read again.
    ModuleSpec updates{"AOP_Case_Updates", {"case_id", "contact_id", "internal", "date_entered", "date_modified"}, {},
                       false};
    absl::StatusOr<ModuleRead> changed = ReadModule(updates, plan.StartOf(updates.module, options_.overlap), false,
                                                    &progress, &batch.rejected);
    if (!changed.ok()) return changed.status();
    absl::flat_hash_set<std::string> touched;
    if (incremental) {
      absl::flat_hash_set<std::string> read_now;
      for (const ListedRecord& r : reads[0].records) read_now.insert(r.record["id"].get<std::string>());
      for (const ListedRecord& r : changed->records) {
        const std::string case_id = suitecrm_internal::Attr(r.record["attributes"], "case_id");
        if (!case_id.empty() && !read_now.contains(case_id)) touched.insert(case_id);
      }
    }
    // Cases with a new reply that did not change themselves.
    for (const std::string& case_id : touched) {
      const std::string what = absl::StrCat("SuiteCRM Cases record ", case_id);
      absl::StatusOr<json> one = api_->Call(
          "GET",
          absl::StrCat("/Api/V8/module/Cases/", suitecrm_internal::UrlEncode(case_id), "?",
                       suitecrm_internal::UrlEncode("fields[Cases]"), "=",
                       suitecrm_internal::UrlEncode(absl::StrJoin(fields, ","))),
          "", true, what);
      if (!one.ok()) {
        if (one.status().code() == absl::StatusCode::kUnauthenticated ||
            one.status().code() == absl::StatusCode::kPermissionDenied) {
          return one.status();
        }
        if (one.status().code() == absl::StatusCode::kNotFound ||
            one.status().code() == absl::StatusCode::kInvalidArgument) {
          continue;  // deleted meanwhile
        }
        changed->clean = false;
        batch.rejected.push_back(RejectedRecord{"SuiteCRM Cases", 0, absl::StrCat("record ", case_id, ": ", one.status().message())});
        continue;
      }
      const json data = one->value("data", json());
      if (!data.is_object() || !data.contains("attributes")) continue;  // deleted: "data": []
      ModuleRead single;
      single.module = "Cases";
      single.records.push_back({0, data});
      Collect(single, incremental, map, &batch, &index);
    }
    // The earliest reply of every case in the batch, from all replies.
    if (!batch.upserts.empty()) {
      ModuleRead all_replies;
      if (plan.full || plan.StartOf(updates.module, options_.overlap).empty()) {
        all_replies.records = changed->records;
        all_replies.clean = changed->clean;
      } else {
        absl::StatusOr<ModuleRead> all = ReadModule(updates, "", false, &progress, &batch.rejected);
        if (!all.ok()) return all.status();
        all_replies = std::move(*all);
      }
      if (!all_replies.clean) reads[0].clean = false;
      absl::flat_hash_map<std::string, absl::Time> first;
      for (const ListedRecord& r : all_replies.records) {
        std::string case_id;
        absl::Time at;
        Mapped m = suitecrm_internal::MapCaseReply(r.record, &case_id, &at);
        if (m.verdict != Mapped::Verdict::kUse || !index.contains(case_id)) continue;
        auto [it, inserted] = first.emplace(case_id, at);
        if (!inserted && at < it->second) it->second = at;
      }
      for (Case& c : batch.upserts) {
        if (auto it = first.find(c.id); it != first.end()) c.first_response_at = it->second;
      }
    }
    reads.push_back(std::move(*changed));
  }
  bool clean = true;
  for (const ModuleRead& r : reads) clean = clean && r.clean;
  batch.full_snapshot = plan.full && clean;
  batch.watermark = FinishWatermark(plan, reads, clean);
  return batch;
}

// True when `text` has the line "pulse-key: <key>".
bool CarriesKey(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, kKeyPrefix) && absl::StripAsciiWhitespace(line) == key) return true;
  }
  return false;
}

absl::StatusOr<std::optional<std::string>> SuiteCrmAdapter::FindTask(const TaskRequest& task) {
  const bool in_field = !options_.task_key_field.empty();
  ListQuery q;
  q.module = options_.task_module;
  q.fields = {"name", "parent_id", in_field ? options_.task_key_field : "description"};
  q.filters = {{"parent_type", "eq", "Accounts"}, {"parent_id", "eq", task.account_id}};
  if (in_field) {
    q.filters.push_back({options_.task_key_field, "eq", task.key});
  } else {
    q.filters.push_back({"description", "like", absl::StrCat("%", kKeyPrefix, task.key, "%")});
  }
  absl::StatusOr<Listing> listing = api_->List(q, nullptr);
  if (!listing.ok()) return listing.status();
  if (!listing->broken_pages.empty()) {
    return absl::UnavailableError(absl::StrCat("looking up task key '", task.key, "' in SuiteCRM ",
                                               options_.task_module, ": ",
                                               listing->broken_pages.front().second.message()));
  }
  for (const ListedRecord& r : listing->records) {
    const json& a = r.record["attributes"];
    const bool match = in_field ? absl::StripAsciiWhitespace(suitecrm_internal::Attr(a, options_.task_key_field)) == task.key
                                : CarriesKey(suitecrm_internal::Attr(a, "description"), task.key);
    if (match) return std::optional<std::string>(r.record["id"].get<std::string>());
  }
  return std::optional<std::string>();
}

absl::Status CheckId(absl::string_view what, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  if (absl::StripAsciiWhitespace(id) != id) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", id, "' has leading or trailing blanks"));
  }
  return absl::OkStatus();
}

// Whether a create that failed this way may have been stored all the same.
bool MayHaveLanded(const absl::Status& s) {
  if (http::WasNotSent(s)) return false;
  switch (s.code()) {
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<TaskWriteResult> SuiteCrmAdapter::WriteTask(const TaskRequest& task) {
  if (absl::Status s = CheckId("task key", task.key); !s.ok()) return s;
  if (absl::Status s = CheckId("task account_id", task.account_id); !s.ok()) return s;
  TaskWriteResult result;
  absl::StatusOr<std::optional<std::string>> existing = FindTask(task);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    result.crm_id = **existing;
    result.already_existed = true;
    return result;
  }
  const bool calls = options_.task_module == "Calls";
  const std::string due = suitecrm_internal::FormatDbTime(task.due_at);
  json attributes = {{"name", task.subject},
                     {"parent_type", "Accounts"},
                     {"parent_id", task.account_id},
                     {"assigned_user_id", task.assignee_id}};
  if (calls) {
    attributes["status"] = "Planned";
    attributes["direction"] = "Outbound";
    attributes["date_start"] = due;
    attributes["duration_hours"] = "0";
    attributes["duration_minutes"] = "15";
  } else {
    attributes["status"] = "Not Started";
    attributes["priority"] = "Medium";
    attributes["date_due"] = due;
  }
  if (options_.task_key_field.empty()) {
    attributes["description"] =
        absl::StrCat(task.description, task.description.empty() ? "" : "\n\n", kKeyPrefix, task.key);
  } else {
    attributes["description"] = task.description;
    attributes[options_.task_key_field] = task.key;
  }
  json body = {{"data", {{"type", options_.task_module}, {"attributes", attributes}}}};
  const std::string what = absl::StrCat("creating SuiteCRM ", options_.task_module, " for task key '", task.key,
                                        "' on account ", task.account_id);
  absl::StatusOr<json> created = api_->Call("POST", "/Api/V8/module", body.dump(), false, what);
  if (!created.ok()) {
    if (!MayHaveLanded(created.status())) return created.status();
    // The answer was lost, not necessarily the task: look before anyone
    // creates it again.
    absl::StatusOr<std::optional<std::string>> again = FindTask(task);
    if (again.ok() && again->has_value()) {
      LogInfo(kLog, "task key '", task.key, "': the create's answer was lost but the task is there");
      result.crm_id = **again;
      return result;
    }
    return created.status();
  }
  const json data = created->value("data", json::object());
  result.crm_id = data.is_object() ? data.value("id", std::string()) : "";
  const std::string due_field = calls ? "date_start" : "date_due";
  if (data.is_object() && data.contains("attributes") &&
      suitecrm_internal::Attr(data["attributes"], due_field).empty()) {
    LogWarning(kLog, "SuiteCRM stored ", options_.task_module, " ", result.crm_id, " without its ", due_field,
               " (sent '", due, "')");
  }
  if (result.crm_id.empty()) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer names no id"));
  }
  return result;
}

absl::StatusOr<std::string> SuiteCrmAdapter::CurrentOwner(const std::string& account_id) {
  const std::string what = absl::StrCat("reading SuiteCRM account ", account_id);
  absl::StatusOr<json> res =
      api_->Call("GET",
                 absl::StrCat("/Api/V8/module/Accounts/", suitecrm_internal::UrlEncode(account_id), "?",
                              suitecrm_internal::UrlEncode("fields[Accounts]"), "=assigned_user_id"),
                 "", true, what);
  if (!res.ok()) {
    // SuiteCRM answers 400 "... module with id ... is not found".
    if (res.status().code() == absl::StatusCode::kInvalidArgument &&
        absl::StrContains(res.status().message(), "not found")) {
      return absl::NotFoundError(res.status().message());
    }
    return res.status();
  }
  const json data = res->value("data", json());
  if (!data.is_object() || !data.contains("attributes")) {
    return absl::NotFoundError(absl::StrCat(what, ": the account is deleted or not visible to the API user"));
  }
  return std::string(absl::StripAsciiWhitespace(suitecrm_internal::Attr(data["attributes"], "assigned_user_id")));
}

absl::StatusOr<OwnerChangeResult> SuiteCrmAdapter::ChangeOwner(const OwnerChangeRequest& change) {
  if (absl::Status s = CheckId("owner change key", change.key); !s.ok()) return s;
  if (absl::Status s = CheckId("owner change account_id", change.account_id); !s.ok()) return s;
  if (absl::Status s = CheckId("owner change to_owner_id", change.to_owner_id); !s.ok()) return s;
  OwnerChangeResult result;
  absl::StatusOr<std::string> current = CurrentOwner(change.account_id);
  if (!current.ok()) return current.status();
  if (*current == change.to_owner_id) {
    result.already_applied = true;
    return result;
  }
  if (*current != change.from_owner_id) {
    return absl::FailedPreconditionError(absl::StrCat("account '", change.account_id, "' is owned by '", *current,
                                                      "', not by '", change.from_owner_id, "' nor by '",
                                                      change.to_owner_id, "': it changed hands meanwhile"));
  }
  json body = {{"data",
                {{"type", "Accounts"}, {"id", change.account_id}, {"attributes", {{"assigned_user_id", change.to_owner_id}}}}}};
  // Setting a field to a value is harmless to repeat: the transport may retry.
  absl::StatusOr<json> res = api_->Call("PATCH", "/Api/V8/module", body.dump(), true,
                                        absl::StrCat("changing the owner of SuiteCRM account ", change.account_id));
  if (!res.ok()) {
    if (!MayHaveLanded(res.status())) return res.status();
    absl::StatusOr<std::string> after = CurrentOwner(change.account_id);
    if (after.ok() && *after == change.to_owner_id) return result;
    return res.status();
  }
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeSuiteCrmAdapter(const SuiteCrmOptions& options) {
  return MakeSuiteCrmAdapter(options, http::MakeHttpClient(options.http));
}

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeSuiteCrmAdapter(const SuiteCrmOptions& options,
                                                                std::unique_ptr<http::HttpClient> http) {
  SuiteCrmOptions o = options;
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  auto invalid = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("SuiteCRM adapter: ", what));
  };
  if (!absl::StartsWith(o.base_url, "http://") && !absl::StartsWith(o.base_url, "https://")) {
    return invalid("base_url must start with https:// (or http://), e.g. https://crm.example.com");
  }
  if (o.client_id.empty()) return invalid("client_id is required (Admin -> OAuth2 Clients and Tokens)");
  if (o.secrets.client_secret.empty()) return invalid("the client secret is missing from the credentials");
  const bool needs_user =
      o.grant == SuiteCrmOptions::Grant::kPassword || o.deletions == SuiteCrmOptions::Deletions::kLegacyApi;
  if (needs_user && (o.username.empty() || o.secrets.password.empty())) {
    return invalid("the password grant and deletions: legacy_api need username and a password= line in the credentials");
  }
  if (o.task_module != "Tasks" && o.task_module != "Calls") return invalid("task_module must be Tasks or Calls");
  if (!o.orders_from_invoices && !o.orders_from_opportunities) {
    return invalid("order_sources must name invoices, opportunities or both");
  }
  if (o.concurrency < 1 || o.concurrency > 16) return invalid("concurrency must be between 1 and 16");
  if (o.page_size < 1 || o.page_size > 1000) return invalid("page_size must be between 1 and 1000");
  if (o.reconcile_every < 1) return invalid("reconcile_every must be at least 1");
  if (http == nullptr) return invalid("no HTTP transport");
  return std::unique_ptr<CrmAdapter>(new SuiteCrmAdapter(std::move(o), std::move(http)));
}

}  // namespace pulse
