#include "adapters/suitecrm/suitecrm_mapping.h"

#include "adapters/suitecrm/suitecrm_adapter.h"
#include "adapters/suitecrm/suitecrm_api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/logging.h"
#include "tests/testing/status_matchers.h"

namespace pulse::suitecrm_internal {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using json = nlohmann::json;

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

json Rec(const std::string& id, json attributes) { return {{"type", "X"}, {"id", id}, {"attributes", attributes}}; }

TEST(SuiteCrmTime, ParsesEveryObservedForm) {
  EXPECT_THAT(ParseSuiteTime("2026-11-22T07:50:22+00:00"), IsOk());
  EXPECT_EQ(**ParseSuiteTime("2026-11-22T07:50:22+00:00"), Utc(2026, 11, 22, 7, 50, 22));
  EXPECT_EQ(**ParseSuiteTime("2026-11-22T09:50:22+02:00"), Utc(2026, 11, 22, 7, 50, 22));
  EXPECT_EQ(**ParseSuiteTime("2026-11-22 07:50:57"), Utc(2026, 11, 22, 7, 50, 57));  // DB and v4_1
  EXPECT_EQ(**ParseSuiteTime("2026-10-06"), Utc(2026, 10, 6));                       // a date
  EXPECT_EQ(*ParseSuiteTime(""), std::nullopt);
  EXPECT_THAT(ParseSuiteTime("22.11.2026 07:50"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("22.11.2026")));
}

TEST(SuiteCrmTime, BodiesGetTheDatabaseFormatInUtc) {
  EXPECT_EQ(FormatDbTime(Utc(2026, 12, 1, 9, 0, 0)), "2026-12-01 09:00:00");
  EXPECT_EQ(FormatDbTime(**ParseSuiteTime("2026-12-01T11:00:00+02:00")), "2026-12-01 09:00:00");
}

TEST(SuiteCrmAmount, NumbersComeAsStrings) {
  EXPECT_EQ(*ParseAmount("30400"), 30400);
  EXPECT_EQ(*ParseAmount("49700.000000"), 49700);
  EXPECT_EQ(*ParseAmount("-12.5"), -12.5);
  EXPECT_EQ(*ParseAmount(""), 0);
  EXPECT_THAT(ParseAmount("1,200.00"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseAmount("abc"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Attr(json{{"n", 3}, {"b", true}, {"s", "x"}, {"z", nullptr}, {"o", json::object()}}, "n"), "3");
  EXPECT_EQ(Attr(json{{"b", true}}, "b"), "1");
  EXPECT_EQ(Attr(json{{"z", nullptr}}, "z"), "");
  EXPECT_EQ(Attr(json{{"o", json::object()}}, "o"), "");
  EXPECT_EQ(Attr(json{{"s", "x"}}, "missing"), "");
}

TEST(SuiteCrmValues, UserStatus) {
  EXPECT_TRUE(UserIsActive("Active"));
  EXPECT_FALSE(UserIsActive("Inactive"));
  EXPECT_FALSE(UserIsActive("inactive"));
  EXPECT_TRUE(UserIsActive(""));  // the field is hidden from some API users
}

TEST(SuiteCrmValues, CaseStateStatusAndPriority) {
  EXPECT_EQ(CaseStatus("Open", "Open_New"), "new");
  EXPECT_EQ(CaseStatus("Open", "Open_Assigned"), "assigned");
  EXPECT_EQ(CaseStatus("Open", "Open_Pending Input"), "pending input");
  EXPECT_EQ(CaseStatus("Open", "Pending_Input"), "pending input");
  EXPECT_EQ(CaseStatus("Closed", "Closed_Closed"), "closed");
  EXPECT_EQ(CaseStatus("Closed", "Closed_Rejected"), "rejected");
  EXPECT_EQ(CaseStatus("Closed", "Closed_Duplicate"), "duplicate");
  EXPECT_EQ(CaseStatus("Closed", "Open_Assigned"), "closed") << "the state wins";
  EXPECT_TRUE(CaseIsClosed("Closed", ""));
  EXPECT_TRUE(CaseIsClosed("", "Closed_Closed"));
  EXPECT_FALSE(CaseIsClosed("Open", "Open_New"));
  EXPECT_EQ(CasePriority("P1"), "high");
  EXPECT_EQ(CasePriority("P2"), "medium");
  EXPECT_EQ(CasePriority("P3"), "low");
  EXPECT_EQ(CasePriority("Urgent"), "urgent");
}

TEST(SuiteCrmValues, CallsMeetingsEmailsInvoicesCurrency) {
  EXPECT_EQ(CallDirection("Inbound"), Direction::kInbound);
  EXPECT_EQ(CallDirection("Outbound"), Direction::kOutbound);
  EXPECT_EQ(CallDirection(""), Direction::kUnknown);
  EXPECT_TRUE(WasHeld("Held"));
  EXPECT_FALSE(WasHeld("Planned"));
  EXPECT_FALSE(WasHeld("Not Held"));
  EXPECT_TRUE(InvoiceIsOrder("Paid"));
  EXPECT_TRUE(InvoiceIsOrder("Unpaid"));
  EXPECT_TRUE(InvoiceIsOrder(""));
  EXPECT_FALSE(InvoiceIsOrder("Cancelled"));
  EXPECT_EQ(EmailDirection("inbound"), Direction::kInbound);
  EXPECT_EQ(EmailDirection("out"), Direction::kOutbound);
  EXPECT_EQ(EmailDirection("archived"), Direction::kUnknown);
  EXPECT_FALSE(EmailCounts("draft", "draft"));
  EXPECT_FALSE(EmailCounts("out", "send_error"));
  EXPECT_FALSE(EmailCounts("campaign", "sent"));
  EXPECT_TRUE(EmailCounts("out", "sent"));
  EXPECT_TRUE(IsSystemCurrency("-99"));
  EXPECT_TRUE(IsSystemCurrency(""));
  EXPECT_FALSE(IsSystemCurrency("a1b2"));
}

TEST(SuiteCrmRecords, UsersAccountsContacts) {
  User u;
  ASSERT_EQ(MapUser(Rec("1", {{"first_name", ""}, {"last_name", "Administrator"}, {"status", "Active"}}), &u).verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(u.name, "Administrator");
  EXPECT_TRUE(u.active);
  MapUser(Rec("2", {{"first_name", "Alice"}, {"last_name", "Smith"}, {"status", "Inactive"}}), &u);
  EXPECT_EQ(u.name, "Alice Smith");
  EXPECT_FALSE(u.active);

  Account a;
  ASSERT_EQ(MapAccount(Rec("acc", {{"name", "Synth Co 0296"},
                                   {"assigned_user_id", "65eea618"},
                                   {"industry", "Education"},
                                   {"date_entered", "2026-11-22T07:50:22+00:00"}}),
                       &a)
                .verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(a.owner_id, "65eea618");
  EXPECT_EQ(a.industry, "Education");
  EXPECT_THAT(a.created_at, Optional(Utc(2026, 11, 22, 7, 50, 22)));
  Mapped bad = MapAccount(Rec("acc", {{"date_entered", "yesterday"}}), &a);
  EXPECT_EQ(bad.verdict, Mapped::Verdict::kReject);
  EXPECT_THAT(bad.reason, HasSubstr("date_entered 'yesterday'"));

  Contact c;
  MapContact(Rec("c1", {{"first_name", "Pat0"},
                        {"last_name", "Contact0000"},
                        {"account_id", "ca20"},
                        {"title", "IT Lead"},
                        {"email1", "pat0@synth.example"},
                        {"date_modified", "2026-11-22T07:50:23+00:00"}}),
             &c);
  EXPECT_EQ(c.name, "Pat0 Contact0000");
  EXPECT_EQ(c.account_id, "ca20");
  EXPECT_EQ(c.role, "IT Lead");
  EXPECT_EQ(c.email, "pat0@synth.example");
  EXPECT_THAT(c.updated_at, Optional(Utc(2026, 11, 22, 7, 50, 23)));
}

TEST(SuiteCrmRecords, InvoicesAndWonOpportunitiesAreOrders) {
  Order o;
  ASSERT_EQ(MapInvoice(Rec("inv", {{"billing_account_id", "acc"},
                                   {"total_amount", "49700.000000"},
                                   {"invoice_date", "2026-10-26"},
                                   {"status", "Paid"},
                                   {"currency_id", "-99"}}),
                       &o)
                .verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(o.account_id, "acc");
  EXPECT_EQ(o.amount, 49700);
  EXPECT_EQ(o.ordered_at, Utc(2026, 10, 26));
  EXPECT_EQ(MapInvoice(Rec("inv", {{"billing_account_id", "acc"}, {"status", "Cancelled"}}), &o).verdict,
            Mapped::Verdict::kSkip);
  Mapped bad = MapInvoice(Rec("inv", {{"billing_account_id", "acc"}, {"invoice_date", "2026-10-26"}, {"total_amount", "lots"}}), &o);
  EXPECT_EQ(bad.verdict, Mapped::Verdict::kReject);
  EXPECT_THAT(bad.reason, HasSubstr("total_amount 'lots' is not a number"));
  EXPECT_EQ(MapInvoice(Rec("inv", {{"invoice_date", "2026-10-26"}}), &o).verdict, Mapped::Verdict::kReject);
  // Without its date an invoice counts from when it was entered.
  MapInvoice(Rec("inv", {{"billing_account_id", "a"}, {"date_entered", "2026-10-01T10:00:00+00:00"}}), &o);
  EXPECT_EQ(o.ordered_at, Utc(2026, 10, 1, 10));

  ASSERT_EQ(MapOpportunity(Rec("opp", {{"account_id", "acc"},
                                       {"amount", "30400"},
                                       {"date_closed", "2026-10-06"},
                                       {"sales_stage", "Closed Won"}}),
                           &o)
                .verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(o.amount, 30400);
  EXPECT_EQ(o.ordered_at, Utc(2026, 10, 6));
  EXPECT_EQ(MapOpportunity(Rec("opp", {{"account_id", "acc"}, {"sales_stage", "Closed Lost"}}), &o).verdict,
            Mapped::Verdict::kSkip);

  std::string order_id;
  OrderLine line;
  ASSERT_EQ(MapInvoiceLine(Rec("l", {{"parent_id", "inv"},
                                     {"name", "Widget"},
                                     {"part_number", "W-1"},
                                     {"product_qty", "3.0000"},
                                     {"product_total_price", "300.000000"}}),
                           &order_id, &line)
                .verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(order_id, "inv");
  EXPECT_EQ(line.sku, "W-1");
  EXPECT_EQ(line.quantity, 3);
  EXPECT_EQ(line.amount, 300);
}

TEST(SuiteCrmRecords, CasesAndTheirReplies) {
  Case c;
  ASSERT_EQ(MapCase(Rec("case", {{"name", "Issue 0166"},
                                 {"account_id", "acc"},
                                 {"state", "Closed"},
                                 {"status", "Closed_Closed"},
                                 {"priority", "P1"},
                                 {"type", "Product"},
                                 {"date_entered", "2026-11-01T08:00:00+00:00"},
                                 {"date_modified", "2026-11-03T12:00:00+00:00"},
                                 {"first_reply_c", "2026-11-01 09:30:00"}}),
                    "first_reply_c", &c)
                .verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(c.status, "closed");
  EXPECT_FALSE(c.IsOpen());
  EXPECT_THAT(c.closed_at, Optional(Utc(2026, 11, 3, 12)));
  EXPECT_EQ(c.priority, "high");
  EXPECT_EQ(c.category, "product");
  EXPECT_EQ(c.subject, "Issue 0166");
  EXPECT_THAT(c.first_response_at, Optional(Utc(2026, 11, 1, 9, 30)));
  Case open;
  MapCase(Rec("c2", {{"account_id", "acc"}, {"state", "Open"}, {"status", "Open_New"}, {"date_entered", "2026-11-01"}}),
          "", &open);
  EXPECT_TRUE(open.IsOpen());
  EXPECT_EQ(open.closed_at, std::nullopt);
  EXPECT_EQ(MapCase(Rec("c3", {{"date_entered", "2026-11-01"}}), "", &open).verdict, Mapped::Verdict::kSkip);

  std::string case_id;
  absl::Time at;
  EXPECT_EQ(MapCaseReply(Rec("u1", {{"case_id", "case"}, {"internal", "0"}, {"date_entered", "2026-11-01 10:00:00"}}),
                         &case_id, &at)
                .verdict,
            Mapped::Verdict::kUse);
  EXPECT_EQ(at, Utc(2026, 11, 1, 10));
  EXPECT_EQ(MapCaseReply(Rec("u2", {{"case_id", "case"}, {"internal", "1"}, {"date_entered", "2026-11-01"}}), &case_id, &at)
                .verdict,
            Mapped::Verdict::kSkip);
  EXPECT_EQ(MapCaseReply(Rec("u3", {{"case_id", "case"}, {"contact_id", "pat"}, {"date_entered", "2026-11-01"}}),
                         &case_id, &at)
                .verdict,
            Mapped::Verdict::kSkip)
      << "the customer writing again is not a response";
}

TEST(SuiteCrmRecords, OnlyHeldCallsAndMeetingsOnAccountsAreContact) {
  Activity a;
  json held = {{"name", "Call 0167"},
               {"assigned_user_id", "u1"},
               {"date_start", "2026-12-22T06:49:00+00:00"},
               {"parent_type", "Accounts"},
               {"parent_id", "acc"},
               {"status", "Held"},
               {"direction", "Inbound"}};
  ASSERT_EQ(MapCall(Rec("call", held), &a).verdict, Mapped::Verdict::kUse);
  EXPECT_EQ(a.type, ActivityType::kCall);
  EXPECT_EQ(a.direction, Direction::kInbound);
  EXPECT_EQ(a.account_id, "acc");
  EXPECT_EQ(a.user_id, "u1");
  EXPECT_EQ(a.occurred_at, Utc(2026, 12, 22, 6, 49));
  json planned = held;
  planned["status"] = "Planned";
  EXPECT_EQ(MapCall(Rec("call", planned), &a).verdict, Mapped::Verdict::kSkip);
  json on_contact = held;
  on_contact["parent_type"] = "Contacts";
  EXPECT_EQ(MapCall(Rec("call", on_contact), &a).verdict, Mapped::Verdict::kSkip);
  json meeting = held;
  meeting.erase("direction");
  ASSERT_EQ(MapMeeting(Rec("m", meeting), &a).verdict, Mapped::Verdict::kUse);
  EXPECT_EQ(a.type, ActivityType::kMeeting);
  EXPECT_TRUE(a.IsTwoWay());
  json email = {{"parent_type", "Accounts"},
                {"parent_id", "acc"},
                {"type", "inbound"},
                {"status", "read"},
                {"date_sent_received", "2026-11-02T08:00:00+00:00"}};
  ASSERT_EQ(MapEmail(Rec("e", email), &a).verdict, Mapped::Verdict::kUse);
  EXPECT_EQ(a.direction, Direction::kInbound);
  EXPECT_TRUE(a.IsTwoWay());
  email["type"] = "draft";
  EXPECT_EQ(MapEmail(Rec("e", email), &a).verdict, Mapped::Verdict::kSkip);
  json undated = held;
  undated["date_start"] = "";
  EXPECT_EQ(MapCall(Rec("call", undated), &a).verdict, Mapped::Verdict::kReject);
}

TEST(SuiteCrmApiHelpers, Md5AndUrlEncoding) {
  EXPECT_EQ(Md5Hex("password"), "5f4dcc3b5aa765d61d8327deb882cf99");
  EXPECT_EQ(UrlEncode("filter[date_modified][gte]"), "filter%5Bdate_modified%5D%5Bgte%5D");
  EXPECT_EQ(UrlEncode("2026-11-22 07:50:37"), "2026-11-22%2007%3A50%3A37");
  EXPECT_EQ(UrlEncode("%pulse-key: a_b%"), "%25pulse-key%3A%20a_b%25");
}

TEST(SuiteCrmSecretsTest, OneLineOrKeyedLinesAllRegistered) {
  PULSE_ASSERT_OK_AND_ASSIGN(SuiteCrmSecrets one, ParseSuiteCrmSecrets("  only-the-client-secret-1\n"));
  EXPECT_EQ(one.client_secret, "only-the-client-secret-1");
  EXPECT_EQ(one.password, "");
  PULSE_ASSERT_OK_AND_ASSIGN(SuiteCrmSecrets two,
                             ParseSuiteCrmSecrets("# pulse\nclient_secret = cs-value-2\npassword=pw-value-2\n"));
  EXPECT_EQ(two.client_secret, "cs-value-2");
  EXPECT_EQ(two.password, "pw-value-2");
  EXPECT_EQ(Redact("x cs-value-2 y pw-value-2"), "x *** y ***");
  absl::StatusOr<SuiteCrmSecrets> bad = ParseSuiteCrmSecrets("client_secret=abc\nuser=hunter2\n");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("hunter2")));
  EXPECT_THAT(ParseSuiteCrmSecrets("password=only\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client secret is missing")));
}

TEST(SuiteCrmListPage, SplitsDataIntoRecordsAndMalformed) {
  json body = {{"meta", {{"total-pages", "3"}}},
               {"data", json::array({Rec("a1", {{"name", "Acme"}}), {{"id", ""}, {"attributes", json::object()}},
                                     "not a record", {{"id", "a9"}, {"attributes", json::array()}}})}};
  absl::StatusOr<ListPage> page = ParseListPage("SuiteCRM Accounts page 1", 1, body);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->total_pages, 3);
  EXPECT_EQ(page->count, 4);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].record["id"], "a1");
  ASSERT_EQ(page->malformed.size(), 3u);
  EXPECT_EQ(page->malformed[2].index, 3);
  EXPECT_EQ(page->malformed[2].id, "a9");
}

TEST(SuiteCrmListPage, AnswerWithoutDataIsUnavailable) {
  EXPECT_THAT(ParseListPage("SuiteCRM Accounts page 2", 2, json::array()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SuiteCRM Accounts page 2: the answer has no data")));
  EXPECT_THAT(ParseListPage("p", 1, {{"data", "x"}}), StatusIs(absl::StatusCode::kUnavailable));
}

// List() makes room for every page before reading them: a total it cannot
// believe is refused instead of allocating for it (found while writing the
// SuiteCRM fuzz target, which now checks it; tests/fuzz/regressions/suitecrm/).
TEST(SuiteCrmListPage, UnbelievablePageCountIsRefused) {
  json body = {{"meta", {{"total-pages", 2147483647}}}, {"data", json::array()}};
  EXPECT_THAT(ParseListPage("SuiteCRM Accounts page 1", 1, body),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("2147483647 pages")));
  body["meta"]["total-pages"] = kMaxListPages;
  EXPECT_THAT(ParseListPage("SuiteCRM Accounts page 1", 1, body), IsOk());
}

}  // namespace
}  // namespace pulse::suitecrm_internal
