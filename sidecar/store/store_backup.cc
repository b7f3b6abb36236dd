#include "sidecar/store/store_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "sidecar/common/logging.h"
#include "sidecar/store/sqlite_connection.h"
#include "sidecar/store/sqlite_store.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using store_internal::SqliteStatus;

constexpr char kGenerationPrefix[] = "pulse-";
constexpr char kGenerationSuffix[] = "Z.db";
constexpr char kGenerationTimeFormat[] = "%Y%m%dT%H%M%S";

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

absl::Status Error(sqlite3* db, int rc, const std::string& path, absl::string_view operation) {
  return SqliteStatus(rc, path, operation, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

absl::StatusOr<DbHandle> OpenDb(const std::string& path, int flags, absl::string_view operation) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) return Error(db.get(), rc, path, operation);
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

absl::StatusOr<std::string> QueryText(sqlite3* db, const std::string& path, const char* sql,
                                      absl::string_view operation) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc, path, operation);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
  rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return Error(db, rc, path, operation);
  const unsigned char* text = sqlite3_column_text(stmt, 0);
  return std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "");
}

absl::Status Exec(sqlite3* db, const std::string& path, const char* sql, absl::string_view operation) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(db, rc, path, operation);
}

absl::Status CheckIsPulseStore(sqlite3* db, const std::string& path) {
  absl::StatusOr<std::string> id = QueryText(db, path, "PRAGMA application_id", "read header");
  if (!id.ok()) return id.status();
  if (*id != std::to_string(kStoreApplicationId)) {
    return absl::FailedPreconditionError(absl::StrCat("store ", path, ": not a Pulse store, not backed up"));
  }
  return absl::OkStatus();
}

// Makes a rename in `dir` durable.
void SyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// The copy: `source` is read inside one read transaction, so every step sees
// the same state of the store however the server writes meanwhile.
absl::Status CopyPages(sqlite3* source, const std::string& store_path, sqlite3* dest, const std::string& dest_path,
                       int pages_per_step) {
  if (absl::Status s = Exec(source, store_path, "BEGIN; SELECT count(*) FROM sqlite_schema;", "begin backup read");
      !s.ok()) {
    return s;
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
  if (backup == nullptr) {
    absl::Status s = Error(dest, sqlite3_errcode(dest), dest_path, "start backup");
    sqlite3_exec(source, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  int rc = SQLITE_OK;
  while (true) {
    rc = sqlite3_backup_step(backup, pages_per_step);
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) continue;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    break;
  }
  sqlite3_backup_finish(backup);
  sqlite3_exec(source, "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_DONE) return Error(dest, rc, dest_path, "copy pages");
  const int finish_rc = sqlite3_errcode(dest);
  if (finish_rc != SQLITE_OK) return Error(dest, finish_rc, dest_path, "finish backup");
  return absl::OkStatus();
}

absl::Status Verify(const std::string& path) {
  absl::StatusOr<DbHandle> db = OpenDb(path, SQLITE_OPEN_READWRITE, "open backup to verify it");
  if (!db.ok()) return db.status();
  if (absl::Status s = CheckIsPulseStore(db->get(), path); !s.ok()) return s;
  absl::StatusOr<std::string> check = QueryText(db->get(), path, "PRAGMA quick_check(1)", "verify backup");
  if (!check.ok()) return check.status();
  if (*check != "ok") {
    return absl::DataLossError(absl::StrCat("backup ", path, ": the copy failed its quick_check: ", *check));
  }
  return absl::OkStatus();
}

std::optional<absl::Time> ParseGenerationName(const std::string& name) {
  if (!absl::StartsWith(name, kGenerationPrefix) || !absl::EndsWith(name, kGenerationSuffix)) return std::nullopt;
  const std::string stamp = name.substr(strlen(kGenerationPrefix),
                                        name.size() - strlen(kGenerationPrefix) - strlen(kGenerationSuffix));
  // YYYYMMDDTHHMMSS; read field by field (ParseTime's %Y would take every digit).
  if (stamp.size() != 15 || stamp[8] != 'T') return std::nullopt;
  int fields[6];
  const int offsets[6] = {0, 4, 6, 9, 11, 13};
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    if (!absl::SimpleAtoi(stamp.substr(offsets[i], widths[i]), &fields[i])) return std::nullopt;
  }
  const absl::Time t = absl::FromCivil(
      absl::CivilSecond(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]), absl::UTCTimeZone());
  if (BackupGenerationName(t) != name) return std::nullopt;
  return t;
}

}  // namespace

std::string BackupGenerationName(absl::Time t) {
  return absl::StrCat(kGenerationPrefix, absl::FormatTime(kGenerationTimeFormat, t, absl::UTCTimeZone()),
                      kGenerationSuffix);
}

absl::StatusOr<BackupFile> BackupStoreFile(const std::string& store_path, const std::string& to_path,
                                           int pages_per_step) {
  if (store_path.empty() || store_path == ":memory:") {
    return absl::FailedPreconditionError("an in-memory store cannot be backed up: give store.path a file");
  }
  std::error_code ec;
  if (!fs::exists(store_path, ec)) {
    return absl::NotFoundError(absl::StrCat("store ", store_path, ": no such file to back up"));
  }
  const absl::Time started = absl::Now();
  const fs::path target(to_path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("backup folder ", dir.string(), ": cannot create it: ", ec.message()));
  }
  const std::string temp = to_path + ".tmp";
  fs::remove(temp, ec);  // a leftover of an interrupted backup

  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<DbHandle> source = OpenDb(store_path, SQLITE_OPEN_READWRITE, "open for backup");
    if (!source.ok()) return source.status();
    if (absl::Status s = CheckIsPulseStore(source->get(), store_path); !s.ok()) return s;
    absl::StatusOr<DbHandle> dest = OpenDb(temp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "create backup");
    if (!dest.ok()) return dest.status();
    if (absl::Status s = CopyPages(source->get(), store_path, dest->get(), temp, std::max(1, pages_per_step));
        !s.ok()) {
      return s;
    }
    // The copy carries the store's WAL flag; fold any log into the file so
    // the backup is one self-contained file.
    if (absl::Status s = Exec(dest->get(), temp, "PRAGMA wal_checkpoint(TRUNCATE);", "checkpoint backup"); !s.ok()) {
      return s;
    }
    dest->reset();  // closes: the file is complete and synced
    return Verify(temp);
  }();
  if (!status.ok()) {
    fs::remove(temp, ec);
    fs::remove(temp + "-wal", ec);
    fs::remove(temp + "-shm", ec);
    return status;
  }
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    return absl::UnavailableError(absl::StrCat("backup ", to_path, ": cannot rename the verified copy into place: ",
                                               ec.message()));
  }
  SyncDir(dir);
  BackupFile file;
  file.path = to_path;
  file.taken_at = started;
  file.bytes = static_cast<int64_t>(fs::file_size(target, ec));
  LogInfo("store", "backed up ", store_path, " to ", to_path, " (", file.bytes, " bytes) in ",
          absl::FormatDuration(absl::Trunc(absl::Now() - started, absl::Milliseconds(1))));
  return file;
}

absl::StatusOr<std::vector<BackupFile>> ListBackupGenerations(const std::string& dir) {
  std::vector<BackupFile> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return files;
  fs::directory_iterator it(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("backup folder ", dir, ": cannot list it: ", ec.message()));
  for (const fs::directory_entry& entry : it) {
    const std::optional<absl::Time> t = ParseGenerationName(entry.path().filename().string());
    if (!t.has_value() || !entry.is_regular_file(ec)) continue;
    BackupFile f;
    f.path = entry.path().string();
    f.taken_at = *t;
    f.bytes = static_cast<int64_t>(entry.file_size(ec));
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.taken_at > b.taken_at; });
  return files;
}

absl::StatusOr<BackupFile> TakeBackupGeneration(const std::string& store_path, const BackupParams& params,
                                                absl::Time now) {
  if (params.dir.empty()) return absl::InvalidArgumentError("store.backup.dir is empty: no folder for backups");
  const std::string path = (fs::path(params.dir) / BackupGenerationName(now)).string();
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("backup ", path, " exists already (one generation per second)"));
  }
  absl::StatusOr<BackupFile> taken = BackupStoreFile(store_path, path, params.pages_per_step);
  if (!taken.ok()) return taken.status();
  taken->taken_at = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  absl::StatusOr<std::vector<BackupFile>> generations = ListBackupGenerations(params.dir);
  if (!generations.ok()) {
    LogWarning("store", "old backups not pruned: ", generations.status().message());
    return taken;
  }
  const size_t keep = static_cast<size_t>(std::max(1, params.keep));
  for (size_t i = keep; i < generations->size(); ++i) {
    if (!fs::remove((*generations)[i].path, ec) || ec) {
      LogWarning("store", "cannot remove old backup ", (*generations)[i].path, ": ", ec.message());
    } else {
      LogInfo("store", "removed old backup ", (*generations)[i].path, " (keeping ", keep, ")");
    }
  }
  return taken;
}

BackupSchedule::BackupSchedule(std::string store_path, BackupParams params, absl::Duration interval)
    : store_path_(std::move(store_path)), params_(std::move(params)), interval_(interval) {
  thread_ = std::thread([this] { Run(); });
}

BackupSchedule::~BackupSchedule() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

int BackupSchedule::taken() const {
  absl::MutexLock lock(&mu_);
  return taken_;
}

int BackupSchedule::failed() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

void BackupSchedule::Run() {
  absl::Time due = absl::Now();
  if (absl::StatusOr<std::vector<BackupFile>> existing = ListBackupGenerations(params_.dir);
      existing.ok() && !existing->empty()) {
    due = existing->front().taken_at + interval_;
  }
  LogInfo("store", "backups to ", params_.dir, " every ", absl::FormatDuration(interval_), ", keeping ",
          params_.keep, "; next at ", absl::FormatTime(due, absl::UTCTimeZone()));
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithDeadline(absl::Condition(&stop_), due)) return;
    }
    const absl::Time now = absl::Now();
    absl::StatusOr<BackupFile> taken = TakeBackupGeneration(store_path_, params_, now);
    absl::MutexLock lock(&mu_);
    if (taken.ok()) {
      ++taken_;
      due = now + interval_;
    } else {
      ++failed_;
      const absl::Duration retry = std::min(interval_, absl::Minutes(10));
      LogError("store", "backup failed (retrying in ", absl::FormatDuration(retry), "): ", taken.status().message());
      due = now + retry;
    }
  }
}

}  // namespace pulse
