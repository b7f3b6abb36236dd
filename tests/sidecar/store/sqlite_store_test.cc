// The SQLite store's file handling: reopening, schema versions and
// migrations, refusing files it must not touch, transactions, and bad data.
// Files are inspected and tampered with through a second, raw connection.
#include "sidecar/store/sqlite_store.h"

#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/store/store.h"
#include "tests/sidecar/store/sample_records.h"
#include "tests/sidecar/store/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::ApplyAll;
using ::pulse::testing::At;
using ::pulse::testing::ExpectSameCustomerData;
using ::pulse::testing::ExpectSameInOrder;
using ::pulse::testing::Fields;
using ::pulse::testing::IsOk;
using ::pulse::testing::SampleCustomerData;
using ::pulse::testing::SampleOwnerChange;
using ::pulse::testing::SampleTask;
using ::pulse::testing::ScopedTempDir;
using ::pulse::testing::StatusIs;
using ::pulse::testing::Upserts;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A plain sqlite3 connection to look at or tamper with a store file.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << sqlite3_errmsg(db_);
  }
  ~RawDatabase() { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error != nullptr ? error : "?");
    }
    sqlite3_free(error);
  }

  // The first column of the first row, as text ("" when there is none).
  std::string Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string result;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return result;
    }
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Store>> Open() { return Store::Open(StoreOptions{path_}); }

  ScopedTempDir dir_;
  const std::string path_ = dir_.File("pulse.db");
  const int current_version_ = static_cast<int>(StoreMigrations().size());
};

TEST_F(SqliteStoreTest, CreatesAWalFileMarkedAsAPulseStore) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  EXPECT_EQ(store->SchemaVersion(), current_version_);
  RawDatabase raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Query("PRAGMA user_version"), absl::StrCat(current_version_));
  EXPECT_EQ(raw.Query("PRAGMA application_id"), absl::StrCat(kStoreApplicationId));
  for (const char* table : {"users", "accounts", "contacts", "orders", "order_lines", "cases",
                            "activities", "engagement", "feedback", "watermarks",
                            "account_snapshots", "tasks", "owner_changes", "sweeps", "meta"}) {
    EXPECT_EQ(raw.Query(absl::StrCat("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = '",
                                     table, "'")),
              table);
  }
}

TEST_F(SqliteStoreTest, ReopenKeepsEverything) {
  const CustomerData data = SampleCustomerData();
  TaskRecord task = SampleTask("t1", "a1", At(0));
  OwnerChangeRecord change = SampleOwnerChange("oc1", "a1", At(0));
  const AccountSnapshot snapshot{"a1", "u1", {"c1", "c2"}, At(0)};
  int64_t sweep_id = 0;
  {
    PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
    ASSERT_THAT(ApplyAll(*store, data), IsOk());
    ASSERT_THAT(store->Apply(Upserts(std::vector<Order>{}, "orders-mark")), IsOk());
    ASSERT_THAT(store->AddTasks({task}), IsOk());
    ASSERT_THAT(store->MarkTaskAttemptFailed("t1", "503", At(1), false), IsOk());
    ASSERT_THAT(store->AddOwnerChanges({change}), IsOk());
    ASSERT_THAT(store->RecordAccountSnapshots({snapshot}), IsOk());
    PULSE_ASSERT_OK_AND_ASSIGN(sweep_id, store->BeginSweep(At(0), At(0), false));
    ASSERT_THAT(store->FinishSweep(sweep_id, At(1), "succeeded", "{}"), IsOk());
    ASSERT_THAT(store->SetMeta("holdout_salt", "pepper"), IsOk());
  }
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  PULSE_ASSERT_OK_AND_ASSIGN(CustomerData loaded, store->LoadCustomerData());
  ExpectSameCustomerData(loaded, data);
  PULSE_ASSERT_OK_AND_ASSIGN(std::string mark, store->GetWatermark(Entity::kOrders));
  EXPECT_EQ(mark, "orders-mark");

  task.attempts = 1;
  task.last_error = "503";
  task.next_attempt_at = At(1);
  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<TaskRecord> got, store->GetTask("t1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(Fields(*got), Fields(task));
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<OwnerChangeRecord> changes,
                             store->DueOwnerChanges(At(0)));
  ExpectSameInOrder(changes, {change});
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<AccountSnapshot> snapshots,
                             store->LatestAccountSnapshots());
  ExpectSameInOrder(snapshots, {snapshot});
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<SweepRecord> sweeps, store->RecentSweeps(5));
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0].id, sweep_id);
  EXPECT_EQ(sweeps[0].status, "succeeded");
  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<std::string> salt, store->GetMeta("holdout_salt"));
  EXPECT_EQ(salt, std::optional<std::string>("pepper"));

  // Sweep ids are never reused, even across reopen.
  PULSE_ASSERT_OK_AND_ASSIGN(int64_t next_sweep, store->BeginSweep(At(2), At(2), false));
  EXPECT_GT(next_sweep, sweep_id);
}

TEST_F(SqliteStoreTest, ReopeningIsIdempotent) {
  std::string schema;
  for (int i = 0; i < 3; ++i) {
    PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
    EXPECT_EQ(store->SchemaVersion(), current_version_);
    RawDatabase raw(path_);
    const std::string now =
        raw.Query("SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)");
    if (i > 0) {
      EXPECT_EQ(now, schema);
    }
    schema = now;
  }
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> first, Open());
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> second, Open());
  ASSERT_THAT(first->SetMeta("k", "v"), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<std::string> value, second->GetMeta("k"));
  EXPECT_EQ(value, std::optional<std::string>("v"));
}

// The API reads an account's tasks on a connection of its own: while the
// writer connection waits (here for another process's write lock; in a
// server, a sweep's long load or transaction), the read does not queue behind it.
TEST_F(SqliteStoreTest, TasksForAccountDoesNotWaitForTheWriterConnection) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  ASSERT_THAT(store->AddTasks({SampleTask("k1", "a1", At(1))}), IsOk());
  RawDatabase other(path_);
  other.Exec("BEGIN IMMEDIATE");  // holds the write lock
  std::thread writer([&] {
    // Waits (holding the store's writer connection) until the lock is released.
    EXPECT_THAT(store->AddTasks({SampleTask("k2", "a1", At(2))}), IsOk());
  });
  absl::SleepFor(absl::Milliseconds(200));  // the writer is now waiting on the lock
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<TaskRecord>> tasks = store->TasksForAccount("a1");
  const absl::Duration took = absl::Now() - start;
  other.Exec("COMMIT");
  writer.join();
  ASSERT_THAT(tasks, IsOk());
  ASSERT_EQ(tasks->size(), 1u) << "the last committed state: k2 was not committed yet";
  EXPECT_EQ((*tasks)[0].request.key, "k1");
  EXPECT_LT(took, absl::Seconds(1)) << "the read waited for the writer";
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<TaskRecord> after, store->TasksForAccount("a1"));
  EXPECT_EQ(after.size(), 2u);
}

TEST_F(SqliteStoreTest, RefusesAFileWithANewerSchema) {
  { PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open()); }
  RawDatabase(path_).Exec(absl::StrCat("PRAGMA user_version = ", current_version_ + 1));
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr(path_),
                                     HasSubstr(absl::StrCat("schema version ", current_version_ + 1)),
                                     HasSubstr(absl::StrCat("(version ", current_version_, ")")))));
}

// A later build adds a migration: a file of this build is upgraded in place,
// keeps its data, and is then refused by this build as newer.
TEST_F(SqliteStoreTest, UpgradesAnOlderFileAndKeepsItsData) {
  const CustomerData data = SampleCustomerData();
  {
    PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
    ASSERT_THAT(ApplyAll(*store, data), IsOk());
    ASSERT_THAT(store->AddTasks({SampleTask("t1", "a1", At(0))}), IsOk());
  }
  std::vector<StoreMigration> next(StoreMigrations().begin(), StoreMigrations().end());
  next.push_back({"task notes", "ALTER TABLE tasks ADD COLUMN note TEXT; CREATE TABLE extra (x INTEGER) STRICT;"});
  {
    PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(StoreOptions{path_}, next));
    EXPECT_EQ(store->SchemaVersion(), current_version_ + 1);
    PULSE_ASSERT_OK_AND_ASSIGN(CustomerData loaded, store->LoadCustomerData());
    ExpectSameCustomerData(loaded, data);
    PULSE_ASSERT_OK_AND_ASSIGN(std::optional<TaskRecord> task, store->GetTask("t1"));
    EXPECT_TRUE(task.has_value());
  }
  RawDatabase raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), absl::StrCat(current_version_ + 1));
  EXPECT_EQ(raw.Query("SELECT count(*) FROM pragma_table_info('tasks') WHERE name = 'note'"), "1");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer")));
}

TEST_F(SqliteStoreTest, AFailedMigrationChangesNothing) {
  {
    PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
    ASSERT_THAT(store->SetMeta("k", "v"), IsOk());
  }
  std::vector<StoreMigration> next(StoreMigrations().begin(), StoreMigrations().end());
  next.push_back({"broken step", "CREATE TABLE half_done (x INTEGER); INSERT INTO missing VALUES (1);"});
  EXPECT_THAT(OpenSqliteStore(StoreOptions{path_}, next),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr(path_),
                             HasSubstr(absl::StrCat("migrate to schema version ", current_version_ + 1,
                                                    " (broken step)")),
                             HasSubstr("no such table: missing"))));
  {
    RawDatabase raw(path_);
    EXPECT_EQ(raw.Query("PRAGMA user_version"), absl::StrCat(current_version_));
    EXPECT_EQ(raw.Query("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"), "0");
  }
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<std::string> value, store->GetMeta("k"));
  EXPECT_EQ(value, std::optional<std::string>("v"));
}

TEST_F(SqliteStoreTest, AnEmptyFileIsMigratedFromVersionZero) {
  std::ofstream(path_).close();
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  EXPECT_EQ(store->SchemaVersion(), current_version_);
  ASSERT_THAT(store->SetMeta("k", "v"), IsOk());
}

// Fills the store with enough contacts for their table to span many pages,
// closes it, and overwrites the table's root page with garbage: the kind of
// damage a torn write or a bad disk leaves. Returns the damaged page number.
int CorruptContactsTable(const std::string& path) {
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(StoreOptions{path});
    EXPECT_THAT(store.status(), IsOk());
    if (!store.ok()) return 0;
    std::vector<Contact> contacts;
    for (int i = 0; i < 2000; ++i) {
      contacts.push_back({absl::StrCat("c", i), "a1", absl::StrCat("Contact Person ", i),
                          absl::StrCat("person", i, "@example.com"), "buyer", true, std::nullopt});
    }
    EXPECT_THAT((*store)->Apply(::pulse::testing::Upserts(contacts)), IsOk());
  }  // closed: the log is checkpointed into the file
  const int page = std::stoi(RawDatabase(path).Query("SELECT rootpage FROM sqlite_schema WHERE name = 'contacts'"));
  const int page_size = std::stoi(RawDatabase(path).Query("PRAGMA page_size"));
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(page - 1) * page_size);
  const std::string garbage(page_size, '\xa5');
  file.write(garbage.data(), garbage.size());
  EXPECT_TRUE(file.good());
  return page;
}

TEST_F(SqliteStoreTest, RefusesACorruptFileAndLeavesItAsItWas) {
  ASSERT_GT(CorruptContactsTable(path_), 1);
  const std::string damaged = ReadFile(path_);
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss,
                               AllOf(HasSubstr(path_), HasSubstr("failed its integrity check (quick_check)"))));
  StoreOptions full{path_};
  full.integrity_check = IntegrityCheck::kFull;
  EXPECT_THAT(Store::Open(full), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("(integrity_check)")));
  EXPECT_EQ(ReadFile(path_), damaged);  // nothing written to a damaged file
}

// The check is what catches it: unchecked, the same file opens, and the
// damage surfaces only when the contacts are read.
TEST_F(SqliteStoreTest, WithoutTheCheckACorruptFileOpensAndFailsLater) {
  ASSERT_GT(CorruptContactsTable(path_), 1);
  StoreOptions off{path_};
  off.integrity_check = IntegrityCheck::kOff;
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(off));
  EXPECT_THAT(store->LoadCustomerData(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(IntegrityCheckTest, ParsesItsNames) {
  IntegrityCheck check = IntegrityCheck::kOff;
  for (const char* name : {"off", "quick", "full"}) {
    ASSERT_TRUE(ParseIntegrityCheck(name, &check)) << name;
    EXPECT_STREQ(IntegrityCheckName(check), name);
  }
  EXPECT_FALSE(ParseIntegrityCheck("fast", &check));
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  std::string garbage;
  for (int i = 0; i < 200; ++i) garbage += "this is a CSV export, not a database;1;2;3\n";
  std::ofstream(path_, std::ios::binary) << garbage;
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss,
                               AllOf(HasSubstr(path_), HasSubstr("not a database"))));
  EXPECT_EQ(ReadFile(path_), garbage);  // left as it was
}

TEST_F(SqliteStoreTest, RefusesAnotherApplicationsDatabase) {
  RawDatabase(path_).Exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr(path_), HasSubstr("not a Pulse store"))));
  EXPECT_EQ(RawDatabase(path_).Query("SELECT count(*) FROM sqlite_schema"), "1");

  const std::string other = dir_.File("other.db");
  RawDatabase(other).Exec("PRAGMA application_id = 42");
  EXPECT_THAT(Store::Open(StoreOptions{other}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("application_id")));
}

TEST_F(SqliteStoreTest, ReportsPathsItCannotOpen) {
  EXPECT_THAT(Store::Open(StoreOptions{""}), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string nowhere = dir_.File("no/such/dir/pulse.db");
  EXPECT_THAT(Store::Open(StoreOptions{nowhere}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(nowhere)));
}

// A failure late in Apply (here: saving the watermark) leaves nothing of the
// batch behind, and the error names the operation and sqlite's message.
TEST_F(SqliteStoreTest, ApplyIsOneTransaction) {
  const CustomerData data = SampleCustomerData();
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  ASSERT_THAT(store->Apply(Upserts(std::vector<Order>{data.orders[1]}, "before")), IsOk());
  RawDatabase raw(path_);
  raw.Exec(
      "CREATE TRIGGER fail_watermark BEFORE UPDATE ON watermarks"
      " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

  ChangeBatch<Order> batch = Upserts(std::vector<Order>{data.orders[0]}, "after");
  batch.deleted_ids = {data.orders[1].id};
  EXPECT_THAT(store->Apply(batch),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr(path_), HasSubstr("apply orders"), HasSubstr("injected failure"))));
  PULSE_ASSERT_OK_AND_ASSIGN(CustomerData loaded, store->LoadCustomerData());
  pulse::testing::ExpectSameRecords(loaded.orders, {data.orders[1]});
  EXPECT_EQ(raw.Query("SELECT count(*) FROM order_lines"), "0");
  PULSE_ASSERT_OK_AND_ASSIGN(std::string mark, store->GetWatermark(Entity::kOrders));
  EXPECT_EQ(mark, "before");

  raw.Exec("DROP TRIGGER fail_watermark");
  ASSERT_THAT(store->Apply(batch), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(loaded, store->LoadCustomerData());
  pulse::testing::ExpectSameRecords(loaded.orders, {data.orders[0]});
}

std::vector<Order> ManyOrders(int count) {
  std::vector<Order> orders;
  for (int i = 0; i < count; ++i) {
    Order o;
    o.id = absl::StrCat("ord-", (i * 7919) % count);  // not in id order
    o.account_id = absl::StrCat("acc-", i % 997);
    o.ordered_at = At(i);
    o.amount = i;
    o.currency = "EUR";
    for (int l = 0; l < i % 3; ++l) o.lines.push_back({absl::StrCat("sku-", l), "p", 1, 1.0 * i});
    orders.push_back(std::move(o));
  }
  return orders;
}

// A big first load builds the secondary indexes after the rows (see
// kBulkLoadMinRecords); they must be there afterwards, and after a failed
// load as well.
TEST_F(SqliteStoreTest, BulkLoadKeepsTheIndexes) {
  const std::vector<Order> orders = ManyOrders(12000);
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  RawDatabase raw(path_);
  const std::string kIndexQuery =
      "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'orders_by_account'";
  const std::string kRootPageQuery =
      "SELECT rootpage FROM sqlite_schema WHERE name = 'orders_by_account'";
  const std::string root_page_before = raw.Query(kRootPageQuery);
  raw.Exec("CREATE TRIGGER fail_watermark BEFORE INSERT ON watermarks"
           " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  EXPECT_THAT(store->Apply(Upserts(orders)), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(raw.Query(kIndexQuery), "1");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM orders"), "0");

  raw.Exec("DROP TRIGGER fail_watermark");
  ASSERT_THAT(store->Apply(Upserts(orders)), IsOk());
  EXPECT_EQ(raw.Query(kIndexQuery), "1");
  EXPECT_NE(raw.Query(kRootPageQuery), root_page_before);  // it was rebuilt
  EXPECT_EQ(raw.Query("PRAGMA integrity_check"), "ok");
  PULSE_ASSERT_OK_AND_ASSIGN(CustomerData loaded, store->LoadCustomerData());
  pulse::testing::ExpectSameRecords(loaded.orders, orders);
}

TEST_F(SqliteStoreTest, LinesOfRemovedOrdersAreDeleted) {
  CustomerData data = SampleCustomerData();
  data.orders[1].lines = {{"S", "P", 1, 2}};
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  ASSERT_THAT(store->Apply(Upserts(data.orders)), IsOk());
  RawDatabase raw(path_);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM order_lines"), "3");

  ChangeBatch<Order> remove;
  remove.deleted_ids = {data.orders[1].id};
  ASSERT_THAT(store->Apply(remove), IsOk());
  EXPECT_EQ(raw.Query("SELECT count(*) FROM order_lines"), "2");

  ChangeBatch<Order> none;
  none.full_snapshot = true;
  ASSERT_THAT(store->Apply(none), IsOk());
  EXPECT_EQ(raw.Query("SELECT count(*) FROM order_lines"), "0");
}

// Values the schema's CHECKs would refuse, written behind the store's back,
// are reported as data loss naming the row, not a crash or a silent default.
TEST_F(SqliteStoreTest, ReportsUnreadableRowsAsDataLoss) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open());
  ASSERT_THAT(ApplyAll(*store, SampleCustomerData()), IsOk());
  ASSERT_THAT(store->AddTasks({SampleTask("t1", "a1", At(0))}), IsOk());
  RawDatabase raw(path_);
  raw.Exec("PRAGMA ignore_check_constraints = ON");
  raw.Exec("UPDATE accounts SET crm_tier = 'platinum' WHERE id = 'a1'");
  raw.Exec("UPDATE tasks SET status = 'lost'");
  EXPECT_THAT(store->LoadCustomerData(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("accounts row 'a1'"), HasSubstr("platinum"))));
  EXPECT_THAT(store->GetTask("t1"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("tasks row 't1'")));
  raw.Exec("INSERT INTO account_snapshots (account_id, owner_id, active_contact_ids, observed_at)"
           " VALUES ('a9', 'u1', 'c1;c2', 0)");  // the last id is unterminated
  EXPECT_THAT(store->AccountHistory("a9"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace pulse
