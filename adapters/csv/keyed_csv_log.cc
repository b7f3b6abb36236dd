#include "adapters/csv/keyed_csv_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/csv/csv_format.h"
#include "sidecar/common/logging.h"

namespace pulse::csv_internal {
namespace {

constexpr char kLog[] = "csv";
// A torn record is one record Pulse wrote; a longer "torn tail" is a damaged
// file that a person should look at rather than lose.
constexpr int64_t kMaxTornTail = 1 << 20;

absl::Status ErrnoStatus(const std::string& path, absl::string_view what, int err) {
  const std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

int64_t MtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// 0 or the errno of the failed write.
int WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

void SyncParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

// The offset just past the last record that ends with a line end, following
// CsvReader's rules: a quote opens a quoted field only at the start of a
// field, "" inside one is a literal quote, and line ends inside one belong to
// the field. -1 on a read error.
int64_t EndOfLastCompleteRecord(int fd, int64_t size) {
  bool in_quotes = false;
  bool quote_in_quotes = false;  // saw '"' inside quotes: closing, or the first of ""
  bool at_field_start = true;
  int64_t end = 0;
  std::vector<char> buffer(1 << 16);
  for (int64_t pos = 0; pos < size;) {
    const ssize_t n = pread(fd, buffer.data(), std::min<int64_t>(buffer.size(), size - pos), pos);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buffer[i];
      if (quote_in_quotes) {
        quote_in_quotes = false;
        if (c == '"') continue;  // an escaped quote: still inside
        in_quotes = false;       // that quote closed the field; c is outside
      } else if (in_quotes) {
        if (c == '"') quote_in_quotes = true;
        continue;
      }
      if (c == '\n' || c == '\r') {
        end = pos + i + 1;
        at_field_start = true;
      } else if (c == ',') {
        at_field_start = true;
      } else if (c == '"' && at_field_start) {
        in_quotes = true;
        at_field_start = false;
      } else {
        at_field_start = false;
      }
    }
    pos += n;
  }
  // A quote as the very last byte closes the field, but the record still
  // lacks its line end, so `end` stands.
  return end;
}

}  // namespace

KeyedCsvLog::KeyedCsvLog(std::string path, std::vector<std::string> columns, std::function<void()> on_reload,
                         RowVisitor on_row)
    : path_(std::move(path)),
      columns_(std::move(columns)),
      on_reload_(std::move(on_reload)),
      on_row_(std::move(on_row)) {}

KeyedCsvLog::~KeyedCsvLog() {
  if (fd_ >= 0) Unlock();
}

absl::Status KeyedCsvLog::Lock() {
  if (fd_ >= 0) return absl::InternalError(absl::StrCat(path_, ": locked twice"));
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoStatus(path_, "cannot open for writing", errno);
  while (flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    Unlock();
    return ErrnoStatus(path_, "cannot lock", err);
  }
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    const int err = errno;
    Unlock();
    return ErrnoStatus(path_, "cannot stat", err);
  }
  if (loaded_ && st.st_size == size_ && MtimeNanos(st) == mtime_ns_ && st.st_ino == inode_) {
    return absl::OkStatus();
  }
  absl::Status s = Reload();
  if (!s.ok()) Unlock();
  return s;
}

void KeyedCsvLog::Unlock() {
  if (fd_ < 0) return;
  flock(fd_, LOCK_UN);
  close(fd_);
  fd_ = -1;
}

void KeyedCsvLog::RememberState() {
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    loaded_ = false;  // reload next time rather than trust a guess
    return;
  }
  size_ = st.st_size;
  mtime_ns_ = MtimeNanos(st);
  inode_ = st.st_ino;
}

absl::Status KeyedCsvLog::Reload() {
  loaded_ = false;
  struct stat st;
  if (fstat(fd_, &st) != 0) return ErrnoStatus(path_, "cannot stat", errno);
  const int64_t size = st.st_size;
  const int64_t end = EndOfLastCompleteRecord(fd_, size);
  if (end < 0) return ErrnoStatus(path_, "cannot read", errno);
  if (end < size) {
    const int64_t torn = size - end;
    if (torn > kMaxTornTail) {
      return absl::FailedPreconditionError(
          absl::StrCat(path_, ": the last ", torn,
                       " bytes do not end with a complete record (an unterminated quoted field?); "
                       "this is more than a write cut short by a crash, so fix the file by hand"));
    }
    std::string preview(static_cast<size_t>(std::min<int64_t>(torn, 200)), '\0');
    const ssize_t n = pread(fd_, preview.data(), preview.size(), end);
    preview.resize(n > 0 ? static_cast<size_t>(n) : 0);
    LogWarning(kLog, path_, ": removing a torn last record (", torn,
               " bytes without a line end, left by a write cut short; it was never acknowledged and will be "
               "written again): '",
               absl::CEscape(preview), "'");
    if (ftruncate(fd_, end) != 0 || fsync(fd_) != 0) return ErrnoStatus(path_, "cannot cut the torn record", errno);
  }
  if (end == 0) {
    if (const int err = WriteAll(fd_, FormatCsvRecord(columns_)); err != 0) {
      if (ftruncate(fd_, 0) != 0) {
        // Nothing more to do: the next Lock() finds the partial header torn.
      }
      return ErrnoStatus(path_, "cannot write the header", err);
    }
    if (fsync(fd_) != 0) return ErrnoStatus(path_, "cannot sync", errno);
    SyncParentDir(path_);
  }

  keys_.clear();
  if (on_reload_) on_reload_();
  absl::StatusOr<std::unique_ptr<CsvReader>> reader = CsvReader::Open(path_);
  if (!reader.ok()) {
    if (absl::IsNotFound(reader.status())) return absl::UnavailableError(reader.status().message());
    return absl::FailedPreconditionError(reader.status().message());
  }
  std::vector<absl::string_view> required(columns_.begin(), columns_.end());
  if (absl::Status s = (*reader)->RequireColumns(required); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(s.message(), " (Pulse writes ", absl::StrJoin(columns_, ","),
                                                      "): fix the header or move the file away"));
  }
  header_ = (*reader)->header();
  CsvRow row;
  std::string error;
  int64_t malformed = 0;
  while ((*reader)->Next(&row, &error)) {
    if (!error.empty()) {
      ++malformed;
      continue;
    }
    const absl::string_view key = absl::StripAsciiWhitespace(row.Get("key"));
    if (key.empty()) {
      ++malformed;
      continue;
    }
    keys_.emplace(key);
    if (on_row_) on_row_(row);
  }
  if (malformed > 0) {
    LogWarning(kLog, path_, ": ignored ", malformed, " malformed record(s) (CSV errors or an empty key)");
  }
  RememberState();
  loaded_ = true;
  return absl::OkStatus();
}

bool KeyedCsvLog::Contains(absl::string_view key) const { return keys_.contains(key); }

absl::Status KeyedCsvLog::Append(const std::vector<std::pair<std::string, std::string>>& values) {
  if (fd_ < 0) return absl::InternalError(absl::StrCat(path_, ": Append() without Lock()"));
  std::vector<std::string> fields(header_.size());
  std::string key;
  for (const auto& [column, value] : values) {
    if (column == "key") key = value;
    auto it = std::find(header_.begin(), header_.end(), column);
    if (it != header_.end()) fields[static_cast<size_t>(it - header_.begin())] = value;
  }
  if (const int err = WriteAll(fd_, FormatCsvRecord(fields)); err != 0) {
    if (ftruncate(fd_, size_) != 0) {
      // The next Lock() sees the size moved, reloads and cuts the torn record.
    }
    loaded_ = false;
    return ErrnoStatus(path_, "cannot append", err);
  }
  if (fsync(fd_) != 0) {
    const int err = errno;
    if (ftruncate(fd_, size_) != 0) {
      // As above.
    }
    loaded_ = false;
    return ErrnoStatus(path_, "cannot sync", err);
  }
  keys_.insert(std::move(key));
  RememberState();
  return absl::OkStatus();
}

}  // namespace pulse::csv_internal
