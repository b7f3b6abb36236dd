#include "adapters/odoo/odoo_adapter.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/logging.h"
#include "tests/adapters/odoo/odoo_double.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::Json;
using ::pulse::testing::OdooDouble;
using ::pulse::testing::OdooDoubleOptions;
using ::pulse::testing::OdooFault;
using ::pulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

template <typename T>
const T* Find(const std::vector<T>& records, const std::string& id) {
  for (const T& r : records) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

template <typename T>
std::vector<std::string> Ids(const std::vector<T>& records) {
  std::vector<std::string> ids;
  for (const T& r : records) ids.push_back(r.id);
  return ids;
}

std::string S(int64_t id) { return absl::StrCat(id); }

// The records of a small Odoo: two salespeople (one archived), a portal user,
// companies with contacts, orders, invoices, messages, events and tickets.
struct Seeded {
  int64_t alice = 0, bob = 0, portal = 0;
  int64_t acme = 0, globex = 0, archived_co = 0;
  int64_t acme_buyer = 0, acme_gone = 0, lonely_person = 0;
  int64_t order = 0, quotation = 0, contact_order = 0;
  int64_t invoice = 0, refund = 0, draft_invoice = 0;
  int64_t note = 0, inbound = 0, done_call = 0, tracking = 0;
  int64_t meeting = 0, internal_meeting = 0;
  int64_t ticket = 0;
};

Seeded Seed(OdooDouble& odoo) {
  Seeded s;
  odoo.SetNow("2025-11-01 08:00:00");
  const int64_t eur = odoo.Add("res.currency", {{"name", "EUR"}});
  const int64_t fi = odoo.Add("res.country", {{"name", "Finland"}});
  const int64_t wholesale = odoo.Add("res.partner.industry", {{"name", "Wholesale"}});
  const int64_t alice_p = odoo.Add("res.partner", {{"name", "Alice"}});
  const int64_t bob_p = odoo.Add("res.partner", {{"name", "Bob"}});
  s.alice = odoo.Add("res.users", {{"name", "Alice"}, {"login", "alice@example.com"}, {"partner_id", alice_p}});
  s.bob = odoo.Add("res.users", {{"name", "Bob"}, {"login", "bob"}, {"email", "bob@example.com"},
                                 {"partner_id", bob_p}, {"active", false}});
  s.portal = odoo.Add("res.users", {{"name", "Portal"}, {"login", "portal"}, {"share", true}});
  s.acme = odoo.Add("res.partner", {{"name", "Acme Oy"}, {"is_company", true}, {"user_id", s.alice},
                                    {"country_id", fi}, {"industry_id", wholesale}});
  s.globex = odoo.Add("res.partner", {{"name", "Globex"}, {"is_company", true}, {"user_id", false}});
  s.archived_co = odoo.Add("res.partner", {{"name", "Old Co"}, {"is_company", true}, {"active", false}});
  s.acme_buyer = odoo.Add("res.partner", {{"name", "Ann Buyer"}, {"parent_id", s.acme}, {"email", "ann@acme.fi"},
                                          {"function", "Purchasing"}});
  s.acme_gone = odoo.Add("res.partner", {{"name", "Gone Person"}, {"parent_id", s.acme}, {"active", false}});
  s.lonely_person = odoo.Add("res.partner", {{"name", "Private Person"}});
  const int64_t widget = odoo.Add("product.product", {{"name", "[W-1] Widget"}});
  s.order = odoo.Add("sale.order", {{"name", "S00001"}, {"partner_id", s.acme}, {"date_order", "2025-10-01 09:30:00"},
                                    {"amount_total", 1200.5}, {"currency_id", eur}, {"state", "sale"}});
  odoo.Add("sale.order.line", {{"order_id", s.order}, {"product_id", widget}, {"name", "Widget"},
                               {"product_uom_qty", 3}, {"price_subtotal", 1000}, {"display_type", false}});
  odoo.Add("sale.order.line", {{"order_id", s.order}, {"product_id", false}, {"name", "Section"},
                               {"product_uom_qty", 0}, {"price_subtotal", 0}, {"display_type", "line_section"}});
  s.quotation = odoo.Add("sale.order", {{"name", "S00002"}, {"partner_id", s.acme},
                                        {"date_order", "2025-10-02 09:30:00"}, {"amount_total", 99},
                                        {"currency_id", eur}, {"state", "draft"}});
  s.contact_order = odoo.Add("sale.order", {{"name", "S00003"}, {"partner_id", s.acme_buyer},
                                            {"date_order", "2025-10-03 10:00:00"}, {"amount_total", 50},
                                            {"currency_id", eur}, {"state", "done"}});
  s.invoice = odoo.Add("account.move", {{"name", "INV/1"}, {"partner_id", s.acme_buyer},
                                        {"commercial_partner_id", s.acme}, {"invoice_date", "2025-10-05"},
                                        {"move_type", "out_invoice"}, {"amount_total", 800}, {"currency_id", eur},
                                        {"state", "posted"}});
  s.refund = odoo.Add("account.move", {{"name", "RINV/1"}, {"partner_id", s.acme}, {"commercial_partner_id", s.acme},
                                       {"invoice_date", "2025-10-06"}, {"move_type", "out_refund"},
                                       {"amount_total", 100}, {"currency_id", eur}, {"state", "posted"}});
  s.draft_invoice = odoo.Add("account.move", {{"name", "/"}, {"partner_id", s.globex},
                                              {"commercial_partner_id", s.globex}, {"invoice_date", false},
                                              {"move_type", "out_invoice"}, {"amount_total", 5},
                                              {"currency_id", eur}, {"state", "draft"}});
  odoo.Add("account.move", {{"name", "BILL/1"}, {"partner_id", s.globex}, {"commercial_partner_id", s.globex},
                            {"invoice_date", "2025-10-06"}, {"move_type", "in_invoice"}, {"amount_total", 7},
                            {"currency_id", eur}, {"state", "posted"}});
  const int64_t note_subtype = odoo.Ref("mail.mt_note");
  const int64_t comment_subtype = odoo.Ref("mail.mt_comment");
  s.note = odoo.Add("mail.message", {{"model", "res.partner"}, {"res_id", s.acme}, {"message_type", "comment"},
                                     {"subtype_id", note_subtype}, {"date", "2025-10-10 12:00:00"},
                                     {"author_id", alice_p}, {"subject", "Price talk"}, {"body", "<p>x</p>"}});
  s.inbound = odoo.Add("mail.message", {{"model", "res.partner"}, {"res_id", s.acme_buyer},
                                        {"message_type", "email"}, {"subtype_id", comment_subtype},
                                        {"date", "2025-10-11 12:00:00"}, {"author_id", s.acme_buyer},
                                        {"subject", "Re: offer"}, {"body", "<p>y</p>"}});
  s.done_call = odoo.Add("mail.message", {{"model", "res.partner"}, {"res_id", s.acme}, {"message_type", "comment"},
                                          {"subtype_id", false},
                                          {"mail_activity_type_id", odoo.Ref("mail.mail_activity_data_call")},
                                          {"date", "2025-10-12 12:00:00"}, {"author_id", alice_p},
                                          {"subject", false}, {"body", "<p>Call done</p>"}});
  s.tracking = odoo.Add("mail.message", {{"model", "res.partner"}, {"res_id", s.acme},
                                         {"message_type", "notification"}, {"date", "2025-10-13 12:00:00"}});
  s.meeting = odoo.Add("calendar.event", {{"name", "Review"}, {"start", "2025-10-20 10:00:00"}, {"user_id", s.alice},
                                          {"partner_ids", {alice_p, s.acme_buyer}}});
  s.internal_meeting = odoo.Add("calendar.event", {{"name", "Team"}, {"start", "2025-10-21 10:00:00"},
                                                   {"user_id", s.alice}, {"partner_ids", {alice_p, bob_p}}});
  const int64_t stage = odoo.Add("helpdesk.stage", {{"name", "Solved"}});
  const int64_t type = odoo.Add("helpdesk.ticket.type", {{"name", "Complaint"}});
  s.ticket = odoo.Add("helpdesk.ticket", {{"name", "Broken widget"}, {"partner_id", s.acme_buyer},
                                          {"stage_id", stage}, {"priority", "2"}, {"ticket_type_id", type},
                                          {"close_date", "2025-10-15 08:00:00"}, {"create_date", "2025-10-14 08:00:00"}});
  return s;
}

// Both API flavours: Odoo 17 (JSON-RPC) and Odoo 19 (JSON-2), detected.
class OdooAdapterTest : public ::testing::TestWithParam<int> {
 protected:
  OdooAdapterTest() : odoo_(DoubleOptions()) { seeded_ = Seed(odoo_); }

  OdooDoubleOptions DoubleOptions() {
    OdooDoubleOptions o;
    o.version = GetParam();
    return o;
  }

  OdooOptions Options() {
    OdooOptions o;
    o.url = odoo_.url();
    o.database = odoo_.options().database;
    o.username = odoo_.options().login;
    o.api_key = odoo_.options().api_key;
    o.api = OdooApi::kAuto;
    o.page_size = 2;  // every read spans pages
    o.reconcile_every = absl::ZeroDuration();
    o.http.timeout = absl::Seconds(5);
    o.http.retry.max_attempts = 3;
    o.http.retry.sleep = [](absl::Duration) {};
    o.http.breaker.failure_threshold = 0;
    o.now = [this] { return now_; };
    return o;
  }

  std::unique_ptr<CrmAdapter> Adapter(const OdooOptions& options) {
    absl::StatusOr<std::unique_ptr<CrmAdapter>> a = MakeOdooAdapter(options);
    EXPECT_THAT(a, IsOk());
    return a.ok() ? std::move(*a) : nullptr;
  }
  std::unique_ptr<CrmAdapter> Adapter() { return Adapter(Options()); }

  OdooDouble odoo_;
  Seeded seeded_;
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2025, 11, 1, 9, 0, 0), absl::UTCTimeZone());
};

INSTANTIATE_TEST_SUITE_P(Apis, OdooAdapterTest, ::testing::Values(17, 19),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param >= 19 ? std::string("Json2") : std::string("JsonRpc");
                         });

TEST_P(OdooAdapterTest, PicksTheApiByVersion) {
  auto adapter = Adapter();
  ASSERT_THAT(adapter->Ping(), IsOk());
  if (GetParam() >= 19) {
    EXPECT_EQ(odoo_.Calls("common", "authenticate"), 0);
    EXPECT_EQ(odoo_.Calls("res.users", "context_get"), 1);
  } else {
    EXPECT_EQ(odoo_.Calls("common", "authenticate"), 1);
  }
}

TEST_P(OdooAdapterTest, ReadsInternalUsersArchivedAsInactive) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<User> users, adapter->ReadUsers(ReadParams()));
  EXPECT_TRUE(users.full_snapshot);
  EXPECT_THAT(users.rejected, IsEmpty());
  EXPECT_EQ(Find(users.upserts, S(seeded_.portal)), nullptr) << "portal users are customers, not staff";
  const User* alice = Find(users.upserts, S(seeded_.alice));
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "Alice");
  EXPECT_EQ(alice->email, "alice@example.com");
  EXPECT_TRUE(alice->active);
  const User* bob = Find(users.upserts, S(seeded_.bob));
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(bob->active);
  EXPECT_EQ(bob->email, "bob@example.com");
}

TEST_P(OdooAdapterTest, ReadsCompaniesAsAccountsWithTheSalespersonAsOwner) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> accounts, adapter->ReadAccounts(ReadParams()));
  EXPECT_EQ(Find(accounts.upserts, S(seeded_.lonely_person)), nullptr);
  EXPECT_EQ(Find(accounts.upserts, S(seeded_.acme_buyer)), nullptr);
  const Account* acme = Find(accounts.upserts, S(seeded_.acme));
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->name, "Acme Oy");
  EXPECT_EQ(acme->owner_id, S(seeded_.alice));
  EXPECT_EQ(acme->country, "Finland");
  EXPECT_EQ(acme->industry, "Wholesale");
  EXPECT_FALSE(acme->do_not_contact);
  ASSERT_TRUE(acme->created_at.has_value());
  const Account* globex = Find(accounts.upserts, S(seeded_.globex));
  ASSERT_NE(globex, nullptr);
  EXPECT_EQ(globex->owner_id, "") << "user_id false: unowned";
  const Account* old = Find(accounts.upserts, S(seeded_.archived_co));
  ASSERT_NE(old, nullptr) << "archived is not deleted";
  EXPECT_TRUE(old->do_not_contact);
}

TEST_P(OdooAdapterTest, ReadsContactsOfCompaniesArchivedAsInactive) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Contact> contacts, adapter->ReadContacts(ReadParams()));
  // The users' partners hang under the own company; they are contacts of it.
  const Contact* ann = Find(contacts.upserts, S(seeded_.acme_buyer));
  ASSERT_NE(ann, nullptr);
  EXPECT_EQ(ann->account_id, S(seeded_.acme));
  EXPECT_EQ(ann->email, "ann@acme.fi");
  EXPECT_EQ(ann->role, "Purchasing");
  EXPECT_TRUE(ann->active);
  const Contact* gone = Find(contacts.upserts, S(seeded_.acme_gone));
  ASSERT_NE(gone, nullptr);
  EXPECT_FALSE(gone->active);
  EXPECT_EQ(Find(contacts.upserts, S(seeded_.lonely_person)), nullptr);
}

TEST_P(OdooAdapterTest, ReadsConfirmedSaleOrdersOnTheCompanyWithTheirLines) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> orders, adapter->ReadOrders(ReadParams()));
  EXPECT_THAT(Ids(orders.upserts), UnorderedElementsAre(absl::StrCat("sale.order:", seeded_.order),
                                                        absl::StrCat("sale.order:", seeded_.contact_order)));
  const Order* o = Find(orders.upserts, absl::StrCat("sale.order:", seeded_.order));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->account_id, S(seeded_.acme));
  EXPECT_DOUBLE_EQ(o->amount, 1200.5);
  EXPECT_EQ(o->currency, "EUR");
  EXPECT_EQ(o->ordered_at, absl::FromCivil(absl::CivilSecond(2025, 10, 1, 9, 30, 0), absl::UTCTimeZone()));
  ASSERT_EQ(o->lines.size(), 1u) << "the section line is not a product";
  EXPECT_EQ(o->lines[0].product, "[W-1] Widget");
  EXPECT_DOUBLE_EQ(o->lines[0].quantity, 3);
  EXPECT_DOUBLE_EQ(o->lines[0].amount, 1000);
  const Order* via_contact = Find(orders.upserts, absl::StrCat("sale.order:", seeded_.contact_order));
  ASSERT_NE(via_contact, nullptr);
  EXPECT_EQ(via_contact->account_id, S(seeded_.acme)) << "sold to a contact: the company's order";
}

TEST_P(OdooAdapterTest, ReadsPostedCustomerInvoicesWithRefundsNegative) {
  OdooOptions o = Options();
  o.sale_orders = false;
  o.invoices = true;
  auto adapter = Adapter(o);
  EXPECT_FALSE(adapter->GetCapabilities().order_lines);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> orders, adapter->ReadOrders(ReadParams()));
  EXPECT_THAT(Ids(orders.upserts), UnorderedElementsAre(absl::StrCat("account.move:", seeded_.invoice),
                                                        absl::StrCat("account.move:", seeded_.refund)));
  const Order* invoice = Find(orders.upserts, absl::StrCat("account.move:", seeded_.invoice));
  EXPECT_EQ(invoice->account_id, S(seeded_.acme));
  EXPECT_DOUBLE_EQ(invoice->amount, 800);
  EXPECT_EQ(invoice->ordered_at, absl::FromCivil(absl::CivilDay(2025, 10, 5), absl::UTCTimeZone()));
  EXPECT_DOUBLE_EQ(Find(orders.upserts, absl::StrCat("account.move:", seeded_.refund))->amount, -100);
}

TEST_P(OdooAdapterTest, ReadsMessagesDoneActivitiesAndMeetings) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Activity> activities, adapter->ReadActivities(ReadParams()));
  EXPECT_THAT(activities.rejected, IsEmpty());
  EXPECT_EQ(Find(activities.upserts, absl::StrCat("mail.message:", seeded_.tracking)), nullptr);
  EXPECT_EQ(Find(activities.upserts, absl::StrCat("calendar.event:", seeded_.internal_meeting)), nullptr);
  const Activity* note = Find(activities.upserts, absl::StrCat("mail.message:", seeded_.note));
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->type, ActivityType::kNote);
  EXPECT_EQ(note->user_id, S(seeded_.alice));
  EXPECT_EQ(note->subject, "Price talk");
  const Activity* inbound = Find(activities.upserts, absl::StrCat("mail.message:", seeded_.inbound));
  ASSERT_NE(inbound, nullptr);
  EXPECT_EQ(inbound->type, ActivityType::kEmail);
  EXPECT_EQ(inbound->direction, Direction::kInbound);
  EXPECT_EQ(inbound->account_id, S(seeded_.acme)) << "on a contact: the company's";
  const Activity* call = Find(activities.upserts, absl::StrCat("mail.message:", seeded_.done_call));
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->type, ActivityType::kCall);
  EXPECT_TRUE(call->IsTwoWay());
  const Activity* meeting = Find(activities.upserts, absl::StrCat("calendar.event:", seeded_.meeting));
  ASSERT_NE(meeting, nullptr);
  EXPECT_EQ(meeting->type, ActivityType::kMeeting);
  EXPECT_EQ(meeting->account_id, S(seeded_.acme));
  EXPECT_EQ(meeting->user_id, S(seeded_.alice));
}

TEST_P(OdooAdapterTest, ReadsHelpdeskTicketsAsCases) {
  auto adapter = Adapter();
  EXPECT_TRUE(adapter->GetCapabilities().cases);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Case> cases, adapter->ReadCases(ReadParams()));
  ASSERT_EQ(cases.upserts.size(), 1u);
  const Case& c = cases.upserts[0];
  EXPECT_EQ(c.account_id, S(seeded_.acme));
  EXPECT_EQ(c.status, "solved");
  EXPECT_EQ(c.category, "Complaint");
  EXPECT_EQ(c.priority, "2");
  EXPECT_EQ(c.subject, "Broken widget");
  ASSERT_TRUE(c.closed_at.has_value());
  EXPECT_FALSE(c.IsOpen());
}

TEST(OdooAdapterWithoutHelpdeskTest, HasNoCases) {
  OdooDoubleOptions d;
  d.helpdesk = false;
  OdooDouble odoo(d);
  OdooOptions o;
  o.url = odoo.url();
  o.database = d.database;
  o.username = d.login;
  o.api_key = d.api_key;
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<CrmAdapter> adapter, MakeOdooAdapter(o));
  EXPECT_FALSE(adapter->GetCapabilities().cases);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Case> cases, adapter->ReadCases(ReadParams()));
  EXPECT_THAT(cases.upserts, IsEmpty());
}

TEST_P(OdooAdapterTest, ReadsOnlyWhatChangedSinceTheWatermark) {
  auto adapter = Adapter();
  odoo_.SetNow("2025-11-01 09:00:00");
  odoo_.Update("res.partner", seeded_.acme, Json::object());  // the newest second holds only Acme
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> first, adapter->ReadAccounts(ReadParams()));
  odoo_.SetNow("2025-11-02 08:00:00");
  odoo_.Update("res.partner", seeded_.globex, {{"user_id", seeded_.alice}});
  ReadParams next;
  next.since_watermark = first.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> second, adapter->ReadAccounts(next));
  EXPECT_FALSE(second.full_snapshot);
  // Acme again: write_date has whole seconds, so the newest second of the
  // last read is always read again (it may have changed within it).
  EXPECT_THAT(Ids(second.upserts), ElementsAre(S(seeded_.acme), S(seeded_.globex)));
  EXPECT_EQ(second.upserts[1].owner_id, S(seeded_.alice));
  EXPECT_NE(second.watermark, first.watermark);
  // Nothing changed: the same watermark; only the newest second is read again.
  next.since_watermark = second.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> third, adapter->ReadAccounts(next));
  EXPECT_EQ(third.watermark, second.watermark);
  EXPECT_THAT(Ids(third.upserts), ElementsAre(S(seeded_.globex)));
  odoo_.SetNow("2025-11-02 08:05:00");
  odoo_.Update("res.partner", seeded_.archived_co, {{"name", "Old Co Ltd"}});
  next.since_watermark = third.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> fourth, adapter->ReadAccounts(next));
  EXPECT_THAT(Ids(fourth.upserts), ElementsAre(S(seeded_.globex), S(seeded_.archived_co)));
  next.since_watermark = fourth.watermark;
  // A change committed late with an older write_date (a slow transaction)
  // is inside the overlap and still read; Globex, in the overlap too but
  // returned before and unchanged, is not returned again.
  odoo_.SetNow("2025-11-02 07:55:00");
  odoo_.Update("res.partner", seeded_.acme, {{"name", "Acme Oyj"}});
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> late, adapter->ReadAccounts(next));
  EXPECT_THAT(Ids(late.upserts), ElementsAre(S(seeded_.acme), S(seeded_.archived_co)));
}

TEST_P(OdooAdapterTest, AnOrderCancelledLaterIsDeleted) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> first, adapter->ReadOrders(ReadParams()));
  odoo_.SetNow("2025-11-02 08:00:00");
  odoo_.Update("sale.order", seeded_.order, {{"state", "cancel"}});
  ReadParams next;
  next.since_watermark = first.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Order> second, adapter->ReadOrders(next));
  EXPECT_EQ(Find(second.upserts, absl::StrCat("sale.order:", seeded_.order)), nullptr);
  // (Quotations read again are reported deleted too: harmless, they were never stored.)
  EXPECT_THAT(second.deleted_ids, Contains(absl::StrCat("sale.order:", seeded_.order)));
}

TEST_P(OdooAdapterTest, ReconciliationFindsDeletedRecords) {
  OdooOptions o = Options();
  o.reconcile_every = absl::Hours(1);
  auto adapter = Adapter(o);
  EXPECT_TRUE(adapter->GetCapabilities().deletions);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Contact> first, adapter->ReadContacts(ReadParams()));
  odoo_.Remove("res.partner", seeded_.acme_buyer);
  ReadParams next;
  next.since_watermark = first.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Contact> early, adapter->ReadContacts(next));
  EXPECT_THAT(early.deleted_ids, IsEmpty()) << "not due yet";
  EXPECT_EQ(odoo_.Calls("res.partner", "search"), 0);
  now_ += absl::Hours(2);
  next.since_watermark = early.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Contact> later, adapter->ReadContacts(next));
  EXPECT_THAT(later.deleted_ids, ElementsAre(S(seeded_.acme_buyer)));
  EXPECT_GT(odoo_.Calls("res.partner", "search"), 0);
  // Reported once.
  next.since_watermark = later.watermark;
  now_ += absl::Hours(2);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Contact> again, adapter->ReadContacts(next));
  EXPECT_THAT(again.deleted_ids, IsEmpty());
}

TEST_P(OdooAdapterTest, ABrokenPageIsRejectedAndTheWatermarkStays) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> first, adapter->ReadAccounts(ReadParams()));
  odoo_.SetNow("2025-11-02 08:00:00");
  odoo_.Update("res.partner", seeded_.globex, {{"name", "Globex Oy"}});
  OdooFault fault;
  fault.kind = OdooFault::Kind::kNotJson;
  fault.model = "res.partner";
  fault.method = "search_read";
  odoo_.AddFault(fault);
  ReadParams next;
  next.since_watermark = first.watermark;
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> broken, adapter->ReadAccounts(next));
  ASSERT_EQ(broken.rejected.size(), 1u);
  EXPECT_THAT(broken.rejected[0].ToString(),
              AllOf(HasSubstr("odoo res.partner"), HasSubstr("page at offset 0"), HasSubstr("not JSON")));
  EXPECT_EQ(broken.watermark, first.watermark);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<Account> repaired, adapter->ReadAccounts(next));
  EXPECT_THAT(repaired.rejected, IsEmpty());
  EXPECT_THAT(Ids(repaired.upserts), Contains(S(seeded_.globex)));
  EXPECT_NE(repaired.watermark, first.watermark);
}

TEST_P(OdooAdapterTest, OutagesAndRateLimitsAreRetried) {
  auto adapter = Adapter();
  OdooFault fault;
  fault.model = "res.users";
  fault.method = "search_read";
  fault.status = 503;
  odoo_.AddFault(fault);
  fault.status = 429;
  odoo_.AddFault(fault);
  PULSE_ASSERT_OK_AND_ASSIGN(ChangeBatch<User> users, adapter->ReadUsers(ReadParams()));
  EXPECT_NE(Find(users.upserts, S(seeded_.alice)), nullptr);
  fault.status = 502;
  fault.times = 10;
  odoo_.AddFault(fault);
  EXPECT_THAT(adapter->ReadUsers(ReadParams()), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("res.users")));
}

TEST_P(OdooAdapterTest, AReadWithoutAnswerIsDeadlineExceededAfterItsRetries) {
  OdooOptions o = Options();
  o.http.timeout = absl::Milliseconds(300);
  auto adapter = Adapter(o);
  ASSERT_THAT(adapter->Ping(), IsOk());
  OdooFault stall;
  stall.kind = OdooFault::Kind::kStallAfterWork;
  stall.model = "res.users";
  stall.method = "search_read";
  stall.stall_ms = 600;
  stall.times = 10;
  odoo_.AddFault(stall);
  EXPECT_THAT(adapter->ReadUsers(ReadParams()),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("odoo: res.users.search_read")));
  EXPECT_EQ(odoo_.Calls("res.users", "search_read"), 3) << "a read is safe to repeat";
}

TEST_P(OdooAdapterTest, AccessErrorsNameTheModelAndMethod) {
  auto adapter = Adapter();
  OdooFault fault;
  fault.kind = OdooFault::Kind::kAccessError;
  fault.model = "res.partner";
  fault.method = "search_read";
  odoo_.AddFault(fault);
  EXPECT_THAT(adapter->ReadAccounts(ReadParams()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("odoo: res.partner.search_read: AccessError: You are not allowed")));
}

TEST_P(OdooAdapterTest, AnExpiredKeySaysHowToMakeANewOneAndNeverShowsTheKey) {
  auto adapter = Adapter();
  ASSERT_THAT(adapter->Ping(), IsOk());
  odoo_.ExpireKey();
  absl::StatusOr<ChangeBatch<User>> users = adapter->ReadUsers(ReadParams());
  EXPECT_THAT(users, StatusIs(absl::StatusCode::kUnauthenticated,
                              AllOf(HasSubstr("expired"), HasSubstr("three months"), HasSubstr("New API Key"))));
  EXPECT_THAT(std::string(users.status().message()), Not(HasSubstr(odoo_.options().api_key)));
  // A fresh start (login again) says the same.
  auto restarted = Adapter();
  EXPECT_THAT(restarted->Ping(), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("New API Key")));
}

TEST_P(OdooAdapterTest, MissingSettingsAreRefusedByName) {
  OdooOptions o = Options();
  o.api_key = "";
  EXPECT_THAT(MakeOdooAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("API key")));
  o = Options();
  o.database = "";
  EXPECT_THAT(MakeOdooAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("database")));
  o.api = OdooApi::kJson2;
  o.username = "";
  EXPECT_THAT(MakeOdooAdapter(o), IsOk()) << "JSON-2 needs neither";
  o = Options();
  o.url = "erp.example.com";
  EXPECT_THAT(MakeOdooAdapter(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("https://")));
}

// ----- Writes -----------------------------------------------------------------

TaskRequest Task(const std::string& key, int64_t account, int64_t assignee) {
  TaskRequest t;
  t.key = key;
  t.account_id = absl::StrCat(account);
  t.assignee_id = absl::StrCat(assignee);
  t.due_at = absl::FromCivil(absl::CivilDay(2025, 11, 27), absl::UTCTimeZone());
  t.subject = "Call Acme: orders stopped";
  t.description = "Orders <stopped> & silence.\nPulse task key: " + key;
  return t;
}

TEST_P(OdooAdapterTest, WritesACallActivityOnThePartnerOnce) {
  auto adapter = Adapter();
  const std::string key = "pulse:" + S(seeded_.acme) + ":call_stopped:2025-W48";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult first, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_FALSE(first.already_existed);
  std::vector<Json> activities = odoo_.All("mail.activity");
  ASSERT_EQ(activities.size(), 1u);
  const Json& a = activities[0];
  EXPECT_EQ(first.crm_id, a["id"].dump());
  EXPECT_EQ(a["res_model"], "res.partner");
  EXPECT_EQ(a["res_id"], seeded_.acme);
  EXPECT_EQ(a["activity_type_id"], odoo_.Ref("mail.mail_activity_data_call"));
  EXPECT_EQ(a["user_id"], seeded_.alice);
  EXPECT_EQ(a["date_deadline"], "2025-11-27");
  EXPECT_EQ(a["summary"], "Call Acme: orders stopped");
  EXPECT_THAT(a["note"].get<std::string>(),
              AllOf(HasSubstr("Orders &lt;stopped&gt; &amp; silence.<br/>"), HasSubstr(key)));
  int external_ids = 0;
  for (const Json& d : odoo_.All("ir.model.data")) {
    if (d["module"] == "pulse" && d["res_id"] == a["id"] && d["model"] == "mail.activity") ++external_ids;
  }
  EXPECT_EQ(external_ids, 1) << "the key's external id points at the activity";
  // Again, from this adapter and from a restarted one: found, not created.
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult second, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_TRUE(second.already_existed);
  EXPECT_EQ(second.crm_id, first.crm_id);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult third, Adapter()->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_TRUE(third.already_existed);
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), 1);
  EXPECT_EQ(odoo_.All("mail.activity").size(), 1u);
}

TEST_P(OdooAdapterTest, WithoutTheRightToCreateExternalIdsTheNoteStillFindsTheTask) {
  auto adapter = Adapter();
  OdooFault fault;
  fault.kind = OdooFault::Kind::kAccessError;
  fault.model = "ir.model.data";
  fault.method = "create";
  odoo_.AddFault(fault);
  const std::string key = "pulse:acme:no_rights:2025-W48";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult first, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_FALSE(first.already_existed);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult again, Adapter()->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_TRUE(again.already_existed);
  EXPECT_EQ(again.crm_id, first.crm_id);
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), 1);
}

TEST_P(OdooAdapterTest, WithoutTheRightToReadExternalIdsTasksAreStillWrittenOnce) {
  auto adapter = Adapter();
  OdooFault fault;
  fault.kind = OdooFault::Kind::kAccessError;
  fault.model = "ir.model.data";
  fault.times = 1000;
  odoo_.AddFault(fault);
  const std::string key = "pulse:acme:no_read:2025-W48";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult first, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_FALSE(first.already_existed);
  std::vector<Json> activities = odoo_.All("mail.activity");
  ASSERT_EQ(activities.size(), 1u);
  EXPECT_EQ(activities[0]["activity_type_id"], odoo_.Ref("mail.mail_activity_data_call")) << "found by its name";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult again, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_TRUE(again.already_existed);
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), 1);
}

TEST_P(OdooAdapterTest, ADoneTaskIsNotWrittenAgain) {
  auto adapter = Adapter();
  const std::string key = "pulse:acme:call_stopped:2025-W48";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult first, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  int64_t id = 0;
  ASSERT_TRUE(absl::SimpleAtoi(first.crm_id, &id));
  odoo_.MarkActivityDone(id);  // Odoo <= 17: the activity and its external id go
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult again, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_TRUE(again.already_existed);
  EXPECT_THAT(again.crm_id, HasSubstr("mail.message:"));
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), 1);
}

TEST_P(OdooAdapterTest, ACreateWhoseAnswerWasLostIsFoundNotRepeated) {
  OdooOptions o = Options();
  o.http.timeout = absl::Milliseconds(600);
  auto adapter = Adapter(o);
  ASSERT_THAT(adapter->Ping(), IsOk());
  OdooFault stall;
  stall.kind = OdooFault::Kind::kStallAfterWork;
  stall.model = "mail.activity";
  stall.method = "create";
  stall.stall_ms = 1500;
  odoo_.AddFault(stall);
  const std::string key = "pulse:acme:lost:2025-W48";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult result, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_FALSE(result.already_existed);
  EXPECT_FALSE(result.crm_id.empty());
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), 1);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult again, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_TRUE(again.already_existed);
  EXPECT_EQ(odoo_.All("mail.activity").size(), 1u);
}

TEST_P(OdooAdapterTest, ACreateThatFailedIsLookedUpThenCreatedByTheNextCall) {
  auto adapter = Adapter();
  OdooFault fault;
  fault.model = "mail.activity";
  fault.method = "create";
  fault.status = 502;  // may have been written: not retried blindly
  odoo_.AddFault(fault);
  const std::string key = "pulse:acme:failed:2025-W48";
  EXPECT_THAT(adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("looks the key up again")));
  EXPECT_EQ(odoo_.Calls("mail.activity", "create"), 1);
  PULSE_ASSERT_OK_AND_ASSIGN(TaskWriteResult result, adapter->WriteTask(Task(key, seeded_.acme, seeded_.alice)));
  EXPECT_FALSE(result.already_existed);
  EXPECT_EQ(odoo_.All("mail.activity").size(), 1u);
}

TEST_P(OdooAdapterTest, ATaskForSomethingThatIsNotAPartnerIdIsInvalid) {
  auto adapter = Adapter();
  TaskRequest t = Task("k", seeded_.acme, seeded_.alice);
  t.account_id = "ACC-1";
  EXPECT_THAT(adapter->WriteTask(t), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ACC-1")));
}

OwnerChangeRequest Handoff(const std::string& key, int64_t account, const std::string& from, const std::string& to) {
  OwnerChangeRequest c;
  c.key = key;
  c.account_id = absl::StrCat(account);
  c.from_owner_id = from;
  c.to_owner_id = to;
  return c;
}

TEST_P(OdooAdapterTest, ChangesTheSalespersonOnceAndRefusesWhenItChangedMeanwhile) {
  auto adapter = Adapter();
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult first,
                             adapter->ChangeOwner(Handoff("h1", seeded_.acme, S(seeded_.alice), S(seeded_.bob))));
  EXPECT_FALSE(first.already_applied);
  EXPECT_EQ(odoo_.Get("res.partner", seeded_.acme)["user_id"], seeded_.bob);
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult again,
                             adapter->ChangeOwner(Handoff("h1", seeded_.acme, S(seeded_.alice), S(seeded_.bob))));
  EXPECT_TRUE(again.already_applied);
  EXPECT_EQ(odoo_.Calls("res.partner", "write"), 1);
  EXPECT_THAT(adapter->ChangeOwner(Handoff("h2", seeded_.globex, S(seeded_.alice), S(seeded_.bob))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("changed hands")));
  PULSE_ASSERT_OK_AND_ASSIGN(OwnerChangeResult from_none,
                             adapter->ChangeOwner(Handoff("h3", seeded_.globex, "", S(seeded_.alice))));
  EXPECT_FALSE(from_none.already_applied);
  EXPECT_THAT(adapter->ChangeOwner(Handoff("h4", 999999, "", S(seeded_.alice))),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pulse
