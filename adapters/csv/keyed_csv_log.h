// An append-only CSV file of records with a unique `key` column (tasks.csv,
// owner_changes.csv): a record is written at most once per key, even across
// restarts and across processes sharing the folder, and a crash mid-write
// costs only the record being written.
//
// How: every check-and-append happens under an exclusive flock(2) on the
// file. The keys are loaded once and kept; they are reloaded whenever the
// file is not as this object left it (size, mtime or inode moved: another
// writer, or an edit). On (re)load, a torn last record - bytes after the last
// line end that lies outside quotes, left by a crash mid-write - is cut off
// with a warning: it was never acknowledged, so its sender will send it again.
// Each append is fsync'ed before Append() returns.
//
// Internal to the CSV adapter. Not thread-safe: the adapter serialises calls.
#ifndef PULSE_ADAPTERS_CSV_KEYED_CSV_LOG_H_
#define PULSE_ADAPTERS_CSV_KEYED_CSV_LOG_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sidecar/common/csv_reader.h"

namespace pulse::csv_internal {

class KeyedCsvLog {
 public:
  // Called for every row (in file order) each time the file is (re)loaded,
  // after `on_reload`. Lets the owner keep more than the keys.
  using RowVisitor = std::function<void(const CsvRow& row)>;

  // `columns` are written as the header of a new file; "key" must be one of
  // them. An existing file may order them differently or have more: records
  // are written in its header's order.
  KeyedCsvLog(std::string path, std::vector<std::string> columns, std::function<void()> on_reload = nullptr,
              RowVisitor on_row = nullptr);
  KeyedCsvLog(const KeyedCsvLog&) = delete;
  KeyedCsvLog& operator=(const KeyedCsvLog&) = delete;
  ~KeyedCsvLog();

  // Opens the file (creating it with the header when absent or empty), takes
  // the exclusive lock, repairs a torn tail and reloads when needed. Pair
  // with Unlock(). Fails with PermissionDenied/Unavailable on I/O errors and
  // FailedPrecondition when the header lacks one of the columns.
  absl::Status Lock();
  void Unlock();

  // While locked: whether a record with `key` is in the file.
  bool Contains(absl::string_view key) const;
  // While locked: appends one record and fsyncs it. `values` are by column
  // name; a column not given is written empty. Unavailable on a write error
  // (the partial record is cut off again).
  absl::Status Append(const std::vector<std::pair<std::string, std::string>>& values);

  const std::string& path() const { return path_; }

 private:
  absl::Status Reload();
  void RememberState();

  const std::string path_;
  const std::vector<std::string> columns_;
  const std::function<void()> on_reload_;
  const RowVisitor on_row_;

  int fd_ = -1;
  bool loaded_ = false;
  // The file as this object last left it.
  int64_t size_ = 0;
  int64_t mtime_ns_ = 0;
  ino_t inode_ = 0;
  std::vector<std::string> header_;  // the file's own column order
  absl::flat_hash_set<std::string> keys_;
};

}  // namespace pulse::csv_internal

#endif  // PULSE_ADAPTERS_CSV_KEYED_CSV_LOG_H_
