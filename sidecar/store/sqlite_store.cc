#include "sidecar/store/sqlite_store.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "sidecar/common/logging.h"
#include "sidecar/store/sqlite_connection.h"

namespace pulse {
namespace {

using store_internal::SqliteConnection;
using store_internal::SqliteStatement;
using store_internal::SqliteTransaction;

#define PULSE_STORE_RETURN_IF_ERROR(expr)   \
  do {                                      \
    absl::Status _pulse_status = (expr);    \
    if (!_pulse_status.ok()) return _pulse_status; \
  } while (0)

#define PULSE_STORE_CONCAT_INNER(a, b) a##b
#define PULSE_STORE_CONCAT(a, b) PULSE_STORE_CONCAT_INNER(a, b)
#define PULSE_STORE_ASSIGN_OR_RETURN(lhs, expr) \
  PULSE_STORE_ASSIGN_OR_RETURN_IMPL(PULSE_STORE_CONCAT(_pulse_status_or_, __LINE__), lhs, expr)
#define PULSE_STORE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                      \
  if (!tmp.ok()) return tmp.status();                     \
  lhs = std::move(*tmp)

// How long a call waits for another process (a second sidecar, the sqlite3
// shell) to release the file before failing with Unavailable.
constexpr int kBusyTimeoutMillis = 5000;

// Connection settings, applied on every open.
//  - synchronous=FULL: in WAL mode this costs one fsync of the log per
//    commit, and buys durability of every commit across power loss, which
//    the outbox rule needs (an intent must be on disk before the CRM is
//    written). Bulk syncs are one transaction each, so they pay it once.
//  - journal_size_limit: after a big sync the log is truncated back to
//    64 MiB at the next checkpoint instead of keeping its peak size.
//  - cache_size: 32 MiB of page cache (negative = KiB); 64 and 256 MiB did
//    not make a million-order sync faster.
//  - temp_store: the sorts of CREATE INDEX after a bulk load stay in memory.
constexpr char kConnectionSettings[] =
    "PRAGMA foreign_keys = ON;"  // for any foreign key a later migration adds
    "PRAGMA synchronous = FULL;"
    "PRAGMA journal_size_limit = 67108864;"
    "PRAGMA cache_size = -32768;"
    "PRAGMA temp_store = MEMORY;";

absl::Status DataLoss(const SqliteConnection& db, absl::string_view table, absl::string_view id,
                      absl::string_view problem) {
  return absl::DataLossError(
      absl::StrCat("store ", db.path(), ": ", table, " row '", id, "': ", problem));
}

// --- Encodings -------------------------------------------------------------

std::string FormatDay(absl::CivilDay day) { return absl::FormatCivilTime(day); }

// See account_snapshots in sqlite_schema.cc: each id followed by ';', with
// '\' and ';' escaped. Unambiguous for any bytes, including empty ids.
std::string EncodeContactIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    for (char c : id) {
      if (c == '\\' || c == ';') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back(';');
  }
  return out;
}

std::optional<std::vector<std::string>> DecodeContactIds(absl::string_view text) {
  std::vector<std::string> ids;
  std::string current;
  bool escaped = false;
  for (char c : text) {
    if (escaped) {
      current.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ';') {
      ids.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (escaped || !current.empty()) return std::nullopt;  // an unterminated id
  return ids;
}

std::optional<DeliveryStatus> ParseDeliveryStatus(absl::string_view s) {
  if (s == "pending") return DeliveryStatus::kPending;
  if (s == "delivered") return DeliveryStatus::kDelivered;
  if (s == "failed") return DeliveryStatus::kFailed;
  return std::nullopt;
}

// --- CRM record tables -------------------------------------------------------
//
// RecordTable<T> names the table and columns of one record type, binds a
// record to parameters ?p+1.. in column order, and reads one back from a
// row in the same order. The first column is always the id. The SQL is
// derived from the column list (SqlFor), so the three cannot drift apart.

template <typename T>
struct RecordTable;

template <>
struct RecordTable<User> {
  static constexpr Entity kEntity = Entity::kUsers;
  static constexpr char kTable[] = "users";
  static constexpr const char* kColumns[] = {"id", "name", "email", "active", "weekly_capacity"};

  static void Bind(SqliteStatement& q, int p, const User& u) {
    q.Bind(p + 1, u.id);
    q.Bind(p + 2, u.name);
    q.Bind(p + 3, u.email);
    q.Bind(p + 4, u.active);
    if (u.weekly_capacity.has_value()) {
      q.Bind(p + 5, *u.weekly_capacity);
    } else {
      q.BindNull(p + 5);
    }
  }
  static absl::Status Read(const SqliteConnection&, const SqliteStatement& q, User* u) {
    u->id = q.Text(0);
    u->name = q.Text(1);
    u->email = q.Text(2);
    u->active = q.Bool(3);
    if (!q.IsNull(4)) u->weekly_capacity = static_cast<int>(q.Int64(4));
    return absl::OkStatus();
  }
};

template <>
struct RecordTable<Account> {
  static constexpr Entity kEntity = Entity::kAccounts;
  static constexpr char kTable[] = "accounts";
  static constexpr const char* kColumns[] = {"id",         "name",     "owner_id",      "industry",
                                             "country",    "created_at", "crm_tier", "do_not_contact"};

  static void Bind(SqliteStatement& q, int p, const Account& a) {
    q.Bind(p + 1, a.id);
    q.Bind(p + 2, a.name);
    q.Bind(p + 3, a.owner_id);
    q.Bind(p + 4, a.industry);
    q.Bind(p + 5, a.country);
    q.Bind(p + 6, a.created_at);
    q.Bind(p + 7, TierName(a.crm_tier));
    q.Bind(p + 8, a.do_not_contact);
  }
  static absl::Status Read(const SqliteConnection& db, const SqliteStatement& q, Account* a) {
    a->id = q.Text(0);
    a->name = q.Text(1);
    a->owner_id = q.Text(2);
    a->industry = q.Text(3);
    a->country = q.Text(4);
    a->created_at = q.OptionalTime(5);
    const std::optional<Tier> tier = ParseTier(q.TextView(6));
    if (!tier.has_value()) {
      return DataLoss(db, "accounts", a->id, absl::StrCat("unknown crm_tier '", q.TextView(6), "'"));
    }
    a->crm_tier = *tier;
    a->do_not_contact = q.Bool(7);
    return absl::OkStatus();
  }
};

template <>
struct RecordTable<Contact> {
  static constexpr Entity kEntity = Entity::kContacts;
  static constexpr char kTable[] = "contacts";
  static constexpr const char* kColumns[] = {"id",   "account_id", "name",      "email",
                                             "role", "active",     "updated_at"};

  static void Bind(SqliteStatement& q, int p, const Contact& c) {
    q.Bind(p + 1, c.id);
    q.Bind(p + 2, c.account_id);
    q.Bind(p + 3, c.name);
    q.Bind(p + 4, c.email);
    q.Bind(p + 5, c.role);
    q.Bind(p + 6, c.active);
    q.Bind(p + 7, c.updated_at);
  }
  static absl::Status Read(const SqliteConnection&, const SqliteStatement& q, Contact* c) {
    c->id = q.Text(0);
    c->account_id = q.Text(1);
    c->name = q.Text(2);
    c->email = q.Text(3);
    c->role = q.Text(4);
    c->active = q.Bool(5);
    c->updated_at = q.OptionalTime(6);
    return absl::OkStatus();
  }
};

// The order's own row; its lines are in order_lines (see OrderLines below).
template <>
struct RecordTable<Order> {
  static constexpr Entity kEntity = Entity::kOrders;
  static constexpr char kTable[] = "orders";
  static constexpr const char* kColumns[] = {"id", "account_id", "ordered_at", "amount", "currency"};

  static void Bind(SqliteStatement& q, int p, const Order& o) {
    q.Bind(p + 1, o.id);
    q.Bind(p + 2, o.account_id);
    q.Bind(p + 3, o.ordered_at);
    q.Bind(p + 4, o.amount);
    q.Bind(p + 5, o.currency);
  }
  static absl::Status Read(const SqliteConnection&, const SqliteStatement& q, Order* o) {
    o->id = q.Text(0);
    o->account_id = q.Text(1);
    o->ordered_at = q.Time(2);
    o->amount = q.Double(3);
    o->currency = q.Text(4);
    return absl::OkStatus();
  }
};

template <>
struct RecordTable<Case> {
  static constexpr Entity kEntity = Entity::kCases;
  static constexpr char kTable[] = "cases";
  static constexpr const char* kColumns[] = {"id",     "account_id", "opened_at", "first_response_at",
                                             "closed_at", "status",  "category",  "priority",
                                             "subject"};

  static void Bind(SqliteStatement& q, int p, const Case& c) {
    q.Bind(p + 1, c.id);
    q.Bind(p + 2, c.account_id);
    q.Bind(p + 3, c.opened_at);
    q.Bind(p + 4, c.first_response_at);
    q.Bind(p + 5, c.closed_at);
    q.Bind(p + 6, c.status);
    q.Bind(p + 7, c.category);
    q.Bind(p + 8, c.priority);
    q.Bind(p + 9, c.subject);
  }
  static absl::Status Read(const SqliteConnection&, const SqliteStatement& q, Case* c) {
    c->id = q.Text(0);
    c->account_id = q.Text(1);
    c->opened_at = q.Time(2);
    c->first_response_at = q.OptionalTime(3);
    c->closed_at = q.OptionalTime(4);
    c->status = q.Text(5);
    c->category = q.Text(6);
    c->priority = q.Text(7);
    c->subject = q.Text(8);
    return absl::OkStatus();
  }
};

template <>
struct RecordTable<Activity> {
  static constexpr Entity kEntity = Entity::kActivities;
  static constexpr char kTable[] = "activities";
  static constexpr const char* kColumns[] = {"id",          "account_id", "type",   "direction",
                                             "occurred_at", "user_id",    "subject"};

  static void Bind(SqliteStatement& q, int p, const Activity& a) {
    q.Bind(p + 1, a.id);
    q.Bind(p + 2, a.account_id);
    q.Bind(p + 3, ActivityTypeName(a.type));
    q.Bind(p + 4, DirectionName(a.direction));
    q.Bind(p + 5, a.occurred_at);
    q.Bind(p + 6, a.user_id);
    q.Bind(p + 7, a.subject);
  }
  static absl::Status Read(const SqliteConnection& db, const SqliteStatement& q, Activity* a) {
    a->id = q.Text(0);
    a->account_id = q.Text(1);
    const std::optional<ActivityType> type = ParseActivityType(q.TextView(2));
    if (!type.has_value()) {
      return DataLoss(db, "activities", a->id, absl::StrCat("unknown type '", q.TextView(2), "'"));
    }
    a->type = *type;
    const std::optional<Direction> direction = ParseDirection(q.TextView(3));
    if (!direction.has_value()) {
      return DataLoss(db, "activities", a->id,
                      absl::StrCat("unknown direction '", q.TextView(3), "'"));
    }
    a->direction = *direction;
    a->occurred_at = q.Time(4);
    a->user_id = q.Text(5);
    a->subject = q.Text(6);
    return absl::OkStatus();
  }
};

template <>
struct RecordTable<EngagementPeriod> {
  static constexpr Entity kEntity = Entity::kEngagement;
  static constexpr char kTable[] = "engagement";
  static constexpr const char* kColumns[] = {"id",   "account_id", "period_start",
                                             "sent", "opened",     "clicked"};

  static void Bind(SqliteStatement& q, int p, const EngagementPeriod& e) {
    q.Bind(p + 1, e.id);
    q.Bind(p + 2, e.account_id);
    q.Bind(p + 3, FormatDay(e.period_start));  // a temporary: copied
    q.Bind(p + 4, e.sent);
    q.Bind(p + 5, e.opened);
    q.Bind(p + 6, e.clicked);
  }
  static absl::Status Read(const SqliteConnection& db, const SqliteStatement& q,
                           EngagementPeriod* e) {
    e->id = q.Text(0);
    e->account_id = q.Text(1);
    if (!absl::ParseCivilTime(q.TextView(2), &e->period_start)) {
      return DataLoss(db, "engagement", e->id,
                      absl::StrCat("period_start '", q.TextView(2), "' is not a YYYY-MM-DD day"));
    }
    e->sent = q.Int64(3);
    e->opened = q.Int64(4);
    e->clicked = q.Int64(5);
    return absl::OkStatus();
  }
};

template <>
struct RecordTable<Feedback> {
  static constexpr Entity kEntity = Entity::kFeedback;
  static constexpr char kTable[] = "feedback";
  static constexpr const char* kColumns[] = {"id",    "account_id", "received_at",
                                             "score", "scale",      "comment"};

  static void Bind(SqliteStatement& q, int p, const Feedback& f) {
    q.Bind(p + 1, f.id);
    q.Bind(p + 2, f.account_id);
    q.Bind(p + 3, f.received_at);
    q.Bind(p + 4, f.score);
    q.Bind(p + 5, FeedbackScaleName(f.scale));
    q.Bind(p + 6, f.comment);
  }
  static absl::Status Read(const SqliteConnection& db, const SqliteStatement& q, Feedback* f) {
    f->id = q.Text(0);
    f->account_id = q.Text(1);
    f->received_at = q.Time(2);
    f->score = q.Double(3);
    const std::optional<FeedbackScale> scale = ParseFeedbackScale(q.TextView(4));
    if (!scale.has_value()) {
      return DataLoss(db, "feedback", f->id, absl::StrCat("unknown scale '", q.TextView(4), "'"));
    }
    f->scale = *scale;
    f->comment = q.Text(5);
    return absl::OkStatus();
  }
};

// "(?1, ?2), (?3, ?4)": the VALUES of a multi-row INSERT.
std::string ValuesList(int rows, int columns) {
  std::string out;
  for (int row = 0; row < rows; ++row) {
    absl::StrAppend(&out, row == 0 ? "(" : ", (");
    for (int column = 0; column < columns; ++column) {
      absl::StrAppend(&out, column == 0 ? "?" : ", ?", row * columns + column + 1);
    }
    out.push_back(')');
  }
  return out;
}

// Writes rows through a one-row INSERT and its multi-row form: Add() queues
// a row, and every kRowsPerStatement rows run as one execution, which costs
// little more than a single row's (a first sync writes millions of rows).
// Flush() writes what is queued. A row, and what it points to, must outlive
// the Flush() that writes it.
template <typename Row>
class BatchedInsert {
 public:
  static constexpr int kRowsPerStatement = 32;
  // Binds `row` to parameters ?p+1, ?p+2, ...
  using BindFn = void (*)(SqliteStatement& q, int p, const Row& row);

  BatchedInsert(SqliteStatement many, SqliteStatement one, int params_per_row, BindFn bind)
      : many_(std::move(many)), one_(std::move(one)), params_per_row_(params_per_row), bind_(bind) {
    pending_.reserve(kRowsPerStatement);
  }

  absl::Status Add(Row row) {
    pending_.push_back(std::move(row));
    if (pending_.size() < kRowsPerStatement) return absl::OkStatus();
    many_.Reset();
    for (size_t i = 0; i < pending_.size(); ++i) {
      bind_(many_, static_cast<int>(i) * params_per_row_, pending_[i]);
    }
    PULSE_STORE_RETURN_IF_ERROR(many_.Run());
    pending_.clear();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    for (const Row& row : pending_) {
      one_.Reset();
      bind_(one_, 0, row);
      PULSE_STORE_RETURN_IF_ERROR(one_.Run());
    }
    pending_.clear();
    return absl::OkStatus();
  }

  // The rows of the failed write, after Add() or Flush() failed.
  const std::vector<Row>& pending() const { return pending_; }

 private:
  SqliteStatement many_;
  SqliteStatement one_;
  const int params_per_row_;
  const BindFn bind_;
  std::vector<Row> pending_;
};

// The statements of one record table, made from its column list.
struct TableSql {
  // Insert, or update a stored row only when some value differs, so a
  // snapshot that repeats what is stored writes nothing. For one row, and
  // for BatchedInsert's kRowsPerStatement rows.
  std::string upsert_one;
  std::string upsert_many;
  std::string remove;        // ?1 = id
  std::string select_all;    // every row, ordered by id
  std::string select_by_account;  // ?1 = account_id (tables that have one), ordered by id
  std::string select_ids;    // every id, ordered
  std::string is_empty;      // one row: 1 when the table has no rows
  std::string list_indexes;  // name, sql of its secondary indexes
};

template <typename T>
const TableSql& SqlFor() {
  static const TableSql* const sql = [] {
    using Table = RecordTable<T>;
    const int n = static_cast<int>(std::size(Table::kColumns));
    std::vector<std::string> assignments, excluded;
    for (int i = 1; i < n; ++i) {  // all but the id
      assignments.push_back(absl::StrCat(Table::kColumns[i], " = excluded.", Table::kColumns[i]));
      excluded.push_back(absl::StrCat("excluded.", Table::kColumns[i]));
    }
    const std::string columns = absl::StrJoin(Table::kColumns, ", ");
    const std::string values = absl::StrJoin(std::begin(Table::kColumns) + 1, std::end(Table::kColumns), ", ");
    const std::string insert = absl::StrCat("INSERT INTO ", Table::kTable, " (", columns, ") VALUES ");
    const std::string on_conflict = absl::StrCat(
        " ON CONFLICT (id) DO UPDATE SET ", absl::StrJoin(assignments, ", "), " WHERE (", values,
        ") IS NOT (", absl::StrJoin(excluded, ", "), ")");
    auto* out = new TableSql;
    out->upsert_one = absl::StrCat(insert, ValuesList(1, n), on_conflict);
    out->upsert_many =
        absl::StrCat(insert, ValuesList(BatchedInsert<const T*>::kRowsPerStatement, n), on_conflict);
    out->remove = absl::StrCat("DELETE FROM ", Table::kTable, " WHERE id = ?1");
    out->select_all = absl::StrCat("SELECT ", columns, " FROM ", Table::kTable, " ORDER BY id");
    out->select_ids = absl::StrCat("SELECT id FROM ", Table::kTable, " ORDER BY id");
    out->select_by_account =
        absl::StrCat("SELECT ", columns, " FROM ", Table::kTable, " WHERE account_id = ?1 ORDER BY id");
    out->is_empty = absl::StrCat("SELECT NOT EXISTS (SELECT 1 FROM ", Table::kTable, ")");
    out->list_indexes = absl::StrCat(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = '",
        Table::kTable, "' ORDER BY name");
    return out;
  }();
  return *sql;
}

// The first 8 bytes of `id`, big-endian, zero-padded: comparing these
// orders like comparing the strings, except that ties need a full compare.
inline uint64_t IdPrefix(const std::string& id) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i) {
    prefix = (prefix << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0);
  }
  return prefix;
}

// The records to write, each id once (the last listed wins), in id order:
// the tables are b-trees keyed by id, so sorted writes fill pages in order
// instead of jumping around, and the snapshot sweep can merge.
template <typename T>
std::vector<const T*> SortedUniqueById(const std::vector<T>& records) {
  auto by_id = [](const T& a, const T& b) { return a.id < b.id; };
  std::vector<const T*> sorted;
  sorted.reserve(records.size());
  if (std::is_sorted(records.begin(), records.end(), by_id)) {  // adapters often read in id order
    for (const T& r : records) sorted.push_back(&r);
  } else {
    // Sorting by an inline prefix first keeps most comparisons off the
    // heap: several times faster than comparing strings for a million
    // uuid-like ids.
    struct Key {
      uint64_t prefix;
      const T* record;
    };
    std::vector<Key> keys;
    keys.reserve(records.size());
    for (const T& r : records) keys.push_back({IdPrefix(r.id), &r});
    std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
      if (a.prefix != b.prefix) return a.prefix < b.prefix;
      return a.record->id < b.record->id;
    });
    for (const Key& key : keys) sorted.push_back(key.record);
  }
  // Of each run of equal ids keep the last, which stable sorting left last.
  size_t kept = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1]->id == sorted[i]->id) continue;
    sorted[kept++] = sorted[i];
  }
  sorted.resize(kept);
  return sorted;
}

// Index maintenance dominates a big first load (a million random inserts
// into orders_by_account). Into an empty table, dropping the secondary
// indexes and building them afterwards, from sorted data, is several times
// faster; inside the transaction, a failure restores them.
constexpr size_t kBulkLoadMinRecords = 10000;

absl::StatusOr<std::vector<std::string>> DropIndexes(SqliteConnection& db,
                                                     absl::string_view operation,
                                                     const std::string& list_sql) {
  std::vector<std::string> names, definitions;
  {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q, db.Prepare(operation, list_sql));
    while (true) {
      PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
      if (!row) break;
      names.push_back(q.Text(0));
      definitions.push_back(q.Text(1));
    }
  }
  for (const std::string& name : names) {
    PULSE_STORE_RETURN_IF_ERROR(
        db.Exec(operation, absl::StrCat("DROP INDEX \"", name, "\"").c_str()));
  }
  return definitions;
}

// Deletes the stored rows whose ids are not in `listed` (sorted, unique).
// One ordered scan of the ids, merged with the list; then the deletions.
template <typename T>
absl::Status DeleteUnlisted(SqliteConnection& db, absl::string_view operation,
                            const std::vector<const T*>& listed) {
  const TableSql& sql = SqlFor<T>();
  std::vector<std::string> stale;
  {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement ids, db.Prepare(operation, sql.select_ids));
    size_t next = 0;
    while (true) {
      PULSE_STORE_ASSIGN_OR_RETURN(const bool row, ids.Step());
      if (!row) break;
      // ORDER BY uses the BINARY collation (memcmp), which is also how
      // std::string and absl::string_view compare.
      const absl::string_view id = ids.TextView(0);
      while (next < listed.size() && absl::string_view(listed[next]->id) < id) ++next;
      if (next < listed.size() && listed[next]->id == id) continue;
      stale.emplace_back(id);
    }
  }
  PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement remove, db.Prepare(operation, sql.remove));
  for (const std::string& id : stale) {
    remove.Reset();
    remove.Bind(1, id);
    PULSE_STORE_RETURN_IF_ERROR(remove.Run());
  }
  return absl::OkStatus();
}

bool SameLine(const SqliteStatement& q, const OrderLine& line) {
  return q.TextView(0) == line.sku && q.TextView(1) == line.product &&
         q.Double(2) == line.quantity && q.Double(3) == line.amount;
}

// One line of an order, for BatchedInsert.
struct LineRow {
  const Order* order;
  size_t index;
};

void BindLineRow(SqliteStatement& q, int p, const LineRow& row) {
  const OrderLine& line = row.order->lines[row.index];
  q.Bind(p + 1, row.order->id);
  q.Bind(p + 2, static_cast<int64_t>(row.index));
  q.Bind(p + 3, line.sku);
  q.Bind(p + 4, line.product);
  q.Bind(p + 5, line.quantity);
  q.Bind(p + 6, line.amount);
}

absl::StatusOr<BatchedInsert<LineRow>> MakeLineWriter(SqliteConnection& db,
                                                      absl::string_view operation) {
  constexpr int kColumns = 6;
  static const auto* const sql = [] {
    const std::string insert =
        "INSERT INTO order_lines (order_id, line_no, sku, product, quantity, amount) VALUES ";
    return new std::pair<std::string, std::string>(
        absl::StrCat(insert, ValuesList(BatchedInsert<LineRow>::kRowsPerStatement, kColumns)),
        absl::StrCat(insert, ValuesList(1, kColumns)));
  }();
  PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement many, db.Prepare(operation, sql->first));
  PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement one, db.Prepare(operation, sql->second));
  return BatchedInsert<LineRow>(std::move(many), std::move(one), kColumns, BindLineRow);
}

// Makes the stored lines of each order its `lines`, writing only where they
// differ. `none_stored`: the caller knows no order has lines yet.
absl::Status ReplaceOrderLines(SqliteConnection& db, absl::string_view operation,
                               const std::vector<const Order*>& orders, bool none_stored) {
  PULSE_STORE_ASSIGN_OR_RETURN(
      SqliteStatement read,
      db.Prepare(operation,
                 "SELECT sku, product, quantity, amount FROM order_lines WHERE order_id = ?1"
                 " ORDER BY line_no"));
  PULSE_STORE_ASSIGN_OR_RETURN(
      SqliteStatement remove, db.Prepare(operation, "DELETE FROM order_lines WHERE order_id = ?1"));
  PULSE_STORE_ASSIGN_OR_RETURN(BatchedInsert<LineRow> writer, MakeLineWriter(db, operation));
  for (const Order* order : orders) {
    if (!none_stored) {
      read.Reset();
      read.Bind(1, order->id);
      size_t same = 0;
      bool any_stored = false;
      bool differs = false;
      while (true) {
        PULSE_STORE_ASSIGN_OR_RETURN(const bool row, read.Step());
        if (!row) break;
        any_stored = true;
        if (same < order->lines.size() && SameLine(read, order->lines[same])) {
          ++same;
        } else {
          differs = true;
          break;
        }
      }
      read.Reset();
      if (!differs && same == order->lines.size()) continue;  // as stored
      if (any_stored) {
        remove.Reset();
        remove.Bind(1, order->id);
        PULSE_STORE_RETURN_IF_ERROR(remove.Run());
      }
    }
    for (size_t i = 0; i < order->lines.size(); ++i) {
      PULSE_STORE_RETURN_IF_ERROR(writer.Add({order, i}));
    }
  }
  return writer.Flush();
}

template <typename T>
absl::Status ApplyBatch(SqliteConnection& db, const ChangeBatch<T>& batch) {
  using Table = RecordTable<T>;
  const TableSql& sql = SqlFor<T>();
  const std::string operation = absl::StrCat("apply ", EntityName(Table::kEntity));
  SqliteTransaction transaction(db);
  PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(operation));

  const std::vector<const T*> records = SortedUniqueById(batch.upserts);
  PULSE_STORE_ASSIGN_OR_RETURN(const int64_t was_empty, db.QueryInt(operation, sql.is_empty.c_str()));
  const bool bulk_load = was_empty != 0 && records.size() >= kBulkLoadMinRecords;
  std::vector<std::string> dropped_indexes;
  if (bulk_load) {
    PULSE_STORE_ASSIGN_OR_RETURN(dropped_indexes, DropIndexes(db, operation, sql.list_indexes));
  }
  {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement many, db.Prepare(operation, sql.upsert_many));
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement one, db.Prepare(operation, sql.upsert_one));
    BatchedInsert<const T*> writer(
        std::move(many), std::move(one), static_cast<int>(std::size(Table::kColumns)),
        [](SqliteStatement& q, int p, const T* const& record) { Table::Bind(q, p, *record); });
    absl::Status status;
    for (const T* record : records) {
      status = writer.Add(record);
      if (!status.ok()) break;
    }
    if (status.ok()) status = writer.Flush();
    if (!status.ok()) {  // name the records, so a bad one can be found
      const std::vector<const T*>& failed = writer.pending();
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), " (writing ", Table::kTable, " '",
                                       failed.front()->id, "'",
                                       failed.size() > 1 ? absl::StrCat(" to '", failed.back()->id, "'") : "",
                                       ")"));
    }
  }
  if constexpr (std::is_same_v<T, Order>) {
    PULSE_STORE_RETURN_IF_ERROR(ReplaceOrderLines(db, operation, records, was_empty != 0));
  }
  if (batch.full_snapshot) {
    PULSE_STORE_RETURN_IF_ERROR(DeleteUnlisted(db, operation, records));
  }
  // Deletions after upserts: an id in both lists ends deleted. An order's
  // lines go with it (trigger order_lines_follow_order).
  {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement remove, db.Prepare(operation, sql.remove));
    for (const std::string& id : batch.deleted_ids) {
      remove.Reset();
      remove.Bind(1, id);
      PULSE_STORE_RETURN_IF_ERROR(remove.Run());
    }
  }
  for (const std::string& definition : dropped_indexes) {
    PULSE_STORE_RETURN_IF_ERROR(db.Exec(operation, definition.c_str()));
  }
  {
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement save,
        db.Prepare(operation,
                   "INSERT INTO watermarks (entity, watermark) VALUES (?1, ?2)"
                   " ON CONFLICT (entity) DO UPDATE SET watermark = excluded.watermark"));
    save.Bind(1, EntityName(Table::kEntity));
    save.Bind(2, batch.watermark);
    PULSE_STORE_RETURN_IF_ERROR(save.Run());
  }
  return transaction.Commit();
}

template <typename T>
absl::Status LoadTable(SqliteConnection& db, absl::string_view operation, std::vector<T>* out) {
  PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q, db.Prepare(operation, SqlFor<T>().select_all));
  while (true) {
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) return absl::OkStatus();
    T record;
    PULSE_STORE_RETURN_IF_ERROR(RecordTable<T>::Read(db, q, &record));
    out->push_back(std::move(record));
  }
}

// The rows of one account (by the table's account index).
template <typename T>
absl::Status LoadAccountTable(SqliteConnection& db, absl::string_view operation, const std::string& account_id,
                              std::vector<T>* out) {
  PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q, db.Prepare(operation, SqlFor<T>().select_by_account));
  q.Bind(1, account_id);
  while (true) {
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) return absl::OkStatus();
    T record;
    PULSE_STORE_RETURN_IF_ERROR(RecordTable<T>::Read(db, q, &record));
    out->push_back(std::move(record));
  }
}

// Attaches the stored lines to `orders`, which are sorted by id. Both scans
// run in id order, so this is a merge: one pass over each table, no lookups
// and no hash map.
absl::Status LoadOrderLines(SqliteConnection& db, absl::string_view operation,
                            std::vector<Order>* orders) {
  PULSE_STORE_ASSIGN_OR_RETURN(
      SqliteStatement q,
      db.Prepare(operation,
                 "SELECT order_id, sku, product, quantity, amount FROM order_lines"
                 " ORDER BY order_id, line_no"));
  size_t next = 0;
  while (true) {
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) return absl::OkStatus();
    const absl::string_view order_id = q.TextView(0);  // BINARY order, as in DeleteUnlisted
    while (next < orders->size() && absl::string_view((*orders)[next].id) < order_id) ++next;
    if (next == orders->size()) return absl::OkStatus();
    Order& order = (*orders)[next];
    if (order.id != order_id) continue;  // lines without their order: never written
    OrderLine& line = order.lines.emplace_back();
    line.sku = q.Text(1);
    line.product = q.Text(2);
    line.quantity = q.Double(3);
    line.amount = q.Double(4);
  }
}


// --- Ledgers -----------------------------------------------------------------

#define PULSE_STORE_TASK_COLUMNS                                                           \
  "key, account_id, assignee_id, type, due_at, subject, description, created_at, action, " \
  "reasons, sweep_id, status, attempts, last_error, next_attempt_at, crm_id, delivered_at"

void BindTask(SqliteStatement& q, const TaskRecord& t) {
  q.Bind(1, t.request.key);
  q.Bind(2, t.request.account_id);
  q.Bind(3, t.request.assignee_id);
  q.Bind(4, TaskTypeName(t.request.type));
  q.Bind(5, t.request.due_at);
  q.Bind(6, t.request.subject);
  q.Bind(7, t.request.description);
  q.Bind(8, t.request.created_at);
  q.Bind(9, t.action);
  q.Bind(10, t.reasons);
  q.Bind(11, t.sweep_id);
  q.Bind(12, DeliveryStatusName(t.status));
  q.Bind(13, t.attempts);
  q.Bind(14, t.last_error);
  q.Bind(15, t.next_attempt_at);
  q.Bind(16, t.crm_id);
  q.Bind(17, t.delivered_at);
}

absl::StatusOr<TaskRecord> ReadTask(const SqliteConnection& db, const SqliteStatement& q) {
  TaskRecord t;
  t.request.key = q.Text(0);
  t.request.account_id = q.Text(1);
  t.request.assignee_id = q.Text(2);
  const std::optional<TaskType> type = ParseTaskType(q.TextView(3));
  if (!type.has_value()) {
    return DataLoss(db, "tasks", t.request.key, absl::StrCat("unknown type '", q.TextView(3), "'"));
  }
  t.request.type = *type;
  t.request.due_at = q.Time(4);
  t.request.subject = q.Text(5);
  t.request.description = q.Text(6);
  t.request.created_at = q.Time(7);
  t.action = q.Text(8);
  t.reasons = q.Text(9);
  t.sweep_id = q.Int64(10);
  const std::optional<DeliveryStatus> status = ParseDeliveryStatus(q.TextView(11));
  if (!status.has_value()) {
    return DataLoss(db, "tasks", t.request.key,
                    absl::StrCat("unknown status '", q.TextView(11), "'"));
  }
  t.status = *status;
  t.attempts = static_cast<int>(q.Int64(12));
  t.last_error = q.Text(13);
  t.next_attempt_at = q.OptionalTime(14);
  t.crm_id = q.Text(15);
  t.delivered_at = q.OptionalTime(16);
  return t;
}

#define PULSE_STORE_DECISION_COLUMNS                                                   \
  "key, account_id, action, tier, arm, backfill, decided_at, sweep_id, churn_probability, " \
  "annual_value"

#define PULSE_STORE_OWNER_CHANGE_COLUMNS                                                \
  "key, account_id, from_owner_id, to_owner_id, changed_at, plan_id, status, attempts, " \
  "last_error, next_attempt_at, delivered_at"

void BindOwnerChange(SqliteStatement& q, const OwnerChangeRecord& c) {
  q.Bind(1, c.request.key);
  q.Bind(2, c.request.account_id);
  q.Bind(3, c.request.from_owner_id);
  q.Bind(4, c.request.to_owner_id);
  q.Bind(5, c.request.changed_at);
  q.Bind(6, c.plan_id);
  q.Bind(7, DeliveryStatusName(c.status));
  q.Bind(8, c.attempts);
  q.Bind(9, c.last_error);
  q.Bind(10, c.next_attempt_at);
  q.Bind(11, c.delivered_at);
}

absl::StatusOr<OwnerChangeRecord> ReadOwnerChange(const SqliteConnection& db,
                                                  const SqliteStatement& q) {
  OwnerChangeRecord c;
  c.request.key = q.Text(0);
  c.request.account_id = q.Text(1);
  c.request.from_owner_id = q.Text(2);
  c.request.to_owner_id = q.Text(3);
  c.request.changed_at = q.Time(4);
  c.plan_id = q.Text(5);
  const std::optional<DeliveryStatus> status = ParseDeliveryStatus(q.TextView(6));
  if (!status.has_value()) {
    return DataLoss(db, "owner_changes", c.request.key,
                    absl::StrCat("unknown status '", q.TextView(6), "'"));
  }
  c.status = *status;
  c.attempts = static_cast<int>(q.Int64(7));
  c.last_error = q.Text(8);
  c.next_attempt_at = q.OptionalTime(9);
  c.delivered_at = q.OptionalTime(10);
  return c;
}

// Runs `q` (already bound) and reads every row with `read`.
template <typename Record, typename ReadFn>
absl::StatusOr<std::vector<Record>> ReadAll(const SqliteConnection& db, SqliteStatement& q,
                                            ReadFn read) {
  std::vector<Record> out;
  while (true) {
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) return out;
    PULSE_STORE_ASSIGN_OR_RETURN(Record record, read(db, q));
    out.push_back(std::move(record));
  }
}

// Inserts the records whose key is new; returns how many. All-or-nothing.
template <typename Record, typename BindFn>
absl::StatusOr<int> InsertNewKeys(SqliteConnection& db, absl::string_view operation,
                                  const char* sql, const std::vector<Record>& records,
                                  BindFn bind) {
  for (const Record& record : records) {
    if (record.request.key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("store ", db.path(), ": ", operation,
                                                     ": a record has an empty key"));
    }
  }
  SqliteTransaction transaction(db);
  PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(operation));
  int inserted = 0;
  {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement insert, db.Prepare(operation, sql));
    for (const Record& record : records) {
      insert.Reset();
      bind(insert, record);
      PULSE_STORE_RETURN_IF_ERROR(insert.Run());
      inserted += insert.Changes();
    }
  }
  PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
  return inserted;
}

absl::Status NotFoundUnlessChanged(const SqliteConnection& db, const SqliteStatement& q,
                                   absl::string_view what, absl::string_view key) {
  if (q.Changes() > 0) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("store ", db.path(), ": no ", what, " '", key, "'"));
}

// --- Account snapshots -------------------------------------------------------

absl::StatusOr<AccountSnapshot> ReadSnapshot(const SqliteConnection& db,
                                             const SqliteStatement& q) {
  AccountSnapshot s;
  s.account_id = q.Text(0);
  s.owner_id = q.Text(1);
  std::optional<std::vector<std::string>> ids = DecodeContactIds(q.TextView(2));
  if (!ids.has_value()) {
    return DataLoss(db, "account_snapshots", s.account_id,
                    absl::StrCat("malformed active_contact_ids '", q.TextView(2), "'"));
  }
  s.active_contact_ids = std::move(*ids);
  s.observed_at = q.Time(3);
  return s;
}

absl::StatusOr<SweepRecord> ReadSweep(const SqliteConnection&, const SqliteStatement& q) {
  SweepRecord s;
  s.id = q.Int64(0);
  s.started_at = q.Time(1);
  s.finished_at = q.OptionalTime(2);
  s.as_of = q.Time(3);
  s.dry_run = q.Bool(4);
  s.status = q.Text(5);
  s.report_json = q.Text(6);
  return s;
}

absl::StatusOr<ContactDecision> ReadDecision(const SqliteConnection&, const SqliteStatement& r) {
  ContactDecision d;
  d.key = r.Text(0);
  d.account_id = r.Text(1);
  d.action = r.Text(2);
  d.tier = r.Text(3);
  d.holdout = r.TextView(4) == "holdout";
  d.backfill = r.Int64(5) != 0;
  d.decided_at = r.Time(6);
  d.sweep_id = r.Int64(7);
  d.churn_probability = r.Double(8);
  d.annual_value = r.Double(9);
  return d;
}

// --- The store ---------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  // `reader`, when given, is a second connection to the same WAL-mode file
  // for the API's point reads (TasksForAccount), so that they never wait for
  // a sweep's long loads and transactions on `db`.
  SqliteStore(std::unique_ptr<SqliteConnection> db, std::unique_ptr<SqliteConnection> reader, int schema_version)
      : schema_version_(schema_version), db_(std::move(db)), reader_(std::move(reader)) {}

  int SchemaVersion() override { return schema_version_; }

  absl::Status Apply(const ChangeBatch<User>& batch) override { return ApplyWithLock(batch); }
  absl::Status Apply(const ChangeBatch<Account>& batch) override { return ApplyWithLock(batch); }
  absl::Status Apply(const ChangeBatch<Contact>& batch) override { return ApplyWithLock(batch); }
  absl::Status Apply(const ChangeBatch<Order>& batch) override { return ApplyWithLock(batch); }
  absl::Status Apply(const ChangeBatch<Case>& batch) override { return ApplyWithLock(batch); }
  absl::Status Apply(const ChangeBatch<Activity>& batch) override { return ApplyWithLock(batch); }
  absl::Status Apply(const ChangeBatch<EngagementPeriod>& batch) override {
    return ApplyWithLock(batch);
  }
  absl::Status Apply(const ChangeBatch<Feedback>& batch) override { return ApplyWithLock(batch); }

  absl::StatusOr<std::string> GetWatermark(Entity entity) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("get watermark", "SELECT watermark FROM watermarks WHERE entity = ?1"));
    q.Bind(1, EntityName(entity));
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    return row ? q.Text(0) : std::string();
  }

  absl::Status ResetWatermarks() override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("reset watermarks", "UPDATE watermarks SET watermark = ''"));
    return q.Run();
  }

  absl::StatusOr<CustomerData> LoadCustomerData() override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOperation = "load customer data";
    SqliteTransaction transaction(*db_);  // one consistent view of all tables
    PULSE_STORE_RETURN_IF_ERROR(transaction.BeginRead(kOperation));
    CustomerData data;
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.users));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.accounts));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.contacts));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.orders));
    PULSE_STORE_RETURN_IF_ERROR(LoadOrderLines(*db_, kOperation, &data.orders));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.cases));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.activities));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.engagement));
    PULSE_STORE_RETURN_IF_ERROR(LoadTable(*db_, kOperation, &data.feedback));
    PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
    return data;
  }

  absl::StatusOr<AccountRecords> LoadAccountRecords(const std::string& account_id) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOperation = "load account records";
    SqliteTransaction transaction(*db_);  // one consistent view of all tables
    PULSE_STORE_RETURN_IF_ERROR(transaction.BeginRead(kOperation));
    AccountRecords out;
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOperation, absl::StrCat("SELECT ", absl::StrJoin(RecordTable<Account>::kColumns, ", "),
                                                " FROM accounts WHERE id = ?1")));
      q.Bind(1, account_id);
      PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
      if (row) {
        Account account;
        PULSE_STORE_RETURN_IF_ERROR(RecordTable<Account>::Read(*db_, q, &account));
        out.account = std::move(account);
      }
    }
    PULSE_STORE_RETURN_IF_ERROR(LoadAccountTable(*db_, kOperation, account_id, &out.contacts));
    PULSE_STORE_RETURN_IF_ERROR(LoadAccountTable(*db_, kOperation, account_id, &out.orders));
    PULSE_STORE_RETURN_IF_ERROR(LoadAccountTable(*db_, kOperation, account_id, &out.cases));
    PULSE_STORE_RETURN_IF_ERROR(LoadAccountTable(*db_, kOperation, account_id, &out.activities));
    PULSE_STORE_RETURN_IF_ERROR(LoadAccountTable(*db_, kOperation, account_id, &out.engagement));
    PULSE_STORE_RETURN_IF_ERROR(LoadAccountTable(*db_, kOperation, account_id, &out.feedback));
    PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
    return out;
  }

  absl::Status RecordAccountSnapshots(const std::vector<AccountSnapshot>& snapshots) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOperation = "record account snapshots";
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOperation));
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement latest,
          db_->Prepare(kOperation,
                       "SELECT owner_id, active_contact_ids FROM account_snapshots"
                       " WHERE account_id = ?1 ORDER BY observed_at DESC, id DESC LIMIT 1"));
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare(kOperation,
                       "INSERT INTO account_snapshots (account_id, owner_id, active_contact_ids,"
                       " observed_at) VALUES (?1, ?2, ?3, ?4)"));
      for (const AccountSnapshot& snapshot : snapshots) {
        std::vector<std::string> contact_ids = snapshot.active_contact_ids;
        std::sort(contact_ids.begin(), contact_ids.end());
        const std::string encoded = EncodeContactIds(contact_ids);

        latest.Reset();
        latest.Bind(1, snapshot.account_id);
        PULSE_STORE_ASSIGN_OR_RETURN(const bool found, latest.Step());
        // Encodings are canonical (sorted ids, one escape rule), so equal
        // text means equal contacts.
        const bool unchanged =
            found && latest.TextView(0) == snapshot.owner_id && latest.TextView(1) == encoded;
        latest.Reset();
        if (unchanged) continue;

        insert.Reset();
        insert.Bind(1, snapshot.account_id);
        insert.Bind(2, snapshot.owner_id);
        insert.Bind(3, encoded);
        insert.Bind(4, snapshot.observed_at);
        PULSE_STORE_RETURN_IF_ERROR(insert.Run());
      }
    }
    return transaction.Commit();
  }

  absl::StatusOr<std::vector<AccountSnapshot>> LatestAccountSnapshots() override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("latest account snapshots",
                     "SELECT account_id, owner_id, active_contact_ids, observed_at FROM ("
                     "  SELECT *, row_number() OVER ("
                     "    PARTITION BY account_id ORDER BY observed_at DESC, id DESC) AS recency"
                     "  FROM account_snapshots)"
                     " WHERE recency = 1 ORDER BY account_id"));
    return ReadAll<AccountSnapshot>(*db_, q, ReadSnapshot);
  }

  absl::StatusOr<std::vector<AccountSnapshot>> AccountHistory(
      const std::string& account_id) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("account history",
                     "SELECT account_id, owner_id, active_contact_ids, observed_at"
                     " FROM account_snapshots WHERE account_id = ?1 ORDER BY observed_at, id"));
    q.Bind(1, account_id);
    return ReadAll<AccountSnapshot>(*db_, q, ReadSnapshot);
  }

  absl::StatusOr<int> AddTasks(const std::vector<TaskRecord>& tasks) override {
    absl::MutexLock lock(&mu_);
    return InsertNewKeys(*db_, "add tasks",
                         "INSERT INTO tasks (" PULSE_STORE_TASK_COLUMNS ") VALUES (?1, ?2, ?3, ?4,"
                         " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
                         " ON CONFLICT (key) DO NOTHING",
                         tasks, BindTask);
  }

  absl::StatusOr<std::vector<TaskRecord>> DueTasks(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("due tasks",
                     "SELECT " PULSE_STORE_TASK_COLUMNS " FROM tasks WHERE status = 'pending'"
                     " AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)"
                     " ORDER BY created_at, rowid"));
    q.Bind(1, now);
    return ReadAll<TaskRecord>(*db_, q, ReadTask);
  }

  absl::Status MarkTaskDelivered(const std::string& key, const std::string& crm_id,
                                 absl::Time at) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("mark task delivered",
                     "UPDATE tasks SET status = 'delivered', crm_id = ?2, delivered_at = ?3,"
                     " next_attempt_at = NULL WHERE key = ?1"));
    q.Bind(1, key);
    q.Bind(2, crm_id);
    q.Bind(3, at);
    PULSE_STORE_RETURN_IF_ERROR(q.Run());
    return NotFoundUnlessChanged(*db_, q, "task", key);
  }

  absl::Status MarkTaskAttemptFailed(const std::string& key, const std::string& error,
                                     absl::Time next_attempt_at, bool permanent) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("mark task attempt failed",
                     "UPDATE tasks SET attempts = attempts + 1, last_error = ?2,"
                     " status = CASE WHEN ?4 THEN 'failed' ELSE 'pending' END,"
                     " next_attempt_at = CASE WHEN ?4 THEN NULL ELSE ?3 END WHERE key = ?1"));
    q.Bind(1, key);
    q.Bind(2, error);
    q.Bind(3, next_attempt_at);
    q.Bind(4, permanent);
    PULSE_STORE_RETURN_IF_ERROR(q.Run());
    return NotFoundUnlessChanged(*db_, q, "task", key);
  }

  absl::StatusOr<std::optional<TaskRecord>> GetTask(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("get task",
                     "SELECT " PULSE_STORE_TASK_COLUMNS " FROM tasks WHERE key = ?1"));
    q.Bind(1, key);
    PULSE_STORE_ASSIGN_OR_RETURN(std::vector<TaskRecord> found,
                                 ReadAll<TaskRecord>(*db_, q, ReadTask));
    if (found.empty()) return std::optional<TaskRecord>();
    return std::optional<TaskRecord>(std::move(found.front()));
  }

  absl::StatusOr<std::vector<TaskRecord>> TasksForAccount(const std::string& account_id) override {
    if (reader_ != nullptr) {
      // WAL: reads the last committed state without waiting for the writer.
      absl::MutexLock lock(&reader_mu_);
      return TasksForAccountOn(*reader_, account_id);
    }
    absl::MutexLock lock(&mu_);
    return TasksForAccountOn(*db_, account_id);
  }

  absl::StatusOr<std::vector<TaskRecord>> TasksCreatedSince(absl::Time since) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("tasks created since",
                     "SELECT " PULSE_STORE_TASK_COLUMNS " FROM tasks WHERE created_at >= ?1"
                     " ORDER BY created_at, rowid"));
    q.Bind(1, since);
    return ReadAll<TaskRecord>(*db_, q, ReadTask);
  }

  absl::StatusOr<int> AddOwnerChanges(const std::vector<OwnerChangeRecord>& changes) override {
    absl::MutexLock lock(&mu_);
    return InsertNewKeys(*db_, "add owner changes",
                         "INSERT INTO owner_changes (" PULSE_STORE_OWNER_CHANGE_COLUMNS ")"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                         " ON CONFLICT (key) DO NOTHING",
                         changes, BindOwnerChange);
  }

  absl::StatusOr<std::vector<OwnerChangeRecord>> DueOwnerChanges(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("due owner changes",
                     "SELECT " PULSE_STORE_OWNER_CHANGE_COLUMNS " FROM owner_changes"
                     " WHERE status = 'pending'"
                     " AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)"
                     " ORDER BY changed_at, rowid"));
    q.Bind(1, now);
    return ReadAll<OwnerChangeRecord>(*db_, q, ReadOwnerChange);
  }

  absl::Status MarkOwnerChangeDelivered(const std::string& key, absl::Time at) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("mark owner change delivered",
                     "UPDATE owner_changes SET status = 'delivered', delivered_at = ?2,"
                     " next_attempt_at = NULL WHERE key = ?1"));
    q.Bind(1, key);
    q.Bind(2, at);
    PULSE_STORE_RETURN_IF_ERROR(q.Run());
    return NotFoundUnlessChanged(*db_, q, "owner change", key);
  }

  absl::Status MarkOwnerChangeAttemptFailed(const std::string& key, const std::string& error,
                                            absl::Time next_attempt_at, bool permanent) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("mark owner change attempt failed",
                     "UPDATE owner_changes SET attempts = attempts + 1, last_error = ?2,"
                     " status = CASE WHEN ?4 THEN 'failed' ELSE 'pending' END,"
                     " next_attempt_at = CASE WHEN ?4 THEN NULL ELSE ?3 END WHERE key = ?1"));
    q.Bind(1, key);
    q.Bind(2, error);
    q.Bind(3, next_attempt_at);
    q.Bind(4, permanent);
    PULSE_STORE_RETURN_IF_ERROR(q.Run());
    return NotFoundUnlessChanged(*db_, q, "owner change", key);
  }

  absl::StatusOr<std::vector<OwnerChangeRecord>> OwnerChangesForPlan(const std::string& plan_id) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("owner changes for plan",
                     "SELECT " PULSE_STORE_OWNER_CHANGE_COLUMNS " FROM owner_changes WHERE plan_id = ?1"
                     " ORDER BY changed_at, rowid"));
    q.Bind(1, plan_id);
    return ReadAll<OwnerChangeRecord>(*db_, q, ReadOwnerChange);
  }

  absl::StatusOr<int64_t> AddHandoffPlan(const HandoffPlanRecord& plan, const HandoffAuditRecord& audit) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOp = "add handoff plan";
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOp));
    int64_t id = 0;
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "INSERT INTO handoff_plans (from_user_id, status, effective_day, created_at,"
                            " requested_by, sweep_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      q.Bind(1, plan.from_user_id);
      q.Bind(2, plan.status);
      q.Bind(3, plan.effective_day);
      q.Bind(4, plan.created_at);
      q.Bind(5, plan.requested_by);
      q.Bind(6, plan.sweep_id);
      PULSE_STORE_RETURN_IF_ERROR(q.Run());
      id = db_->LastInsertRowId();
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "INSERT INTO handoff_accounts (plan_id, account_id, account_name, tier, annual_value,"
                            " churn_probability, weight, to_user_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                            " ?8, ?9)"));
      for (const HandoffAccountRecord& a : plan.accounts) {
        q.Reset();
        q.Bind(1, id);
        q.Bind(2, a.account_id);
        q.Bind(3, a.account_name);
        q.Bind(4, a.tier);
        q.Bind(5, a.annual_value);
        q.Bind(6, a.churn_probability);
        q.Bind(7, a.weight);
        q.Bind(8, a.to_user_id);
        q.Bind(9, a.reason);
        PULSE_STORE_RETURN_IF_ERROR(q.Run());
      }
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "INSERT INTO handoff_loads (plan_id, user_id, name, weekly_capacity, key_account_holder,"
                            " accounts_before, annual_value_before, load_before, capacity) VALUES (?1, ?2, ?3, ?4,"
                            " ?5, ?6, ?7, ?8, ?9)"));
      for (const HandoffLoadRecord& l : plan.loads) {
        q.Reset();
        q.Bind(1, id);
        q.Bind(2, l.user_id);
        q.Bind(3, l.name);
        q.Bind(4, l.weekly_capacity);
        q.Bind(5, l.key_account_holder);
        q.Bind(6, l.accounts_before);
        q.Bind(7, l.annual_value_before);
        q.Bind(8, l.load_before);
        q.Bind(9, l.capacity);
        PULSE_STORE_RETURN_IF_ERROR(q.Run());
      }
    }
    HandoffAuditRecord entry = audit;
    entry.plan_id = id;
    PULSE_STORE_RETURN_IF_ERROR(InsertAudit(entry));
    PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
    return id;
  }

  absl::StatusOr<std::optional<HandoffPlanRecord>> GetHandoffPlan(int64_t id) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOp = "get handoff plan";
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.BeginRead(kOp));
    PULSE_STORE_ASSIGN_OR_RETURN(std::vector<HandoffPlanRecord> plans,
                                 ReadPlans(" WHERE id = ?1", id));
    if (plans.empty()) return std::optional<HandoffPlanRecord>();
    HandoffPlanRecord plan = std::move(plans.front());
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "SELECT account_id, account_name, tier, annual_value, churn_probability, weight,"
                            " to_user_id, reason FROM handoff_accounts WHERE plan_id = ?1"
                            " ORDER BY weight DESC, account_id"));
      q.Bind(1, id);
      PULSE_STORE_ASSIGN_OR_RETURN(
          plan.accounts,
          ReadAll<HandoffAccountRecord>(
              *db_, q, [](const SqliteConnection&, const SqliteStatement& r) -> absl::StatusOr<HandoffAccountRecord> {
                HandoffAccountRecord a;
                a.account_id = r.Text(0);
                a.account_name = r.Text(1);
                a.tier = r.Text(2);
                a.annual_value = r.Double(3);
                a.churn_probability = r.Double(4);
                a.weight = r.Double(5);
                a.to_user_id = r.Text(6);
                a.reason = r.Text(7);
                return a;
              }));
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "SELECT user_id, name, weekly_capacity, key_account_holder, accounts_before,"
                            " annual_value_before, load_before, capacity FROM handoff_loads WHERE plan_id = ?1"
                            " ORDER BY user_id"));
      q.Bind(1, id);
      PULSE_STORE_ASSIGN_OR_RETURN(
          plan.loads,
          ReadAll<HandoffLoadRecord>(
              *db_, q, [](const SqliteConnection&, const SqliteStatement& r) -> absl::StatusOr<HandoffLoadRecord> {
                HandoffLoadRecord l;
                l.user_id = r.Text(0);
                l.name = r.Text(1);
                l.weekly_capacity = static_cast<int>(r.Int64(2));
                l.key_account_holder = r.Bool(3);
                l.accounts_before = r.Int64(4);
                l.annual_value_before = r.Double(5);
                l.load_before = r.Double(6);
                l.capacity = r.Double(7);
                return l;
              }));
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "SELECT plan_id, at, requested_by, action, detail FROM handoff_audit WHERE plan_id = ?1"
                            " ORDER BY at, id"));
      q.Bind(1, id);
      PULSE_STORE_ASSIGN_OR_RETURN(
          plan.audit,
          ReadAll<HandoffAuditRecord>(
              *db_, q, [](const SqliteConnection&, const SqliteStatement& r) -> absl::StatusOr<HandoffAuditRecord> {
                HandoffAuditRecord e;
                e.plan_id = r.Int64(0);
                e.at = r.Time(1);
                e.requested_by = r.Text(2);
                e.action = r.Text(3);
                e.detail = r.Text(4);
                return e;
              }));
    }
    return std::optional<HandoffPlanRecord>(std::move(plan));
  }

  absl::StatusOr<std::vector<HandoffPlanRecord>> ListHandoffPlans() override {
    absl::MutexLock lock(&mu_);
    return ReadPlans(" ORDER BY id DESC", std::nullopt);
  }

  absl::Status SetHandoffPlanStatus(int64_t id, const std::vector<std::string>& from, const std::string& to,
                                    const HandoffAuditRecord& audit) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOp = "set handoff plan status";
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOp));
    PULSE_STORE_ASSIGN_OR_RETURN(const std::string current, PlanStatus(id));
    if (std::find(from.begin(), from.end(), current) == from.end() && current != to) {
      return absl::FailedPreconditionError(absl::StrCat("handoff plan ", id, " is ", current));
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q,
                                   db_->Prepare(kOp, "UPDATE handoff_plans SET status = ?2 WHERE id = ?1"));
      q.Bind(1, id);
      q.Bind(2, to);
      PULSE_STORE_RETURN_IF_ERROR(q.Run());
    }
    HandoffAuditRecord entry = audit;
    entry.plan_id = id;
    PULSE_STORE_RETURN_IF_ERROR(InsertAudit(entry));
    return transaction.Commit();
  }

  absl::Status MoveHandoffAccount(int64_t id, const std::string& account_id, const std::string& to_user_id,
                                  const std::string& reason, const HandoffAuditRecord& audit) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOp = "move handoff account";
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOp));
    PULSE_STORE_ASSIGN_OR_RETURN(const std::string current, PlanStatus(id));
    if (current != "planned") {
      return absl::FailedPreconditionError(
          absl::StrCat("handoff plan ", id, " is ", current, ": only a planned plan can be changed"));
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "UPDATE handoff_accounts SET to_user_id = ?3, reason = ?4"
                            " WHERE plan_id = ?1 AND account_id = ?2"));
      q.Bind(1, id);
      q.Bind(2, account_id);
      q.Bind(3, to_user_id);
      q.Bind(4, reason);
      PULSE_STORE_RETURN_IF_ERROR(q.Run());
      if (q.Changes() == 0) {
        return absl::NotFoundError(absl::StrCat("account '", account_id, "' is not in handoff plan ", id));
      }
    }
    HandoffAuditRecord entry = audit;
    entry.plan_id = id;
    PULSE_STORE_RETURN_IF_ERROR(InsertAudit(entry));
    return transaction.Commit();
  }

  absl::Status SetHandoffWatches(const std::vector<HandoffWatch>& watches) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOp = "set handoff watches";
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOp));
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare(kOp, "INSERT INTO handoff_watches (account_id, plan_id, until) VALUES (?1, ?2, ?3)"
                            " ON CONFLICT (account_id) DO UPDATE SET plan_id = excluded.plan_id,"
                            " until = excluded.until"));
      for (const HandoffWatch& w : watches) {
        q.Reset();
        q.Bind(1, w.account_id);
        q.Bind(2, w.plan_id);
        q.Bind(3, w.until);
        PULSE_STORE_RETURN_IF_ERROR(q.Run());
      }
    }
    return transaction.Commit();
  }

  absl::Status RemoveHandoffWatches(int64_t plan_id) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q, db_->Prepare("remove handoff watches", "DELETE FROM handoff_watches WHERE plan_id = ?1"));
    q.Bind(1, plan_id);
    return q.Run();
  }

  absl::StatusOr<std::vector<HandoffWatch>> ActiveHandoffWatches(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("active handoff watches",
                     "SELECT account_id, plan_id, until FROM handoff_watches WHERE until > ?1 ORDER BY account_id"));
    q.Bind(1, now);
    return ReadAll<HandoffWatch>(
        *db_, q, [](const SqliteConnection&, const SqliteStatement& r) -> absl::StatusOr<HandoffWatch> {
          HandoffWatch w;
          w.account_id = r.Text(0);
          w.plan_id = r.Int64(1);
          w.until = r.Time(2);
          return w;
        });
  }

  absl::StatusOr<int64_t> BeginSweep(absl::Time started_at, absl::Time as_of,
                                     bool dry_run) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("begin sweep",
                     "INSERT INTO sweeps (started_at, as_of, dry_run, status, report_json)"
                     " VALUES (?1, ?2, ?3, 'running', '')"));
    q.Bind(1, started_at);
    q.Bind(2, as_of);
    q.Bind(3, dry_run);
    PULSE_STORE_RETURN_IF_ERROR(q.Run());
    return db_->LastInsertRowId();
  }

  absl::Status FinishSweep(int64_t id, absl::Time finished_at, const std::string& status,
                           const std::string& report_json) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("finish sweep",
                     "UPDATE sweeps SET finished_at = ?2, status = ?3, report_json = ?4"
                     " WHERE id = ?1"));
    q.Bind(1, id);
    q.Bind(2, finished_at);
    q.Bind(3, status);
    q.Bind(4, report_json);
    PULSE_STORE_RETURN_IF_ERROR(q.Run());
    return NotFoundUnlessChanged(*db_, q, "sweep", absl::StrCat(id));
  }

  absl::StatusOr<std::vector<SweepRecord>> RecentSweeps(int limit) override {
    if (limit <= 0) return std::vector<SweepRecord>();
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("recent sweeps",
                     "SELECT id, started_at, finished_at, as_of, dry_run, status, report_json"
                     " FROM sweeps ORDER BY id DESC LIMIT ?1"));
    q.Bind(1, limit);
    return ReadAll<SweepRecord>(*db_, q, ReadSweep);
  }

  absl::StatusOr<int> AddHoldoutAssignments(const std::vector<HoldoutAssignment>& assignments) override {
    absl::MutexLock lock(&mu_);
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin("add holdout assignments"));
    int inserted = 0;
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare("add holdout assignments",
                       "INSERT INTO holdout_assignments (account_id, arm, tier, share, assigned_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id) DO NOTHING"));
      for (const HoldoutAssignment& a : assignments) {
        q.Reset();
        q.Bind(1, a.account_id);
        q.Bind(2, a.holdout ? "holdout" : "treatment");
        q.Bind(3, a.tier);
        q.Bind(4, a.share);
        q.Bind(5, a.assigned_at);
        PULSE_STORE_RETURN_IF_ERROR(q.Run());
        inserted += q.Changes();
      }
    }
    PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
    return inserted;
  }

  absl::StatusOr<std::vector<HoldoutAssignment>> HoldoutAssignments() override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q, db_->Prepare("holdout assignments",
                                        "SELECT account_id, arm, tier, share, assigned_at FROM holdout_assignments"
                                        " ORDER BY account_id"));
    return ReadAll<HoldoutAssignment>(
        *db_, q, [](const SqliteConnection&, const SqliteStatement& r) -> absl::StatusOr<HoldoutAssignment> {
          HoldoutAssignment a;
          a.account_id = r.Text(0);
          a.holdout = r.TextView(1) == "holdout";
          a.tier = r.Text(2);
          a.share = r.Double(3);
          a.assigned_at = r.Time(4);
          return a;
        });
  }

  absl::StatusOr<int> AddContactDecisions(const std::vector<ContactDecision>& decisions) override {
    absl::MutexLock lock(&mu_);
    for (const ContactDecision& d : decisions) {
      if (d.key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("store ", db_->path(), ": add contact decisions: a decision has an empty key"));
      }
    }
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin("add contact decisions"));
    int inserted = 0;
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement q,
          db_->Prepare("add contact decisions",
                       "INSERT INTO contact_decisions (" PULSE_STORE_DECISION_COLUMNS ")"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (key) DO NOTHING"));
      for (const ContactDecision& d : decisions) {
        q.Reset();
        q.Bind(1, d.key);
        q.Bind(2, d.account_id);
        q.Bind(3, d.action);
        q.Bind(4, d.tier);
        q.Bind(5, d.holdout ? "holdout" : "treatment");
        q.Bind(6, d.backfill);
        q.Bind(7, d.decided_at);
        q.Bind(8, d.sweep_id);
        q.Bind(9, d.churn_probability);
        q.Bind(10, d.annual_value);
        PULSE_STORE_RETURN_IF_ERROR(q.Run());
        inserted += q.Changes();
      }
    }
    PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
    return inserted;
  }

  absl::StatusOr<std::vector<ContactDecision>> ContactDecisionsSince(absl::Time since) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("contact decisions since", "SELECT " PULSE_STORE_DECISION_COLUMNS
                                                " FROM contact_decisions WHERE decided_at >= ?1"
                                                " ORDER BY decided_at, rowid"));
    q.Bind(1, since);
    return ReadAll<ContactDecision>(*db_, q, ReadDecision);
  }

  absl::StatusOr<std::vector<ContactDecision>> ContactDecisionsForAccount(const std::string& account_id) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("contact decisions for account", "SELECT " PULSE_STORE_DECISION_COLUMNS
                                                      " FROM contact_decisions WHERE account_id = ?1"
                                                      " ORDER BY decided_at, rowid"));
    q.Bind(1, account_id);
    return ReadAll<ContactDecision>(*db_, q, ReadDecision);
  }

  absl::StatusOr<int64_t> RecordScores(const std::vector<ScoreRecord>& scores, const ScoreHistoryRule& rule) override {
    absl::MutexLock lock(&mu_);
    constexpr absl::string_view kOperation = "record scores";
    for (const ScoreRecord& r : scores) {
      if (r.account_id.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("store ", db_->path(), ": ", kOperation,
                                                       ": a score has an empty account_id"));
      }
    }
    // Scores in account id order (BINARY, as the scan below), first of each id.
    std::vector<const ScoreRecord*> sorted;
    sorted.reserve(scores.size());
    for (const ScoreRecord& r : scores) sorted.push_back(&r);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const ScoreRecord* a, const ScoreRecord* b) { return a->account_id < b->account_id; });
    sorted.erase(std::unique(sorted.begin(), sorted.end(),
                             [](const ScoreRecord* a, const ScoreRecord* b) { return a->account_id == b->account_id; }),
                 sorted.end());
    SqliteTransaction transaction(*db_);
    PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOperation));
    // One ordered pass over the last records, merged with the sorted scores;
    // the writes wait until the scan is done (no writing into a table being scanned).
    std::vector<const ScoreRecord*> keep;
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement latest,
          db_->Prepare(kOperation, "SELECT account_id, as_of, churn_probability FROM score_latest ORDER BY account_id"));
      PULSE_STORE_ASSIGN_OR_RETURN(bool row, latest.Step());
      ScoreRecord last;
      for (const ScoreRecord* r : sorted) {
        while (row && latest.TextView(0) < absl::string_view(r->account_id)) {
          PULSE_STORE_ASSIGN_OR_RETURN(row, latest.Step());
        }
        const bool found = row && latest.TextView(0) == r->account_id;
        if (found) {
          last.as_of = latest.Time(1);
          last.churn_probability = latest.Double(2);
        }
        if (ShouldRecordScore(found ? &last : nullptr, *r, rule)) keep.push_back(r);
      }
    }
    {
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare(kOperation,
                       "INSERT INTO score_history (account_id, as_of, sweep_id, churn_probability, value_at_risk,"
                       " tier) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"));
      PULSE_STORE_ASSIGN_OR_RETURN(
          SqliteStatement upsert,
          db_->Prepare(kOperation,
                       "INSERT INTO score_latest (account_id, as_of, churn_probability) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (account_id) DO UPDATE SET as_of = excluded.as_of,"
                       " churn_probability = excluded.churn_probability"));
      for (const ScoreRecord* r : keep) {
        insert.Reset();
        insert.Bind(1, r->account_id);
        insert.Bind(2, r->as_of);
        insert.Bind(3, r->sweep_id);
        insert.Bind(4, r->churn_probability);
        insert.Bind(5, r->value_at_risk);
        insert.Bind(6, TierName(r->tier));
        PULSE_STORE_RETURN_IF_ERROR(insert.Run());
        upsert.Reset();
        upsert.Bind(1, r->account_id);
        upsert.Bind(2, r->as_of);
        upsert.Bind(3, r->churn_probability);
        PULSE_STORE_RETURN_IF_ERROR(upsert.Run());
      }
    }
    PULSE_STORE_RETURN_IF_ERROR(transaction.Commit());
    return static_cast<int64_t>(keep.size());
  }

  absl::StatusOr<std::vector<ScoreRecord>> ScoreHistory(const std::string& account_id) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("score history", "SELECT account_id, as_of, sweep_id, churn_probability, value_at_risk, tier"
                                      " FROM score_history WHERE account_id = ?1 ORDER BY as_of"));
    q.Bind(1, account_id);
    return ReadAll<ScoreRecord>(
        *db_, q, [](const SqliteConnection& db, const SqliteStatement& r) -> absl::StatusOr<ScoreRecord> {
          ScoreRecord s;
          s.account_id = r.Text(0);
          s.as_of = r.Time(1);
          s.sweep_id = r.Int64(2);
          s.churn_probability = r.Double(3);
          s.value_at_risk = r.Double(4);
          const std::optional<Tier> tier = ParseTier(r.TextView(5));
          if (!tier.has_value() || *tier == Tier::kUnspecified) {
            return DataLoss(db, "score_history", s.account_id, absl::StrCat("unknown tier '", r.TextView(5), "'"));
          }
          s.tier = *tier;
          return s;
        });
  }

  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q,
                                 db_->Prepare("get meta", "SELECT value FROM meta WHERE key = ?1"));
    q.Bind(1, key);
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(q.Text(0));
  }

  absl::Status SetMeta(const std::string& key, const std::string& value) override {
    absl::MutexLock lock(&mu_);
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("set meta",
                     "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    q.Bind(1, key);
    q.Bind(2, value);
    return q.Run();
  }

 private:
  absl::Status InsertAudit(const HandoffAuditRecord& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("add handoff audit", "INSERT INTO handoff_audit (plan_id, at, requested_by, action, detail)"
                                          " VALUES (?1, ?2, ?3, ?4, ?5)"));
    q.Bind(1, e.plan_id);
    q.Bind(2, e.at);
    q.Bind(3, e.requested_by);
    q.Bind(4, e.action);
    q.Bind(5, e.detail);
    return q.Run();
  }

  absl::StatusOr<std::string> PlanStatus(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q,
                                 db_->Prepare("handoff plan status", "SELECT status FROM handoff_plans WHERE id = ?1"));
    q.Bind(1, id);
    PULSE_STORE_ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) return absl::NotFoundError(absl::StrCat("no handoff plan ", id));
    return q.Text(0);
  }

  absl::StatusOr<std::vector<HandoffPlanRecord>> ReadPlans(const char* where, std::optional<int64_t> id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db_->Prepare("read handoff plans",
                     absl::StrCat("SELECT id, from_user_id, status, effective_day, created_at, requested_by,"
                                  " sweep_id FROM handoff_plans",
                                  where)));
    if (id.has_value()) q.Bind(1, *id);
    return ReadAll<HandoffPlanRecord>(
        *db_, q, [](const SqliteConnection&, const SqliteStatement& r) -> absl::StatusOr<HandoffPlanRecord> {
          HandoffPlanRecord p;
          p.id = r.Int64(0);
          p.from_user_id = r.Text(1);
          p.status = r.Text(2);
          p.effective_day = r.Text(3);
          p.created_at = r.Time(4);
          p.requested_by = r.Text(5);
          p.sweep_id = r.Int64(6);
          return p;
        });
  }

  template <typename T>
  absl::Status ApplyWithLock(const ChangeBatch<T>& batch) {
    absl::MutexLock lock(&mu_);
    return ApplyBatch(*db_, batch);
  }

  static absl::StatusOr<std::vector<TaskRecord>> TasksForAccountOn(SqliteConnection& db,
                                                                    const std::string& account_id) {
    PULSE_STORE_ASSIGN_OR_RETURN(
        SqliteStatement q,
        db.Prepare("tasks for account",
                   "SELECT " PULSE_STORE_TASK_COLUMNS " FROM tasks WHERE account_id = ?1"
                   " ORDER BY created_at, rowid"));
    q.Bind(1, account_id);
    return ReadAll<TaskRecord>(db, q, ReadTask);
  }

  const int schema_version_;
  absl::Mutex mu_;
  const std::unique_ptr<SqliteConnection> db_ ABSL_GUARDED_BY(mu_);
  // Null for in-memory stores and without WAL (a reader would then block the writer).
  absl::Mutex reader_mu_;
  const std::unique_ptr<SqliteConnection> reader_ ABSL_GUARDED_BY(reader_mu_);
};

// --- Opening -----------------------------------------------------------------

// Refuses files that are SQLite databases of some other application, so
// Pulse never adds its tables to them. Also the first read of the file: a
// file that is no database at all fails here, before anything is written.
absl::Status CheckApplicationId(SqliteConnection& db) {
  PULSE_STORE_ASSIGN_OR_RETURN(const int64_t application_id,
                               db.QueryInt("read header", "PRAGMA application_id"));
  if (application_id == kStoreApplicationId) return absl::OkStatus();
  if (application_id != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "store %s: not a Pulse store (its SQLite application_id is 0x%08x, Pulse's is 0x%08x)",
        db.path(), application_id, kStoreApplicationId));
  }
  PULSE_STORE_ASSIGN_OR_RETURN(const int64_t objects,
                               db.QueryInt("read header", "SELECT count(*) FROM sqlite_schema"));
  if (objects != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", db.path(), ": an SQLite database with ", objects,
        " tables and indexes that is not a Pulse store; give Pulse its own file"));
  }
  return absl::OkStatus();
}

absl::Status RefuseNewer(const SqliteConnection& db, int64_t file_version, size_t known_version) {
  return absl::FailedPreconditionError(absl::StrCat(
      "store ", db.path(), ": schema version ", file_version,
      " is newer than this build of Pulse knows (version ", known_version,
      "); run a newer Pulse, or point it at another store file"));
}

// Runs PRAGMA quick_check or integrity_check. SQLite reports problems as rows
// ("ok" when there are none), or fails outright when it cannot even walk the
// file; both are DataLoss naming the file and the first findings.
absl::Status CheckIntegrity(SqliteConnection& db, IntegrityCheck check) {
  if (check == IntegrityCheck::kOff || db.in_memory()) return absl::OkStatus();
  const bool quick = check == IntegrityCheck::kQuick;
  const char* pragma = quick ? "quick_check" : "integrity_check";
  // At most 5 findings: enough to name the damage without flooding the log.
  const std::string sql = absl::StrCat("PRAGMA ", pragma, "(5)");
  const absl::Time t0 = absl::Now();
  std::vector<std::string> findings;
  {
    PULSE_STORE_ASSIGN_OR_RETURN(SqliteStatement q, db.Prepare("check integrity", sql));
    while (true) {
      absl::StatusOr<bool> row = q.Step();
      if (!row.ok()) {
        if (row.status().code() != absl::StatusCode::kDataLoss) return row.status();  // busy, I/O
        return absl::DataLossError(absl::StrCat("store ", db.path(), ": failed its integrity check (", pragma,
                                                "): ", row.status().message()));
      }
      if (!*row) break;
      findings.push_back(q.Text(0));
    }
  }
  if (findings.size() == 1 && findings[0] == "ok") {
    LogDebug("store", db.path(), ": ", pragma, " ok in ", absl::FormatDuration(absl::Now() - t0));
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("store ", db.path(), ": failed its integrity check (", pragma, "): ",
                                          absl::StrJoin(findings, "; ")));
}

// Applies the migrations the file lacks, all in one transaction: a failure
// leaves the file as it was.
absl::Status Migrate(SqliteConnection& db, absl::Span<const StoreMigration> migrations) {
  constexpr absl::string_view kOperation = "migrate schema";
  SqliteTransaction transaction(db);
  PULSE_STORE_RETURN_IF_ERROR(transaction.Begin(kOperation));
  // Read under the write lock: another process may have migrated meanwhile.
  PULSE_STORE_ASSIGN_OR_RETURN(const int64_t version,
                               db.QueryInt(kOperation, "PRAGMA user_version"));
  if (version > static_cast<int64_t>(migrations.size())) {
    return RefuseNewer(db, version, migrations.size());
  }
  for (size_t i = static_cast<size_t>(version); i < migrations.size(); ++i) {
    const std::string step = absl::StrCat("migrate to schema version ", i + 1, " (",
                                          migrations[i].description, ")");
    PULSE_STORE_RETURN_IF_ERROR(db.Exec(step, migrations[i].sql));
  }
  const std::string stamp = absl::StrCat("PRAGMA user_version = ", migrations.size(),
                                         "; PRAGMA application_id = ", kStoreApplicationId, ";");
  PULSE_STORE_RETURN_IF_ERROR(db.Exec(kOperation, stamp.c_str()));
  return transaction.Commit();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options,
                                                       absl::Span<const StoreMigration> migrations) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError(
        "store path is empty: give a file path, or \":memory:\" for a private in-memory store");
  }
  PULSE_STORE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> db,
                               SqliteConnection::Open(options.path));
  PULSE_STORE_RETURN_IF_ERROR(db->Exec(
      "open", absl::StrCat("PRAGMA busy_timeout = ", kBusyTimeoutMillis).c_str()));
  PULSE_STORE_RETURN_IF_ERROR(CheckApplicationId(*db));
  PULSE_STORE_ASSIGN_OR_RETURN(const int64_t version,
                               db->QueryInt("read header", "PRAGMA user_version"));
  if (version > static_cast<int64_t>(migrations.size())) {
    return RefuseNewer(*db, version, migrations.size());
  }
  // Before anything is written: a corrupt file is left as it was found.
  PULSE_STORE_RETURN_IF_ERROR(CheckIntegrity(*db, options.integrity_check));

  bool wal = false;
  if (!db->in_memory()) {
    PULSE_STORE_ASSIGN_OR_RETURN(const std::string mode,
                                 db->QueryText("enable WAL", "PRAGMA journal_mode = WAL"));
    wal = mode == "wal";
    if (!wal) {
      // Correct without WAL, only readers and the writer block each other.
      LogWarning("store", options.path, ": journal mode is '", mode,
                 "', not WAL (the file system may lack shared memory)");
    }
  }
  PULSE_STORE_RETURN_IF_ERROR(db->Exec("configure connection", kConnectionSettings));

  if (version < static_cast<int64_t>(migrations.size())) {
    PULSE_STORE_RETURN_IF_ERROR(Migrate(*db, migrations));
    if (version == 0) {
      LogDebug("store", options.path, ": created with schema version ", migrations.size());
    } else {
      LogInfo("store", options.path, ": schema migrated from version ", version, " to ",
              migrations.size());
    }
  }
  std::unique_ptr<SqliteConnection> reader;
  if (wal) {
    PULSE_STORE_ASSIGN_OR_RETURN(reader, SqliteConnection::Open(options.path));
    PULSE_STORE_RETURN_IF_ERROR(reader->Exec(
        "open reader", absl::StrCat("PRAGMA busy_timeout = ", kBusyTimeoutMillis).c_str()));
    PULSE_STORE_RETURN_IF_ERROR(reader->Exec("configure reader", kConnectionSettings));
    PULSE_STORE_RETURN_IF_ERROR(reader->Exec("configure reader", "PRAGMA query_only = ON"));
  }
  return std::unique_ptr<Store>(
      new SqliteStore(std::move(db), std::move(reader), static_cast<int>(migrations.size())));
}

#undef PULSE_STORE_RETURN_IF_ERROR
#undef PULSE_STORE_CONCAT_INNER
#undef PULSE_STORE_CONCAT
#undef PULSE_STORE_ASSIGN_OR_RETURN
#undef PULSE_STORE_ASSIGN_OR_RETURN_IMPL
#undef PULSE_STORE_TASK_COLUMNS
#undef PULSE_STORE_OWNER_CHANGE_COLUMNS

}  // namespace pulse
