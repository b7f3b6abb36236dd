// Online backups of the store file (docs/RELIABILITY.md, "Backups and
// restore"), with SQLite's backup API. A backup reads the store through its
// own connection inside one read transaction: in WAL mode that neither
// blocks nor waits for the server's writes, and the copy is one consistent
// state of the store (as of the moment the copy started). Pages are copied
// in chunks; the copy is written to a temporary file in the target folder,
// checked with PRAGMA quick_check and only then renamed into place, so a
// backup file that exists is complete.
//
// Generations: a folder of files named pulse-YYYYMMDDTHHMMSSZ.db (UTC, so
// they sort by name), of which the newest `keep` are kept.
//
// Thread-safety: the functions share no state; two backups into the same
// file at once are the caller's mistake (serve runs one backup thread).
#ifndef PULSE_SIDECAR_STORE_STORE_BACKUP_H_
#define PULSE_SIDECAR_STORE_STORE_BACKUP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pulse {

struct BackupFile {
  std::string path;
  absl::Time taken_at;  // from the file name for generations; the copy's start otherwise
  int64_t bytes = 0;
};

struct BackupParams {
  std::string dir;  // where the generations are; created when absent
  int keep = 7;     // generations kept after a new one is written (>= 1)
  // Pages copied per step of sqlite3_backup_step (4 KiB pages: 4 MiB).
  int pages_per_step = 1024;
};

// Copies the store at `store_path` to `to_path` (replacing it), through a
// temporary file next to it that is verified and then renamed. Returns the
// written file. FailedPrecondition when the source is not a Pulse store or
// is in memory; NotFound when it does not exist; DataLoss when the copy
// fails its check (the temporary file is removed); Unavailable/Internal on
// I/O errors. Every message names the file.
absl::StatusOr<BackupFile> BackupStoreFile(const std::string& store_path, const std::string& to_path,
                                           int pages_per_step = 1024);

// Takes a new generation in params.dir named for `now`, then deletes the
// oldest generations beyond params.keep. AlreadyExists when a generation of
// the same second exists. Errors as BackupStoreFile; a failed prune is
// logged, not returned (the new backup is good).
absl::StatusOr<BackupFile> TakeBackupGeneration(const std::string& store_path, const BackupParams& params,
                                                absl::Time now);

// The generations in `dir`, newest first; empty when the folder does not
// exist. Files not named like a generation are ignored.
absl::StatusOr<std::vector<BackupFile>> ListBackupGenerations(const std::string& dir);

// "pulse-20261125T140000Z.db" for that instant (seconds, UTC).
std::string BackupGenerationName(absl::Time t);

// Takes a generation every `interval` on its own thread while it exists (for
// `pulsed serve`). The first is due `interval` after the newest generation
// in the folder, so a restart neither skips one nor takes one early; at once
// when there is none. A failed backup is logged and retried after
// min(interval, 10 minutes). Destruction waits for a running backup to end.
class BackupSchedule {
 public:
  BackupSchedule(std::string store_path, BackupParams params, absl::Duration interval);
  BackupSchedule(const BackupSchedule&) = delete;
  BackupSchedule& operator=(const BackupSchedule&) = delete;
  ~BackupSchedule();

  // Backups taken and failed since the start (for tests and logs).
  int taken() const;
  int failed() const;

 private:
  void Run();

  const std::string store_path_;
  const BackupParams params_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int taken_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts after the fields it reads
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_STORE_STORE_BACKUP_H_
