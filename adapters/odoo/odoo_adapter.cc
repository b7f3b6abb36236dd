#include "adapters/odoo/odoo_adapter.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "adapters/odoo/odoo_rpc.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/stable_hash.h"

namespace pulse {
namespace {

using odoo_internal::Call;
using odoo_internal::Json;
using odoo_internal::OdooRpc;

constexpr char kOdooTime[] = "%Y-%m-%d %H:%M:%S";
constexpr char kOdooDate[] = "%Y-%m-%d";

// ----- Odoo values ----------------------------------------------------------

std::optional<absl::Time> ParseOdooTime(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (const size_t dot = s.find('.'); dot != std::string::npos) s.resize(dot);  // microseconds
  absl::Time t;
  std::string err;
  if (absl::ParseTime(kOdooTime, s, absl::UTCTimeZone(), &t, &err)) return t;
  if (absl::ParseTime(kOdooDate, s, absl::UTCTimeZone(), &t, &err)) return t;
  return std::nullopt;
}

std::string FormatOdooTime(absl::Time t) { return absl::FormatTime(kOdooTime, t, absl::UTCTimeZone()); }

// A many2one: [id, "name"] or false.
std::optional<int64_t> M2oId(const Json& v) {
  if (v.is_array() && !v.empty() && v[0].is_number_integer()) return v[0].get<int64_t>();
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}
std::string M2oName(const Json& v) {
  if (v.is_array() && v.size() > 1 && v[1].is_string()) return v[1].get<std::string>();
  return "";
}
std::string Str(const Json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_string()) return "";  // Odoo sends false for empty
  return it->get<std::string>();
}
const Json& Field(const Json& record, const char* field) {
  static const Json kFalse = false;
  auto it = record.find(field);
  return it == record.end() ? kFalse : *it;
}
bool Bool(const Json& record, const char* field, bool absent) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_boolean()) return absent;
  return it->get<bool>();
}
std::optional<double> Number(const Json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string EscapeHtml(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n': out += "<br/>"; break;
      default: out += c;
    }
  }
  return out;
}

Json Term(const char* field, const char* op, Json value) { return Json::array({field, op, std::move(value)}); }

// ----- Watermarks -------------------------------------------------------------
// Per source (model): the newest write_date read, the ids that count (as
// ranges "1-40,42"; only kept when reconciling) and when they were last
// reconciled. Encoded as JSON: {"sale.order":{"since":..,"ids":..,"reconciled":..}}.

struct SourceMark {
  std::string since;
  std::vector<int64_t> ids;  // sorted, unique
  int64_t reconciled = 0;    // unix seconds
  // The records already returned whose write_date is within the overlap of
  // `since`: the next read sees them again and skips those unchanged.
  std::map<int64_t, std::string> recent;
};

// Beyond this many, `recent` is dropped: the overlap is then re-read whole,
// which is correct, only slower (a bulk import shares one write_date).
constexpr size_t kMaxRecent = 20000;
using Marks = std::map<std::string, SourceMark>;

std::string EncodeIds(const std::vector<int64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, ids[i]);
    if (j > i) absl::StrAppend(&out, "-", ids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int64_t> DecodeIds(absl::string_view s) {
  std::vector<int64_t> ids;
  for (absl::string_view part : absl::StrSplit(s, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> r = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int64_t a = 0, b = 0;
    if (!absl::SimpleAtoi(r.first, &a)) continue;
    if (r.second.empty() || !absl::SimpleAtoi(r.second, &b)) b = a;
    for (int64_t i = a; i <= b; ++i) ids.push_back(i);
  }
  return ids;
}

std::string EncodeMarks(const Marks& marks) {
  Json j = Json::object();
  for (const auto& [model, m] : marks) {
    Json recent = Json::object();
    for (const auto& [id, write_date] : m.recent) recent[absl::StrCat(id)] = write_date;
    j[model] = {{"since", m.since}, {"ids", EncodeIds(m.ids)}, {"reconciled", m.reconciled}, {"recent", recent}};
  }
  return j.dump();
}

// An unreadable watermark means "from scratch": a full read repairs it.
Marks DecodeMarks(const std::string& s) {
  Marks marks;
  if (s.empty()) return marks;
  const Json j = Json::parse(s, nullptr, false);
  if (!j.is_object()) return marks;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const Json& v = it.value();
    if (!v.is_object()) continue;
    SourceMark m;
    m.since = Str(v, "since");
    m.ids = DecodeIds(Str(v, "ids"));
    if (auto r = v.find("reconciled"); r != v.end() && r->is_number_integer()) m.reconciled = r->get<int64_t>();
    if (auto r = v.find("recent"); r != v.end() && r->is_object()) {
      for (auto e = r->begin(); e != r->end(); ++e) {
        int64_t id = 0;
        if (absl::SimpleAtoi(e.key(), &id) && e.value().is_string()) m.recent[id] = e.value().get<std::string>();
      }
    }
    marks[it.key()] = std::move(m);
  }
  return marks;
}

// ----- The adapter --------------------------------------------------------------

struct Source {
  std::string model;
  Json domain = Json::array();            // the records this source reads
  Json reconcile_domain = Json::array();  // the records that count (reconciliation)
  std::vector<std::string> fields;
};

// What one source gave in one read.
struct SourceRead {
  std::vector<Json> records;  // unique by id, ordered by id
  bool first = false;         // no earlier watermark: everything was read
  bool broken = false;        // a page was unusable: keep the watermark
  std::string newest;         // the newest write_date seen
  std::map<int64_t, std::string> seen;  // id -> write_date of every record read, skipped ones too
};

std::string SourceName(const std::string& model) { return absl::StrCat("odoo ", model); }
std::string RecordId(const std::string& model, int64_t id) { return absl::StrCat(model, ":", id); }

class OdooAdapter final : public CrmAdapter {
 public:
  explicit OdooAdapter(const OdooOptions& options)
      : options_(options), rpc_(options, http::MakeHttpClient(options.http)) {
    if (!options_.now) options_.now = [] { return absl::Now(); };
  }

  std::string Name() const override { return "odoo"; }
  std::string TaskDestination() const override { return absl::StrCat("Odoo at ", options_.url); }

  Capabilities GetCapabilities() const override {
    Capabilities c;
    c.users = c.accounts = c.contacts = c.orders = true;
    c.order_lines = options_.sale_orders;
    c.activities = options_.messages || options_.calendar_events;
    c.engagement = c.feedback = false;
    c.write_tasks = c.change_owner = true;
    c.deletions = options_.reconcile_every > absl::ZeroDuration();
    absl::MutexLock lock(&mu_);
    c.cases = const_cast<OdooAdapter*>(this)->HasModel("helpdesk.ticket");
    return c;
  }

  absl::Status Ping() override {
    absl::MutexLock lock(&mu_);
    return rpc_.Connect();
  }

  absl::StatusOr<ChangeBatch<User>> ReadUsers(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Account>> ReadAccounts(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Contact>> ReadContacts(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Order>> ReadOrders(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Case>> ReadCases(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Activity>> ReadActivities(const ReadParams& params) override;
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
  // Reads one source since its mark, page by page.
  absl::StatusOr<SourceRead> ReadSource(const Source& source, const SourceMark* mark, const ReadParams& params,
                                        int64_t* progress, std::vector<RejectedRecord>* rejected)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The next mark of a source after its records were mapped; reconciles when
  // due and appends the ids gone since to `gone`.
  absl::StatusOr<SourceMark> NextMark(const Source& source, const SourceMark* mark, const SourceRead& read,
                                      const std::vector<int64_t>& counted, const std::vector<int64_t>& dropped,
                                      std::vector<int64_t>* gone) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<int64_t>> SearchIds(const std::string& model, const Json& domain)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Json> SearchRead(const std::string& model, Json domain, std::vector<std::string> fields,
                                  bool with_archived) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // partner id -> its commercial partner (the company, or itself).
  absl::Status ResolveCommercial(const std::set<int64_t>& partners, absl::flat_hash_map<int64_t, int64_t>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // partner id -> user id, for every internal user.
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> UserPartners() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasModel(const std::string& model) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> ExternalIdTarget(const std::string& module, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The existing activity (or its done message) carrying the key; 0 when none.
  absl::StatusOr<std::string> FindTask(const std::string& key, int64_t partner_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RememberTask(const std::string& key, int64_t activity_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Reads single-model entities: users, accounts, contacts.
  template <typename T, typename MapFn>
  absl::StatusOr<ChangeBatch<T>> ReadSimple(const Source& source, const ReadParams& params, MapFn map)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  OdooOptions options_;
  mutable absl::Mutex mu_;
  OdooRpc rpc_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> has_model_ ABSL_GUARDED_BY(mu_);
  int64_t call_type_id_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t partner_model_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool external_ids_refused_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<Json> OdooAdapter::SearchRead(const std::string& model, Json domain, std::vector<std::string> fields,
                                             bool with_archived) {
  Call call;
  call.model = model;
  call.method = "search_read";
  call.args = {{"domain", std::move(domain)}};
  call.kwargs = {{"fields", std::move(fields)}, {"order", "id asc"}};
  if (with_archived) call.context = {{"active_test", false}};
  absl::StatusOr<Json> result = rpc_.Execute(call);
  if (!result.ok()) return result.status();
  if (!result->is_array()) {
    return absl::DataLossError(absl::StrCat("odoo: ", model, ".search_read: the answer is not a list of records"));
  }
  return result;
}

absl::StatusOr<SourceRead> OdooAdapter::ReadSource(const Source& source, const SourceMark* mark,
                                                   const ReadParams& params, int64_t* progress,
                                                   std::vector<RejectedRecord>* rejected) {
  SourceRead read;
  Json domain = source.domain;
  read.first = mark == nullptr || mark->since.empty();
  if (!read.first) {
    absl::Time since;
    std::string err;
    if (absl::ParseTime(kOdooTime, mark->since, absl::UTCTimeZone(), &since, &err)) {
      domain.push_back(Term("write_date", ">=", FormatOdooTime(since - options_.overlap)));
    } else {
      read.first = true;  // an unreadable mark: read everything
    }
  }
  std::vector<std::string> fields = source.fields;
  fields.push_back("write_date");
  absl::flat_hash_set<int64_t> seen;
  const int limit = options_.page_size;
  for (int64_t offset = 0;; offset += limit) {
    Call call;
    call.model = source.model;
    call.method = "search_read";
    call.args = {{"domain", domain}};
    call.kwargs = {{"fields", fields}, {"offset", offset}, {"limit", limit}, {"order", "id asc"}};
    call.context = {{"active_test", false}};
    absl::StatusOr<Json> page = rpc_.Execute(call);
    std::string broken;
    if (!page.ok()) {
      if (page.status().code() != absl::StatusCode::kDataLoss) return page.status();
      broken = std::string(page.status().message());
    } else if (!page->is_array()) {
      broken = "the answer is not a list of records";
    }
    if (!broken.empty()) {
      rejected->push_back(RejectedRecord{SourceName(source.model), 0,
                                         absl::StrCat("page at offset ", offset, " (limit ", limit, "): ", broken,
                                                      "; the rest is read again next time")});
      read.broken = true;
      break;
    }
    for (Json& record : *page) {
      const Json& id = Field(record, "id");
      if (!record.is_object() || !id.is_number_integer()) {
        rejected->push_back(RejectedRecord{SourceName(source.model), 0,
                                           absl::StrCat("page at offset ", offset, ": a record without an id")});
        continue;
      }
      if (!seen.insert(id.get<int64_t>()).second) continue;  // shifted into this page by a change
      const std::string write_date = Str(record, "write_date");
      if (write_date > read.newest) read.newest = write_date;
      read.seen[id.get<int64_t>()] = write_date;
      if (!read.first && mark != nullptr) {
        auto r = mark->recent.find(id.get<int64_t>());
        // Returned last time and unchanged. write_date has whole seconds, so
        // a record of the newest second seen may have changed again within
        // it: those are always returned again.
        if (r != mark->recent.end() && r->second == write_date && write_date < mark->since) continue;
      }
      read.records.push_back(std::move(record));
    }
    *progress += static_cast<int64_t>(page->size());
    if (params.on_progress) params.on_progress(*progress);
    if (static_cast<int>(page->size()) < limit) break;
  }
  std::sort(read.records.begin(), read.records.end(),
            [](const Json& a, const Json& b) { return a["id"].get<int64_t>() < b["id"].get<int64_t>(); });
  return read;
}

absl::StatusOr<std::vector<int64_t>> OdooAdapter::SearchIds(const std::string& model, const Json& domain) {
  std::vector<int64_t> ids;
  const int limit = std::max(options_.page_size, 1000);
  for (int64_t offset = 0;; offset += limit) {
    Call call;
    call.model = model;
    call.method = "search";
    call.args = {{"domain", domain}};
    call.kwargs = {{"offset", offset}, {"limit", limit}, {"order", "id asc"}};
    call.context = {{"active_test", false}};
    absl::StatusOr<Json> page = rpc_.Execute(call);
    if (!page.ok()) return page.status();
    if (!page->is_array()) {
      return absl::DataLossError(absl::StrCat("odoo: ", model, ".search: the answer is not a list of ids"));
    }
    for (const Json& id : *page) {
      if (id.is_number_integer()) ids.push_back(id.get<int64_t>());
    }
    if (static_cast<int>(page->size()) < limit) break;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

absl::StatusOr<SourceMark> OdooAdapter::NextMark(const Source& source, const SourceMark* mark, const SourceRead& read,
                                                 const std::vector<int64_t>& counted,
                                                 const std::vector<int64_t>& dropped, std::vector<int64_t>* gone) {
  SourceMark next;
  if (mark != nullptr && !read.first) next = *mark;
  if (read.broken) return next;  // nothing moves past a page that was not read
  if (read.newest > next.since) next.since = read.newest;
  absl::Time since;
  std::string err;
  if (absl::ParseTime(kOdooTime, next.since, absl::UTCTimeZone(), &since, &err)) {
    const std::string window = FormatOdooTime(since - options_.overlap);
    std::map<int64_t, std::string> recent;
    const std::map<int64_t, std::string>* sources[] = {&next.recent, &read.seen};
    for (const std::map<int64_t, std::string>* from : sources) {
      for (const auto& [id, write_date] : *from) {
        if (write_date >= window) recent[id] = write_date;
      }
    }
    next.recent = recent.size() <= kMaxRecent ? std::move(recent) : std::map<int64_t, std::string>();
  }
  if (options_.reconcile_every <= absl::ZeroDuration()) {
    next.ids.clear();
    return next;
  }
  const int64_t now = absl::ToUnixSeconds(options_.now());
  std::set<int64_t> ids(next.ids.begin(), next.ids.end());
  for (int64_t id : counted) ids.insert(id);
  for (int64_t id : dropped) ids.erase(id);
  if (read.first) {
    next.reconciled = now;  // a full read: the store drops the rest
  } else if (now - next.reconciled >= absl::ToInt64Seconds(options_.reconcile_every)) {
    absl::StatusOr<std::vector<int64_t>> current = SearchIds(source.model, source.reconcile_domain);
    if (!current.ok()) return current.status();
    const std::set<int64_t> still(current->begin(), current->end());
    for (int64_t id : ids) {
      if (!still.count(id)) gone->push_back(id);
    }
    ids = still;
    next.reconciled = now;
  }
  next.ids.assign(ids.begin(), ids.end());
  return next;
}

template <typename T, typename MapFn>
absl::StatusOr<ChangeBatch<T>> OdooAdapter::ReadSimple(const Source& source, const ReadParams& params, MapFn map) {
  ChangeBatch<T> batch;
  Marks marks = DecodeMarks(params.since_watermark);
  const SourceMark* mark = marks.count(source.model) ? &marks[source.model] : nullptr;
  int64_t progress = 0;
  absl::StatusOr<SourceRead> read = ReadSource(source, mark, params, &progress, &batch.rejected);
  if (!read.ok()) return read.status();
  std::vector<int64_t> counted;
  for (const Json& record : read->records) {
    T out;
    const int64_t id = record["id"].get<int64_t>();
    out.id = absl::StrCat(id);
    std::string why = map(record, &out);
    if (!why.empty()) {
      batch.rejected.push_back(RejectedRecord{SourceName(source.model), 0, absl::StrCat("id ", id, ": ", why)});
      continue;
    }
    counted.push_back(id);
    batch.upserts.push_back(std::move(out));
  }
  std::vector<int64_t> gone;
  absl::StatusOr<SourceMark> next = NextMark(source, mark, *read, counted, {}, &gone);
  if (!next.ok()) return next.status();
  for (int64_t id : gone) batch.deleted_ids.push_back(absl::StrCat(id));
  batch.full_snapshot = read->first && !read->broken;
  marks[source.model] = std::move(*next);
  batch.watermark = EncodeMarks(marks);
  return batch;
}

absl::StatusOr<ChangeBatch<User>> OdooAdapter::ReadUsers(const ReadParams& params) {
  absl::MutexLock lock(&mu_);
  Source s;
  s.model = "res.users";
  s.domain = Json::array({Term("share", "=", false)});
  s.reconcile_domain = s.domain;
  s.fields = {"name", "login", "email", "active"};
  return ReadSimple<User>(s, params, [](const Json& r, User* u) -> std::string {
    u->name = Str(r, "name");
    u->email = Str(r, "email");
    if (u->email.empty() && absl::StrContains(Str(r, "login"), "@")) u->email = Str(r, "login");
    u->active = Bool(r, "active", true);
    return "";
  });
}

absl::StatusOr<ChangeBatch<Account>> OdooAdapter::ReadAccounts(const ReadParams& params) {
  absl::MutexLock lock(&mu_);
  Source s;
  s.model = "res.partner";
  s.domain = Json::array({Term("is_company", "=", true)});
  s.reconcile_domain = s.domain;
  s.fields = {"name", "user_id", "industry_id", "country_id", "create_date", "active"};
  return ReadSimple<Account>(s, params, [](const Json& r, Account* a) -> std::string {
    a->name = Str(r, "name");
    if (std::optional<int64_t> owner = M2oId(Field(r, "user_id"))) a->owner_id = absl::StrCat(*owner);
    a->industry = M2oName(Field(r, "industry_id"));
    a->country = M2oName(Field(r, "country_id"));
    a->created_at = ParseOdooTime(Field(r, "create_date"));
    // An archived company is not to be called, but its history still counts.
    a->do_not_contact = !Bool(r, "active", true);
    return "";
  });
}

absl::StatusOr<ChangeBatch<Contact>> OdooAdapter::ReadContacts(const ReadParams& params) {
  absl::MutexLock lock(&mu_);
  Source s;
  s.model = "res.partner";
  s.domain = Json::array({Term("is_company", "=", false), Term("parent_id", "!=", false)});
  s.reconcile_domain = s.domain;
  s.fields = {"name", "email", "function", "parent_id", "active"};
  return ReadSimple<Contact>(s, params, [](const Json& r, Contact* c) -> std::string {
    std::optional<int64_t> parent = M2oId(Field(r, "parent_id"));
    if (!parent) return "no parent_id";
    c->account_id = absl::StrCat(*parent);
    c->name = Str(r, "name");
    c->email = Str(r, "email");
    c->role = Str(r, "function");
    c->active = Bool(r, "active", true);
    c->updated_at = ParseOdooTime(Field(r, "write_date"));
    return "";
  });
}

absl::Status OdooAdapter::ResolveCommercial(const std::set<int64_t>& partners,
                                            absl::flat_hash_map<int64_t, int64_t>* out) {
  std::vector<int64_t> missing;
  for (int64_t p : partners) {
    if (!out->contains(p)) missing.push_back(p);
  }
  for (size_t i = 0; i < missing.size(); i += 1000) {
    std::vector<int64_t> chunk(missing.begin() + i, missing.begin() + std::min(missing.size(), i + 1000));
    absl::StatusOr<Json> rows =
        SearchRead("res.partner", Json::array({Term("id", "in", chunk)}), {"commercial_partner_id"}, true);
    if (!rows.ok()) return rows.status();
    for (const Json& r : *rows) {
      const Json& id = Field(r, "id");
      if (!id.is_number_integer()) continue;
      (*out)[id.get<int64_t>()] = M2oId(Field(r, "commercial_partner_id")).value_or(id.get<int64_t>());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ChangeBatch<Order>> OdooAdapter::ReadOrders(const ReadParams& params) {
  absl::MutexLock lock(&mu_);
  ChangeBatch<Order> batch;
  Marks marks = DecodeMarks(params.since_watermark);
  int64_t progress = 0;
  bool all_first = true;
  struct Kind {
    Source source;
    bool is_sale;
  };
  std::vector<Kind> kinds;
  if (options_.sale_orders) {
    Kind k{Source(), true};
    k.source.model = "sale.order";
    k.source.reconcile_domain = Json::array({Term("state", "in", Json::array({"sale", "done"}))});
    k.source.fields = {"name", "partner_id", "date_order", "amount_total", "currency_id", "state"};
    kinds.push_back(std::move(k));
  }
  if (options_.invoices) {
    Kind k{Source(), false};
    k.source.model = "account.move";
    const Json types = Json::array({"out_invoice", "out_refund"});
    k.source.domain = Json::array({Term("move_type", "in", types)});
    k.source.reconcile_domain = Json::array({Term("move_type", "in", types), Term("state", "=", "posted")});
    k.source.fields = {"name",         "commercial_partner_id", "partner_id", "invoice_date", "move_type",
                       "amount_total", "currency_id",           "state"};
    kinds.push_back(std::move(k));
  }
  for (const Kind& kind : kinds) {
    const Source& source = kind.source;
    const SourceMark* mark = marks.count(source.model) ? &marks[source.model] : nullptr;
    absl::StatusOr<SourceRead> read = ReadSource(source, mark, params, &progress, &batch.rejected);
    if (!read.ok()) return read.status();
    all_first = all_first && read->first && !read->broken;
    // Orders name the partner they were sold to; the account is its company.
    std::set<int64_t> partners;
    for (const Json& r : read->records) {
      if (auto p = M2oId(Field(r, "partner_id"))) partners.insert(*p);
    }
    absl::flat_hash_map<int64_t, int64_t> commercial;
    if (kind.is_sale) {
      if (absl::Status s = ResolveCommercial(partners, &commercial); !s.ok()) return s;
    }
    std::vector<int64_t> counted, dropped;
    absl::flat_hash_map<int64_t, size_t> sale_index;
    for (const Json& r : read->records) {
      const int64_t id = r["id"].get<int64_t>();
      const std::string state = Str(r, "state");
      const bool confirmed = kind.is_sale ? (state == "sale" || state == "done") : state == "posted";
      if (!confirmed) {
        // A quotation, a draft or a cancelled one: not (or no longer) an order.
        dropped.push_back(id);
        if (!read->first) batch.deleted_ids.push_back(RecordId(source.model, id));
        continue;
      }
      Order o;
      o.id = RecordId(source.model, id);
      std::optional<int64_t> partner =
          kind.is_sale ? M2oId(Field(r, "partner_id")) : M2oId(Field(r, "commercial_partner_id"));
      if (!partner && !kind.is_sale) partner = M2oId(Field(r, "partner_id"));
      std::string why;
      if (!partner) why = "no partner_id";
      std::optional<absl::Time> when = ParseOdooTime(Field(r, kind.is_sale ? "date_order" : "invoice_date"));
      if (!when && why.empty()) why = kind.is_sale ? "no valid date_order" : "no valid invoice_date";
      std::optional<double> amount = Number(r, "amount_total");
      if (!amount && why.empty()) why = "no amount_total";
      if (!why.empty()) {
        batch.rejected.push_back(RejectedRecord{SourceName(source.model), 0, absl::StrCat("id ", id, ": ", why)});
        continue;
      }
      auto c = commercial.find(*partner);
      o.account_id = absl::StrCat(c == commercial.end() ? *partner : c->second);
      o.ordered_at = *when;
      o.amount = Str(r, "move_type") == "out_refund" ? -*amount : *amount;
      o.currency = M2oName(Field(r, "currency_id"));
      counted.push_back(id);
      if (kind.is_sale) sale_index[id] = batch.upserts.size();
      batch.upserts.push_back(std::move(o));
    }
    if (kind.is_sale && !sale_index.empty()) {
      std::vector<int64_t> ids;
      for (const auto& [id, pos] : sale_index) ids.push_back(id);
      std::sort(ids.begin(), ids.end());
      for (size_t i = 0; i < ids.size(); i += 1000) {
        std::vector<int64_t> chunk(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 1000));
        absl::StatusOr<Json> lines = SearchRead(
            "sale.order.line", Json::array({Term("order_id", "in", chunk)}),
            {"order_id", "product_id", "name", "product_uom_qty", "price_subtotal", "display_type"}, false);
        if (!lines.ok()) return lines.status();
        for (const Json& l : *lines) {
          if (Field(l, "display_type").is_string()) continue;  // a section or a note
          auto order = M2oId(Field(l, "order_id"));
          if (!order || !sale_index.contains(*order)) continue;
          OrderLine line;
          if (auto product = M2oId(Field(l, "product_id"))) line.sku = absl::StrCat(*product);
          line.product = M2oName(Field(l, "product_id"));
          if (line.product.empty()) line.product = Str(l, "name");
          line.quantity = Number(l, "product_uom_qty").value_or(0);
          line.amount = Number(l, "price_subtotal").value_or(0);
          batch.upserts[sale_index[*order]].lines.push_back(std::move(line));
        }
      }
    }
    std::vector<int64_t> gone;
    absl::StatusOr<SourceMark> next = NextMark(source, mark, *read, counted, dropped, &gone);
    if (!next.ok()) return next.status();
    for (int64_t id : gone) batch.deleted_ids.push_back(RecordId(source.model, id));
    marks[source.model] = std::move(*next);
  }
  batch.full_snapshot = all_first;
  if (batch.full_snapshot) batch.deleted_ids.clear();
  batch.watermark = EncodeMarks(marks);
  return batch;
}

bool OdooAdapter::HasModel(const std::string& model) {
  if (auto it = has_model_.find(model); it != has_model_.end()) return it->second;
  absl::StatusOr<Json> rows = SearchRead("ir.model", Json::array({Term("model", "=", model)}), {"model"}, false);
  if (!rows.ok()) {
    LogWarning("odoo", "cannot tell whether ", model, " is installed: ", rows.status().message());
    return false;  // asked again next time
  }
  has_model_[model] = !rows->empty();
  return has_model_[model];
}

absl::StatusOr<ChangeBatch<Case>> OdooAdapter::ReadCases(const ReadParams& params) {
  absl::MutexLock lock(&mu_);
  if (!HasModel("helpdesk.ticket")) {
    ChangeBatch<Case> empty;
    empty.watermark = params.since_watermark;
    return empty;
  }
  // Odoo's helpdesk (close_date, ticket_type_id) and OCA's helpdesk_mgmt
  // (closed_date, category_id) name their fields differently.
  Call call;
  call.model = "helpdesk.ticket";
  call.method = "fields_get";
  call.kwargs = {{"attributes", Json::array({"type"})}};
  absl::StatusOr<Json> fields = rpc_.Execute(call);
  if (!fields.ok()) return fields.status();
  auto has = [&](const char* f) { return fields->is_object() && fields->contains(f); };
  const std::string closed = has("close_date") ? "close_date" : has("closed_date") ? "closed_date" : "";
  const std::string category = has("ticket_type_id") ? "ticket_type_id" : has("category_id") ? "category_id" : "";
  Source s;
  s.model = "helpdesk.ticket";
  s.fields = {"name", "partner_id", "create_date", "stage_id", "priority"};
  if (!closed.empty()) s.fields.push_back(closed);
  if (!category.empty()) s.fields.push_back(category);
  ChangeBatch<Case> batch;
  Marks marks = DecodeMarks(params.since_watermark);
  const SourceMark* mark = marks.count(s.model) ? &marks[s.model] : nullptr;
  int64_t progress = 0;
  absl::StatusOr<SourceRead> read = ReadSource(s, mark, params, &progress, &batch.rejected);
  if (!read.ok()) return read.status();
  std::set<int64_t> partners;
  for (const Json& r : read->records) {
    if (auto p = M2oId(Field(r, "partner_id"))) partners.insert(*p);
  }
  absl::flat_hash_map<int64_t, int64_t> commercial;
  if (absl::Status st = ResolveCommercial(partners, &commercial); !st.ok()) return st;
  std::vector<int64_t> counted;
  for (const Json& r : read->records) {
    const int64_t id = r["id"].get<int64_t>();
    auto partner = M2oId(Field(r, "partner_id"));
    std::optional<absl::Time> opened = ParseOdooTime(Field(r, "create_date"));
    if (!partner || !opened) {
      batch.rejected.push_back(RejectedRecord{SourceName(s.model), 0,
                                              absl::StrCat("id ", id, ": ", !partner ? "no partner_id" : "no create_date")});
      continue;
    }
    Case c;
    c.id = absl::StrCat(id);
    auto com = commercial.find(*partner);
    c.account_id = absl::StrCat(com == commercial.end() ? *partner : com->second);
    c.opened_at = *opened;
    if (!closed.empty()) c.closed_at = ParseOdooTime(Field(r, closed.c_str()));
    c.status = absl::AsciiStrToLower(M2oName(Field(r, "stage_id")));
    if (!category.empty()) c.category = M2oName(Field(r, category.c_str()));
    c.priority = Str(r, "priority");
    c.subject = Str(r, "name");
    counted.push_back(id);
    batch.upserts.push_back(std::move(c));
  }
  std::vector<int64_t> gone;
  absl::StatusOr<SourceMark> next = NextMark(s, mark, *read, counted, {}, &gone);
  if (!next.ok()) return next.status();
  for (int64_t id : gone) batch.deleted_ids.push_back(absl::StrCat(id));
  batch.full_snapshot = read->first && !read->broken;
  marks[s.model] = std::move(*next);
  batch.watermark = EncodeMarks(marks);
  return batch;
}

absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> OdooAdapter::UserPartners() {
  absl::StatusOr<Json> users = SearchRead("res.users", Json::array({Term("share", "=", false)}), {"partner_id"}, true);
  if (!users.ok()) return users.status();
  absl::flat_hash_map<int64_t, int64_t> out;
  for (const Json& u : *users) {
    if (auto p = M2oId(Field(u, "partner_id")); p && Field(u, "id").is_number_integer()) {
      out[*p] = u["id"].get<int64_t>();
    }
  }
  return out;
}

absl::StatusOr<int64_t> OdooAdapter::ExternalIdTarget(const std::string& module, const std::string& name) {
  absl::StatusOr<Json> rows = SearchRead(
      "ir.model.data", Json::array({Term("module", "=", module), Term("name", "=", name)}), {"res_id"}, false);
  if (rows.status().code() == absl::StatusCode::kPermissionDenied && module == "mail") {
    // A user who may not read external ids: the standard activity types by
    // their English names.
    const char* english = name == "mail_activity_data_call"      ? "Call"
                          : name == "mail_activity_data_meeting" ? "Meeting"
                                                                 : "Email";
    Call call;
    call.model = "mail.activity.type";
    call.method = "search_read";
    call.args = {{"domain", Json::array({Term("name", "=", english)})}};
    call.kwargs = {{"fields", Json::array({"id"})}, {"limit", 1}, {"order", "id asc"}};
    call.context = {{"lang", "en_US"}};
    rows = rpc_.Execute(call);
    if (!rows.ok()) return rows.status();
    return rows->is_array() && !rows->empty() ? (*rows)[0]["id"].get<int64_t>() : 0;
  }
  if (rows.status().code() == absl::StatusCode::kPermissionDenied && module == "pulse") {
    external_ids_refused_ = true;  // the key in the note finds the task
    return 0;
  }
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return 0;
  const Json& res_id = Field((*rows)[0], "res_id");
  return res_id.is_number_integer() ? res_id.get<int64_t>() : 0;
}

absl::StatusOr<ChangeBatch<Activity>> OdooAdapter::ReadActivities(const ReadParams& params) {
  absl::MutexLock lock(&mu_);
  ChangeBatch<Activity> batch;
  Marks marks = DecodeMarks(params.since_watermark);
  int64_t progress = 0;
  bool all_first = true;
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> user_partners = UserPartners();
  if (!user_partners.ok()) return user_partners.status();

  if (options_.messages) {
    // Done activities keep their type on the message they leave behind.
    absl::flat_hash_map<int64_t, ActivityType> done_types;
    for (const auto& [name, type] : {std::pair<const char*, ActivityType>{"mail_activity_data_call", ActivityType::kCall},
                                     {"mail_activity_data_meeting", ActivityType::kMeeting},
                                     {"mail_activity_data_email", ActivityType::kEmail}}) {
      absl::StatusOr<int64_t> id = ExternalIdTarget("mail", name);
      if (!id.ok()) return id.status();
      if (*id > 0) done_types[*id] = type;
    }
    Source s;
    s.model = "mail.message";
    s.domain = Json::array(
        {Term("model", "=", "res.partner"), Term("message_type", "in", Json::array({"comment", "email"}))});
    s.reconcile_domain = s.domain;
    s.fields = {"res_id", "message_type", "subtype_id", "mail_activity_type_id", "date", "author_id", "subject"};
    const SourceMark* mark = marks.count(s.model) ? &marks[s.model] : nullptr;
    absl::StatusOr<SourceRead> read = ReadSource(s, mark, params, &progress, &batch.rejected);
    if (!read.ok()) return read.status();
    all_first = all_first && read->first && !read->broken;
    std::set<int64_t> partners;
    for (const Json& r : read->records) {
      if (Field(r, "res_id").is_number_integer()) partners.insert(r["res_id"].get<int64_t>());
    }
    absl::flat_hash_map<int64_t, int64_t> commercial;
    if (absl::Status st = ResolveCommercial(partners, &commercial); !st.ok()) return st;
    std::vector<int64_t> counted;
    for (const Json& r : read->records) {
      const int64_t id = r["id"].get<int64_t>();
      std::optional<absl::Time> when = ParseOdooTime(Field(r, "date"));
      const Json& res_id = Field(r, "res_id");
      if (!when || !res_id.is_number_integer()) {
        batch.rejected.push_back(RejectedRecord{SourceName(s.model), 0,
                                                absl::StrCat("id ", id, ": ", !when ? "no valid date" : "no res_id")});
        continue;
      }
      Activity a;
      a.id = RecordId(s.model, id);
      auto com = commercial.find(res_id.get<int64_t>());
      a.account_id = absl::StrCat(com == commercial.end() ? res_id.get<int64_t>() : com->second);
      a.occurred_at = *when;
      a.subject = Str(r, "subject");
      std::optional<int64_t> author = M2oId(Field(r, "author_id"));
      const bool by_user = author && user_partners->contains(*author);
      if (by_user) a.user_id = absl::StrCat(user_partners->at(*author));
      const std::optional<int64_t> done_type = M2oId(Field(r, "mail_activity_type_id"));
      const std::string subtype = absl::AsciiStrToLower(M2oName(Field(r, "subtype_id")));
      if (done_type) {
        auto t = done_types.find(*done_type);
        a.type = t == done_types.end() ? ActivityType::kNote : t->second;
        a.direction = a.type == ActivityType::kEmail ? Direction::kOutbound : Direction::kUnknown;
        if (a.subject.empty()) a.subject = M2oName(Field(r, "mail_activity_type_id"));
      } else if (Str(r, "message_type") == "email") {
        a.type = ActivityType::kEmail;
        a.direction = by_user ? Direction::kOutbound : Direction::kInbound;
      } else if (subtype == "note" || subtype.empty()) {
        a.type = ActivityType::kNote;
      } else {
        // A message sent from the chatter ("Discussions") goes to the followers by email.
        a.type = ActivityType::kEmail;
        a.direction = by_user ? Direction::kOutbound : Direction::kInbound;
      }
      counted.push_back(id);
      batch.upserts.push_back(std::move(a));
    }
    std::vector<int64_t> gone;
    absl::StatusOr<SourceMark> next = NextMark(s, mark, *read, counted, {}, &gone);
    if (!next.ok()) return next.status();
    for (int64_t id : gone) batch.deleted_ids.push_back(RecordId(s.model, id));
    marks[s.model] = std::move(*next);
  }

  if (options_.calendar_events && HasModel("calendar.event")) {
    Source s;
    s.model = "calendar.event";
    s.fields = {"name", "start", "user_id", "partner_ids"};
    const SourceMark* mark = marks.count(s.model) ? &marks[s.model] : nullptr;
    absl::StatusOr<SourceRead> read = ReadSource(s, mark, params, &progress, &batch.rejected);
    if (!read.ok()) return read.status();
    all_first = all_first && read->first && !read->broken;
    std::set<int64_t> partners;
    for (const auto& [partner, user] : *user_partners) partners.insert(partner);
    for (const Json& r : read->records) {
      for (const Json& p : Field(r, "partner_ids")) {
        if (p.is_number_integer()) partners.insert(p.get<int64_t>());
      }
    }
    absl::flat_hash_map<int64_t, int64_t> commercial;
    if (absl::Status st = ResolveCommercial(partners, &commercial); !st.ok()) return st;
    // The own company: the commercial partner of the users.
    absl::flat_hash_set<int64_t> own;
    for (const auto& [partner, user] : *user_partners) {
      own.insert(partner);
      if (auto c = commercial.find(partner); c != commercial.end()) own.insert(c->second);
    }
    std::vector<int64_t> counted, dropped;
    for (const Json& r : read->records) {
      const int64_t id = r["id"].get<int64_t>();
      std::optional<int64_t> account;
      for (const Json& p : Field(r, "partner_ids")) {
        if (!p.is_number_integer() || own.contains(p.get<int64_t>())) continue;
        auto c = commercial.find(p.get<int64_t>());
        const int64_t com = c == commercial.end() ? p.get<int64_t>() : c->second;
        if (own.contains(com)) continue;
        account = com;
        break;
      }
      if (!account) {  // an internal meeting: no customer in it
        dropped.push_back(id);
        if (!read->first) batch.deleted_ids.push_back(RecordId(s.model, id));
        continue;
      }
      std::optional<absl::Time> start = ParseOdooTime(Field(r, "start"));
      if (!start) {
        batch.rejected.push_back(RejectedRecord{SourceName(s.model), 0, absl::StrCat("id ", id, ": no valid start")});
        continue;
      }
      Activity a;
      a.id = RecordId(s.model, id);
      a.account_id = absl::StrCat(*account);
      a.type = ActivityType::kMeeting;
      a.occurred_at = *start;
      a.subject = Str(r, "name");
      if (auto u = M2oId(Field(r, "user_id"))) a.user_id = absl::StrCat(*u);
      counted.push_back(id);
      batch.upserts.push_back(std::move(a));
    }
    std::vector<int64_t> gone;
    absl::StatusOr<SourceMark> next = NextMark(s, mark, *read, counted, dropped, &gone);
    if (!next.ok()) return next.status();
    for (int64_t id : gone) batch.deleted_ids.push_back(RecordId(s.model, id));
    marks[s.model] = std::move(*next);
  }
  batch.full_snapshot = all_first;
  if (batch.full_snapshot) batch.deleted_ids.clear();
  batch.watermark = EncodeMarks(marks);
  return batch;
}

// ----- Writes ------------------------------------------------------------------

// The external id's name for a task key: readable, and unique through the
// hash (the readable part drops characters ir.model.data names cannot hold).
std::string TaskExternalName(absl::string_view key) {
  const uint64_t h = Fnv1a64(key);  // stable across builds and machines
  std::string readable;
  for (char c : key) {
    if (readable.size() >= 60) break;
    readable += absl::ascii_isalnum(static_cast<unsigned char>(c)) ? absl::ascii_tolower(static_cast<unsigned char>(c)) : '_';
  }
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return absl::StrCat("task_", readable, "_", hex);
}

absl::StatusOr<std::string> OdooAdapter::FindTask(const std::string& key, int64_t partner_id) {
  if (!external_ids_refused_) {
    absl::StatusOr<int64_t> by_external_id = ExternalIdTarget("pulse", TaskExternalName(key));
    if (!by_external_id.ok()) return by_external_id.status();
    if (*by_external_id > 0) return absl::StrCat(*by_external_id);
  }
  const std::string needle = EscapeHtml(key);
  // Open (or, Odoo 18+, done and archived) activities on the partner.
  absl::StatusOr<Json> activities =
      SearchRead("mail.activity",
                 Json::array({Term("res_model", "=", "res.partner"), Term("res_id", "=", partner_id),
                              Term("note", "ilike", needle)}),
                 {"id"}, true);
  if (!activities.ok()) return activities.status();
  if (!activities->empty()) {
    const int64_t id = (*activities)[0]["id"].get<int64_t>();
    RememberTask(key, id);
    return absl::StrCat(id);
  }
  // Odoo up to 17 deletes a done activity and posts a message quoting its note.
  absl::StatusOr<Json> messages = SearchRead(
      "mail.message",
      Json::array({Term("model", "=", "res.partner"), Term("res_id", "=", partner_id), Term("body", "ilike", needle)}),
      {"id"}, false);
  if (!messages.ok()) return messages.status();
  if (!messages->empty()) return RecordId("mail.message", (*messages)[0]["id"].get<int64_t>());
  return std::string();
}

void OdooAdapter::RememberTask(const std::string& key, int64_t activity_id) {
  if (external_ids_refused_) return;
  Call call;
  call.model = "ir.model.data";
  call.method = "create";
  call.args = {{"vals_list", Json::array({{{"module", "pulse"},
                                           {"name", TaskExternalName(key)},
                                           {"model", "mail.activity"},
                                           {"res_id", activity_id},
                                           {"noupdate", true}}})}};
  call.idempotent = false;
  absl::StatusOr<Json> created = rpc_.Execute(call);
  if (created.status().code() == absl::StatusCode::kPermissionDenied) {
    // Creating external ids needs Administration / Access Rights; the key in
    // the note still finds the task, with a slower search.
    LogWarning("odoo", "cannot create external ids for tasks (", created.status().message(),
               "); tasks are found again by the key in their note");
    external_ids_refused_ = true;
  } else if (!created.ok()) {
    LogWarning("odoo", "task ", key, ": activity ", activity_id, " created, its external id not: ",
               created.status().message());
  }
}

absl::StatusOr<TaskWriteResult> OdooAdapter::WriteTask(const TaskRequest& task) {
  if (task.key.empty()) return absl::InvalidArgumentError("odoo: task has an empty key");
  int64_t partner_id = 0, assignee = 0;
  if (!absl::SimpleAtoi(task.account_id, &partner_id) || partner_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("odoo: task ", task.key, ": account '", task.account_id, "' is not an Odoo partner id"));
  }
  if (!task.assignee_id.empty() && (!absl::SimpleAtoi(task.assignee_id, &assignee) || assignee <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("odoo: task ", task.key, ": assignee '", task.assignee_id, "' is not an Odoo user id"));
  }
  absl::MutexLock lock(&mu_);
  TaskWriteResult result;
  absl::StatusOr<std::string> existing = FindTask(task.key, partner_id);
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) {
    result.crm_id = *existing;
    result.already_existed = true;
    return result;
  }
  if (call_type_id_ == 0) {
    absl::StatusOr<int64_t> id = ExternalIdTarget("mail", "mail_activity_data_call");
    if (!id.ok()) return id.status();
    if (*id == 0) {
      return absl::FailedPreconditionError(
          "odoo: the Call activity type (mail.mail_activity_data_call) is missing; restore it in Settings > "
          "Technical > Activity Types or reinstall it by updating the Discuss (mail) module");
    }
    call_type_id_ = *id;
  }
  if (partner_model_id_ == 0) {
    absl::StatusOr<Json> model = SearchRead("ir.model", Json::array({Term("model", "=", "res.partner")}), {"id"}, false);
    if (!model.ok()) return model.status();
    if (model->empty()) return absl::FailedPreconditionError("odoo: ir.model has no res.partner");
    partner_model_id_ = (*model)[0]["id"].get<int64_t>();
  }
  std::string note = absl::StrCat("<p>", EscapeHtml(task.description), "</p>");
  if (!absl::StrContains(task.description, task.key)) {
    absl::StrAppend(&note, "<p>Pulse task key: ", EscapeHtml(task.key), "</p>");
  }
  Json vals = {{"res_model_id", partner_model_id_},
               {"res_id", partner_id},
               {"activity_type_id", call_type_id_},
               {"date_deadline", absl::FormatTime(kOdooDate, task.due_at, absl::UTCTimeZone())},
               {"summary", task.subject},
               {"note", note}};
  if (assignee > 0) vals["user_id"] = assignee;
  Call call;
  call.model = "mail.activity";
  call.method = "create";
  call.args = {{"vals_list", Json::array({vals})}};
  call.idempotent = false;
  absl::StatusOr<Json> created = rpc_.Execute(call);
  if (!created.ok()) {
    const absl::StatusCode code = created.status().code();
    const bool maybe_written = (code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kUnavailable ||
                                code == absl::StatusCode::kDataLoss) &&
                               !http::WasNotSent(created.status());
    if (!maybe_written) return created.status();
    // The answer was lost: the activity may exist. Look before anyone retries.
    absl::StatusOr<std::string> again = FindTask(task.key, partner_id);
    if (again.ok() && !again->empty()) {
      result.crm_id = *again;
      return result;
    }
    return absl::DeadlineExceededError(absl::StrCat(
        created.status().message(),
        "; the activity was not found afterwards, so the next attempt looks the key up again before creating"));
  }
  // JSON-RPC answers a single create with its id, JSON-2 with a list of ids.
  const Json& id = created->is_array() && !created->empty() ? (*created)[0] : *created;
  if (!id.is_number_integer()) {
    return absl::DataLossError(absl::StrCat("odoo: mail.activity.create: the answer is not an id: ",
                                            created->dump().substr(0, 100)));
  }
  RememberTask(task.key, id.get<int64_t>());
  result.crm_id = absl::StrCat(id.get<int64_t>());
  return result;
}

absl::StatusOr<OwnerChangeResult> OdooAdapter::ChangeOwner(const OwnerChangeRequest& change) {
  if (change.key.empty()) return absl::InvalidArgumentError("odoo: owner change has an empty key");
  int64_t partner_id = 0, to = 0;
  if (!absl::SimpleAtoi(change.account_id, &partner_id) || partner_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("odoo: owner change ", change.key, ": account '", change.account_id, "' is not a partner id"));
  }
  if (!change.to_owner_id.empty() && (!absl::SimpleAtoi(change.to_owner_id, &to) || to <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("odoo: owner change ", change.key, ": owner '", change.to_owner_id, "' is not a user id"));
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Json> rows =
      SearchRead("res.partner", Json::array({Term("id", "=", partner_id)}), {"user_id"}, true);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return absl::NotFoundError(absl::StrCat("odoo: res.partner ", partner_id, " does not exist (deleted?)"));
  }
  const std::optional<int64_t> owner = M2oId(Field((*rows)[0], "user_id"));
  const std::string current = owner ? absl::StrCat(*owner) : "";
  OwnerChangeResult result;
  if (current == change.to_owner_id) {
    result.already_applied = true;
    return result;
  }
  if (current != change.from_owner_id) {
    return absl::FailedPreconditionError(absl::StrCat("odoo: res.partner ", partner_id, " has salesperson '", current,
                                                      "', not '", change.from_owner_id, "' nor '", change.to_owner_id,
                                                      "': it changed hands meanwhile"));
  }
  Call call;
  call.model = "res.partner";
  call.method = "write";
  call.ids = std::vector<int64_t>{partner_id};
  call.args = {{"vals", {{"user_id", to > 0 ? Json(to) : Json(false)}}}};
  call.idempotent = true;  // writing the same value twice is harmless
  absl::StatusOr<Json> written = rpc_.Execute(call);
  if (!written.ok()) return written.status();
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeOdooAdapter(const OdooOptions& options) {
  auto missing = [](const char* key, const char* what) {
    return absl::InvalidArgumentError(absl::StrCat("odoo: ", key, " is required: ", what));
  };
  if (options.url.empty()) return missing("url", "the Odoo server's address, e.g. https://erp.example.com");
  if (!absl::StartsWith(options.url, "http://") && !absl::StartsWith(options.url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("odoo: url '", options.url, "' must start with https:// or http://"));
  }
  if (options.api_key.empty()) return missing("the API key", "set adapter.credentials_file or credentials_env");
  if (options.api != OdooApi::kJson2) {
    if (options.database.empty()) return missing("database", "JSON-RPC logs in to a named database");
    if (options.username.empty()) return missing("username", "JSON-RPC logs in with the key's user's login");
  }
  if (options.page_size < 1) return absl::InvalidArgumentError("odoo: page_size must be at least 1");
  if (!options.sale_orders && !options.invoices) {
    return absl::InvalidArgumentError("odoo: order_sources needs sale_orders, invoices or both");
  }
  OdooOptions o = options;
  while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
  return std::unique_ptr<CrmAdapter>(new OdooAdapter(o));
}

}  // namespace pulse
