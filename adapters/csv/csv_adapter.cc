#include "adapters/csv/csv_adapter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "adapters/csv/csv_format.h"
#include "adapters/csv/file_fingerprint.h"
#include "adapters/csv/keyed_csv_log.h"
#include "sidecar/common/csv_reader.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/time_util.h"

namespace pulse {
namespace {

using csv_internal::AppendPoint;
using csv_internal::CountLineEnds;
using csv_internal::DecodeWatermark;
using csv_internal::EncodeWatermark;
using csv_internal::FileFingerprint;
using csv_internal::FileScan;
using csv_internal::KeyedCsvLog;
using csv_internal::OwnerChange;
using csv_internal::OwnerChangeLedger;
using csv_internal::ScanFile;
using csv_internal::StatFile;
using csv_internal::Watermark;

constexpr int64_t kProgressEvery = 100000;

// Counts the rows one Read* call goes through, across its files, and reports
// every kProgressEvery of them.
class ProgressCounter {
 public:
  explicit ProgressCounter(const ReadParams& params) : report_(params.on_progress) {}
  void Tick() {
    if (++rows_ % kProgressEvery == 0 && report_) report_(rows_);
  }

 private:
  const std::function<void(int64_t)>& report_;
  int64_t rows_ = 0;
};

// "line 12: unterminated quoted field" -> "unterminated quoted field": the
// line goes in RejectedRecord::line, counted in the real file.
absl::string_view WithoutLinePrefix(absl::string_view error) {
  if (absl::StartsWith(error, "line ")) {
    const size_t colon = error.find(": ");
    if (colon != absl::string_view::npos) return error.substr(colon + 2);
  }
  return error;
}

// Appends the bytes [offset, end) of the file to `out`.
absl::Status AppendRange(const std::string& path, int64_t offset, int64_t end, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  absl::Cleanup close_file = [f] { std::fclose(f); };
  if (fseeko(f, offset, SEEK_SET) != 0) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot seek: ", std::strerror(errno)));
  }
  const size_t start = out->size();
  out->resize(start + static_cast<size_t>(end - offset));
  out->resize(start + std::fread(out->data() + start, 1, static_cast<size_t>(end - offset), f));
  return absl::OkStatus();
}

// Goes through the rows of one file - all of them, or those after `from` -
// and calls use_row(row, line) for each well-formed one; use_row returns ""
// or why the row is rejected. CSV syntax errors are rejected here.
// InvalidArgument when the file lacks a required column.
absl::Status ForEachRow(const std::string& path, const std::vector<absl::string_view>& required,
                        const std::optional<AppendPoint>& from, ProgressCounter* progress,
                        std::vector<RejectedRecord>* rejected,
                        absl::FunctionRef<std::string(const CsvRow& row, int64_t line)> use_row) {
  absl::StatusOr<std::unique_ptr<CsvReader>> whole = CsvReader::Open(path);
  if (!whole.ok()) return whole.status();
  if (absl::Status s = (*whole)->RequireColumns(required); !s.ok()) return s;
  std::unique_ptr<CsvReader> reader = std::move(*whole);
  const std::string name = reader->name();
  int64_t line_offset = 0;
  if (from.has_value()) {
    if (from->end == from->offset) return absl::OkStatus();
    // The appended bytes behind a header naming the same columns in the same
    // order: a reader over them sees the rows as one over the whole file.
    std::string text = csv_internal::FormatCsvRecord(reader->header());
    bool after_cr = false;
    line_offset = from->lines_before - CountLineEnds(text, &after_cr);
    if (absl::Status s = AppendRange(path, from->offset, from->end, &text); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<CsvReader>> appended = CsvReader::FromString(name, std::move(text));
    if (!appended.ok()) return appended.status();
    reader = std::move(*appended);
  }
  CsvRow row;
  std::string error;
  while (reader->Next(&row, &error)) {
    progress->Tick();
    const int64_t line = row.line() + line_offset;
    if (!error.empty()) {
      rejected->push_back(RejectedRecord{name, line, std::string(WithoutLinePrefix(error))});
      continue;
    }
    std::string why = use_row(row, line);
    if (!why.empty()) rejected->push_back(RejectedRecord{name, line, std::move(why)});
  }
  return absl::OkStatus();
}

// The ids read so far from one file, as positions in the records vector (no
// copy of each id: first syncs of millions of rows are the common case).
template <typename T>
class IdsSeen {
 public:
  explicit IdsSeen(const std::vector<T>* records) : positions_(0, Hash{records}, Eq{records}) {}
  // The line of the record read before with `id`, or 0 when there is none.
  int64_t LineOf(absl::string_view id) const {
    auto it = positions_.find(id);
    return it == positions_.end() ? 0 : lines_[*it];
  }
  // After the record at `position` is in the vector.
  void Add(size_t position, int64_t line) {
    if (lines_.size() <= position) lines_.resize(position + 1);
    lines_[position] = line;
    positions_.insert(position);
  }

 private:
  struct Hash {
    using is_transparent = void;
    const std::vector<T>* records;
    size_t operator()(size_t i) const { return (*this)(absl::string_view((*records)[i].id)); }
    size_t operator()(absl::string_view id) const { return absl::Hash<absl::string_view>{}(id); }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<T>* records;
    absl::string_view Id(size_t i) const { return (*records)[i].id; }
    absl::string_view Id(absl::string_view id) const { return id; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Id(a) == Id(b);
    }
  };
  absl::flat_hash_set<size_t, Hash, Eq> positions_;
  std::vector<int64_t> lines_;
};

// ForEachRow for files of records with ids: parses each row with `parse`
// (returns "" or a reason) into batch->upserts, rejecting repeated ids.
template <typename T, typename Parse>
absl::Status ReadRecords(const std::string& path, const std::vector<absl::string_view>& required,
                         const std::optional<AppendPoint>& from, ProgressCounter* progress, Parse parse,
                         ChangeBatch<T>* batch) {
  IdsSeen<T> seen(&batch->upserts);
  return ForEachRow(path, required, from, progress, &batch->rejected,
                    [&](const CsvRow& row, int64_t line) -> std::string {
                      T record;
                      std::string why = parse(row, &record);
                      if (!why.empty()) return why;
                      if (const int64_t first = seen.LineOf(record.id); first > 0) {
                        return absl::StrCat("duplicate id '", record.id, "' (first on line ", first, ")");
                      }
                      batch->upserts.push_back(std::move(record));
                      seen.Add(batch->upserts.size() - 1, line);
                      return "";
                    });
}

const FileFingerprint* Find(const Watermark& w, const std::string& file) {
  auto it = w.find(file);
  if (it == w.end() || !it->second.has_value()) return nullptr;
  return &*it->second;
}

bool SameAsBefore(const Watermark& earlier, const std::string& file, const FileFingerprint& now) {
  const FileFingerprint* before = Find(earlier, file);
  return before != nullptr && *before == now;
}

// A file that moved while it was read is marked so that the next read
// re-reads it in full instead of trusting a fingerprint of other bytes.
void DistrustIfMoved(const std::string& path, const std::string& file, Watermark* w) {
  auto it = w->find(file);
  if (it == w->end() || !it->second.has_value()) return;
  const FileFingerprint after = StatFile(path);
  if (after.exists != it->second->exists || after.size != it->second->size || after.mtime_ns != it->second->mtime_ns) {
    LogInfo("csv", file, " changed while it was read; the next read takes it in full");
    it->second = std::nullopt;
  }
}

class CsvAdapter final : public CrmAdapter {
 public:
  explicit CsvAdapter(std::string dir)
      : dir_(std::move(dir)),
        tasks_(PathOf(csv_internal::kTasksFile), csv_internal::TaskColumns()),
        owner_changes_(
            PathOf(csv_internal::kOwnerChangesFile), csv_internal::OwnerChangeColumns(), [this] { ledger_.Clear(); },
            [this](const CsvRow& row) {
              OwnerChange change;
              if (csv_internal::ParseOwnerChangeRow(row, &change).empty()) ledger_.Apply(change);
            }) {}

  std::string Name() const override { return "csv"; }
  std::string TaskDestination() const override { return PathOf(csv_internal::kTasksFile); }

  Capabilities GetCapabilities() const override {
    Capabilities c;
    c.users = c.accounts = c.orders = true;
    c.order_lines = Exists(csv_internal::kOrderLinesFile);
    c.contacts = Exists(csv_internal::kContactsFile);
    c.cases = Exists(csv_internal::kCasesFile);
    c.activities = Exists(csv_internal::kActivitiesFile);
    c.engagement = Exists(csv_internal::kEngagementFile);
    c.feedback = Exists(csv_internal::kFeedbackFile);
    c.write_tasks = true;
    c.change_owner = true;
    c.deletions = true;  // every change that is not an append is a full snapshot
    return c;
  }

  absl::Status Ping() override {
    struct stat st;
    if (stat(dir_.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("CSV CRM folder '", dir_, "' is not there: ", std::strerror(errno)));
    }
    if (!S_ISDIR(st.st_mode)) return absl::NotFoundError(absl::StrCat("CSV CRM folder '", dir_, "' is not a folder"));
    if (access(dir_.c_str(), R_OK | X_OK) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("CSV CRM folder '", dir_, "' is not readable: ", std::strerror(errno)));
    }
    for (const char* file : {csv_internal::kUsersFile, csv_internal::kAccountsFile, csv_internal::kOrdersFile}) {
      if (access(PathOf(file).c_str(), R_OK) == 0) continue;
      if (errno == ENOENT) return MissingRequired(file);
      return absl::PermissionDeniedError(absl::StrCat(PathOf(file), " is not readable: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ChangeBatch<User>> ReadUsers(const ReadParams& params) override {
    return ReadOneFile<User>(csv_internal::kUsersFile, /*required=*/true, csv_internal::UserColumns(),
                             csv_internal::ParseUserRow, params);
  }
  absl::StatusOr<ChangeBatch<Contact>> ReadContacts(const ReadParams& params) override {
    return ReadOneFile<Contact>(csv_internal::kContactsFile, /*required=*/false, csv_internal::ContactColumns(),
                                csv_internal::ParseContactRow, params);
  }
  absl::StatusOr<ChangeBatch<Case>> ReadCases(const ReadParams& params) override {
    return ReadOneFile<Case>(csv_internal::kCasesFile, /*required=*/false, csv_internal::CaseColumns(),
                             csv_internal::ParseCaseRow, params);
  }
  absl::StatusOr<ChangeBatch<Activity>> ReadActivities(const ReadParams& params) override {
    return ReadOneFile<Activity>(csv_internal::kActivitiesFile, /*required=*/false, csv_internal::ActivityColumns(),
                                 csv_internal::ParseActivityRow, params);
  }
  absl::StatusOr<ChangeBatch<EngagementPeriod>> ReadEngagement(const ReadParams& params) override {
    return ReadOneFile<EngagementPeriod>(csv_internal::kEngagementFile, /*required=*/false,
                                         csv_internal::EngagementColumns(), csv_internal::ParseEngagementRow, params);
  }
  absl::StatusOr<ChangeBatch<Feedback>> ReadFeedback(const ReadParams& params) override {
    return ReadOneFile<Feedback>(csv_internal::kFeedbackFile, /*required=*/false, csv_internal::FeedbackColumns(),
                                 csv_internal::ParseFeedbackRow, params);
  }

  absl::StatusOr<ChangeBatch<Account>> ReadAccounts(const ReadParams& params) override;
  absl::StatusOr<ChangeBatch<Order>> ReadOrders(const ReadParams& params) override;
  absl::StatusOr<TaskWriteResult> WriteTask(const TaskRequest& task) override;
  absl::StatusOr<OwnerChangeResult> ChangeOwner(const OwnerChangeRequest& change) override;

 private:
  std::string PathOf(absl::string_view file) const { return absl::StrCat(dir_, "/", file); }
  bool Exists(const char* file) const { return access(PathOf(file).c_str(), F_OK) == 0; }
  absl::Status MissingRequired(absl::string_view file) const {
    return absl::NotFoundError(
        absl::StrCat(PathOf(file), " is missing: the CSV CRM needs users.csv, accounts.csv and orders.csv in ", dir_));
  }

  template <typename T, typename Parse>
  absl::StatusOr<ChangeBatch<T>> ReadOneFile(const char* file, bool required,
                                             const std::vector<absl::string_view>& columns, Parse parse,
                                             const ReadParams& params);

  // The owner of every account as accounts.csv says (before owner changes),
  // re-read when the file moves.
  absl::StatusOr<const absl::flat_hash_map<std::string, std::string>*> CrmOwners() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  absl::Mutex mu_;
  KeyedCsvLog tasks_ ABSL_GUARDED_BY(mu_);
  KeyedCsvLog owner_changes_ ABSL_GUARDED_BY(mu_);
  // The changes in owner_changes.csv, kept by owner_changes_ as it loads.
  OwnerChangeLedger ledger_ ABSL_GUARDED_BY(mu_);
  bool crm_owners_loaded_ ABSL_GUARDED_BY(mu_) = false;
  FileFingerprint crm_owners_stamp_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> crm_owners_ ABSL_GUARDED_BY(mu_);
};

template <typename T, typename Parse>
absl::StatusOr<ChangeBatch<T>> CsvAdapter::ReadOneFile(const char* file, bool required,
                                                       const std::vector<absl::string_view>& columns, Parse parse,
                                                       const ReadParams& params) {
  const std::string path = PathOf(file);
  const Watermark earlier = DecodeWatermark(params.since_watermark);
  absl::StatusOr<FileScan> scan = ScanFile(path, Find(earlier, file));
  if (!scan.ok()) return scan.status();
  if (!scan->now.exists && required) return MissingRequired(file);

  Watermark now{{file, scan->now}};
  ChangeBatch<T> batch;
  batch.watermark = EncodeWatermark(now);
  if (batch.watermark == params.since_watermark) return batch;
  if (!scan->now.exists) {
    // No file, no records; if there was one before, its records are gone.
    batch.full_snapshot = true;
    return batch;
  }
  batch.full_snapshot = !scan->append.has_value();
  ProgressCounter progress(params);
  if (absl::Status s = ReadRecords(path, columns, scan->append, &progress, parse, &batch); !s.ok()) return s;
  DistrustIfMoved(path, file, &now);
  batch.watermark = EncodeWatermark(now);
  return batch;
}

absl::StatusOr<ChangeBatch<Account>> CsvAdapter::ReadAccounts(const ReadParams& params) {
  const std::string accounts_file = csv_internal::kAccountsFile;
  const std::string changes_file = csv_internal::kOwnerChangesFile;
  const std::string accounts_path = PathOf(accounts_file);
  const std::string changes_path = PathOf(changes_file);
  const Watermark earlier = DecodeWatermark(params.since_watermark);
  absl::StatusOr<FileScan> accounts = ScanFile(accounts_path, Find(earlier, accounts_file));
  if (!accounts.ok()) return accounts.status();
  if (!accounts->now.exists) return MissingRequired(accounts_file);

  ChangeBatch<Account> batch;
  ProgressCounter progress(params);
  Watermark now;
  // Owner changes first: they apply to the accounts read next. ChangeOwner
  // appends to the file, so it is scanned and read under the lock.
  OwnerChangeLedger ledger;
  std::vector<std::pair<std::string, int64_t>> change_lines;  // account, line
  std::vector<RejectedRecord> change_rejects;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<FileScan> changes = ScanFile(changes_path, Find(earlier, changes_file));
    if (!changes.ok()) return changes.status();
    now = Watermark{{accounts_file, accounts->now}, {changes_file, changes->now}};
    batch.watermark = EncodeWatermark(now);
    if (batch.watermark == params.since_watermark) return batch;
    // Only appended accounts, with the same owner changes, make a delta.
    batch.full_snapshot = !(accounts->append.has_value() && SameAsBefore(earlier, changes_file, changes->now));
    if (changes->now.exists) {
      absl::Status s =
          ForEachRow(changes_path, {"key", "account_id", "from_owner_id", "to_owner_id", "changed_at"}, std::nullopt,
                     &progress, &change_rejects, [&](const CsvRow& row, int64_t line) -> std::string {
                       OwnerChange change;
                       std::string why = csv_internal::ParseOwnerChangeRow(row, &change);
                       if (!why.empty()) return why;
                       change_lines.emplace_back(change.account_id, line);
                       ledger.Apply(change);
                       return "";
                     });
      if (!s.ok()) return s;
    }
  }

  const std::optional<AppendPoint> from = batch.full_snapshot ? std::nullopt : accounts->append;
  if (absl::Status s = ReadRecords(accounts_path, csv_internal::AccountColumns(), from, &progress,
                                   csv_internal::ParseAccountRow, &batch);
      !s.ok()) {
    return s;
  }
  for (Account& account : batch.upserts) {
    if (const OwnerChangeLedger::Latest* latest = ledger.Find(account.id)) account.owner_id = latest->to_owner_id;
  }
  // An appended read saw these rows before and said what was wrong then.
  if (batch.full_snapshot) {
    absl::flat_hash_set<absl::string_view> ids;
    for (const Account& account : batch.upserts) ids.insert(account.id);
    for (const auto& [account_id, line] : change_lines) {
      if (!ids.contains(account_id)) {
        change_rejects.push_back(
            RejectedRecord{changes_file, line, absl::StrCat("account '", account_id, "' is not in accounts.csv")});
      }
    }
    for (RejectedRecord& r : change_rejects) batch.rejected.push_back(std::move(r));
  }
  DistrustIfMoved(accounts_path, accounts_file, &now);
  DistrustIfMoved(changes_path, changes_file, &now);
  batch.watermark = EncodeWatermark(now);
  return batch;
}

absl::StatusOr<ChangeBatch<Order>> CsvAdapter::ReadOrders(const ReadParams& params) {
  const std::string orders_file = csv_internal::kOrdersFile;
  const std::string lines_file = csv_internal::kOrderLinesFile;
  const std::string orders_path = PathOf(orders_file);
  const std::string lines_path = PathOf(lines_file);
  const Watermark earlier = DecodeWatermark(params.since_watermark);
  absl::StatusOr<FileScan> orders = ScanFile(orders_path, Find(earlier, orders_file));
  if (!orders.ok()) return orders.status();
  if (!orders->now.exists) return MissingRequired(orders_file);
  absl::StatusOr<FileScan> lines = ScanFile(lines_path, Find(earlier, lines_file));
  if (!lines.ok()) return lines.status();

  Watermark now{{orders_file, orders->now}, {lines_file, lines->now}};
  ChangeBatch<Order> batch;
  batch.watermark = EncodeWatermark(now);
  if (batch.watermark == params.since_watermark) return batch;
  // Only appended orders, with the same lines, make a delta.
  batch.full_snapshot = !(orders->append.has_value() && SameAsBefore(earlier, lines_file, lines->now));
  const std::optional<AppendPoint> from = batch.full_snapshot ? std::nullopt : orders->append;
  ProgressCounter progress(params);
  if (absl::Status s =
          ReadRecords(orders_path, csv_internal::OrderColumns(), from, &progress, csv_internal::ParseOrderRow, &batch);
      !s.ok()) {
    return s;
  }
  if (lines->now.exists) {
    absl::flat_hash_map<absl::string_view, size_t> index;
    for (size_t i = 0; i < batch.upserts.size(); ++i) index.emplace(batch.upserts[i].id, i);
    // With only new orders, every line was judged by an earlier read: attach
    // what belongs to the new orders and say nothing of the rest.
    const bool judge = batch.full_snapshot;
    absl::Status s = ForEachRow(lines_path, csv_internal::OrderLineColumns(), std::nullopt, &progress, &batch.rejected,
                                [&](const CsvRow& row, int64_t line) -> std::string {
                                  std::string order_id;
                                  OrderLine order_line;
                                  std::string why = csv_internal::ParseOrderLineRow(row, &order_id, &order_line);
                                  if (!why.empty()) return judge ? why : "";
                                  auto it = index.find(order_id);
                                  if (it == index.end()) {
                                    if (!judge) return "";
                                    return absl::StrCat("order '", order_id,
                                                        "' is not in orders.csv (or its row there was rejected)");
                                  }
                                  batch.upserts[it->second].lines.push_back(std::move(order_line));
                                  return "";
                                });
    if (!s.ok()) return s;
  }
  DistrustIfMoved(orders_path, orders_file, &now);
  DistrustIfMoved(lines_path, lines_file, &now);
  batch.watermark = EncodeWatermark(now);
  return batch;
}

absl::StatusOr<const absl::flat_hash_map<std::string, std::string>*> CsvAdapter::CrmOwners() {
  const std::string path = PathOf(csv_internal::kAccountsFile);
  const FileFingerprint stamp = StatFile(path);
  if (!stamp.exists) return MissingRequired(csv_internal::kAccountsFile);
  if (crm_owners_loaded_ && stamp == crm_owners_stamp_) return &crm_owners_;
  crm_owners_.clear();
  crm_owners_loaded_ = false;
  ReadParams no_progress;
  ProgressCounter progress(no_progress);
  std::vector<RejectedRecord> ignored;  // the next ReadAccounts reports them
  absl::Status s = ForEachRow(path, csv_internal::AccountColumns(), std::nullopt, &progress, &ignored,
                              [&](const CsvRow& row, int64_t line) -> std::string {
                                Account account;
                                std::string why = csv_internal::ParseAccountRow(row, &account);
                                if (why.empty()) crm_owners_.try_emplace(account.id, account.owner_id);
                                return why;
                              });
  if (!s.ok()) return s;
  crm_owners_stamp_ = stamp;
  crm_owners_loaded_ = true;
  return &crm_owners_;
}

// Keys are compared trimmed (as they are read back), so a key must be trimmed
// already to be found again.
absl::Status CheckKey(absl::string_view what, absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " has an empty key"));
  if (absl::StripAsciiWhitespace(key) != key) {
    return absl::InvalidArgumentError(absl::StrCat(what, " key '", key, "' has leading or trailing blanks"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TaskWriteResult> CsvAdapter::WriteTask(const TaskRequest& task) {
  if (absl::Status s = CheckKey("task", task.key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (absl::Status s = tasks_.Lock(); !s.ok()) return s;
  absl::Cleanup unlock = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { tasks_.Unlock(); };
  TaskWriteResult result;
  result.crm_id = task.key;
  if (tasks_.Contains(task.key)) {
    result.already_existed = true;
    return result;
  }
  absl::Status s = tasks_.Append({{"key", task.key},
                                  {"account_id", task.account_id},
                                  {"assignee_id", task.assignee_id},
                                  {"type", std::string(TaskTypeName(task.type))},
                                  {"due_at", FormatIsoTime(task.due_at)},
                                  {"subject", task.subject},
                                  {"description", task.description},
                                  {"created_at", FormatIsoTime(task.created_at)}});
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<OwnerChangeResult> CsvAdapter::ChangeOwner(const OwnerChangeRequest& change) {
  if (absl::Status s = CheckKey("owner change", change.key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (absl::Status s = owner_changes_.Lock(); !s.ok()) return s;
  absl::Cleanup unlock = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { owner_changes_.Unlock(); };
  OwnerChangeResult result;
  if (owner_changes_.Contains(change.key)) {
    result.already_applied = true;
    return result;
  }
  absl::StatusOr<const absl::flat_hash_map<std::string, std::string>*> owners = CrmOwners();
  if (!owners.ok()) return owners.status();
  auto it = (*owners)->find(change.account_id);
  if (it == (*owners)->end()) {
    return absl::NotFoundError(absl::StrCat("account '", change.account_id, "' is not in accounts.csv"));
  }
  const OwnerChangeLedger::Latest* latest = ledger_.Find(change.account_id);
  const std::string& current = latest != nullptr ? latest->to_owner_id : it->second;
  if (current == change.to_owner_id) {
    result.already_applied = true;
    return result;
  }
  if (current != change.from_owner_id) {
    return absl::FailedPreconditionError(absl::StrCat("account '", change.account_id, "' is owned by '", current,
                                                      "', not by '", change.from_owner_id, "' nor by '",
                                                      change.to_owner_id, "': it changed hands meanwhile"));
  }
  // The change must win on the next read, where the latest changed_at wins
  // and ties go to the later row: never write it earlier than the change in
  // force (whole seconds, as FormatIsoTime writes them).
  absl::Time changed_at = absl::FromUnixSeconds(absl::ToUnixSeconds(change.changed_at));
  if (latest != nullptr && changed_at < latest->changed_at) {
    const absl::Time floor = absl::FromUnixSeconds(absl::ToUnixSeconds(latest->changed_at));
    changed_at = floor < latest->changed_at ? floor + absl::Seconds(1) : floor;
  }
  OwnerChange recorded{change.key, change.account_id, change.from_owner_id, change.to_owner_id, changed_at};
  absl::Status s = owner_changes_.Append({{"key", recorded.key},
                                          {"account_id", recorded.account_id},
                                          {"from_owner_id", recorded.from_owner_id},
                                          {"to_owner_id", recorded.to_owner_id},
                                          {"changed_at", FormatIsoTime(recorded.changed_at)}});
  if (!s.ok()) return s;
  ledger_.Apply(recorded);
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CrmAdapter>> MakeCsvAdapter(const CsvAdapterOptions& options) {
  std::string dir = options.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "CSV CRM: no folder given; set it to the folder holding users.csv, "
        "accounts.csv and orders.csv");
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("CSV CRM folder '", dir,
                                            "' does not exist or is not a folder; create it with users.csv, "
                                            "accounts.csv and orders.csv, or point the CSV CRM at the right folder"));
  }
  std::vector<std::string> missing;
  for (const char* file : {csv_internal::kUsersFile, csv_internal::kAccountsFile, csv_internal::kOrdersFile}) {
    if (access(absl::StrCat(dir, "/", file).c_str(), F_OK) != 0) missing.push_back(file);
  }
  if (!missing.empty()) {
    return absl::NotFoundError(absl::StrCat("CSV CRM folder '", dir, "' lacks ", absl::StrJoin(missing, ", "),
                                            ": users.csv, accounts.csv and orders.csv are required (see "
                                            "adapters/csv/csv_adapter.h for their columns)"));
  }
  return std::unique_ptr<CrmAdapter>(new CsvAdapter(std::move(dir)));
}

}  // namespace pulse
