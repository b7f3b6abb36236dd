// The Store contract, checked against both an in-memory and a file store.
#include "sidecar/store/store.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sidecar/store/sample_records.h"
#include "tests/sidecar/store/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::ApplyAll;
using ::pulse::testing::At;
using ::pulse::testing::AwkwardText;
using ::pulse::testing::ExpectSameCustomerData;
using ::pulse::testing::ExpectSameInOrder;
using ::pulse::testing::ExpectSameRecords;
using ::pulse::testing::Fields;
using ::pulse::testing::IsOk;
using ::pulse::testing::SampleCustomerData;
using ::pulse::testing::SampleOwnerChange;
using ::pulse::testing::SampleTask;
using ::pulse::testing::ScopedTempDir;
using ::pulse::testing::StatusIs;
using ::pulse::testing::Upserts;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> TaskKeys(const std::vector<TaskRecord>& tasks) {
  std::vector<std::string> keys;
  for (const TaskRecord& t : tasks) keys.push_back(t.request.key);
  return keys;
}

std::vector<std::string> ChangeKeys(const std::vector<OwnerChangeRecord>& changes) {
  std::vector<std::string> keys;
  for (const OwnerChangeRecord& c : changes) keys.push_back(c.request.key);
  return keys;
}

template <typename T>
std::vector<std::string> Ids(const std::vector<T>& records) {
  std::vector<std::string> ids;
  for (const T& r : records) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Account MakeAccount(const std::string& id, const std::string& name) {
  Account a;
  a.id = id;
  a.name = name;
  return a;
}

// Parameter: true for ":memory:", false for a file in a fresh temp dir.
class StoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    path_ = GetParam() ? ":memory:" : dir_.File("pulse.db");
    PULSE_ASSERT_OK_AND_ASSIGN(store_, Store::Open(StoreOptions{path_}));
  }

  CustomerData Load() {
    absl::StatusOr<CustomerData> data = store_->LoadCustomerData();
    EXPECT_THAT(data, IsOk());
    return data.ok() ? *std::move(data) : CustomerData();
  }

  ScopedTempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(MemoryAndFile, StoreTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Memory" : "File";
                         });

TEST_P(StoreTest, NewStoreIsEmpty) {
  EXPECT_GE(store_->SchemaVersion(), 1);
  ExpectSameCustomerData(Load(), CustomerData());
  for (Entity e : kAllEntities) {
    absl::StatusOr<std::string> watermark = store_->GetWatermark(e);
    ASSERT_THAT(watermark, IsOk());
    EXPECT_EQ(*watermark, "") << EntityName(e);
  }
}

TEST_P(StoreTest, RoundTripsEveryRecordTypeAndField) {
  const CustomerData data = SampleCustomerData();
  ASSERT_THAT(ApplyAll(*store_, data), IsOk());
  ExpectSameCustomerData(Load(), data);
}

TEST_P(StoreTest, UpsertReplacesStoredRecord) {
  CustomerData data = SampleCustomerData();
  ASSERT_THAT(ApplyAll(*store_, data), IsOk());

  // Every field changes, and optional ones flip between present and absent.
  User& u = data.users[0];
  u.name = "Ann Jones";
  u.email = "ann.jones@example.com";
  u.active = false;
  u.weekly_capacity = std::nullopt;
  data.users[1].weekly_capacity = 3;
  Account& a = data.accounts[0];
  a.name = "Acme AG";
  a.owner_id = "u2";
  a.created_at = std::nullopt;
  a.crm_tier = Tier::kMid;
  a.do_not_contact = false;
  data.accounts[1].created_at = At(5);
  Case& k = data.cases[0];
  k.closed_at = std::nullopt;
  k.first_response_at = std::nullopt;
  k.status = "reopened";
  data.cases[1].closed_at = At(1);
  data.feedback[0].score = 3;
  data.feedback[0].scale = FeedbackScale::kCsat;
  data.engagement[0].period_start = absl::CivilDay(2026, 2, 8);
  data.engagement[0].opened = 0;
  data.activities[0].direction = Direction::kInbound;
  data.contacts[0].account_id = "a2";
  data.contacts[0].updated_at = std::nullopt;
  data.orders[0].amount = 1;
  data.orders[0].currency = "CHF";
  ASSERT_THAT(ApplyAll(*store_, data), IsOk());
  ExpectSameCustomerData(Load(), data);
}

TEST_P(StoreTest, DeletedIdsAreRemoved) {
  ASSERT_THAT(ApplyAll(*store_, SampleCustomerData()), IsOk());
  ChangeBatch<Account> accounts;
  accounts.deleted_ids = {"a1", "no-such-account"};
  ASSERT_THAT(store_->Apply(accounts), IsOk());
  ChangeBatch<Order> orders;
  orders.deleted_ids = {"o1"};
  ASSERT_THAT(store_->Apply(orders), IsOk());
  ChangeBatch<Feedback> feedback;
  feedback.deleted_ids = {"a2|2026-02-04T10:00:00Z"};
  ASSERT_THAT(store_->Apply(feedback), IsOk());

  const CustomerData data = Load();
  EXPECT_THAT(Ids(data.accounts), ElementsAre("a2", "a3"));
  EXPECT_THAT(Ids(data.orders), ElementsAre("o2"));
  EXPECT_THAT(Ids(data.feedback), ElementsAre("a1|2026-02-03T10:00:00Z"));
  EXPECT_THAT(Ids(data.users), ElementsAre("u1", "u2"));  // other entities untouched
}

TEST_P(StoreTest, AnIdBothUpsertedAndDeletedEndsDeleted) {
  ChangeBatch<Account> batch = Upserts(std::vector<Account>{MakeAccount("a1", "A"), MakeAccount("a2", "B")});
  batch.deleted_ids = {"a2"};
  ASSERT_THAT(store_->Apply(batch), IsOk());
  EXPECT_THAT(Ids(Load().accounts), ElementsAre("a1"));
}

TEST_P(StoreTest, FullSnapshotRemovesRecordsItDoesNotList) {
  ASSERT_THAT(ApplyAll(*store_, SampleCustomerData()), IsOk());  // accounts a1, a2, a3

  ChangeBatch<Account> snapshot =
      Upserts(std::vector<Account>{MakeAccount("a2", "renamed"), MakeAccount("a4", "new")}, "w1");
  snapshot.full_snapshot = true;
  ASSERT_THAT(store_->Apply(snapshot), IsOk());
  CustomerData data = Load();
  ExpectSameRecords(data.accounts, snapshot.upserts);
  EXPECT_THAT(Ids(data.users), ElementsAre("u1", "u2"));
  EXPECT_THAT(Ids(data.contacts), ElementsAre("c1", "c2"));

  // An incremental batch, then a snapshot that lists only its record.
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Account>{MakeAccount("a5", "inc")})), IsOk());
  EXPECT_THAT(Ids(Load().accounts), ElementsAre("a2", "a4", "a5"));
  ChangeBatch<Account> only_a5 = Upserts(std::vector<Account>{MakeAccount("a5", "inc")});
  only_a5.full_snapshot = true;
  ASSERT_THAT(store_->Apply(only_a5), IsOk());
  EXPECT_THAT(Ids(Load().accounts), ElementsAre("a5"));

  // An empty snapshot: the CRM has none left.
  ChangeBatch<Account> empty;
  empty.full_snapshot = true;
  ASSERT_THAT(store_->Apply(empty), IsOk());
  EXPECT_THAT(Load().accounts, IsEmpty());
}

TEST_P(StoreTest, FullSnapshotOfOrdersKeepsListedLinesAndDropsTheRest) {
  const CustomerData sample = SampleCustomerData();
  ASSERT_THAT(store_->Apply(Upserts(sample.orders)), IsOk());
  ChangeBatch<Order> snapshot = Upserts(std::vector<Order>{sample.orders[0]});
  snapshot.full_snapshot = true;
  ASSERT_THAT(store_->Apply(snapshot), IsOk());
  ExpectSameRecords(Load().orders, snapshot.upserts);
}

TEST_P(StoreTest, WatermarkIsSavedWithItsBatch) {
  const CustomerData sample = SampleCustomerData();
  ASSERT_THAT(store_->Apply(Upserts(sample.orders, "2026-03-01T00:00:00Z")), IsOk());
  ASSERT_THAT(store_->Apply(Upserts(sample.users, "etag-1")), IsOk());
  absl::StatusOr<std::string> first_mark = store_->GetWatermark(Entity::kOrders);
  ASSERT_THAT(first_mark, IsOk());
  EXPECT_EQ(*first_mark, "2026-03-01T00:00:00Z");

  ChangeBatch<Order> nothing_new;
  nothing_new.watermark = "2026-03-02T00:00:00Z";
  ASSERT_THAT(store_->Apply(nothing_new), IsOk());
  absl::StatusOr<std::string> orders_mark = store_->GetWatermark(Entity::kOrders);
  ASSERT_THAT(orders_mark, IsOk());
  EXPECT_EQ(*orders_mark, "2026-03-02T00:00:00Z");
  absl::StatusOr<std::string> users_mark = store_->GetWatermark(Entity::kUsers);
  ASSERT_THAT(users_mark, IsOk());
  EXPECT_EQ(*users_mark, "etag-1");
  absl::StatusOr<std::string> cases_mark = store_->GetWatermark(Entity::kCases);
  ASSERT_THAT(cases_mark, IsOk());
  EXPECT_EQ(*cases_mark, "");
}

TEST_P(StoreTest, ResetWatermarksForgetsThemButKeepsRecords) {
  const CustomerData sample = SampleCustomerData();
  ASSERT_THAT(store_->Apply(Upserts(sample.accounts, "w-accounts")), IsOk());
  ASSERT_THAT(store_->Apply(Upserts(sample.users, "w-users")), IsOk());
  ASSERT_THAT(store_->ResetWatermarks(), IsOk());
  for (Entity e : kAllEntities) {
    absl::StatusOr<std::string> watermark = store_->GetWatermark(e);
    ASSERT_THAT(watermark, IsOk());
    EXPECT_EQ(*watermark, "") << EntityName(e);
  }
  EXPECT_EQ(Load().accounts.size(), 3u);

  // The re-read from scratch is a full snapshot, and still removes the gone.
  ChangeBatch<Account> snapshot = Upserts(std::vector<Account>{sample.accounts[1]}, "w2");
  snapshot.full_snapshot = true;
  ASSERT_THAT(store_->Apply(snapshot), IsOk());
  EXPECT_THAT(Ids(Load().accounts), ElementsAre("a2"));
  absl::StatusOr<std::string> watermark = store_->GetWatermark(Entity::kAccounts);
  ASSERT_THAT(watermark, IsOk());
  EXPECT_EQ(*watermark, "w2");
}

TEST_P(StoreTest, UpsertingAnOrderReplacesItsLines) {
  Order order = SampleCustomerData().orders[0];  // two lines
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());

  order.lines = {{"SKU-9", "Gadget", 1, 10}};
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});

  order.lines.clear();
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});

  // Deleted and re-created: no lines come back from the deleted one.
  order.lines = {{"SKU-1", "Widget", 1, 1}, {"SKU-1", "Widget", 1, 1}};  // duplicate lines are kept
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ChangeBatch<Order> remove;
  remove.deleted_ids = {order.id};
  ASSERT_THAT(store_->Apply(remove), IsOk());
  order.lines.clear();
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});
}

TEST_P(StoreTest, OnlyChangedLinesAreNoticedAndAllAreKeptRight) {
  Order order = SampleCustomerData().orders[0];  // two lines
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  // Same order row; one line amount differs.
  order.lines[1].amount += 0.01;
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});
  // A line more, then a line fewer.
  order.lines.push_back({"SKU-3", "Extra", 3, 3});
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});
  order.lines.erase(order.lines.begin());
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});
  // Repeating the stored state changes nothing.
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{order})), IsOk());
  ExpectSameRecords(Load().orders, {order});
}

TEST_P(StoreTest, TheLastOfDuplicateIdsInABatchWins) {
  Order first = SampleCustomerData().orders[0];
  Order second = first;
  second.amount = 7;
  second.lines = {{"SKU-7", "Seven", 7, 7}};
  ChangeBatch<Order> batch = Upserts(std::vector<Order>{first, SampleCustomerData().orders[1], second});
  batch.full_snapshot = true;
  ASSERT_THAT(store_->Apply(batch), IsOk());
  ExpectSameRecords(Load().orders, {second, SampleCustomerData().orders[1]});
}

TEST_P(StoreTest, ANumberSqliteCannotStoreFailsTheBatchNamingTheRecord) {
  std::vector<Order> orders = SampleCustomerData().orders;
  orders[1].amount = std::nan("");
  EXPECT_THAT(store_->Apply(Upserts(orders, "w")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("apply orders"), HasSubstr("NaN"), HasSubstr("'o2'"))));
  EXPECT_THAT(Load().orders, IsEmpty());
  absl::StatusOr<std::string> watermark = store_->GetWatermark(Entity::kOrders);
  ASSERT_THAT(watermark, IsOk());
  EXPECT_EQ(*watermark, "");
}

TEST_P(StoreTest, LinesStayWithTheirOrdersAcrossManyOrders) {
  // Ids chosen so that byte order differs from numeric order ("o10" < "o2").
  std::vector<Order> orders;
  for (int i = 0; i < 50; ++i) {
    Order o;
    o.id = absl::StrCat("o", i);
    o.account_id = absl::StrCat("a", i % 7);
    o.ordered_at = At(i);
    o.amount = i;
    for (int l = 0; l < i % 4; ++l) o.lines.push_back({absl::StrCat("sku", i, "-", l), "p", 1.0 * l, 1.5 * i});
    orders.push_back(o);
  }
  ASSERT_THAT(store_->Apply(Upserts(orders)), IsOk());
  ExpectSameRecords(Load().orders, orders);
}

TEST_P(StoreTest, InfiniteTimesSurvive) {
  Case c;
  c.id = "k";
  c.opened_at = absl::InfinitePast();
  c.closed_at = absl::InfiniteFuture();
  ASSERT_THAT(store_->Apply(Upserts(std::vector<Case>{c})), IsOk());
  ExpectSameRecords(Load().cases, {c});
}

TEST_P(StoreTest, AccountSnapshotsAreStoredOnlyWhenTheyChange) {
  ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u1", {"c2", "c1"}, At(0)},
                                              {"b", "u2", {}, At(0)}}),
              IsOk());
  // Same owner and contacts (in another order): nothing new.
  ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u1", {"c1", "c2"}, At(1)}}), IsOk());
  // The owner changes; then the contacts; the second entry for a1 in this
  // call repeats the first and is not stored.
  ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u3", {"c1", "c2"}, At(2)},
                                              {"a1", "u3", {"c1", "c2"}, At(3)},
                                              {"b", "u2", {"c3"}, At(2)}}),
              IsOk());
  ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u3", {"c1"}, At(4)}}), IsOk());

  absl::StatusOr<std::vector<AccountSnapshot>> history = store_->AccountHistory("a1");
  ASSERT_THAT(history, IsOk());
  ExpectSameInOrder(*history, {{"a1", "u1", {"c1", "c2"}, At(0)},
                               {"a1", "u3", {"c1", "c2"}, At(2)},
                               {"a1", "u3", {"c1"}, At(4)}});

  absl::StatusOr<std::vector<AccountSnapshot>> latest = store_->LatestAccountSnapshots();
  ASSERT_THAT(latest, IsOk());
  ExpectSameInOrder(*latest, {{"a1", "u3", {"c1"}, At(4)}, {"b", "u2", {"c3"}, At(2)}});

  absl::StatusOr<std::vector<AccountSnapshot>> none = store_->AccountHistory("unknown");
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(StoreTest, SnapshotContactIdsKeepEveryByte) {
  std::vector<std::string> ids = {"", ";", "\\", "a;b\\;c", AwkwardText()};
  std::sort(ids.begin(), ids.end());  // as AccountSnapshot requires
  ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "", ids, At(0)}, {"a2", "u1", {""}, At(0)}}),
              IsOk());
  absl::StatusOr<std::vector<AccountSnapshot>> latest = store_->LatestAccountSnapshots();
  ASSERT_THAT(latest, IsOk());
  ExpectSameInOrder(*latest, {{"a1", "", ids, At(0)}, {"a2", "u1", {""}, At(0)}});
  // [""] differs from []: a change.
  ASSERT_THAT(store_->RecordAccountSnapshots({{"a2", "u1", {}, At(1)}}), IsOk());
  absl::StatusOr<std::vector<AccountSnapshot>> history = store_->AccountHistory("a2");
  ASSERT_THAT(history, IsOk());
  EXPECT_EQ(history->size(), 2u);
}

TEST_P(StoreTest, AddTasksInsertsNewKeysOnly) {
  TaskRecord t1 = SampleTask("t1", "a1", At(0));
  t1.next_attempt_at = At(1);  // optional fields present round-trip too
  t1.delivered_at = At(2);
  t1.crm_id = "crm-9";
  t1.attempts = 2;
  t1.last_error = "earlier";
  t1.request.type = TaskType::kMeeting;
  const TaskRecord t2 = SampleTask("t2", "a2", At(1));
  absl::StatusOr<int> added = store_->AddTasks({t1, t2});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(*added, 2);

  TaskRecord changed = t1;
  changed.request.subject = "something else";
  changed.status = DeliveryStatus::kFailed;
  TaskRecord t3 = SampleTask("t3", "a1", At(2));
  t3.request.due_at = absl::InfiniteFuture();
  added = store_->AddTasks({changed, t3, t3});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(*added, 1);

  for (const TaskRecord& expected : {t1, t2, t3}) {
    absl::StatusOr<std::optional<TaskRecord>> got = store_->GetTask(expected.request.key);
    ASSERT_THAT(got, IsOk());
    ASSERT_TRUE(got->has_value()) << expected.request.key;
    EXPECT_EQ(Fields(**got), Fields(expected));
  }
  absl::StatusOr<std::optional<TaskRecord>> missing = store_->GetTask("nope");
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->has_value());

  added = store_->AddTasks({});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(*added, 0);
}

TEST_P(StoreTest, AddTasksIsAllOrNothing) {
  TaskRecord no_key = SampleTask("", "a1", At(0));
  EXPECT_THAT(store_->AddTasks({SampleTask("t1", "a1", At(0)), no_key}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty key")));
  absl::StatusOr<std::vector<TaskRecord>> all = store_->TasksCreatedSince(absl::InfinitePast());
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, IsEmpty());
}

TEST_P(StoreTest, TaskDeliveryLifecycle) {
  const absl::Time now = At(10);
  TaskRecord later = SampleTask("later", "a1", At(1));
  later.next_attempt_at = now + absl::Hours(1);
  TaskRecord delivered = SampleTask("delivered", "a1", At(0));
  delivered.status = DeliveryStatus::kDelivered;
  // Inserted out of creation order: DueTasks sorts oldest first.
  ASSERT_THAT(store_->AddTasks({SampleTask("new", "a2", At(3)), later, delivered,
                                SampleTask("old", "a1", At(-5)), SampleTask("retry_now", "a3", At(2))}),
              IsOk());
  ASSERT_THAT(store_->MarkTaskAttemptFailed("retry_now", "CRM timeout", now, false), IsOk());

  absl::StatusOr<std::vector<TaskRecord>> due = store_->DueTasks(now);
  ASSERT_THAT(due, IsOk());
  EXPECT_THAT(TaskKeys(*due), ElementsAre("old", "retry_now", "new"));
  EXPECT_EQ((*due)[1].attempts, 1);
  EXPECT_EQ((*due)[1].last_error, "CRM timeout");
  EXPECT_EQ((*due)[1].next_attempt_at, now);

  // Delivered: out of the queue, with the CRM's id.
  ASSERT_THAT(store_->MarkTaskDelivered("old", "crm-42", now), IsOk());
  absl::StatusOr<std::optional<TaskRecord>> old = store_->GetTask("old");
  ASSERT_THAT(old, IsOk());
  ASSERT_TRUE(old->has_value());
  EXPECT_EQ((*old)->status, DeliveryStatus::kDelivered);
  EXPECT_EQ((*old)->crm_id, "crm-42");
  EXPECT_EQ((*old)->delivered_at, now);

  // A transient failure waits until next_attempt_at.
  ASSERT_THAT(store_->MarkTaskAttemptFailed("new", "503", now + absl::Minutes(30), false), IsOk());
  due = store_->DueTasks(now);
  ASSERT_THAT(due, IsOk());
  EXPECT_THAT(TaskKeys(*due), ElementsAre("retry_now"));
  due = store_->DueTasks(now + absl::Hours(1));
  ASSERT_THAT(due, IsOk());
  EXPECT_THAT(TaskKeys(*due), ElementsAre("later", "retry_now", "new"));

  // A permanent failure gives up.
  ASSERT_THAT(store_->MarkTaskAttemptFailed("retry_now", "assignee unknown", now, true), IsOk());
  absl::StatusOr<std::optional<TaskRecord>> failed = store_->GetTask("retry_now");
  ASSERT_THAT(failed, IsOk());
  ASSERT_TRUE(failed->has_value());
  EXPECT_EQ((*failed)->status, DeliveryStatus::kFailed);
  EXPECT_EQ((*failed)->attempts, 2);
  EXPECT_EQ((*failed)->last_error, "assignee unknown");
  due = store_->DueTasks(absl::InfiniteFuture());
  ASSERT_THAT(due, IsOk());
  EXPECT_THAT(TaskKeys(*due), ElementsAre("later", "new"));

  EXPECT_THAT(store_->MarkTaskDelivered("nope", "x", now),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(store_->MarkTaskAttemptFailed("nope", "x", now, false),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
}

TEST_P(StoreTest, TasksByAccountAndCreationTime) {
  TaskRecord delivered = SampleTask("t-delivered", "a1", At(2));
  delivered.status = DeliveryStatus::kDelivered;
  TaskRecord failed = SampleTask("t-failed", "a2", At(3));
  failed.status = DeliveryStatus::kFailed;
  ASSERT_THAT(store_->AddTasks({SampleTask("t-late", "a1", At(5)), delivered, failed,
                                SampleTask("t-early", "a1", At(-1))}),
              IsOk());

  absl::StatusOr<std::vector<TaskRecord>> a1 = store_->TasksForAccount("a1");
  ASSERT_THAT(a1, IsOk());
  EXPECT_THAT(TaskKeys(*a1), ElementsAre("t-early", "t-delivered", "t-late"));
  absl::StatusOr<std::vector<TaskRecord>> none = store_->TasksForAccount("zzz");
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());

  absl::StatusOr<std::vector<TaskRecord>> since = store_->TasksCreatedSince(At(2));  // inclusive
  ASSERT_THAT(since, IsOk());
  EXPECT_THAT(TaskKeys(*since), ElementsAre("t-delivered", "t-failed", "t-late"));
}

TEST_P(StoreTest, OwnerChangeLedger) {
  const absl::Time now = At(10);
  OwnerChangeRecord first = SampleOwnerChange("oc1", "a1", At(0));
  OwnerChangeRecord waiting = SampleOwnerChange("oc2", "a2", At(-1));
  waiting.next_attempt_at = now + absl::Hours(2);
  waiting.attempts = 1;
  waiting.last_error = "busy";
  OwnerChangeRecord done = SampleOwnerChange("oc3", "a3", At(-2));
  done.status = DeliveryStatus::kDelivered;
  done.delivered_at = At(-1);
  absl::StatusOr<int> added = store_->AddOwnerChanges({first, waiting, done});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(*added, 3);

  OwnerChangeRecord again = first;
  again.request.to_owner_id = "someone-else";
  OwnerChangeRecord older = SampleOwnerChange("oc4", "a4", At(-3));
  older.plan_id = "";
  added = store_->AddOwnerChanges({again, older});
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(*added, 1);

  absl::StatusOr<std::vector<OwnerChangeRecord>> due = store_->DueOwnerChanges(now);
  ASSERT_THAT(due, IsOk());
  ExpectSameInOrder(*due, {older, first});  // the original oc1, untouched
  due = store_->DueOwnerChanges(now + absl::Hours(2));
  ASSERT_THAT(due, IsOk());
  ExpectSameInOrder(*due, {older, waiting, first});

  ASSERT_THAT(store_->MarkOwnerChangeDelivered("oc1", now), IsOk());
  ASSERT_THAT(store_->MarkOwnerChangeAttemptFailed("oc4", "timeout", now + absl::Hours(1), false),
              IsOk());
  ASSERT_THAT(store_->MarkOwnerChangeAttemptFailed("oc2", "owner changed meanwhile", now, true),
              IsOk());
  due = store_->DueOwnerChanges(now);
  ASSERT_THAT(due, IsOk());
  EXPECT_THAT(*due, IsEmpty());
  due = store_->DueOwnerChanges(now + absl::Hours(1));
  ASSERT_THAT(due, IsOk());
  ASSERT_THAT(ChangeKeys(*due), ElementsAre("oc4"));
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "timeout");
  EXPECT_EQ((*due)[0].next_attempt_at, now + absl::Hours(1));
  due = store_->DueOwnerChanges(absl::InfiniteFuture());
  ASSERT_THAT(due, IsOk());
  EXPECT_THAT(ChangeKeys(*due), ElementsAre("oc4"));

  EXPECT_THAT(store_->MarkOwnerChangeDelivered("nope", now), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->MarkOwnerChangeAttemptFailed("nope", "x", now, true),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->AddOwnerChanges({SampleOwnerChange("", "a1", now)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreTest, SweepHistory) {
  absl::StatusOr<int64_t> first = store_->BeginSweep(At(0), At(-1), false);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<int64_t> second = store_->BeginSweep(At(1), At(1), true);
  ASSERT_THAT(second, IsOk());
  EXPECT_GT(*second, *first);
  ASSERT_THAT(store_->FinishSweep(*first, At(0) + absl::Minutes(3), "succeeded", "{\"tasks\":3}"),
              IsOk());

  absl::StatusOr<std::vector<SweepRecord>> recent = store_->RecentSweeps(10);
  ASSERT_THAT(recent, IsOk());
  ExpectSameInOrder(*recent, {{*second, At(1), std::nullopt, At(1), true, "running", ""},
                              {*first, At(0), At(0) + absl::Minutes(3), At(-1), false, "succeeded",
                               "{\"tasks\":3}"}});
  recent = store_->RecentSweeps(1);
  ASSERT_THAT(recent, IsOk());
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].id, *second);
  recent = store_->RecentSweeps(0);
  ASSERT_THAT(recent, IsOk());
  EXPECT_THAT(*recent, IsEmpty());

  EXPECT_THAT(store_->FinishSweep(*second + 100, At(2), "failed", ""),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreTest, MetaGetAndSet) {
  absl::StatusOr<std::optional<std::string>> salt = store_->GetMeta("holdout_salt");
  ASSERT_THAT(salt, IsOk());
  EXPECT_FALSE(salt->has_value());
  ASSERT_THAT(store_->SetMeta("holdout_salt", "s1"), IsOk());
  ASSERT_THAT(store_->SetMeta("empty", ""), IsOk());
  ASSERT_THAT(store_->SetMeta("holdout_salt", AwkwardText()), IsOk());
  salt = store_->GetMeta("holdout_salt");
  ASSERT_THAT(salt, IsOk());
  EXPECT_EQ(*salt, AwkwardText());
  absl::StatusOr<std::optional<std::string>> empty = store_->GetMeta("empty");
  ASSERT_THAT(empty, IsOk());
  EXPECT_EQ(*empty, std::optional<std::string>(""));
}

TEST_P(StoreTest, HoldoutAssignmentsAreKeptOnceAssigned) {
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  HoldoutAssignment a{"acc-2", true, "tail", 0.1, t0};
  HoldoutAssignment b{"acc-1", false, "key", 0.05, t0};
  PULSE_ASSERT_OK_AND_ASSIGN(int added, store_->AddHoldoutAssignments({a, b}));
  EXPECT_EQ(added, 2);
  // A second assignment of acc-2 (its tier changed, say) does not move it.
  HoldoutAssignment moved{"acc-2", false, "mid", 0.5, t0 + absl::Hours(1)};
  HoldoutAssignment c{"acc-3", true, "mid", 0.1, t0 + absl::Hours(1)};
  PULSE_ASSERT_OK_AND_ASSIGN(added, store_->AddHoldoutAssignments({moved, c}));
  EXPECT_EQ(added, 1);
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<HoldoutAssignment> all, store_->HoldoutAssignments());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].account_id, "acc-1");
  EXPECT_FALSE(all[0].holdout);
  EXPECT_EQ(all[0].tier, "key");
  EXPECT_DOUBLE_EQ(all[0].share, 0.05);
  EXPECT_EQ(all[1].account_id, "acc-2");
  EXPECT_TRUE(all[1].holdout);
  EXPECT_EQ(all[1].tier, "tail");
  EXPECT_EQ(all[1].assigned_at, t0);
  EXPECT_EQ(all[2].account_id, "acc-3");
}

TEST_P(StoreTest, ContactDecisionsInsertNewKeysOnlyAndReadBackInOrder) {
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  ContactDecision d1;
  d1.key = "pulse:a1:win_back:2023-W46";
  d1.account_id = "a1";
  d1.action = "win_back";
  d1.tier = "tail";
  d1.decided_at = t0 + absl::Hours(24);
  d1.sweep_id = 4;
  d1.churn_probability = 0.625;
  d1.annual_value = 1234.5;
  ContactDecision d2 = d1;
  d2.key = "pulse:a2:win_back:2023-W46";
  d2.account_id = "a2";
  d2.holdout = true;
  d2.decided_at = t0;
  ContactDecision d3 = d1;
  d3.key = "pulse:a3:check_in:2023-W46";
  d3.backfill = true;
  PULSE_ASSERT_OK_AND_ASSIGN(int added, store_->AddContactDecisions({d1, d2, d3}));
  EXPECT_EQ(added, 3);
  ContactDecision again = d1;
  again.churn_probability = 0.1;
  PULSE_ASSERT_OK_AND_ASSIGN(added, store_->AddContactDecisions({again}));
  EXPECT_EQ(added, 0);
  ContactDecision empty;
  EXPECT_THAT(store_->AddContactDecisions({empty}), StatusIs(absl::StatusCode::kInvalidArgument));

  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ContactDecision> all, store_->ContactDecisionsSince(absl::InfinitePast()));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key, d2.key);  // oldest first
  EXPECT_TRUE(all[0].holdout);
  EXPECT_EQ(all[1].key, d1.key);
  EXPECT_FALSE(all[1].holdout);
  EXPECT_FALSE(all[1].backfill);
  EXPECT_DOUBLE_EQ(all[1].churn_probability, 0.625);
  EXPECT_DOUBLE_EQ(all[1].annual_value, 1234.5);
  EXPECT_EQ(all[1].sweep_id, 4);
  EXPECT_EQ(all[1].action, "win_back");
  EXPECT_EQ(all[1].tier, "tail");
  EXPECT_TRUE(all[2].backfill);
  PULSE_ASSERT_OK_AND_ASSIGN(all, store_->ContactDecisionsSince(t0 + absl::Hours(1)));
  EXPECT_EQ(all.size(), 2u);
}

TEST_P(StoreTest, ContactDecisionsForAccountAreThatAccountsOnlyOldestFirst) {
  ContactDecision d1;
  d1.key = "k1";
  d1.account_id = "a1";
  d1.action = "win_back";
  d1.decided_at = At(48);
  ContactDecision d2 = d1;
  d2.key = "k2";
  d2.decided_at = At(0);
  d2.holdout = true;
  ContactDecision other = d1;
  other.key = "k3";
  other.account_id = "a2";
  ASSERT_THAT(store_->AddContactDecisions({d1, d2, other}), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ContactDecision> mine, store_->ContactDecisionsForAccount("a1"));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].key, "k2");
  EXPECT_TRUE(mine[0].holdout);
  EXPECT_EQ(mine[1].key, "k1");
  PULSE_ASSERT_OK_AND_ASSIGN(mine, store_->ContactDecisionsForAccount("nobody"));
  EXPECT_THAT(mine, IsEmpty());
}

TEST_P(StoreTest, AccountRecordsAreOneAccountsRowsOfEveryKind) {
  const CustomerData data = SampleCustomerData();
  ASSERT_THAT(ApplyAll(*store_, data), IsOk());
  ASSERT_FALSE(data.accounts.empty());
  const std::string id = data.accounts.front().id;
  PULSE_ASSERT_OK_AND_ASSIGN(AccountRecords records, store_->LoadAccountRecords(id));
  ASSERT_TRUE(records.account.has_value());
  EXPECT_EQ(Fields(*records.account), Fields(data.accounts.front()));
  // Each kind: exactly the sample's records of this account (orders without their lines).
  auto expect_same = [&id](const auto& got, const auto& all) {
    std::vector<std::string> want;
    for (const auto& r : all) {
      if (r.account_id == id) want.push_back(r.id);
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(Ids(got), want);
  };
  expect_same(records.contacts, data.contacts);
  expect_same(records.orders, data.orders);
  expect_same(records.cases, data.cases);
  expect_same(records.activities, data.activities);
  expect_same(records.engagement, data.engagement);
  expect_same(records.feedback, data.feedback);
  EXPECT_FALSE(records.orders.empty()) << "the sample gives the first account orders";
  for (const Order& o : records.orders) EXPECT_TRUE(o.lines.empty());

  PULSE_ASSERT_OK_AND_ASSIGN(records, store_->LoadAccountRecords("no-such-account"));
  EXPECT_FALSE(records.account.has_value());
  EXPECT_THAT(records.orders, IsEmpty());
}

ScoreRecord Score(const std::string& account, absl::Time as_of, double p, int64_t sweep) {
  ScoreRecord r;
  r.account_id = account;
  r.as_of = as_of;
  r.sweep_id = sweep;
  r.churn_probability = p;
  r.value_at_risk = 1000 * p;
  r.tier = Tier::kMid;
  return r;
}

TEST(ScoreHistoryRule, RecordsTheFirstAChangeOfAtLeastTheStepOrAnOldRecord) {
  const ScoreHistoryRule rule;
  const ScoreRecord last = Score("a", At(0), 0.25, 1);
  EXPECT_TRUE(ShouldRecordScore(nullptr, last, rule));
  EXPECT_FALSE(ShouldRecordScore(&last, Score("a", At(24), 0.29, 2), rule));
  EXPECT_FALSE(ShouldRecordScore(&last, Score("a", At(24), 0.21, 2), rule));
  EXPECT_TRUE(ShouldRecordScore(&last, Score("a", At(24), 0.30, 2), rule)) << "0.30 - 0.25 is a hair under 0.05";
  EXPECT_TRUE(ShouldRecordScore(&last, Score("a", At(24), 0.20, 2), rule));
  EXPECT_FALSE(ShouldRecordScore(&last, Score("a", At(24 * 28 - 1), 0.25, 2), rule));
  EXPECT_TRUE(ShouldRecordScore(&last, Score("a", At(24 * 28), 0.25, 2), rule));
  EXPECT_FALSE(ShouldRecordScore(&last, Score("a", At(0), 0.9, 2), rule)) << "not after the last record";
  EXPECT_FALSE(ShouldRecordScore(&last, Score("a", At(-24), 0.9, 2), rule));
}

TEST_P(StoreTest, ScoreHistoryGrowsOnlyOnChangeOrAge) {
  const ScoreHistoryRule rule;
  PULSE_ASSERT_OK_AND_ASSIGN(int64_t n, store_->RecordScores({Score("b", At(0), 0.5, 1), Score("a", At(0), 0.1, 1),
                                                              Score("a", At(0), 0.7, 1)},
                                                             rule));
  EXPECT_EQ(n, 2) << "the first of a duplicate id wins";
  // A day later: a moved by 0.05, b by 0.01, c is new.
  PULSE_ASSERT_OK_AND_ASSIGN(n, store_->RecordScores({Score("a", At(24), 0.15, 2), Score("b", At(24), 0.51, 2),
                                                      Score("c", At(24), 0.0, 2)},
                                                     rule));
  EXPECT_EQ(n, 2);
  // 27 days after b's record: unchanged b is not recorded; at 28 days it is.
  PULSE_ASSERT_OK_AND_ASSIGN(n, store_->RecordScores({Score("b", At(24 * 27), 0.52, 3)}, rule));
  EXPECT_EQ(n, 0);
  PULSE_ASSERT_OK_AND_ASSIGN(n, store_->RecordScores({Score("b", At(24 * 28), 0.52, 4)}, rule));
  EXPECT_EQ(n, 1);
  // The comparison is with the last *recorded* value: b drifting by 0.01 a day never records.
  for (int day = 29; day < 33; ++day) {
    PULSE_ASSERT_OK_AND_ASSIGN(n, store_->RecordScores({Score("b", At(24 * day), 0.52 + 0.01 * (day - 28), 5)}, rule));
    EXPECT_EQ(n, 0) << day;
  }
  PULSE_ASSERT_OK_AND_ASSIGN(n, store_->RecordScores({Score("b", At(24 * 33), 0.57, 6)}, rule));
  EXPECT_EQ(n, 1) << "0.57 is 0.05 from the last recorded 0.52";

  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ScoreRecord> a, store_->ScoreHistory("a"));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].as_of, At(0));
  EXPECT_DOUBLE_EQ(a[0].churn_probability, 0.1);
  EXPECT_EQ(a[0].sweep_id, 1);
  EXPECT_DOUBLE_EQ(a[1].churn_probability, 0.15);
  EXPECT_DOUBLE_EQ(a[1].value_at_risk, 150);
  EXPECT_EQ(a[1].tier, Tier::kMid);
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ScoreRecord> b, store_->ScoreHistory("b"));
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[1].as_of, At(24 * 28));
  EXPECT_EQ(b[2].as_of, At(24 * 33));
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<ScoreRecord> none, store_->ScoreHistory("zzz"));
  EXPECT_THAT(none, IsEmpty());
  EXPECT_THAT(store_->RecordScores({Score("", At(0), 0.5, 1)}, rule), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A writer adds tasks in batches while a reader lists them: every read sees
// whole batches only, never fewer than before, and nothing fails.
TEST_P(StoreTest, ConcurrentWriterAndReader) {
  constexpr int kBatches = 100;
  constexpr int kBatchSize = 5;
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<TaskRecord> batch;
      for (int i = 0; i < kBatchSize; ++i) {
        batch.push_back(SampleTask(absl::StrCat("t", b, "-", i), "a1", At(b)));
      }
      absl::StatusOr<int> added = store_->AddTasks(batch);
      EXPECT_THAT(added, IsOk());
      if (added.ok()) {
        EXPECT_EQ(*added, kBatchSize);
      }
    }
    writer_done = true;
  });
  size_t seen = 0;
  int reads = 0;
  while (!writer_done || reads == 0) {
    absl::StatusOr<std::vector<TaskRecord>> tasks = store_->TasksForAccount("a1");
    EXPECT_THAT(tasks, IsOk());
    if (!tasks.ok()) break;  // not ASSERT: the writer thread must be joined
    EXPECT_EQ(tasks->size() % kBatchSize, 0u);
    EXPECT_GE(tasks->size(), seen);
    seen = tasks->size();
    ++reads;
  }
  writer.join();
  absl::StatusOr<std::vector<TaskRecord>> all = store_->TasksCreatedSince(absl::InfinitePast());
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), static_cast<size_t>(kBatches * kBatchSize));
}

}  // namespace
}  // namespace pulse

namespace pulse {
namespace {

HandoffAuditRecord AuditAt(absl::Time at, const std::string& action) {
  HandoffAuditRecord a;
  a.at = at;
  a.requested_by = "manager";
  a.action = action;
  a.detail = "detail of " + action;
  return a;
}

TEST_P(StoreTest, HandoffPlansRoundTripWithAccountsLoadsAndAudit) {
  HandoffPlanRecord plan;
  plan.from_user_id = "gone";
  plan.effective_day = "2026-07-01";
  plan.created_at = At(0);
  plan.requested_by = "manager";
  plan.sweep_id = 7;
  HandoffAccountRecord light;
  light.account_id = "a-light";
  light.account_name = "Light Oy";
  light.tier = "tail";
  light.annual_value = 100;
  light.churn_probability = 0.2;
  light.weight = 0.5;
  light.to_user_id = "r1";
  light.reason = "lowest load";
  HandoffAccountRecord heavy = light;
  heavy.account_id = "a-heavy";
  heavy.tier = "key";
  heavy.weight = 3;
  heavy.to_user_id = "";
  plan.accounts = {light, heavy};
  HandoffLoadRecord load;
  load.user_id = "r1";
  load.name = "R One";
  load.weekly_capacity = 12;
  load.key_account_holder = true;
  load.accounts_before = 4;
  load.annual_value_before = 1234.5;
  load.load_before = 3.25;
  load.capacity = 9.5;
  plan.loads = {load};
  PULSE_ASSERT_OK_AND_ASSIGN(const int64_t id, store_->AddHandoffPlan(plan, AuditAt(At(0), "plan")));
  PULSE_ASSERT_OK_AND_ASSIGN(const int64_t second, store_->AddHandoffPlan(plan, AuditAt(At(1), "plan")));
  EXPECT_GT(second, id);

  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<HandoffPlanRecord> got, store_->GetHandoffPlan(id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, "planned");
  EXPECT_EQ(got->from_user_id, "gone");
  EXPECT_EQ(got->effective_day, "2026-07-01");
  EXPECT_EQ(got->created_at, At(0));
  EXPECT_EQ(got->sweep_id, 7);
  ASSERT_EQ(got->accounts.size(), 2u);
  EXPECT_EQ(got->accounts[0].account_id, "a-heavy") << "heaviest first";
  EXPECT_EQ(got->accounts[0].tier, "key");
  EXPECT_EQ(got->accounts[0].to_user_id, "");
  EXPECT_EQ(got->accounts[1].reason, "lowest load");
  ASSERT_EQ(got->loads.size(), 1u);
  EXPECT_EQ(got->loads[0].weekly_capacity, 12);
  EXPECT_TRUE(got->loads[0].key_account_holder);
  EXPECT_DOUBLE_EQ(got->loads[0].annual_value_before, 1234.5);
  EXPECT_DOUBLE_EQ(got->loads[0].capacity, 9.5);
  ASSERT_EQ(got->audit.size(), 1u);
  EXPECT_EQ(got->audit[0].plan_id, id);
  EXPECT_EQ(got->audit[0].requested_by, "manager");
  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<HandoffPlanRecord> none, store_->GetHandoffPlan(id + 100));
  EXPECT_FALSE(none.has_value());

  // Moves only while planned; statuses only along the allowed edges.
  ASSERT_THAT(store_->MoveHandoffAccount(id, "a-heavy", "r1", "moved by manager", AuditAt(At(2), "move")), IsOk());
  EXPECT_THAT(store_->MoveHandoffAccount(id, "no-such", "r1", "", AuditAt(At(2), "move")),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(store_->SetHandoffPlanStatus(id, {"planned"}, "applying", AuditAt(At(3), "apply")), IsOk());
  EXPECT_THAT(store_->MoveHandoffAccount(id, "a-light", "r2", "", AuditAt(At(4), "move")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("applying")));
  EXPECT_THAT(store_->SetHandoffPlanStatus(id, {"planned"}, "discarded", AuditAt(At(4), "discard")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is applying")));
  ASSERT_THAT(store_->SetHandoffPlanStatus(id, {"planned"}, "applying", AuditAt(At(5), "apply")), IsOk())
      << "already there: only the audit grows";
  EXPECT_THAT(store_->SetHandoffPlanStatus(id + 100, {"planned"}, "applying", AuditAt(At(5), "apply")),
              StatusIs(absl::StatusCode::kNotFound));
  PULSE_ASSERT_OK_AND_ASSIGN(got, store_->GetHandoffPlan(id));
  EXPECT_EQ(got->status, "applying");
  EXPECT_EQ(got->accounts[0].to_user_id, "r1");
  EXPECT_EQ(got->accounts[0].reason, "moved by manager");
  ASSERT_EQ(got->audit.size(), 4u);
  EXPECT_EQ(got->audit[1].action, "move");
  EXPECT_EQ(got->audit[3].at, At(5));

  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<HandoffPlanRecord> all, store_->ListHandoffPlans());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, second) << "newest first";
  EXPECT_TRUE(all[0].accounts.empty());
}

TEST_P(StoreTest, HandoffWatchesAndOwnerChangesByPlan) {
  HandoffWatch w1;
  w1.account_id = "a1";
  w1.plan_id = 1;
  w1.until = At(10);
  HandoffWatch w2 = w1;
  w2.account_id = "a2";
  w2.until = At(1);
  ASSERT_THAT(store_->SetHandoffWatches({w1, w2}), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<HandoffWatch> active, store_->ActiveHandoffWatches(At(5)));
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].account_id, "a1");
  w2.until = At(20);
  w2.plan_id = 2;
  ASSERT_THAT(store_->SetHandoffWatches({w2}), IsOk());  // a later plan takes the account over
  PULSE_ASSERT_OK_AND_ASSIGN(active, store_->ActiveHandoffWatches(At(5)));
  EXPECT_EQ(active.size(), 2u);
  ASSERT_THAT(store_->RemoveHandoffWatches(1), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(active, store_->ActiveHandoffWatches(At(5)));
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].account_id, "a2");

  OwnerChangeRecord in_plan = SampleOwnerChange("handoff:3:a1", "a1", At(0));
  in_plan.plan_id = "3";
  in_plan.status = DeliveryStatus::kDelivered;
  OwnerChangeRecord other = SampleOwnerChange("x", "a2", At(0));
  other.plan_id = "4";
  ASSERT_THAT(store_->AddOwnerChanges({in_plan, other}), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<OwnerChangeRecord> changes, store_->OwnerChangesForPlan("3"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].request.key, "handoff:3:a1");
  EXPECT_EQ(changes[0].status, DeliveryStatus::kDelivered);
}

}  // namespace
}  // namespace pulse
