#include "adapters/csv/csv_adapter.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "tests/adapters/csv/csv_folder.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::CsvFolder;
using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

absl::Time T(absl::string_view iso) {
  absl::StatusOr<absl::Time> t = ParseIsoTime(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.value_or(absl::UnixEpoch());
}

template <typename Record>
std::vector<std::string> Ids(const std::vector<Record>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

std::vector<std::string> Rejections(const std::vector<RejectedRecord>& rejected) {
  std::vector<std::string> out;
  for (const RejectedRecord& r : rejected) out.push_back(r.ToString());
  return out;
}

ReadParams Since(const std::string& watermark) {
  ReadParams p;
  p.since_watermark = watermark;
  return p;
}

// A folder with the three required files, each with a header and one row.
class CsvAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("users.csv", "id,name,email,active\nu1,Ann,ann@example.com,true\nu2,Bob,bob@example.com,true\n");
    dir_.Write("accounts.csv",
               "id,name,owner_id,industry,country,created_at\n"
               "a1,Acme,u1,retail,DE,2024-01-01\n"
               "a2,Beta,u2,food,FR,2024-02-01\n");
    dir_.Write("orders.csv", "id,account_id,ordered_at,amount,currency\no1,a1,2025-01-05,100.50,EUR\n");
  }

  std::unique_ptr<CrmAdapter> Open() {
    absl::StatusOr<std::unique_ptr<CrmAdapter>> adapter = MakeCsvAdapter({dir_.path()});
    EXPECT_THAT(adapter, IsOk());
    return adapter.ok() ? std::move(*adapter) : nullptr;
  }

  CsvFolder dir_;
};

// ----- Opening ---------------------------------------------------------------

TEST_F(CsvAdapterTest, OpensAFolderWithTheRequiredFiles) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->Name(), "csv");
  EXPECT_EQ(adapter->TaskDestination(), dir_.File("tasks.csv"));
  EXPECT_THAT(adapter->Ping(), IsOk());
}

TEST_F(CsvAdapterTest, MissingFolderIsNotFound) {
  EXPECT_THAT(MakeCsvAdapter({dir_.File("nope")}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(MakeCsvAdapter({""}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CsvAdapterTest, MissingRequiredFileIsNotFoundNamingIt) {
  dir_.Remove("orders.csv");
  EXPECT_THAT(MakeCsvAdapter({dir_.path()}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("orders.csv")));
}

TEST_F(CsvAdapterTest, RequiredFileRemovedLaterFailsPingAndRead) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  dir_.Remove("users.csv");
  EXPECT_THAT(adapter->Ping(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("users.csv")));
  EXPECT_THAT(adapter->ReadUsers({}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("users.csv")));
}

TEST_F(CsvAdapterTest, MissingRequiredColumnFailsThatRead) {
  dir_.Write("orders.csv", "id,account_id,ordered_at,currency\no1,a1,2025-01-05,EUR\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  EXPECT_THAT(adapter->ReadOrders({}),
              StatusIs(absl::StatusCode::kInvalidArgument, "orders.csv: missing required column 'amount'"));
  EXPECT_THAT(adapter->ReadUsers({}), IsOk());
}

TEST_F(CsvAdapterTest, MissingColumnInAnOptionalFileFailsItsRead) {
  dir_.Write("cases.csv", "id,account_id,opened_at\nc1,a1,2025-01-01\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  EXPECT_THAT(adapter->ReadCases({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cases.csv: missing required column")));
}

// ----- Optional files --------------------------------------------------------

TEST_F(CsvAdapterTest, AbsentOptionalFilesAreMissingCapabilitiesAndEmptyBatches) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  const Capabilities caps = adapter->GetCapabilities();
  EXPECT_TRUE(caps.users && caps.accounts && caps.orders);
  EXPECT_FALSE(caps.order_lines || caps.contacts || caps.cases || caps.activities || caps.engagement || caps.feedback);
  EXPECT_TRUE(caps.deletions && caps.write_tasks && caps.change_owner);

  absl::StatusOr<ChangeBatch<Contact>> contacts = adapter->ReadContacts({});
  ASSERT_THAT(contacts, IsOk());
  EXPECT_THAT(contacts->upserts, IsEmpty());
  EXPECT_THAT(contacts->rejected, IsEmpty());
  absl::StatusOr<ChangeBatch<Case>> cases = adapter->ReadCases({});
  ASSERT_THAT(cases, IsOk());
  EXPECT_THAT(cases->upserts, IsEmpty());
  absl::StatusOr<ChangeBatch<Activity>> activities = adapter->ReadActivities({});
  ASSERT_THAT(activities, IsOk());
  EXPECT_THAT(activities->upserts, IsEmpty());
  absl::StatusOr<ChangeBatch<EngagementPeriod>> engagement = adapter->ReadEngagement({});
  ASSERT_THAT(engagement, IsOk());
  EXPECT_THAT(engagement->upserts, IsEmpty());
  absl::StatusOr<ChangeBatch<Feedback>> feedback = adapter->ReadFeedback({});
  ASSERT_THAT(feedback, IsOk());
  EXPECT_THAT(feedback->upserts, IsEmpty());

  // Still absent: nothing changed.
  absl::StatusOr<ChangeBatch<Contact>> again = adapter->ReadContacts(Since(contacts->watermark));
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->full_snapshot);
  EXPECT_EQ(again->watermark, contacts->watermark);

  dir_.Write("contacts.csv", "id,account_id,name,email,role,active,updated_at\nk1,a1,Kim,k@x.org,buyer,yes,\n");
  dir_.Write("order_lines.csv", "order_id,sku,product,quantity,amount\n");
  EXPECT_TRUE(adapter->GetCapabilities().contacts);
  EXPECT_TRUE(adapter->GetCapabilities().order_lines);
  absl::StatusOr<ChangeBatch<Contact>> appeared = adapter->ReadContacts(Since(contacts->watermark));
  ASSERT_THAT(appeared, IsOk());
  EXPECT_THAT(Ids(appeared->upserts), ElementsAre("k1"));
  EXPECT_TRUE(appeared->full_snapshot);
}

TEST_F(CsvAdapterTest, RemovedOptionalFileIsAnEmptyFullSnapshot) {
  dir_.Write("cases.csv",
             "id,account_id,opened_at,first_response_at,closed_at,status,category,priority,subject\n"
             "c1,a1,2025-01-01,,,open,billing,high,Invoice wrong\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Case>> first = adapter->ReadCases({});
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(first->upserts, SizeIs(1));
  dir_.Remove("cases.csv");
  absl::StatusOr<ChangeBatch<Case>> second = adapter->ReadCases(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->full_snapshot);
  EXPECT_THAT(second->upserts, IsEmpty());
  EXPECT_FALSE(adapter->GetCapabilities().cases);
}

// ----- Parsing each file -----------------------------------------------------

TEST_F(CsvAdapterTest, ReadsUsers) {
  dir_.Write("users.csv",
             "id,name,email,active,weekly_capacity\n"
             "u1,Ann,ann@example.com,true,25\n"
             "u2,Bob,bob@example.com,0,\n"
             "u3,Cy,cy@example.com,YES,0\n"
             "u4,Di,di@example.com,no,3\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> users = adapter->ReadUsers({});
  ASSERT_THAT(users, IsOk());
  EXPECT_TRUE(users->full_snapshot);
  EXPECT_THAT(users->rejected, IsEmpty());
  ASSERT_THAT(users->upserts, SizeIs(4));
  const User& ann = users->upserts[0];
  EXPECT_EQ(ann.id, "u1");
  EXPECT_EQ(ann.name, "Ann");
  EXPECT_EQ(ann.email, "ann@example.com");
  EXPECT_TRUE(ann.active);
  EXPECT_THAT(ann.weekly_capacity, Optional(25));
  EXPECT_FALSE(users->upserts[1].active);
  EXPECT_EQ(users->upserts[1].weekly_capacity, std::nullopt);
  EXPECT_TRUE(users->upserts[2].active);
  EXPECT_THAT(users->upserts[2].weekly_capacity, Optional(0));
  EXPECT_FALSE(users->upserts[3].active);
}

TEST_F(CsvAdapterTest, ReadsAccounts) {
  dir_.Write("accounts.csv",
             "id,name,owner_id,industry,country,created_at,tier,do_not_contact\n"
             "a1,Acme,u1,retail,DE,2024-01-01T10:00:00+02:00,key,true\n"
             "a2,Beta,,food,FR,,,\n"
             "a3,Gamma,u2,tools,IT,2024-03-01 08:30:00,TAIL,false\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Account>> accounts = adapter->ReadAccounts({});
  ASSERT_THAT(accounts, IsOk());
  EXPECT_THAT(accounts->rejected, IsEmpty());
  ASSERT_THAT(accounts->upserts, SizeIs(3));
  const Account& acme = accounts->upserts[0];
  EXPECT_EQ(acme.name, "Acme");
  EXPECT_EQ(acme.owner_id, "u1");
  EXPECT_EQ(acme.industry, "retail");
  EXPECT_EQ(acme.country, "DE");
  EXPECT_THAT(acme.created_at, Optional(T("2024-01-01T08:00:00Z")));
  EXPECT_EQ(acme.crm_tier, Tier::kKey);
  EXPECT_TRUE(acme.do_not_contact);
  const Account& beta = accounts->upserts[1];
  EXPECT_EQ(beta.owner_id, "");
  EXPECT_EQ(beta.created_at, std::nullopt);
  EXPECT_EQ(beta.crm_tier, Tier::kUnspecified);
  EXPECT_FALSE(beta.do_not_contact);
  EXPECT_EQ(accounts->upserts[2].crm_tier, Tier::kTail);
  EXPECT_THAT(accounts->upserts[2].created_at, Optional(T("2024-03-01T08:30:00Z")));
}

TEST_F(CsvAdapterTest, ReadsContacts) {
  dir_.Write("contacts.csv",
             "id,account_id,name,email,role,active,updated_at\n"
             "k1,a1,Kim,kim@acme.de,buyer,true,2025-02-01T12:00:00Z\n"
             "k2,a1,Lee,lee@acme.de,,false,\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  EXPECT_TRUE(adapter->GetCapabilities().contacts);
  absl::StatusOr<ChangeBatch<Contact>> contacts = adapter->ReadContacts({});
  ASSERT_THAT(contacts, IsOk());
  EXPECT_THAT(contacts->rejected, IsEmpty());
  ASSERT_THAT(contacts->upserts, SizeIs(2));
  const Contact& kim = contacts->upserts[0];
  EXPECT_EQ(kim.account_id, "a1");
  EXPECT_EQ(kim.name, "Kim");
  EXPECT_EQ(kim.email, "kim@acme.de");
  EXPECT_EQ(kim.role, "buyer");
  EXPECT_TRUE(kim.active);
  EXPECT_THAT(kim.updated_at, Optional(T("2025-02-01T12:00:00Z")));
  EXPECT_FALSE(contacts->upserts[1].active);
  EXPECT_EQ(contacts->upserts[1].updated_at, std::nullopt);
}

TEST_F(CsvAdapterTest, ReadsOrdersWithTheirLines) {
  dir_.Write("orders.csv",
             "id,account_id,ordered_at,amount,currency\n"
             "o1,a1,2025-01-05,100.50,eur\n"
             "o2,a2,2025-01-06T09:00:00Z,-20,EUR\n"
             "o3,zz,2025-01-07,0,USD\n");  // unknown account: the engine's business
  dir_.Write("order_lines.csv",
             "order_id,sku,product,quantity,amount\n"
             "o1,S1,Widget,2,80.5\n"
             "o1,S2,Gadget,1,20\n"
             "o2,S1,Widget,-1,-20\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Order>> orders = adapter->ReadOrders({});
  ASSERT_THAT(orders, IsOk());
  EXPECT_THAT(orders->rejected, IsEmpty());
  ASSERT_THAT(Ids(orders->upserts), ElementsAre("o1", "o2", "o3"));
  const Order& o1 = orders->upserts[0];
  EXPECT_EQ(o1.account_id, "a1");
  EXPECT_EQ(o1.ordered_at, T("2025-01-05T00:00:00Z"));
  EXPECT_DOUBLE_EQ(o1.amount, 100.5);
  EXPECT_EQ(o1.currency, "EUR");
  ASSERT_THAT(o1.lines, SizeIs(2));
  EXPECT_EQ(o1.lines[0].sku, "S1");
  EXPECT_EQ(o1.lines[0].product, "Widget");
  EXPECT_DOUBLE_EQ(o1.lines[0].quantity, 2);
  EXPECT_DOUBLE_EQ(o1.lines[0].amount, 80.5);
  EXPECT_EQ(o1.lines[1].sku, "S2");
  EXPECT_DOUBLE_EQ(orders->upserts[1].amount, -20);
  ASSERT_THAT(orders->upserts[1].lines, SizeIs(1));
  EXPECT_DOUBLE_EQ(orders->upserts[1].lines[0].quantity, -1);
  EXPECT_THAT(orders->upserts[2].lines, IsEmpty());
  EXPECT_EQ(orders->upserts[2].account_id, "zz");
}

TEST_F(CsvAdapterTest, ReadsCases) {
  dir_.Write("cases.csv",
             "id,account_id,opened_at,first_response_at,closed_at,status,category,priority,subject\n"
             "c1,a1,2025-01-01T08:00:00Z,2025-01-01T09:30:00Z,2025-01-03,Closed,billing,High,Invoice wrong\n"
             "c2,a2,2025-01-02,,,Open,delivery,low,Late parcel\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Case>> cases = adapter->ReadCases({});
  ASSERT_THAT(cases, IsOk());
  EXPECT_THAT(cases->rejected, IsEmpty());
  ASSERT_THAT(cases->upserts, SizeIs(2));
  const Case& c1 = cases->upserts[0];
  EXPECT_EQ(c1.account_id, "a1");
  EXPECT_EQ(c1.opened_at, T("2025-01-01T08:00:00Z"));
  EXPECT_THAT(c1.first_response_at, Optional(T("2025-01-01T09:30:00Z")));
  EXPECT_THAT(c1.closed_at, Optional(T("2025-01-03")));
  EXPECT_EQ(c1.status, "closed");
  EXPECT_EQ(c1.category, "billing");
  EXPECT_EQ(c1.priority, "High");
  EXPECT_EQ(c1.subject, "Invoice wrong");
  EXPECT_FALSE(c1.IsOpen());
  EXPECT_EQ(cases->upserts[1].first_response_at, std::nullopt);
  EXPECT_EQ(cases->upserts[1].closed_at, std::nullopt);
  EXPECT_TRUE(cases->upserts[1].IsOpen());
}

TEST_F(CsvAdapterTest, ReadsActivities) {
  dir_.Write("activities.csv",
             "id,account_id,type,direction,occurred_at,user_id,subject\n"
             "x1,a1,call,outbound,2025-03-01T10:00:00Z,u1,Check-in\n"
             "x2,a1,Email,INBOUND,2025-03-02,u1,Re: offer\n"
             "x3,a2,note,,2025-03-03,,Visited\n"
             "x4,a2,meeting,out,2025-03-04,u2,QBR\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Activity>> activities = adapter->ReadActivities({});
  ASSERT_THAT(activities, IsOk());
  EXPECT_THAT(activities->rejected, IsEmpty());
  ASSERT_THAT(activities->upserts, SizeIs(4));
  const Activity& x1 = activities->upserts[0];
  EXPECT_EQ(x1.type, ActivityType::kCall);
  EXPECT_EQ(x1.direction, Direction::kOutbound);
  EXPECT_EQ(x1.occurred_at, T("2025-03-01T10:00:00Z"));
  EXPECT_EQ(x1.user_id, "u1");
  EXPECT_EQ(x1.subject, "Check-in");
  EXPECT_EQ(activities->upserts[1].type, ActivityType::kEmail);
  EXPECT_EQ(activities->upserts[1].direction, Direction::kInbound);
  EXPECT_EQ(activities->upserts[2].type, ActivityType::kNote);
  EXPECT_EQ(activities->upserts[2].direction, Direction::kUnknown);
  EXPECT_EQ(activities->upserts[3].type, ActivityType::kMeeting);
}

TEST_F(CsvAdapterTest, ReadsEngagementWithMadeIds) {
  dir_.Write("engagement.csv",
             "account_id,period_start,sent,opened,clicked\n"
             "a1,2025-03-01,4,2,1\n"
             "a1,2025-04-01,4,,\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<EngagementPeriod>> engagement = adapter->ReadEngagement({});
  ASSERT_THAT(engagement, IsOk());
  EXPECT_THAT(engagement->rejected, IsEmpty());
  ASSERT_THAT(Ids(engagement->upserts), ElementsAre("a1|2025-03-01", "a1|2025-04-01"));
  const EngagementPeriod& march = engagement->upserts[0];
  EXPECT_EQ(march.account_id, "a1");
  EXPECT_EQ(march.period_start, absl::CivilDay(2025, 3, 1));
  EXPECT_EQ(march.sent, 4);
  EXPECT_EQ(march.opened, 2);
  EXPECT_EQ(march.clicked, 1);
  EXPECT_EQ(engagement->upserts[1].opened, 0);
}

TEST_F(CsvAdapterTest, ReadsFeedbackWithMadeIds) {
  dir_.Write("feedback.csv",
             "account_id,received_at,score,scale,comment\n"
             "a1,2025-03-01T10:00:00+01:00,9,NPS,Great service\n"
             "a2,2025-03-02,4.5,csat,\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Feedback>> feedback = adapter->ReadFeedback({});
  ASSERT_THAT(feedback, IsOk());
  EXPECT_THAT(feedback->rejected, IsEmpty());
  ASSERT_THAT(Ids(feedback->upserts), ElementsAre("a1|2025-03-01T09:00:00Z", "a2|2025-03-02T00:00:00Z"));
  const Feedback& f = feedback->upserts[0];
  EXPECT_EQ(f.account_id, "a1");
  EXPECT_EQ(f.received_at, T("2025-03-01T09:00:00Z"));
  EXPECT_DOUBLE_EQ(f.score, 9);
  EXPECT_EQ(f.scale, FeedbackScale::kNps);
  EXPECT_EQ(f.comment, "Great service");
  EXPECT_EQ(feedback->upserts[1].scale, FeedbackScale::kCsat);
  EXPECT_DOUBLE_EQ(feedback->upserts[1].score, 4.5);
}

TEST_F(CsvAdapterTest, ShuffledColumnsBomCrlfQuotesAndExtraColumns) {
  dir_.Write("accounts.csv",
             "\xEF\xBB\xBF"
             "Country,Created_At,ID,Extra,Owner_ID,NAME,industry\r\n"
             "DE,2024-01-01,a1,whatever,u1,\"Acme, Inc.\",retail\r\n"
             "FR,2024-01-02,a2,,u2,\"Beta \"\"The Best\"\"\nSecond line\",food\r\n"
             "IT,yesterday,a3,,u1,Gamma,tools\r\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Account>> accounts = adapter->ReadAccounts({});
  ASSERT_THAT(accounts, IsOk());
  ASSERT_THAT(Ids(accounts->upserts), ElementsAre("a1", "a2"));
  EXPECT_EQ(accounts->upserts[0].name, "Acme, Inc.");
  EXPECT_EQ(accounts->upserts[0].country, "DE");
  EXPECT_EQ(accounts->upserts[0].owner_id, "u1");
  EXPECT_EQ(accounts->upserts[0].industry, "retail");
  EXPECT_EQ(accounts->upserts[1].name, "Beta \"The Best\"\nSecond line");
  EXPECT_EQ(accounts->upserts[1].industry, "food");
  // The quoted line end moved the next row to line 5.
  EXPECT_THAT(Rejections(accounts->rejected),
              ElementsAre(HasSubstr("accounts.csv:5: created_at 'yesterday' is not an ISO 8601 date")));
}

TEST_F(CsvAdapterTest, LoneCarriageReturnsCountAsLineEndsInsideQuotesToo) {
  dir_.Write("users.csv", "id,name,email,active\ru1,\"Ann\rSmith\",a@x,true\ru2,Bob,b@x,maybe\r");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> users = adapter->ReadUsers({});
  ASSERT_THAT(users, IsOk());
  ASSERT_THAT(Ids(users->upserts), ElementsAre("u1"));
  EXPECT_EQ(users->upserts[0].name, "Ann\rSmith");
  EXPECT_THAT(Rejections(users->rejected), ElementsAre(HasSubstr("users.csv:4: active 'maybe'")));
}

// ----- Malformed rows --------------------------------------------------------

TEST_F(CsvAdapterTest, RejectsMalformedUsersAndKeepsTheRest) {
  dir_.Write("users.csv",
             "id,name,email,active,weekly_capacity\n"
             "u1,Ann,a@x,true,\n"
             ",Nobody,n@x,true,\n"
             "u3,Cy,c@x,maybe,\n"
             "u4,Di,d@x,true,-2\n"
             "u1,Ann again,a2@x,true,\n"
             "u6,\"Unclosed,x,true,\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> users = adapter->ReadUsers({});
  ASSERT_THAT(users, IsOk());
  EXPECT_THAT(Ids(users->upserts), ElementsAre("u1"));
  EXPECT_EQ(users->upserts[0].name, "Ann");
  EXPECT_THAT(
      Rejections(users->rejected),
      ElementsAre("users.csv:3: id is empty",
                  "users.csv:4: active 'maybe' is not true or false (1/0 and yes/no also work)",
                  "users.csv:5: weekly_capacity '-2' is not a non-negative whole number",
                  "users.csv:6: duplicate id 'u1' (first on line 2)", "users.csv:7: unterminated quoted field"));
}

TEST_F(CsvAdapterTest, RejectsMalformedAccounts) {
  dir_.Write("accounts.csv",
             "id,name,owner_id,industry,country,created_at,tier,do_not_contact\n"
             "a1,Acme,u1,retail,DE,2024-01-01,gold,\n"
             "a2,Beta,u1,retail,DE,2024-02-30,,\n"
             "a3,Gamma,u1,retail,DE,2024-01-01,,perhaps\n"
             "a4,Delta,u1,retail,DE,2024-01-01,mid,false\n"
             "a5,Eps\"ilon,u1,retail,DE,2024-01-01,,\n"
             "a6,Zeta,u1,retail,DE,2024-01-01,,,too,many\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Account>> accounts = adapter->ReadAccounts({});
  ASSERT_THAT(accounts, IsOk());
  EXPECT_THAT(Ids(accounts->upserts), ElementsAre("a4"));
  EXPECT_THAT(
      Rejections(accounts->rejected),
      ElementsAre("accounts.csv:2: tier 'gold' is not key, mid, tail or empty",
                  HasSubstr("accounts.csv:3: created_at '2024-02-30' is not an ISO 8601 date"),
                  HasSubstr("accounts.csv:4: do_not_contact 'perhaps' is not true or false"),
                  "accounts.csv:6: stray quote inside a field", "accounts.csv:7: 10 fields but the header has 8"));
}

TEST_F(CsvAdapterTest, RejectsMalformedOrdersAndLines) {
  dir_.Write("orders.csv",
             "id,account_id,ordered_at,amount,currency\n"
             "o1,a1,2025-01-05,abc,EUR\n"
             "o2,a1,2025-01-05,\"1,5\",EUR\n"
             "o3,a1,,10,EUR\n"
             "o4,,2025-01-05,10,EUR\n"
             "o5,a1,2025-01-05,,EUR\n"
             "o6,a1,2025-01-05,nan,EUR\n"
             "o7,a1,2025-01-05,12.5,EUR\n");
  dir_.Write("order_lines.csv",
             "order_id,sku,product,quantity,amount\n"
             "o7,S1,Widget,1,12.5\n"
             "o9,S1,Widget,1,12.5\n"
             "o7,S2,Gadget,two,1\n"
             ",S3,Thing,1,1\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Order>> orders = adapter->ReadOrders({});
  ASSERT_THAT(orders, IsOk());
  ASSERT_THAT(Ids(orders->upserts), ElementsAre("o7"));
  EXPECT_THAT(orders->upserts[0].lines, SizeIs(1));
  EXPECT_THAT(Rejections(orders->rejected),
              ElementsAre("orders.csv:2: amount 'abc' is not a number",
                          "orders.csv:3: amount '1,5' is not a number (use '.' as the decimal separator, no "
                          "thousands separator)",
                          "orders.csv:4: ordered_at is empty", "orders.csv:5: account_id is empty",
                          "orders.csv:6: amount is empty", "orders.csv:7: amount 'nan' is not a number",
                          "order_lines.csv:3: order 'o9' is not in orders.csv (or its row there was rejected)",
                          "order_lines.csv:4: quantity 'two' is not a number", "order_lines.csv:5: order_id is empty"));
}

TEST_F(CsvAdapterTest, RejectsMalformedContactsCasesActivities) {
  dir_.Write("contacts.csv",
             "id,account_id,name,email,role,active,updated_at\n"
             "k1,,Kim,k@x,buyer,true,\n"
             "k2,a1,Lee,l@x,buyer,true,2025-13-01\n");
  dir_.Write("cases.csv",
             "id,account_id,opened_at,first_response_at,closed_at,status,category,priority,subject\n"
             "c1,a1,,,,open,x,y,z\n"
             "c2,a1,2025-01-01,soon,,open,x,y,z\n"
             "c3,a1,2025-01-01,,2025-01-02T25:00:00,closed,x,y,z\n");
  dir_.Write("activities.csv",
             "id,account_id,type,direction,occurred_at,user_id,subject\n"
             "x1,a1,fax,,2025-01-01,u1,s\n"
             "x2,a1,call,sideways,2025-01-01,u1,s\n"
             "x3,a1,call,,,u1,s\n"
             "x4,a1,call,,2025-01-01,u1,s\n"
             "x4,a1,call,,2025-01-02,u1,s\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Contact>> contacts = adapter->ReadContacts({});
  ASSERT_THAT(contacts, IsOk());
  EXPECT_THAT(contacts->upserts, IsEmpty());
  EXPECT_THAT(Rejections(contacts->rejected), ElementsAre("contacts.csv:2: account_id is empty",
                                                          HasSubstr("contacts.csv:3: updated_at '2025-13-01' is not")));
  absl::StatusOr<ChangeBatch<Case>> cases = adapter->ReadCases({});
  ASSERT_THAT(cases, IsOk());
  EXPECT_THAT(cases->upserts, IsEmpty());
  EXPECT_THAT(Rejections(cases->rejected),
              ElementsAre("cases.csv:2: opened_at is empty", HasSubstr("cases.csv:3: first_response_at 'soon' is not"),
                          HasSubstr("cases.csv:4: closed_at '2025-01-02T25:00:00' is not")));
  absl::StatusOr<ChangeBatch<Activity>> activities = adapter->ReadActivities({});
  ASSERT_THAT(activities, IsOk());
  EXPECT_THAT(Ids(activities->upserts), ElementsAre("x4"));
  EXPECT_EQ(activities->upserts[0].occurred_at, T("2025-01-01"));
  EXPECT_THAT(
      Rejections(activities->rejected),
      ElementsAre("activities.csv:2: type 'fax' is not call, meeting, email or note",
                  "activities.csv:3: direction 'sideways' is not inbound, outbound or empty",
                  "activities.csv:4: occurred_at is empty", "activities.csv:6: duplicate id 'x4' (first on line 5)"));
}

TEST_F(CsvAdapterTest, RejectsMalformedEngagementAndFeedback) {
  dir_.Write("engagement.csv",
             "account_id,period_start,sent,opened,clicked\n"
             "a1,2025-03,4,2,1\n"
             "a1,2025-03-01,-4,2,1\n"
             "a1,2025-03-01,4,2,1.5\n"
             ",2025-03-01,4,2,1\n"
             "a1,2025-03-01,4,2,1\n"
             "a1,2025-03-01,5,2,1\n");
  dir_.Write("feedback.csv",
             "account_id,received_at,score,scale,comment\n"
             "a1,2025-03-01,11,nps,\n"
             "a1,2025-03-02,0,csat,\n"
             "a1,2025-03-03,5,stars,\n"
             "a1,2025-03-04,,nps,\n"
             "a1,2025-03-05,10,nps,ok\n"
             "a1,2025-03-05T00:00:00Z,9,nps,same instant\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<EngagementPeriod>> engagement = adapter->ReadEngagement({});
  ASSERT_THAT(engagement, IsOk());
  EXPECT_THAT(Ids(engagement->upserts), ElementsAre("a1|2025-03-01"));
  EXPECT_THAT(Rejections(engagement->rejected),
              ElementsAre(HasSubstr("engagement.csv:2: period_start '2025-03' is not a date"),
                          "engagement.csv:3: sent '-4' is not a non-negative whole number",
                          "engagement.csv:4: clicked '1.5' is not a non-negative whole number",
                          "engagement.csv:5: account_id is empty",
                          "engagement.csv:7: duplicate id 'a1|2025-03-01' (first on line 6)"));
  absl::StatusOr<ChangeBatch<Feedback>> feedback = adapter->ReadFeedback({});
  ASSERT_THAT(feedback, IsOk());
  EXPECT_THAT(Ids(feedback->upserts), ElementsAre("a1|2025-03-05T00:00:00Z"));
  EXPECT_THAT(Rejections(feedback->rejected),
              ElementsAre("feedback.csv:2: score 11 is out of range for nps (0..10)",
                          "feedback.csv:3: score 0 is out of range for csat (1..5)",
                          "feedback.csv:4: scale 'stars' is not nps or csat", "feedback.csv:5: score is empty",
                          "feedback.csv:7: duplicate id 'a1|2025-03-05T00:00:00Z' (first on line 6)"));
}

// ----- Incremental reads -----------------------------------------------------

TEST_F(CsvAdapterTest, UnchangedFilesGiveEmptyBatchesAndTheSameWatermark) {
  dir_.Write("order_lines.csv", "order_id,sku,product,quantity,amount\no1,S1,W,1,100.5\n");
  dir_.Write("feedback.csv", "account_id,received_at,score,scale,comment\na1,2025-03-01,bad,nps,\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> users = adapter->ReadUsers({});
  absl::StatusOr<ChangeBatch<Account>> accounts = adapter->ReadAccounts({});
  absl::StatusOr<ChangeBatch<Order>> orders = adapter->ReadOrders({});
  absl::StatusOr<ChangeBatch<Feedback>> feedback = adapter->ReadFeedback({});
  ASSERT_THAT(users, IsOk());
  ASSERT_THAT(accounts, IsOk());
  ASSERT_THAT(orders, IsOk());
  ASSERT_THAT(feedback, IsOk());
  EXPECT_THAT(feedback->rejected, SizeIs(1));

  absl::StatusOr<ChangeBatch<User>> users2 = adapter->ReadUsers(Since(users->watermark));
  absl::StatusOr<ChangeBatch<Account>> accounts2 = adapter->ReadAccounts(Since(accounts->watermark));
  absl::StatusOr<ChangeBatch<Order>> orders2 = adapter->ReadOrders(Since(orders->watermark));
  absl::StatusOr<ChangeBatch<Feedback>> feedback2 = adapter->ReadFeedback(Since(feedback->watermark));
  ASSERT_THAT(users2, IsOk());
  ASSERT_THAT(accounts2, IsOk());
  ASSERT_THAT(orders2, IsOk());
  ASSERT_THAT(feedback2, IsOk());
  EXPECT_THAT(users2->upserts, IsEmpty());
  EXPECT_THAT(accounts2->upserts, IsEmpty());
  EXPECT_THAT(orders2->upserts, IsEmpty());
  EXPECT_THAT(feedback2->rejected, IsEmpty());  // not parsed again
  EXPECT_FALSE(users2->full_snapshot || accounts2->full_snapshot || orders2->full_snapshot || feedback2->full_snapshot);
  EXPECT_EQ(users2->watermark, users->watermark);
  EXPECT_EQ(accounts2->watermark, accounts->watermark);
  EXPECT_EQ(orders2->watermark, orders->watermark);
  EXPECT_EQ(feedback2->watermark, feedback->watermark);
}

TEST_F(CsvAdapterTest, AppendedRowsAloneAreReadWithTheirLineNumbers) {
  dir_.Write("activities.csv",
             "id,account_id,type,direction,occurred_at,user_id,subject\r\n"
             "x1,a1,call,,2025-01-01,u1,\"two\r\nlines\"\r\n"
             "x2,a1,note,,2025-01-02,u1,s\r\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Activity>> first = adapter->ReadActivities({});
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->full_snapshot);
  EXPECT_THAT(Ids(first->upserts), ElementsAre("x1", "x2"));

  dir_.Append("activities.csv",
              "x3,a2,meeting,,2025-01-03,u2,\"a, b\"\r\n"
              "x4,a2,fax,,2025-01-04,u2,s\r\n"
              "x5,a2,email,in,2025-01-05,u2,s\r\n");
  absl::StatusOr<ChangeBatch<Activity>> second = adapter->ReadActivities(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(second->full_snapshot);
  EXPECT_NE(second->watermark, first->watermark);
  ASSERT_THAT(Ids(second->upserts), ElementsAre("x3", "x5"));
  EXPECT_EQ(second->upserts[0].subject, "a, b");
  EXPECT_EQ(second->upserts[1].direction, Direction::kInbound);
  EXPECT_THAT(Rejections(second->rejected),
              ElementsAre("activities.csv:6: type 'fax' is not call, meeting, email or note"));

  // And once more from the new watermark: nothing.
  absl::StatusOr<ChangeBatch<Activity>> third = adapter->ReadActivities(Since(second->watermark));
  ASSERT_THAT(third, IsOk());
  EXPECT_THAT(third->upserts, IsEmpty());
  EXPECT_EQ(third->watermark, second->watermark);
}

TEST_F(CsvAdapterTest, RewrittenFileIsAFullSnapshot) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> first = adapter->ReadUsers({});
  ASSERT_THAT(first, IsOk());
  dir_.Write("users.csv", "id,name,email,active\nu2,Bob,bob@example.com,false\nu3,Cy,cy@example.com,true\n");
  absl::StatusOr<ChangeBatch<User>> second = adapter->ReadUsers(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->full_snapshot);
  EXPECT_THAT(Ids(second->upserts), ElementsAre("u2", "u3"));
}

TEST_F(CsvAdapterTest, RewriteKeepingSizeAndMtimeIsCaughtByTheHash) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> first = adapter->ReadUsers({});
  ASSERT_THAT(first, IsOk());
  const struct timespec mtime = dir_.Mtime("users.csv");
  dir_.Write("users.csv", "id,name,email,active\nu1,Ann,ann@example.com,false\nu2,Bob,bob@example.com,true\n");
  dir_.SetMtime("users.csv", mtime);
  absl::StatusOr<ChangeBatch<User>> second = adapter->ReadUsers(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->full_snapshot);
  ASSERT_THAT(second->upserts, SizeIs(2));
  EXPECT_FALSE(second->upserts[0].active);
}

TEST_F(CsvAdapterTest, AppendAfterALastLineWithoutLineEndIsAFullSnapshot) {
  dir_.Write("users.csv", "id,name,email,active\nu1,Ann,ann@example.com,true");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> first = adapter->ReadUsers({});
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Ids(first->upserts), ElementsAre("u1"));
  dir_.Append("users.csv", "\nu2,Bob,bob@example.com,true\n");
  absl::StatusOr<ChangeBatch<User>> second = adapter->ReadUsers(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->full_snapshot);
  EXPECT_THAT(Ids(second->upserts), ElementsAre("u1", "u2"));
}

TEST_F(CsvAdapterTest, ForeignWatermarkIsAFullSnapshot) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<User>> users = adapter->ReadUsers(Since("2025-01-01T00:00:00Z"));
  ASSERT_THAT(users, IsOk());
  EXPECT_TRUE(users->full_snapshot);
  EXPECT_THAT(users->upserts, SizeIs(2));
}

TEST_F(CsvAdapterTest, AppendedOrdersGetTheirLinesAndChangedLinesGiveAFullSnapshot) {
  dir_.Write("order_lines.csv", "order_id,sku,product,quantity,amount\no1,S1,W,1,100.5\no2,S2,G,1,5\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Order>> first = adapter->ReadOrders({});
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Ids(first->upserts), ElementsAre("o1"));
  EXPECT_THAT(Rejections(first->rejected), ElementsAre(HasSubstr("order_lines.csv:3: order 'o2' is not in")));

  // o2 arrives: its line, judged before, now has an order.
  dir_.Append("orders.csv", "o2,a2,2025-01-06,5,EUR\n");
  absl::StatusOr<ChangeBatch<Order>> second = adapter->ReadOrders(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(second->full_snapshot);
  ASSERT_THAT(Ids(second->upserts), ElementsAre("o2"));
  ASSERT_THAT(second->upserts[0].lines, SizeIs(1));
  EXPECT_EQ(second->upserts[0].lines[0].sku, "S2");
  EXPECT_THAT(second->rejected, IsEmpty());

  // A new line for o1, appended: all orders again, o1 with both lines.
  dir_.Append("order_lines.csv", "o1,S3,X,2,0\n");
  absl::StatusOr<ChangeBatch<Order>> third = adapter->ReadOrders(Since(second->watermark));
  ASSERT_THAT(third, IsOk());
  EXPECT_TRUE(third->full_snapshot);
  ASSERT_THAT(Ids(third->upserts), ElementsAre("o1", "o2"));
  EXPECT_THAT(third->upserts[0].lines, SizeIs(2));
}

TEST_F(CsvAdapterTest, ReportsProgressEveryHundredThousandRows) {
  std::string users = "id,name,email,active\n";
  for (int i = 0; i < 250000; ++i) absl::StrAppend(&users, "u", i, ",n,e,true\n");
  dir_.Write("users.csv", users);
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  std::vector<int64_t> reported;
  ReadParams params;
  params.on_progress = [&](int64_t n) { reported.push_back(n); };
  absl::StatusOr<ChangeBatch<User>> read = adapter->ReadUsers(params);
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(read->upserts, SizeIs(250000));
  EXPECT_THAT(reported, ElementsAre(100000, 200000));
}

// ----- WriteTask -------------------------------------------------------------

TaskRequest Task(const std::string& key) {
  TaskRequest t;
  t.key = key;
  t.account_id = "a1";
  t.assignee_id = "u1";
  t.type = TaskType::kEmailDraft;
  t.due_at = T("2025-06-02T09:00:00Z");
  t.subject = "Check in, \"kindly\"";
  t.description = "Line one\nLine two";
  t.created_at = T("2025-06-01T08:00:00Z");
  return t;
}

TEST_F(CsvAdapterTest, WriteTaskAppendsAQuotedRecordOnce) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<TaskWriteResult> first = adapter->WriteTask(Task("t1"));
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->crm_id, "t1");
  EXPECT_FALSE(first->already_existed);
  absl::StatusOr<TaskWriteResult> again = adapter->WriteTask(Task("t1"));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->crm_id, "t1");
  EXPECT_TRUE(again->already_existed);
  EXPECT_EQ(dir_.Read("tasks.csv"),
            "key,account_id,assignee_id,type,due_at,subject,description,created_at\n"
            "t1,a1,u1,email_draft,2025-06-02T09:00:00Z,\"Check in, \"\"kindly\"\"\",\"Line one\nLine two\","
            "2025-06-01T08:00:00Z\n");
}

TEST_F(CsvAdapterTest, WriteTaskIsIdempotentAcrossARestart) {
  {
    std::unique_ptr<CrmAdapter> before = Open();
    ASSERT_NE(before, nullptr);
    ASSERT_THAT(before->WriteTask(Task("t1")), IsOk());
  }
  std::unique_ptr<CrmAdapter> after = Open();
  ASSERT_NE(after, nullptr);
  absl::StatusOr<TaskWriteResult> again = after->WriteTask(Task("t1"));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_existed);
  absl::StatusOr<TaskWriteResult> other = after->WriteTask(Task("t2"));
  ASSERT_THAT(other, IsOk());
  EXPECT_FALSE(other->already_existed);
}

TEST_F(CsvAdapterTest, WriteTaskSeesTasksWrittenByAnotherInstance) {
  std::unique_ptr<CrmAdapter> one = Open();
  std::unique_ptr<CrmAdapter> two = Open();
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  ASSERT_THAT(one->WriteTask(Task("t0")), IsOk());  // `one` has loaded its keys
  ASSERT_THAT(two->WriteTask(Task("t1")), IsOk());
  absl::StatusOr<TaskWriteResult> dup = one->WriteTask(Task("t1"));
  ASSERT_THAT(dup, IsOk());
  EXPECT_TRUE(dup->already_existed);
}

TEST_F(CsvAdapterTest, WriteTaskRepairsATornLastLine) {
  dir_.Write("tasks.csv",
             "key,account_id,assignee_id,type,due_at,subject,description,created_at\n"
             "t1,a1,u1,call,2025-06-02T09:00:00Z,s,d,2025-06-01T08:00:00Z\n"
             "t2,a1,u1,ca");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<TaskWriteResult> t1 = adapter->WriteTask(Task("t1"));
  ASSERT_THAT(t1, IsOk());
  EXPECT_TRUE(t1->already_existed);
  absl::StatusOr<TaskWriteResult> t2 = adapter->WriteTask(Task("t2"));
  ASSERT_THAT(t2, IsOk());
  EXPECT_FALSE(t2->already_existed);
  const std::string text = dir_.Read("tasks.csv");
  EXPECT_EQ(text.find("t2,a1,u1,ca\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nt2,a1,u1,email_draft,"), std::string::npos) << text;
}

TEST_F(CsvAdapterTest, WriteTaskRejectsAnEmptyOrUntrimmedKey) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  EXPECT_THAT(adapter->WriteTask(Task("")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(adapter->WriteTask(Task(" t1")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(dir_.Exists("tasks.csv"));
}

TEST_F(CsvAdapterTest, ConcurrentWriteTasksWriteEachKeyOnce) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<TaskWriteResult> r = adapter->WriteTask(Task(absl::StrCat("k", i)));
        if (r.ok() && !r->already_existed) ++created;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(created.load(), 50);
  const std::string text = dir_.Read("tasks.csv");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1 + 50 * 2);  // each description has a line end
}

// ----- ChangeOwner -----------------------------------------------------------

OwnerChangeRequest Handoff(const std::string& key, const std::string& account, const std::string& from,
                           const std::string& to, absl::string_view at = "2025-06-01T08:00:00Z") {
  OwnerChangeRequest c;
  c.key = key;
  c.account_id = account;
  c.from_owner_id = from;
  c.to_owner_id = to;
  c.changed_at = T(at);
  return c;
}

TEST_F(CsvAdapterTest, ChangeOwnerIsVisibleInTheNextAccountsRead) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Account>> before = adapter->ReadAccounts({});
  ASSERT_THAT(before, IsOk());

  absl::StatusOr<OwnerChangeResult> changed = adapter->ChangeOwner(Handoff("h1", "a1", "u1", "u2"));
  ASSERT_THAT(changed, IsOk());
  EXPECT_FALSE(changed->already_applied);
  EXPECT_EQ(dir_.Read("owner_changes.csv"),
            "key,account_id,from_owner_id,to_owner_id,changed_at\nh1,a1,u1,u2,2025-06-01T08:00:00Z\n");

  absl::StatusOr<ChangeBatch<Account>> after = adapter->ReadAccounts(Since(before->watermark));
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->full_snapshot);
  EXPECT_THAT(after->rejected, IsEmpty());
  ASSERT_THAT(Ids(after->upserts), ElementsAre("a1", "a2"));
  EXPECT_EQ(after->upserts[0].owner_id, "u2");
  EXPECT_EQ(after->upserts[1].owner_id, "u2");

  // A restarted adapter sees the same.
  std::unique_ptr<CrmAdapter> restarted = Open();
  ASSERT_NE(restarted, nullptr);
  absl::StatusOr<ChangeBatch<Account>> fresh = restarted->ReadAccounts({});
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->upserts[0].owner_id, "u2");
}

TEST_F(CsvAdapterTest, ChangeOwnerIsIdempotentByKey) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  ASSERT_THAT(adapter->ChangeOwner(Handoff("h1", "a1", "u1", "u2")), IsOk());
  // Same key again, even after someone moved the account on: nothing written.
  ASSERT_THAT(adapter->ChangeOwner(Handoff("h2", "a1", "u2", "u3", "2025-06-02T08:00:00Z")), IsOk());
  absl::StatusOr<OwnerChangeResult> again = adapter->ChangeOwner(Handoff("h1", "a1", "u1", "u2"));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_applied);
  std::unique_ptr<CrmAdapter> restarted = Open();
  ASSERT_NE(restarted, nullptr);
  absl::StatusOr<OwnerChangeResult> after_restart = restarted->ChangeOwner(Handoff("h1", "a1", "u1", "u2"));
  ASSERT_THAT(after_restart, IsOk());
  EXPECT_TRUE(after_restart->already_applied);
  const std::string text = dir_.Read("owner_changes.csv");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  absl::StatusOr<ChangeBatch<Account>> accounts = restarted->ReadAccounts({});
  ASSERT_THAT(accounts, IsOk());
  EXPECT_EQ(accounts->upserts[0].owner_id, "u3");
}

TEST_F(CsvAdapterTest, ChangeOwnerFailsWhenTheOwnerIsNeitherFromNorTo) {
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  EXPECT_THAT(adapter->ChangeOwner(Handoff("h1", "a1", "u9", "u2")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("owned by 'u1'")));
  EXPECT_THAT(adapter->ChangeOwner(Handoff("h2", "zz", "u1", "u2")), StatusIs(absl::StatusCode::kNotFound));
  // Already the new owner: nothing to do.
  absl::StatusOr<OwnerChangeResult> done = adapter->ChangeOwner(Handoff("h3", "a2", "u1", "u2"));
  ASSERT_THAT(done, IsOk());
  EXPECT_TRUE(done->already_applied);
  EXPECT_FALSE(dir_.Exists("owner_changes.csv") && dir_.Read("owner_changes.csv").find("h3") != std::string::npos);
}

TEST_F(CsvAdapterTest, ChangeOwnerUsesEarlierChangesAndAnEarlierTimeStillWins) {
  dir_.Write("owner_changes.csv",
             "key,account_id,from_owner_id,to_owner_id,changed_at\n"
             "old,a1,u1,u3,2025-07-01T00:00:00.500Z\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  // a1 is u3's now, not u1's.
  EXPECT_THAT(adapter->ChangeOwner(Handoff("h1", "a1", "u1", "u2")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("owned by 'u3'")));
  // A change stamped before the one in force must still take effect.
  ASSERT_THAT(adapter->ChangeOwner(Handoff("h2", "a1", "u3", "u2", "2025-06-01T00:00:00Z")), IsOk());
  absl::StatusOr<ChangeBatch<Account>> accounts = adapter->ReadAccounts({});
  ASSERT_THAT(accounts, IsOk());
  EXPECT_EQ(accounts->upserts[0].owner_id, "u2");
}

TEST_F(CsvAdapterTest, OwnerChangesAreAppliedLatestFirstAndBadOnesRejected) {
  dir_.Write("owner_changes.csv",
             "key,account_id,from_owner_id,to_owner_id,changed_at\n"
             "k1,a1,u1,u3,2025-03-01\n"
             "k2,a1,u3,u4,2025-01-01\n"  // older: does not win
             "k3,a2,u2,u5,2025-02-01\n"
             "k4,a2,u5,u6,2025-02-01\n"  // same time, later in the file: wins
             "k5,zz,u1,u2,2025-02-01\n"
             "k6,a1,u1,u2,someday\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Account>> accounts = adapter->ReadAccounts({});
  ASSERT_THAT(accounts, IsOk());
  ASSERT_THAT(accounts->upserts, SizeIs(2));
  EXPECT_EQ(accounts->upserts[0].owner_id, "u3");
  EXPECT_EQ(accounts->upserts[1].owner_id, "u6");
  EXPECT_THAT(Rejections(accounts->rejected), ElementsAre(HasSubstr("owner_changes.csv:7: changed_at 'someday' is not"),
                                                          "owner_changes.csv:6: account 'zz' is not in accounts.csv"));
}

TEST_F(CsvAdapterTest, AppendedAccountsGetOwnerChangesToo) {
  dir_.Write("owner_changes.csv",
             "key,account_id,from_owner_id,to_owner_id,changed_at\n"
             "k1,a3,u1,u2,2025-03-01\n");
  std::unique_ptr<CrmAdapter> adapter = Open();
  ASSERT_NE(adapter, nullptr);
  absl::StatusOr<ChangeBatch<Account>> first = adapter->ReadAccounts({});
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Rejections(first->rejected), ElementsAre(HasSubstr("account 'a3' is not in accounts.csv")));
  dir_.Append("accounts.csv", "a3,Gamma,u1,tools,IT,2024-03-01\n");
  absl::StatusOr<ChangeBatch<Account>> second = adapter->ReadAccounts(Since(first->watermark));
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(second->full_snapshot);
  ASSERT_THAT(Ids(second->upserts), ElementsAre("a3"));
  EXPECT_EQ(second->upserts[0].owner_id, "u2");
  EXPECT_THAT(second->rejected, IsEmpty());
}

}  // namespace
}  // namespace pulse
