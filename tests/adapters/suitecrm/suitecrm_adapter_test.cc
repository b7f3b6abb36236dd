#include "adapters/suitecrm/suitecrm_adapter.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/adapters/suitecrm/suitecrm_double.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::pulse::testing::SuiteCrmDouble;
using ::pulse::testing::SuiteCrmFault;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::UnorderedElementsAre;
using json = nlohmann::json;

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

template <typename T>
std::vector<std::string> Ids(const std::vector<T>& records) {
  std::vector<std::string> ids;
  for (const T& r : records) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> Sources(const std::vector<RejectedRecord>& rejected) {
  std::vector<std::string> out;
  for (const RejectedRecord& r : rejected) out.push_back(r.ToString());
  return out;
}

json Since(const std::string& watermark) { return json::parse(watermark)["since"]; }

class SuiteCrmAdapterTest : public ::testing::Test {
 protected:
  SuiteCrmAdapterTest() : crm_(std::make_unique<SuiteCrmDouble>()) {}

  SuiteCrmOptions Options() {
    SuiteCrmOptions o;
    o.base_url = crm_->BaseUrl();
    o.client_id = crm_->options().client_id;
    o.secrets.client_secret = crm_->options().client_secret;
    o.username = crm_->options().username;
    o.secrets.password = crm_->options().password;
    o.page_size = 3;
    o.concurrency = 3;
    o.http.timeout = absl::Milliseconds(400);
    o.http.connect_timeout = absl::Seconds(2);
    o.http.retry.max_attempts = 3;
    o.http.retry.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
    o.http.breaker.failure_threshold = 0;
    SuiteCrmDouble* crm = crm_.get();
    o.now = [crm] { return crm->Now(); };
    return o;
  }

  std::unique_ptr<CrmAdapter> Make(const SuiteCrmOptions& o) {
    absl::StatusOr<std::unique_ptr<CrmAdapter>> a = MakeSuiteCrmAdapter(o);
    EXPECT_THAT(a, IsOk());
    return a.ok() ? std::move(*a) : nullptr;
  }
  std::unique_ptr<CrmAdapter> Make() { return Make(Options()); }

  ReadParams From(const std::string& watermark) {
    ReadParams p;
    p.since_watermark = watermark;
    return p;
  }

  std::string AddAccount(const std::string& name, const std::string& owner = "u-alice") {
    return crm_->Add("Accounts", {{"name", name}, {"assigned_user_id", owner}, {"industry", "Retail"}});
  }

  TaskRequest Task(const std::string& account, const std::string& key) {
    TaskRequest t;
    t.key = key;
    t.account_id = account;
    t.assignee_id = "u-alice";
    t.due_at = Utc(2026, 12, 1, 9);
    t.subject = "Call: orders stopped";
    t.description = "Last order 94 days ago.";
    t.created_at = Utc(2026, 11, 22, 8);
    return t;
  }

  std::unique_ptr<SuiteCrmDouble> crm_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(SuiteCrmAdapterTest, ReadsEveryEntityAndMapsItsValues) {
  crm_->Add("Users", {{"first_name", "Alice"}, {"last_name", "Smith"}, {"status", "Active"}}, "u-alice");
  crm_->Add("Users", {{"first_name", "Bob"}, {"last_name", "Jones"}, {"status", "Inactive"}}, "u-bob");
  const std::string acc = AddAccount("Synth Co 0000");
  crm_->Add("Contacts", {{"first_name", "Pat0"}, {"last_name", "Contact0000"}, {"account_id", acc},
                         {"title", "IT Lead"}, {"email1", "pat0@synth.example"}});
  const std::string paid = crm_->Add("AOS_Invoices", {{"billing_account_id", acc}, {"total_amount", "49700.000000"},
                                                      {"invoice_date", "2026-10-26"}, {"status", "Paid"},
                                                      {"currency_id", "-99"}});
  crm_->Add("AOS_Invoices", {{"billing_account_id", acc}, {"total_amount", "100.000000"},
                             {"invoice_date", "2026-10-27"}, {"status", "Cancelled"}});
  crm_->Add("AOS_Products_Quotes", {{"parent_type", "AOS_Invoices"}, {"parent_id", paid}, {"name", "Widget"},
                                    {"part_number", "W-1"}, {"product_qty", "2.0000"},
                                    {"product_total_price", "49700.000000"}});
  const std::string won = crm_->Add("Opportunities", {{"account_id", acc}, {"amount", "30400"},
                                                      {"date_closed", "2026-10-06"}, {"sales_stage", "Closed Won"}});
  crm_->Add("Opportunities", {{"account_id", acc}, {"amount", "1"}, {"date_closed", "2026-10-06"},
                              {"sales_stage", "Prospecting"}});
  const std::string kase = crm_->Add("Cases", {{"name", "Issue 0166"}, {"account_id", acc}, {"state", "Open"},
                                               {"status", "Open_Assigned"}, {"priority", "P1"}, {"type", "Product"},
                                               {"date_entered", "2026-11-20 08:00:00"}});
  crm_->Add("AOP_Case_Updates", {{"case_id", kase}, {"internal", "1"}, {"date_entered", "2026-11-20 08:10:00"}});
  crm_->Add("AOP_Case_Updates", {{"case_id", kase}, {"internal", "0"}, {"contact_id", "pat"},
                                 {"date_entered", "2026-11-20 08:20:00"}});
  crm_->Add("AOP_Case_Updates", {{"case_id", kase}, {"internal", "0"}, {"date_entered", "2026-11-20 11:00:00"}});
  crm_->Add("AOP_Case_Updates", {{"case_id", kase}, {"internal", "0"}, {"date_entered", "2026-11-21 09:00:00"}});
  const std::string held = crm_->Add("Calls", {{"name", "Call 0167"}, {"status", "Held"}, {"direction", "Inbound"},
                                                {"date_start", "2026-11-10 06:49:00"}, {"parent_type", "Accounts"},
                                                {"parent_id", acc}, {"assigned_user_id", "u-alice"}});
  crm_->Add("Calls", {{"name", "Planned"}, {"status", "Planned"}, {"direction", "Outbound"},
                      {"date_start", "2026-12-22 06:49:00"}, {"parent_type", "Accounts"}, {"parent_id", acc}});
  const std::string met = crm_->Add("Meetings", {{"name", "Review"}, {"status", "Held"},
                                                 {"date_start", "2026-10-18 02:12:00"}, {"parent_type", "Accounts"},
                                                 {"parent_id", acc}});
  const std::string mail = crm_->Add("Emails", {{"name", "Re: prices"}, {"type", "inbound"}, {"status", "read"},
                                                {"date_sent_received", "2026-11-02 08:00:00"},
                                                {"parent_type", "Accounts"}, {"parent_id", acc}});
  crm_->Add("Emails", {{"name", "draft"}, {"type", "draft"}, {"status", "draft"}, {"parent_type", "Accounts"},
                       {"parent_id", acc}});

  SuiteCrmOptions o = Options();
  o.orders_from_opportunities = true;
  auto adapter = Make(o);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<User> users, adapter->ReadUsers(From("")));
  ASSERT_THAT(Ids(users.upserts), ElementsAre("u-alice", "u-bob"));
  EXPECT_TRUE(users.full_snapshot) << "the first read is the whole set";
  std::map<std::string, User> by_id;
  for (const User& u : users.upserts) by_id[u.id] = u;
  EXPECT_EQ(by_id["u-alice"].name, "Alice Smith");
  EXPECT_TRUE(by_id["u-alice"].active);
  EXPECT_FALSE(by_id["u-bob"].active);

  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> accounts, adapter->ReadAccounts(From("")));
  ASSERT_EQ(accounts.upserts.size(), 1u);
  EXPECT_EQ(accounts.upserts[0].owner_id, "u-alice");
  EXPECT_EQ(accounts.upserts[0].industry, "Retail");

  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Contact> contacts, adapter->ReadContacts(From("")));
  ASSERT_EQ(contacts.upserts.size(), 1u);
  EXPECT_EQ(contacts.upserts[0].account_id, acc);
  EXPECT_EQ(contacts.upserts[0].name, "Pat0 Contact0000");

  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> orders, adapter->ReadOrders(From("")));
  EXPECT_THAT(Ids(orders.upserts), UnorderedElementsAre(paid, won)) << "not the cancelled invoice nor the open deal";
  for (const Order& order : orders.upserts) {
    if (order.id == paid) {
      EXPECT_EQ(order.amount, 49700);
      EXPECT_EQ(order.currency, "");
      ASSERT_EQ(order.lines.size(), 1u);
      EXPECT_EQ(order.lines[0].sku, "W-1");
      EXPECT_EQ(order.lines[0].quantity, 2);
    } else {
      EXPECT_EQ(order.amount, 30400);
      EXPECT_EQ(order.ordered_at, Utc(2026, 10, 6));
    }
  }

  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Case> cases, adapter->ReadCases(From("")));
  ASSERT_EQ(cases.upserts.size(), 1u);
  const Case& c = cases.upserts[0];
  EXPECT_EQ(c.status, "assigned");
  EXPECT_EQ(c.priority, "high");
  EXPECT_EQ(c.category, "product");
  EXPECT_EQ(c.opened_at, Utc(2026, 11, 20, 8));
  EXPECT_THAT(c.first_response_at, Optional(Utc(2026, 11, 20, 11)))
      << "the earliest reply that is neither internal nor the customer's";

  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Activity> activities, adapter->ReadActivities(From("")));
  EXPECT_THAT(Ids(activities.upserts), UnorderedElementsAre(held, met, mail));
  for (const Activity& a : activities.upserts) {
    if (a.id == held) {
      EXPECT_EQ(a.direction, Direction::kInbound);
      EXPECT_EQ(a.occurred_at, Utc(2026, 11, 10, 6, 49));
      EXPECT_EQ(a.user_id, "u-alice");
    }
  }
  // Every list was sorted by id with the configured page size.
  for (const auto& r : crm_->RequestsTo("/Api/V8/module/", "GET")) {
    if (r.params.count("page[size]") == 0) continue;  // single records
    EXPECT_EQ(r.params.find("sort")->second, "id") << r.path;
    EXPECT_EQ(r.params.find("page[size]")->second, "3") << r.path;
  }
  EXPECT_EQ(crm_->token_requests(), 1) << "one token for all of it";
}

TEST_F(SuiteCrmAdapterTest, ConcurrentPagesReadEveryRecordOnceDespiteTies) {
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.insert(AddAccount(absl::StrCat("Synth Co ", i)));  // all the same date_modified
  SuiteCrmOptions o = Options();
  o.concurrency = 4;
  int64_t last_progress = 0;
  ReadParams p;
  p.on_progress = [&](int64_t n) { last_progress = n; };
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> batch, Make(o)->ReadAccounts(p));
  EXPECT_EQ(batch.upserts.size(), 40u);
  std::vector<std::string> got = Ids(batch.upserts);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), ids);
  EXPECT_EQ(last_progress, 40);
  EXPECT_EQ(crm_->RequestsTo("/module/Accounts", "GET").size(), 14u) << "40 / 3 = 14 pages, each once";
}

TEST_F(SuiteCrmAdapterTest, IncrementalReadFiltersInDatabaseFormatWithOverlap) {
  const std::string a = AddAccount("A");
  const std::string b = AddAccount("B");
  auto adapter = Make();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> first, adapter->ReadAccounts(From("")));
  EXPECT_EQ(first.upserts.size(), 2u);
  EXPECT_EQ(Since(first.watermark)["Accounts"], "2026-11-22 07:50:00");

  crm_->Advance(absl::Minutes(30));
  crm_->Update("Accounts", b, {{"assigned_user_id", "u-bob"}});
  crm_->ClearLog();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> second, adapter->ReadAccounts(From(first.watermark)));
  EXPECT_THAT(Ids(second.upserts), ElementsAre(a, b)) << "a within the overlap of the old watermark";
  for (const Account& acc : second.upserts) EXPECT_EQ(acc.owner_id, acc.id == b ? "u-bob" : "u-alice");
  EXPECT_FALSE(second.full_snapshot);
  EXPECT_EQ(Since(second.watermark)["Accounts"], "2026-11-22 08:20:00");
  auto lists = crm_->RequestsTo("/module/Accounts", "GET");
  ASSERT_FALSE(lists.empty());
  auto gte = lists[0].params.find("filter[date_modified][gte]");
  ASSERT_NE(gte, lists[0].params.end());
  EXPECT_EQ(gte->second, "2026-11-22 07:48:00") << "the watermark minus the 2-minute overlap, DB format, UTC";

  // Nothing changed: the overlap re-reads nothing new and the watermark stays.
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> third, adapter->ReadAccounts(From(second.watermark)));
  EXPECT_THAT(Ids(third.upserts), ElementsAre(b)) << "inside the overlap: read again, once";
  EXPECT_EQ(Since(third.watermark), Since(second.watermark));
}

TEST_F(SuiteCrmAdapterTest, MinutePrecisionDatetimesLoseNoChange) {
  SuiteCrmDouble::Options d;
  d.minute_precision = true;
  crm_ = std::make_unique<SuiteCrmDouble>(d);
  crm_->SetNow(Utc(2026, 11, 22, 7, 50, 37));
  AddAccount("A");
  auto adapter = Make();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> first, adapter->ReadAccounts(From("")));
  EXPECT_EQ(Since(first.watermark)["Accounts"], "2026-11-22 07:50:00") << "SuiteCRM said 07:50, not 07:50:37";
  crm_->SetNow(Utc(2026, 11, 22, 7, 50, 50));  // same minute, after the read
  const std::string late = AddAccount("B");
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> second, adapter->ReadAccounts(From(first.watermark)));
  EXPECT_THAT(Ids(second.upserts), Contains(late));
}

TEST_F(SuiteCrmAdapterTest, ABrokenPageIsReportedAndKeepsTheWatermarkBehindIt) {
  for (int i = 0; i < 9; ++i) AddAccount(absl::StrCat("Synth Co ", i));
  auto adapter = Make();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> base, adapter->ReadAccounts(From("")));
  crm_->Advance(absl::Hours(1));
  for (const json& r : crm_->Records("Accounts")) crm_->Update("Accounts", r["id"], {{"industry", "Energy"}});
  SuiteCrmFault f;
  f.method = "GET";
  f.path_contains = "/module/Accounts";
  f.param_equals = "page[number]=2";
  f.status = 503;
  f.times = 3;  // every attempt the transport makes
  crm_->AddFault(f);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> broken, adapter->ReadAccounts(From(base.watermark)));
  EXPECT_EQ(broken.upserts.size(), 6u) << "pages 1 and 3";
  ASSERT_EQ(broken.rejected.size(), 1u);
  EXPECT_THAT(broken.rejected[0].ToString(), AllOf(HasSubstr("SuiteCRM Accounts page 2"), HasSubstr("HTTP 503")));
  EXPECT_FALSE(broken.full_snapshot);
  EXPECT_EQ(Since(broken.watermark)["Accounts"], Since(base.watermark)["Accounts"]) << "not moved past the lost page";
  // The next read gets what was lost.
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> again, adapter->ReadAccounts(From(broken.watermark)));
  EXPECT_EQ(again.upserts.size(), 9u);
  EXPECT_THAT(again.rejected, IsEmpty());
  EXPECT_EQ(Since(again.watermark)["Accounts"], "2026-11-22 08:50:00");
}

TEST_F(SuiteCrmAdapterTest, MalformedAndTruncatedPagesAreBrokenPages) {
  for (int i = 0; i < 9; ++i) AddAccount(absl::StrCat("Synth Co ", i));
  SuiteCrmFault malformed;
  malformed.kind = SuiteCrmFault::Kind::kMalformedJson;
  malformed.path_contains = "/module/Accounts";
  malformed.param_equals = "page[number]=2";
  crm_->AddFault(malformed);
  SuiteCrmFault cut;
  cut.kind = SuiteCrmFault::Kind::kTruncatedBody;
  cut.path_contains = "/module/Accounts";
  cut.param_equals = "page[number]=3";
  cut.times = 3;
  crm_->AddFault(cut);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> batch, Make()->ReadAccounts(From("")));
  EXPECT_EQ(batch.upserts.size(), 3u);
  EXPECT_THAT(Sources(batch.rejected),
              UnorderedElementsAre(AllOf(HasSubstr("SuiteCRM Accounts page 2"), HasSubstr("not valid JSON")),
                                   HasSubstr("SuiteCRM Accounts page 3")));
  EXPECT_FALSE(batch.full_snapshot) << "a first read with holes is no snapshot";
  EXPECT_FALSE(Since(batch.watermark).contains("Accounts"));
}

TEST_F(SuiteCrmAdapterTest, AMalformedRecordIsRejectedWithModulePageAndId) {
  AddAccount("A");
  crm_->Add("Accounts", {{"name", "Broken"}, {"date_entered", "2026-13-45 99:00:00"}}, "acc-broken");
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> batch, Make()->ReadAccounts(From("")));
  EXPECT_EQ(batch.upserts.size(), 1u);
  ASSERT_EQ(batch.rejected.size(), 1u);
  EXPECT_THAT(batch.rejected[0].ToString(),
              AllOf(HasSubstr("SuiteCRM Accounts page 1"), HasSubstr("record acc-broken"), HasSubstr("date_entered")));
}

TEST_F(SuiteCrmAdapterTest, FailuresOfTheFirstPageOrLastingOnesFailTheRead) {
  AddAccount("A");
  SuiteCrmFault forbidden;
  forbidden.path_contains = "/module/Accounts";
  forbidden.status = 403;
  crm_->AddFault(forbidden);
  auto adapter = Make();
  EXPECT_THAT(adapter->ReadAccounts(From("")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("SuiteCRM Accounts page 1: HTTP 403")));
  SuiteCrmFault down;
  down.path_contains = "/module/Users";
  down.status = 502;
  down.times = 3;
  crm_->AddFault(down);
  EXPECT_THAT(adapter->ReadUsers(From("")), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SuiteCRM Users page 1")));
  SuiteCrmFault slow;
  slow.kind = SuiteCrmFault::Kind::kTimeout;
  slow.path_contains = "/module/Contacts";
  slow.times = 3;
  crm_->AddFault(slow);
  EXPECT_THAT(adapter->ReadContacts(From("")),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("SuiteCRM Contacts page 1")));
  // A field that is not a column: SuiteCRM's JSON:API error, with its detail.
  SuiteCrmOptions o = Options();
  o.first_response_field = "first_reply_c";
  crm_->Add("Cases", {{"account_id", "x"}});
  EXPECT_THAT(Make(o)->ReadCases(From("")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("SuiteCRM Cases page 1: HTTP 400"), HasSubstr("first_reply_c"))));
}

TEST_F(SuiteCrmAdapterTest, TooManyRequestsIsWaitedForAsRetryAfterSays) {
  AddAccount("A");
  SuiteCrmFault busy;
  busy.path_contains = "/module/Accounts";
  busy.status = 429;
  busy.retry_after = "7";
  crm_->AddFault(busy);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> batch, Make()->ReadAccounts(From("")));
  EXPECT_EQ(batch.upserts.size(), 1u);
  EXPECT_THAT(sleeps_, ElementsAre(absl::Seconds(7)));
}

TEST_F(SuiteCrmAdapterTest, AnExpiredTokenIsRenewedOnceAndOnlyOnce) {
  AddAccount("A");
  auto adapter = Make();
  ASSERT_THAT(adapter->ReadAccounts(From("")), IsOk());
  EXPECT_EQ(crm_->token_requests(), 1);
  crm_->ExpireTokens();  // revoked: SuiteCRM answers 401
  ASSERT_THAT(adapter->ReadAccounts(From("")), IsOk());
  EXPECT_EQ(crm_->token_requests(), 2);
  // Renewed before it expires, without a 401.
  crm_->Advance(absl::Seconds(3600 - 30));
  crm_->ClearLog();
  ASSERT_THAT(adapter->ReadAccounts(From("")), IsOk());
  EXPECT_EQ(crm_->token_requests(), 3);
  for (const auto& r : crm_->Requests()) EXPECT_NE(r.status, 401) << r.path;
  // A token that is refused at once again is not fought for.
  SuiteCrmFault always;
  always.path_contains = "/module/Accounts";
  always.status = 401;
  always.times = 5;
  crm_->AddFault(always);
  EXPECT_THAT(adapter->ReadAccounts(From("")), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(crm_->token_requests(), 4);
}

TEST_F(SuiteCrmAdapterTest, WrongCredentialsAreUnauthenticatedAndNeverShown) {
  SuiteCrmOptions o = Options();
  o.secrets.client_secret = "wrong-secret-value-123";
  auto adapter = Make(o);
  absl::Status s = adapter->Ping();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("SuiteCRM login: HTTP 401")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("wrong-secret-value-123")));
  absl::StatusOr<ChangeBatch<Account>> read = adapter->ReadAccounts(From(""));
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(read.status().message()), Not(HasSubstr("wrong-secret-value-123")));
  EXPECT_THAT(Make()->Ping(), IsOk());
}

TEST_F(SuiteCrmAdapterTest, PasswordGrant) {
  SuiteCrmOptions o = Options();
  o.grant = SuiteCrmOptions::Grant::kPassword;
  AddAccount("A");
  ASSERT_THAT(Make(o)->ReadAccounts(From("")), IsOk());
  auto token = crm_->RequestsTo("/Api/access_token");
  ASSERT_EQ(token.size(), 1u);
  EXPECT_THAT(token[0].body, HasSubstr("\"grant_type\":\"password\""));
  o.secrets.password = "not-it";
  EXPECT_THAT(Make(o)->Ping(), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(SuiteCrmAdapterTest, SuiteCrm8UnderLegacyWithOrWithoutThePrefix) {
  SuiteCrmDouble::Options d;
  d.prefix = "/legacy";
  crm_ = std::make_unique<SuiteCrmDouble>(d);
  AddAccount("A");
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> with, Make()->ReadAccounts(From("")));
  EXPECT_EQ(with.upserts.size(), 1u);
  SuiteCrmOptions root = Options();
  root.base_url = crm_->RootUrl() + "/";
  auto adapter = Make(root);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> without, adapter->ReadAccounts(From("")));
  EXPECT_EQ(without.upserts.size(), 1u);
  EXPECT_THAT(adapter->TaskDestination(), HasSubstr("/legacy"));
}

TEST_F(SuiteCrmAdapterTest, DeletionsComeFromTheLegacyApi) {
  const std::string keep = AddAccount("Keep");
  const std::string gone = AddAccount("Gone");
  SuiteCrmOptions o = Options();
  o.deletions = SuiteCrmOptions::Deletions::kLegacyApi;
  auto adapter = Make(o);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> first, adapter->ReadAccounts(From("")));
  crm_->Advance(absl::Minutes(10));
  crm_->Delete("Accounts", gone);
  // V8 cannot see it: only the legacy API lists it.
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> second, adapter->ReadAccounts(From(first.watermark)));
  EXPECT_THAT(second.deleted_ids, ElementsAre(gone));
  EXPECT_THAT(Ids(second.upserts), Not(Contains(gone)));
  auto legacy = crm_->RequestsTo("/service/v4_1/rest.php");
  ASSERT_GE(legacy.size(), 2u);
  EXPECT_THAT(legacy[0].body, HasSubstr("method=login"));
  EXPECT_THAT(legacy[0].body, Not(HasSubstr(crm_->options().password))) << "v4_1 gets the md5, not the password";
  // The session expires: one new login.
  crm_->ExpireSessions();
  crm_->Advance(absl::Minutes(10));
  crm_->Delete("Accounts", keep);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> third, adapter->ReadAccounts(From(second.watermark)));
  EXPECT_THAT(third.deleted_ids, Contains(keep));
  EXPECT_EQ(Since(third.watermark)["Accounts"], "2026-11-22 08:10:00") << "deletions move the watermark too";
}

TEST_F(SuiteCrmAdapterTest, WithoutTheLegacyApiAFullReadEveryFewReadsReconciles) {
  AddAccount("Keep");
  const std::string gone = AddAccount("Gone");
  SuiteCrmOptions o = Options();
  o.deletions = SuiteCrmOptions::Deletions::kReconcile;
  o.reconcile_every = 2;
  auto adapter = Make(o);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> first, adapter->ReadAccounts(From("")));
  EXPECT_TRUE(first.full_snapshot);
  crm_->Advance(absl::Minutes(10));
  crm_->Delete("Accounts", gone);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> second, adapter->ReadAccounts(From(first.watermark)));
  EXPECT_FALSE(second.full_snapshot);
  EXPECT_THAT(second.deleted_ids, IsEmpty()) << "V8 cannot see deletions";
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> third, adapter->ReadAccounts(From(second.watermark)));
  EXPECT_TRUE(third.full_snapshot) << "the second read after the last full one";
  EXPECT_THAT(Ids(third.upserts), Not(Contains(gone)));
  EXPECT_TRUE(crm_->RequestsTo("/service/v4_1").empty());
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> fourth, adapter->ReadAccounts(From(third.watermark)));
  EXPECT_FALSE(fourth.full_snapshot);
}

TEST_F(SuiteCrmAdapterTest, ARecordThatStopsQualifyingIsDeletedOnTheNextRead) {
  const std::string acc = AddAccount("A");
  const std::string call = crm_->Add("Calls", {{"status", "Held"}, {"date_start", "2026-11-10 06:49:00"},
                                               {"parent_type", "Accounts"}, {"parent_id", acc}});
  const std::string inv = crm_->Add("AOS_Invoices", {{"billing_account_id", acc}, {"invoice_date", "2026-10-26"},
                                                     {"total_amount", "10"}, {"status", "Unpaid"}});
  auto adapter = Make();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Activity> a1, adapter->ReadActivities(From("")));
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> o1, adapter->ReadOrders(From("")));
  crm_->Advance(absl::Minutes(10));
  crm_->Update("Calls", call, {{"status", "Not Held"}});
  crm_->Update("AOS_Invoices", inv, {{"status", "Cancelled"}});
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Activity> a2, adapter->ReadActivities(From(a1.watermark)));
  EXPECT_THAT(a2.deleted_ids, ElementsAre(call));
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> o2, adapter->ReadOrders(From(o1.watermark)));
  EXPECT_THAT(o2.deleted_ids, ElementsAre(inv));
}

TEST_F(SuiteCrmAdapterTest, ANewReplyUpdatesAnUnchangedCasesFirstResponse) {
  const std::string acc = AddAccount("A");
  const std::string kase = crm_->Add("Cases", {{"account_id", acc}, {"state", "Open"}, {"status", "Open_New"},
                                               {"date_entered", "2026-11-20 08:00:00"}});
  auto adapter = Make();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Case> first, adapter->ReadCases(From("")));
  ASSERT_EQ(first.upserts.size(), 1u);
  EXPECT_EQ(first.upserts[0].first_response_at, std::nullopt);
  crm_->Advance(absl::Hours(2));
  crm_->Add("AOP_Case_Updates", {{"case_id", kase}, {"internal", "0"}, {"date_entered", "2026-11-22 09:50:00"}});
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Case> second, adapter->ReadCases(From(first.watermark)));
  ASSERT_EQ(second.upserts.size(), 1u) << "the case did not change, its reply did";
  EXPECT_THAT(second.upserts[0].first_response_at, Optional(Utc(2026, 11, 22, 9, 50)));
  // A later reply does not move the first response.
  crm_->Advance(absl::Hours(2));
  crm_->Add("AOP_Case_Updates", {{"case_id", kase}, {"internal", "0"}, {"date_entered", "2026-11-22 11:50:00"}});
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Case> third, adapter->ReadCases(From(second.watermark)));
  ASSERT_EQ(third.upserts.size(), 1u);
  EXPECT_THAT(third.upserts[0].first_response_at, Optional(Utc(2026, 11, 22, 9, 50)));
}

TEST_F(SuiteCrmAdapterTest, WriteTaskCreatesOneTaskWithTheKeyAndADatabaseFormatDueDate) {
  const std::string acc = AddAccount("A");
  auto adapter = Make();
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult first, adapter->WriteTask(Task(acc, "pulse:A:win_back:2026-W48")));
  EXPECT_FALSE(first.already_existed);
  std::vector<json> tasks = crm_->Records("Tasks");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["id"], first.crm_id);
  EXPECT_EQ(tasks[0]["date_due"], "2026-12-01 09:00:00") << "stored, not silently dropped";
  EXPECT_EQ(tasks[0]["parent_type"], "Accounts");
  EXPECT_EQ(tasks[0]["parent_id"], acc);
  EXPECT_EQ(tasks[0]["assigned_user_id"], "u-alice");
  EXPECT_EQ(tasks[0]["status"], "Not Started");
  EXPECT_EQ(tasks[0]["name"], "Call: orders stopped");
  EXPECT_EQ(tasks[0]["description"], "Last order 94 days ago.\n\npulse-key: pulse:A:win_back:2026-W48");
  auto posts = crm_->RequestsTo("/Api/V8/module", "POST");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].status, 201);
  // Again: found, nothing created.
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult second, adapter->WriteTask(Task(acc, "pulse:A:win_back:2026-W48")));
  EXPECT_TRUE(second.already_existed);
  EXPECT_EQ(second.crm_id, first.crm_id);
  EXPECT_EQ(crm_->RequestsTo("/Api/V8/module", "POST").size(), 1u);
  // A key that the first one starts with is another task (LIKE matched it).
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult prefix, adapter->WriteTask(Task(acc, "pulse:A:win_back:2026-W4")));
  EXPECT_FALSE(prefix.already_existed);
  EXPECT_EQ(crm_->Records("Tasks").size(), 2u);
}

TEST_F(SuiteCrmAdapterTest, WriteTaskAsAPlannedOutboundCallOrWithAKeyField) {
  const std::string acc = AddAccount("A");
  SuiteCrmOptions o = Options();
  o.task_module = "Calls";
  o.task_key_field = "pulse_key_c";
  crm_->AddColumn("Calls", "pulse_key_c");  // the admin's custom field
  auto adapter = Make(o);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult first, adapter->WriteTask(Task(acc, "k1")));
  std::vector<json> calls = crm_->Records("Calls");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["status"], "Planned");
  EXPECT_EQ(calls[0]["direction"], "Outbound");
  EXPECT_EQ(calls[0]["date_start"], "2026-12-01 09:00:00");
  EXPECT_EQ(calls[0]["pulse_key_c"], "k1");
  EXPECT_EQ(calls[0]["description"], "Last order 94 days ago.");
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult again, adapter->WriteTask(Task(acc, "k1")));
  EXPECT_TRUE(again.already_existed);
  EXPECT_EQ(crm_->Records("Calls").size(), 1u);
  // Pulse's planned calls are not contact made.
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Activity> activities, adapter->ReadActivities(From("")));
  EXPECT_THAT(activities.upserts, IsEmpty());
}

TEST_F(SuiteCrmAdapterTest, ACreateWhoseAnswerWasLostIsFoundNotRepeated) {
  const std::string acc = AddAccount("A");
  auto adapter = Make();
  SuiteCrmFault late;
  late.kind = SuiteCrmFault::Kind::kAcceptThenTimeout;
  late.method = "POST";
  late.path_contains = "/Api/V8/module";
  crm_->AddFault(late);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult r1, adapter->WriteTask(Task(acc, "k-timeout")));
  EXPECT_FALSE(r1.already_existed);
  EXPECT_EQ(crm_->Records("Tasks").size(), 1u);
  SuiteCrmFault after500;
  after500.kind = SuiteCrmFault::Kind::kAcceptThenStatus;
  after500.status = 500;
  after500.method = "POST";
  after500.path_contains = "/Api/V8/module";
  crm_->AddFault(after500);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult r2, adapter->WriteTask(Task(acc, "k-500")));
  EXPECT_EQ(crm_->Records("Tasks").size(), 2u);
  // Refused before anything was done (503): the transport sends it again.
  SuiteCrmFault busy;
  busy.method = "POST";
  busy.path_contains = "/Api/V8/module";
  crm_->AddFault(busy);
  ASSERT_THAT(adapter->WriteTask(Task(acc, "k-503")), IsOk());
  EXPECT_EQ(crm_->Records("Tasks").size(), 3u);
  // Really not stored (no answer and nothing there): an error to retry later.
  SuiteCrmFault refused;
  refused.method = "POST";
  refused.path_contains = "/Api/V8/module";
  refused.status = 500;
  refused.body = "<html>Fatal error</html>";
  crm_->AddFault(refused);
  EXPECT_THAT(adapter->WriteTask(Task(acc, "k-lost")), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("k-lost")));
  EXPECT_EQ(crm_->Records("Tasks").size(), 3u);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult retried, adapter->WriteTask(Task(acc, "k-lost")));
  EXPECT_FALSE(retried.already_existed);
  EXPECT_EQ(crm_->Records("Tasks").size(), 4u);
  std::set<std::string> keys;
  for (const json& t : crm_->Records("Tasks")) keys.insert(t["description"].get<std::string>());
  EXPECT_EQ(keys.size(), 4u) << "each key once";
}

TEST_F(SuiteCrmAdapterTest, WriteTaskAfterTheTokenExpiredSendsTheCreateOnce) {
  const std::string acc = AddAccount("A");
  auto adapter = Make();
  ASSERT_THAT(adapter->Ping(), IsOk());
  crm_->ExpireTokens();
  ASSERT_THAT(adapter->WriteTask(Task(acc, "k")), IsOk());
  EXPECT_EQ(crm_->Records("Tasks").size(), 1u);
  EXPECT_THAT(adapter->WriteTask(Task(acc, " k")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(adapter->WriteTask(Task("", "k2")), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SuiteCrmAdapterTest, ChangeOwnerChecksTheCurrentOwnerAndLandsOnce) {
  const std::string acc = AddAccount("A", "u-alice");
  auto adapter = Make();
  OwnerChangeRequest change;
  change.key = "handoff:A";
  change.account_id = acc;
  change.from_owner_id = "u-alice";
  change.to_owner_id = "u-bob";
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult first, adapter->ChangeOwner(change));
  EXPECT_FALSE(first.already_applied);
  EXPECT_EQ(crm_->Record("Accounts", acc)["assigned_user_id"], "u-bob");
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult second, adapter->ChangeOwner(change));
  EXPECT_TRUE(second.already_applied);
  EXPECT_EQ(crm_->RequestsTo("/Api/V8/module", "PATCH").size(), 1u);

  crm_->Update("Accounts", acc, {{"assigned_user_id", "u-carol"}});
  EXPECT_THAT(adapter->ChangeOwner(change),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("owned by 'u-carol'")));
  change.account_id = "no-such-account";
  EXPECT_THAT(adapter->ChangeOwner(change), StatusIs(absl::StatusCode::kNotFound));
  const std::string deleted = AddAccount("D");
  crm_->Delete("Accounts", deleted);
  change.account_id = deleted;
  EXPECT_THAT(adapter->ChangeOwner(change), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SuiteCrmAdapterTest, AnOwnerChangeWhoseAnswerWasLostIsConfirmedByReading) {
  const std::string acc = AddAccount("A", "u-alice");
  SuiteCrmFault late;
  late.kind = SuiteCrmFault::Kind::kAcceptThenTimeout;
  late.method = "PATCH";
  late.path_contains = "/Api/V8/module";
  late.times = 3;
  crm_->AddFault(late);
  OwnerChangeRequest change;
  change.key = "handoff:A";
  change.account_id = acc;
  change.from_owner_id = "u-alice";
  change.to_owner_id = "u-bob";
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult r, Make()->ChangeOwner(change));
  EXPECT_FALSE(r.already_applied);
  EXPECT_EQ(crm_->Record("Accounts", acc)["assigned_user_id"], "u-bob");
}

TEST_F(SuiteCrmAdapterTest, OptionsAreCheckedAndNamed) {
  SuiteCrmOptions o = Options();
  o.base_url = "crm.example.com";
  EXPECT_THAT(MakeSuiteCrmAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base_url")));
  o = Options();
  o.client_id = "";
  EXPECT_THAT(MakeSuiteCrmAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client_id")));
  o = Options();
  o.task_module = "Notes";
  EXPECT_THAT(MakeSuiteCrmAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("task_module")));
  o = Options();
  o.deletions = SuiteCrmOptions::Deletions::kLegacyApi;
  o.secrets.password = "";
  EXPECT_THAT(MakeSuiteCrmAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  o = Options();
  o.orders_from_invoices = false;
  EXPECT_THAT(MakeSuiteCrmAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order_sources")));
  Capabilities c = Make()->GetCapabilities();
  EXPECT_TRUE(c.cases && c.activities && c.contacts && c.deletions && c.order_lines);
  EXPECT_FALSE(c.engagement || c.feedback);
}

}  // namespace
}  // namespace pulse
