#include "sidecar/store/sqlite_connection.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pulse::store_internal {
namespace {

constexpr int64_t kInfiniteFutureMicros = std::numeric_limits<int64_t>::max();
constexpr int64_t kInfinitePastMicros = std::numeric_limits<int64_t>::min();

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return absl::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

int64_t TimeToMicros(absl::Time t) {
  if (t == absl::InfiniteFuture()) return kInfiniteFutureMicros;
  if (t == absl::InfinitePast()) return kInfinitePastMicros;
  return absl::ToUnixMicros(t);
}

absl::Time MicrosToTime(int64_t micros) {
  if (micros == kInfiniteFutureMicros) return absl::InfiniteFuture();
  if (micros == kInfinitePastMicros) return absl::InfinitePast();
  return absl::FromUnixMicros(micros);
}

absl::Status SqliteStatus(int rc, absl::string_view path, absl::string_view operation,
                          absl::string_view sqlite_message) {
  return absl::Status(CodeFor(rc), absl::StrCat("store ", path, ": ", operation, ": ", sqlite_message,
                                                " (sqlite error ", rc, ")"));
}

// --- SqliteStatement -----------------------------------------------------

SqliteStatement::SqliteStatement(SqliteConnection* connection, sqlite3_stmt* stmt, bool* in_use,
                                 absl::string_view operation)
    : connection_(connection), stmt_(stmt), in_use_(in_use), operation_(operation) {
  *in_use_ = true;
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : connection_(other.connection_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      operation_(other.operation_),
      bind_error_(other.bind_error_),
      bind_error_message_(std::move(other.bind_error_message_)) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void SqliteStatement::RecordBindError(int rc, std::string message) {
  if (rc == SQLITE_OK || bind_error_ != SQLITE_OK) return;
  bind_error_ = rc;
  bind_error_message_ = message.empty() ? absl::StrCat("binding a parameter: ", sqlite3_errstr(rc))
                                        : std::move(message);
}

void SqliteStatement::Bind(int index, int64_t value) {
  RecordBindError(sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::Bind(int index, double value) {
  // SQLite turns NaN into NULL, which a NOT NULL column then rejects with a
  // confusing message; say what is wrong instead.
  if (std::isnan(value)) {
    RecordBindError(SQLITE_MISMATCH, absl::StrCat("parameter ", index, " is NaN, which cannot be stored"));
    return;
  }
  RecordBindError(sqlite3_bind_double(stmt_, index, value));
}

void SqliteStatement::Bind(int index, absl::string_view value) {
  // SQLITE_STATIC: no copy; the caller keeps the text alive until the step.
  // A non-null pointer even for "" so the value is '' and not NULL.
  RecordBindError(sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                                      SQLITE_STATIC, SQLITE_UTF8));
}

void SqliteStatement::Bind(int index, std::string&& value) {
  RecordBindError(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                      SQLITE_UTF8));
}

void SqliteStatement::Bind(int index, const std::optional<absl::Time>& value) {
  if (value.has_value()) {
    Bind(index, *value);
  } else {
    BindNull(index);
  }
}

void SqliteStatement::BindNull(int index) { RecordBindError(sqlite3_bind_null(stmt_, index)); }

absl::StatusOr<bool> SqliteStatement::Step() {
  if (bind_error_ != SQLITE_OK) {
    if (bind_error_ == SQLITE_MISMATCH) {  // a value the store cannot hold: the caller's input
      return absl::InvalidArgumentError(
          absl::StrCat("store ", connection_->path(), ": ", operation_, ": ", bind_error_message_));
    }
    return SqliteStatus(bind_error_, connection_->path(), operation_, bind_error_message_);
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return connection_->Error(rc, operation_);
}

absl::Status SqliteStatement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  bind_error_ = SQLITE_OK;
  bind_error_message_.clear();
}

int SqliteStatement::Changes() const { return sqlite3_changes(connection_->db_); }

std::string SqliteStatement::Text(int column) const { return std::string(TextView(column)); }

absl::string_view SqliteStatement::TextView(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return absl::string_view();
  // column_bytes after column_text: the length of the text form, NULs included.
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t SqliteStatement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double SqliteStatement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<absl::Time> SqliteStatement::OptionalTime(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Time(column);
}

// --- SqliteConnection ----------------------------------------------------

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: the owner serialises access, so sqlite's own locking is waste.
  // No SQLITE_OPEN_URI: the path is a plain file name.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status =
        SqliteStatus(rc, path, "open", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);  // harmless on nullptr
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  const bool in_memory = path == ":memory:";
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path, in_memory));
}

SqliteConnection::SqliteConnection(sqlite3* db, std::string path, bool in_memory)
    : db_(db), path_(std::move(path)), in_memory_(in_memory) {}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, cached] : statements_) sqlite3_finalize(cached->stmt);
  statements_.clear();
  sqlite3_close(db_);
}

absl::Status SqliteConnection::Error(int rc, absl::string_view operation) const {
  return SqliteStatus(rc, path_, operation, sqlite3_errmsg(db_));
}

absl::Status SqliteConnection::Exec(absl::string_view operation, const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status =
      SqliteStatus(rc, path_, operation, message != nullptr ? message : sqlite3_errstr(rc));
  sqlite3_free(message);
  return status;
}

absl::StatusOr<int64_t> SqliteConnection::QueryInt(absl::string_view operation, const char* sql) {
  absl::StatusOr<SqliteStatement> q = Prepare(operation, sql);
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError(absl::StrCat("store ", path_, ": ", operation, ": no result"));
  return q->Int64(0);
}

absl::StatusOr<std::string> SqliteConnection::QueryText(absl::string_view operation,
                                                        const char* sql) {
  absl::StatusOr<SqliteStatement> q = Prepare(operation, sql);
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::InternalError(absl::StrCat("store ", path_, ": ", operation, ": no result"));
  return q->Text(0);
}

absl::StatusOr<SqliteStatement> SqliteConnection::Prepare(absl::string_view operation,
                                                          absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, operation);
    auto cached = std::make_unique<CachedStatement>();
    cached->stmt = stmt;
    it = statements_.emplace(std::string(sql), std::move(cached)).first;
  }
  CachedStatement& cached = *it->second;
  if (cached.in_use) {
    return absl::InternalError(absl::StrCat("store ", path_, ": ", operation,
                                            ": statement is already in use: ", sql));
  }
  return SqliteStatement(this, cached.stmt, &cached.in_use, operation);
}

int64_t SqliteConnection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

bool SqliteConnection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

// --- SqliteTransaction ---------------------------------------------------

absl::Status SqliteTransaction::Begin(absl::string_view operation) {
  operation_ = operation;
  absl::Status status = connection_.Exec(operation, "BEGIN IMMEDIATE");
  open_ = status.ok();
  return status;
}

absl::Status SqliteTransaction::BeginRead(absl::string_view operation) {
  operation_ = operation;
  absl::Status status = connection_.Exec(operation, "BEGIN DEFERRED");
  open_ = status.ok();
  return status;
}

absl::Status SqliteTransaction::Commit() {
  absl::Status status = connection_.Exec(operation_, "COMMIT");
  if (status.ok()) open_ = false;
  return status;
}

SqliteTransaction::~SqliteTransaction() {
  if (!open_) return;
  // Some errors (a full disk, an I/O error) make sqlite roll back by itself;
  // then there is no transaction left to end.
  if (connection_.InTransaction()) {
    connection_.Exec(operation_, "ROLLBACK").IgnoreError();
  }
}

}  // namespace pulse::store_internal
