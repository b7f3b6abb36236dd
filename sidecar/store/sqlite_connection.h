// A thin C++ layer over one sqlite3 connection for the store: statuses
// instead of result codes, a cache of prepared statements, and transactions
// that roll back unless committed. Internal to pulse_store.
//
// Thread-safety: none. SqliteStore serialises all use behind its mutex.
#ifndef PULSE_SIDECAR_STORE_SQLITE_CONNECTION_H_
#define PULSE_SIDECAR_STORE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pulse::store_internal {

// Every instant is stored as integer Unix microseconds (UTC). The infinite
// times map to the ends of the int64 range so they survive a round trip.
int64_t TimeToMicros(absl::Time t);
absl::Time MicrosToTime(int64_t micros);

// The canonical status for an sqlite result code, with a message naming the
// store's path, the operation and sqlite's own explanation:
// "store /var/lib/pulse/pulse.db: apply orders: database is locked".
absl::Status SqliteStatus(int rc, absl::string_view path, absl::string_view operation,
                          absl::string_view sqlite_message);

class SqliteConnection;

// A cached prepared statement, borrowed for one use. Binding is by 1-based
// parameter index. Text given as a string_view, a const char* or an lvalue
// std::string is bound without copying (bulk syncs bind millions of ids), so
// it must outlive the Step()/Run() that uses it; a temporary std::string is
// copied. Destruction resets the statement and clears its bindings, so the
// next borrower starts clean.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  void Bind(int index, int64_t value);
  void Bind(int index, int value) { Bind(index, static_cast<int64_t>(value)); }
  void Bind(int index, bool value) { Bind(index, static_cast<int64_t>(value ? 1 : 0)); }
  void Bind(int index, double value);  // NaN: Step() fails with InvalidArgument
  void Bind(int index, absl::string_view value);
  void Bind(int index, const std::string& value) { Bind(index, absl::string_view(value)); }
  void Bind(int index, std::string&& value);  // copies
  void Bind(int index, const char* value) { Bind(index, absl::string_view(value)); }
  void Bind(int index, absl::Time value) { Bind(index, TimeToMicros(value)); }
  void Bind(int index, const std::optional<absl::Time>& value);
  void BindNull(int index);

  // Advances to the next row: true when there is one, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement to completion, ignoring any rows.
  absl::Status Run();
  // Rewinds so the statement can run again with new bindings.
  void Reset();

  // Rows changed by the last Run() of an INSERT, UPDATE or DELETE.
  int Changes() const;

  // Columns of the current row, 0-based. NULL reads as "", 0 or nullopt.
  std::string Text(int column) const;
  // The text without a copy, valid until the next Step() or Reset().
  absl::string_view TextView(int column) const;
  int64_t Int64(int column) const;
  double Double(int column) const;
  bool Bool(int column) const { return Int64(column) != 0; }
  absl::Time Time(int column) const { return MicrosToTime(Int64(column)); }
  std::optional<absl::Time> OptionalTime(int column) const;
  bool IsNull(int column) const;

 private:
  friend class SqliteConnection;
  SqliteStatement(SqliteConnection* connection, sqlite3_stmt* stmt, bool* in_use,
                  absl::string_view operation);
  // Keeps the first binding error for Step() to report.
  void RecordBindError(int rc, std::string message = "");

  SqliteConnection* connection_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache's flag for stmt_; cleared on destruction
  absl::string_view operation_;
  int bind_error_ = SQLITE_OK;
  std::string bind_error_message_;
};

class SqliteConnection {
 public:
  // Opens (creating when absent) the database at `path`; ":memory:" is a
  // private in-memory database. Only opens: the first read discovers whether
  // the file is a database at all.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path);

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  // Finalises every cached statement and closes the database.
  ~SqliteConnection();

  const std::string& path() const { return path_; }
  bool in_memory() const { return in_memory_; }

  // Runs one or more statements that take no parameters (DDL, PRAGMAs).
  absl::Status Exec(absl::string_view operation, const char* sql);
  // Runs a single-valued query (e.g. "PRAGMA user_version") and returns it.
  absl::StatusOr<int64_t> QueryInt(absl::string_view operation, const char* sql);
  absl::StatusOr<std::string> QueryText(absl::string_view operation, const char* sql);

  // Borrows the prepared statement for `sql`, preparing it on first use.
  // `operation` must outlive the statement (pass a literal); it names the
  // work in error messages. Borrowing a statement that is still borrowed is
  // an Internal error.
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view operation, absl::string_view sql);

  int64_t LastInsertRowId() const;
  // True inside BEGIN ... COMMIT/ROLLBACK.
  bool InTransaction() const;

  // The status for a failed call on this connection, with sqlite's message.
  absl::Status Error(int rc, absl::string_view operation) const;

 private:
  friend class SqliteStatement;
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  SqliteConnection(sqlite3* db, std::string path, bool in_memory);

  sqlite3* db_;
  std::string path_;
  bool in_memory_;
  // Keyed by SQL text. Node-stable values: SqliteStatement points at in_use.
  absl::flat_hash_map<std::string, std::unique_ptr<CachedStatement>> statements_;
};

// One transaction. Begin() takes the write lock at once (BEGIN IMMEDIATE, so
// a busy database is waited for up front rather than failing half way);
// BeginRead() only pins one consistent view of the file for several reads.
// Destroying the object without a successful Commit() rolls back. Create the
// statements used inside it after it, so they are reset first.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteConnection& connection) : connection_(connection) {}
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  absl::Status Begin(absl::string_view operation);
  absl::Status BeginRead(absl::string_view operation);
  absl::Status Commit();

 private:
  SqliteConnection& connection_;
  absl::string_view operation_;
  bool open_ = false;
};

}  // namespace pulse::store_internal

#endif  // PULSE_SIDECAR_STORE_SQLITE_CONNECTION_H_
