// The account view on a hand-built store and assessment: every figure is
// checked against a value worked out by hand from the records below.
#include "sidecar/report/account_view.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/report/account_html.h"
#include "sidecar/store/store.h"
#include "tests/sidecar/store/sample_records.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::pulse::testing::Upserts;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Time T(int y, int m, int d, int h = 12) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), absl::UTCTimeZone());
}

class AccountViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PULSE_ASSERT_OK_AND_ASSIGN(store_, Store::Open(StoreOptions{":memory:"}));
    ASSERT_THAT(store_->Apply(Upserts(std::vector<User>{{"u1", "Ann Seller", "ann@x", true, std::nullopt},
                                                         {"u2", "Bob Seller", "bob@x", false, std::nullopt}})),
                IsOk());
    Account acme;
    acme.id = "a1";
    acme.name = "Acme";
    acme.owner_id = "u2";
    acme.industry = "Bakery";
    acme.country = "FI";
    Account other = acme;
    other.id = "a2";
    ASSERT_THAT(store_->Apply(Upserts(std::vector<Account>{acme, other})), IsOk());

    auto order = [](const char* id, const char* account, absl::Time at, double amount) {
      Order o;
      o.id = id;
      o.account_id = account;
      o.ordered_at = at;
      o.amount = amount;
      o.currency = "EUR";
      return o;
    };
    ASSERT_THAT(store_->Apply(Upserts(std::vector<Order>{
                    order("o1", "a1", T(2026, 1, 10), 100), order("o2", "a1", T(2026, 1, 20), 50),
                    order("o3", "a1", T(2026, 3, 5), 200), order("o4", "a1", T(2026, 3, 6), -30),
                    order("o5", "a1", T(2024, 6, 30), 999),  // before the 24 months
                    order("o6", "a1", T(2026, 7, 2), 500),   // after the as-of
                    order("x1", "a2", T(2026, 1, 10), 7777)})),
                IsOk());

    auto make_case = [](const char* id, absl::Time opened, std::optional<absl::Time> response,
                        std::optional<absl::Time> closed, const char* status) {
      Case c;
      c.id = id;
      c.account_id = "a1";
      c.opened_at = opened;
      c.first_response_at = response;
      c.closed_at = closed;
      c.status = status;
      c.subject = std::string("case ") + id;
      return c;
    };
    ASSERT_THAT(store_->Apply(Upserts(std::vector<Case>{
                    make_case("c1", T(2026, 6, 1, 9), T(2026, 6, 1, 15), T(2026, 6, 3), "closed"),  // 6 h
                    make_case("c2", T(2026, 6, 20, 8), std::nullopt, std::nullopt, "open"),        // none yet
                    make_case("c3", T(2026, 2, 1, 8), T(2026, 2, 2, 8), T(2026, 2, 5), "closed"),   // 24 h
                    make_case("c4", T(2024, 1, 1), T(2024, 1, 2), T(2024, 1, 5), "closed")})),      // old
                IsOk());

    auto activity = [](const char* id, absl::Time at, ActivityType type, Direction dir, const char* user) {
      Activity a;
      a.id = id;
      a.account_id = "a1";
      a.occurred_at = at;
      a.type = type;
      a.direction = dir;
      a.user_id = user;
      a.subject = std::string("about ") + id;
      return a;
    };
    ASSERT_THAT(store_->Apply(Upserts(std::vector<Activity>{
                    activity("act1", T(2026, 6, 10), ActivityType::kCall, Direction::kOutbound, "u1"),
                    activity("act2", T(2026, 5, 1), ActivityType::kEmail, Direction::kOutbound, "u2"),
                    activity("act3", T(2026, 4, 1), ActivityType::kMeeting, Direction::kUnknown, "u1"),
                    activity("act4", T(2026, 3, 1), ActivityType::kNote, Direction::kUnknown, "u9"),
                    activity("act5", T(2024, 3, 1), ActivityType::kCall, Direction::kOutbound, "u1")})),
                IsOk());

    Contact carla;
    carla.id = "k1";
    carla.account_id = "a1";
    carla.name = "Carla";
    carla.role = "Buyer";
    Contact dan = carla;
    dan.id = "k2";
    dan.name = "Dan";
    dan.active = false;
    dan.updated_at = T(2026, 5, 15);
    ASSERT_THAT(store_->Apply(Upserts(std::vector<Contact>{dan, carla})), IsOk());
    ASSERT_THAT(store_->Apply(Upserts(std::vector<Feedback>{
                    {"a1|1", "a1", T(2026, 5, 5), 3, FeedbackScale::kNps, "too slow"},
                    {"a1|2", "a1", T(2026, 6, 5), 4, FeedbackScale::kCsat, "better"}})),
                IsOk());

    // Owner u1, then (contacts changed) u1 again, then u2.
    ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u1", {}, T(2026, 1, 1)}}), IsOk());
    ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u1", {"k1"}, T(2026, 2, 1)}}), IsOk());
    ASSERT_THAT(store_->RecordAccountSnapshots({{"a1", "u2", {"k1"}, T(2026, 4, 1)}}), IsOk());

    ScoreRecord s1;
    s1.account_id = "a1";
    s1.as_of = T(2026, 5, 1);
    s1.sweep_id = 1;
    s1.churn_probability = 0.2;
    s1.value_at_risk = 200;
    s1.tier = Tier::kMid;
    ScoreRecord s2 = s1;
    s2.as_of = T(2026, 6, 30);
    s2.sweep_id = 2;
    s2.churn_probability = 0.45;
    ASSERT_THAT(store_->RecordScores({s1}, ScoreHistoryRule()), IsOk());
    ASSERT_THAT(store_->RecordScores({s2}, ScoreHistoryRule()), IsOk());

    TaskRecord task;
    task.request.key = "pulse:a1:check_in:2026-W19";
    task.request.account_id = "a1";
    task.request.assignee_id = "u1";
    task.request.due_at = T(2026, 5, 6, 9);
    task.request.created_at = T(2026, 5, 4);
    task.request.subject = "Call Acme";
    task.action = "check_in";
    task.sweep_id = 1;
    ASSERT_THAT(store_->AddTasks({task}), IsOk());
    ASSERT_THAT(store_->MarkTaskDelivered(task.request.key, "crm-1", T(2026, 5, 4, 13)), IsOk());
    ContactDecision treated;
    treated.key = task.request.key;
    treated.account_id = "a1";
    treated.action = "check_in";
    treated.decided_at = T(2026, 5, 4);
    treated.churn_probability = 0.2;
    ContactDecision held = treated;
    held.key = "pulse:a1:feedback_request:2026-W26";  // an action this build does not know
    held.action = "feedback_request";
    held.holdout = true;
    held.decided_at = T(2026, 6, 22);
    ASSERT_THAT(store_->AddContactDecisions({treated, held}), IsOk());

    portfolio_.as_of = kAsOf;
    portfolio_.users["u1"] = {"u1", "Ann Seller", "ann@x", true, std::nullopt};
    portfolio_.users["u2"] = {"u2", "Bob Seller", "bob@x", false, std::nullopt};
    AccountAssessment a;
    a.account_id = "a1";
    a.name = "Acme";
    a.country = "FI";
    a.tier = Tier::kMid;
    a.owner_id = "u2";
    a.owner_active = false;
    a.annual_value = 1000;
    a.churn_probability = 0.45;
    a.value_at_risk = 450;
    a.cadence_model = "own-cadence";
    a.signals = {{"volume_falling", 0.6, "revenue down 60 % against last year"},
                 {"owner_inactive", 0.5, "owner Bob Seller is inactive"}};
    a.contributions = {{"days_since_last_order", 0.8}};
    a.action = ActionKind::kCheckIn;
    a.action_reason = "owner gone and volume falling";
    a.orders_total = 5;
    a.first_order_day = absl::CivilDay(2024, 6, 30);
    a.last_order_day = absl::CivilDay(2026, 3, 6);
    a.typical_gap_days = 30;
    a.mean_gap_days = 41.5;
    a.last_two_way_contact_day = absl::CivilDay(2026, 6, 10);
    portfolio_.accounts.push_back(a);
    portfolio_.index["a1"] = 0;

    params_.sweep_id = 2;
    params_.as_of = kAsOf;
    params_.queue_rank = 3;
  }

  const absl::Time kAsOf = T(2026, 6, 30, 23);
  std::unique_ptr<Store> store_;
  Portfolio portfolio_;
  AccountViewParams params_;
};

TEST_F(AccountViewTest, FiguresMatchTheRecordsWorkedOutByHand) {
  pulse::v1::AccountView v;
  ASSERT_THAT(BuildAccountView(*store_, portfolio_, "a1", params_, &v), IsOk());
  EXPECT_EQ(v.sweep_id(), 2);
  EXPECT_EQ(v.as_of(), "2026-06-30");
  EXPECT_EQ(v.currency(), "EUR");
  EXPECT_EQ(v.name(), "Acme");
  EXPECT_EQ(v.tier(), pulse::v1::TIER_MID);
  EXPECT_EQ(v.owner_name(), "Bob Seller");
  EXPECT_FALSE(v.owner_active());
  EXPECT_EQ(v.industry(), "Bakery");
  EXPECT_EQ(v.recommended_action(), "check_in");
  EXPECT_EQ(v.queue_rank(), 3);
  EXPECT_DOUBLE_EQ(v.value_at_risk(), 450);

  // Owner history: u1 from the first snapshot (the contacts-only change is not a new owner), then u2.
  ASSERT_EQ(v.owner_history_size(), 2);
  EXPECT_EQ(v.owner_history(0).owner_id(), "u1");
  EXPECT_EQ(v.owner_history(0).owner_name(), "Ann Seller");
  EXPECT_TRUE(v.owner_history(0).owner_active());
  EXPECT_EQ(v.owner_history(0).since_date(), "2026-01-01");
  EXPECT_EQ(v.owner_history(1).owner_id(), "u2");
  EXPECT_FALSE(v.owner_history(1).owner_active());
  EXPECT_EQ(v.owner_history(1).since_date(), "2026-04-01");

  // 24 months 2024-07 .. 2026-06; January 2 orders 150, March 200 - 30; nothing of a2, nothing after the as-of.
  ASSERT_EQ(v.order_months_size(), 24);
  EXPECT_EQ(v.order_months(0).month(), "2024-07");
  EXPECT_EQ(v.order_months(23).month(), "2026-06");
  double sum = 0;
  for (const auto& m : v.order_months()) sum += m.amount();
  EXPECT_DOUBLE_EQ(sum, 320);
  EXPECT_EQ(v.order_months(18).month(), "2026-01");
  EXPECT_EQ(v.order_months(18).orders(), 2);
  EXPECT_DOUBLE_EQ(v.order_months(18).amount(), 150);
  EXPECT_EQ(v.order_months(20).month(), "2026-03");
  EXPECT_EQ(v.order_months(20).orders(), 2);
  EXPECT_DOUBLE_EQ(v.order_months(20).amount(), 170);
  EXPECT_EQ(v.last_order_date(), "2026-03-06");
  EXPECT_EQ(v.days_since_last_order(), 116);  // 2026-03-06 .. 2026-06-30
  EXPECT_DOUBLE_EQ(v.typical_gap_days(), 30);
  EXPECT_EQ(v.volume_trend(), "revenue down 60 % against last year");

  // Cases: c2 (open, newest), c1, c3; c4 is older than the window and closed. SLA for mid: 8 h.
  EXPECT_DOUBLE_EQ(v.sla_hours(), 8);
  ASSERT_EQ(v.cases_size(), 3);
  EXPECT_EQ(v.cases_total(), 3);
  EXPECT_EQ(v.open_cases(), 1);
  EXPECT_EQ(v.cases(0).case_id(), "c2");
  EXPECT_TRUE(v.cases(0).open());
  EXPECT_FALSE(v.cases(0).responded());
  EXPECT_TRUE(v.cases(0).over_sla()) << "open 10 days without an answer";
  EXPECT_EQ(v.cases(1).case_id(), "c1");
  EXPECT_DOUBLE_EQ(v.cases(1).first_response_hours(), 6);
  EXPECT_FALSE(v.cases(1).over_sla());
  EXPECT_EQ(v.cases(1).closed_date(), "2026-06-03");
  EXPECT_DOUBLE_EQ(v.cases(2).first_response_hours(), 24);
  EXPECT_TRUE(v.cases(2).over_sla());
  EXPECT_DOUBLE_EQ(v.median_first_response_hours(), 15);  // of 6 and 24

  // Contacts made: four in the window, newest first; u1 made two, u2 one, the unknown u9 one.
  EXPECT_EQ(v.activities_total(), 4);
  ASSERT_EQ(v.activities_size(), 4);
  EXPECT_EQ(v.activities(0).activity_id(), "act1");
  EXPECT_EQ(v.activities(0).user_name(), "Ann Seller");
  EXPECT_EQ(v.activities(0).type(), "call");
  EXPECT_EQ(v.activities(0).direction(), "outbound");
  EXPECT_EQ(v.activities(3).user_id(), "u9");
  EXPECT_EQ(v.activities(3).user_name(), "");
  ASSERT_EQ(v.contacts_by_user_size(), 3);
  EXPECT_EQ(v.contacts_by_user(0).user_id(), "u1");
  EXPECT_EQ(v.contacts_by_user(0).activities(), 2);
  EXPECT_EQ(v.contacts_by_user(0).two_way(), 2);  // a call and a meeting
  EXPECT_EQ(v.contacts_by_user(0).last_date(), "2026-06-10");
  EXPECT_EQ(v.contacts_by_user(1).user_id(), "u2");
  EXPECT_EQ(v.contacts_by_user(1).two_way(), 0);  // an outbound email
  EXPECT_EQ(v.last_two_way_contact_date(), "2026-06-10");

  // Contact persons: active first.
  ASSERT_EQ(v.contacts_size(), 2);
  EXPECT_EQ(v.contacts(0).name(), "Carla");
  EXPECT_TRUE(v.contacts(0).active());
  EXPECT_EQ(v.contacts(1).name(), "Dan");
  EXPECT_FALSE(v.contacts(1).active());
  EXPECT_EQ(v.contacts(1).updated_date(), "2026-05-15");
  ASSERT_EQ(v.feedback_size(), 2);
  EXPECT_EQ(v.feedback(0).scale(), "csat");
  EXPECT_EQ(v.feedback(1).comment(), "too slow");

  ASSERT_EQ(v.signals_size(), 2);
  ASSERT_EQ(v.contributions_size(), 1);
  ASSERT_EQ(v.score_history_size(), 2);
  EXPECT_EQ(v.score_history(0).date(), "2026-05-01");
  EXPECT_DOUBLE_EQ(v.score_history(1).churn_probability(), 0.45);
  EXPECT_EQ(v.score_history(1).tier(), pulse::v1::TIER_MID);

  ASSERT_EQ(v.tasks_size(), 1);
  EXPECT_EQ(v.tasks(0).status(), "delivered");
  EXPECT_EQ(v.tasks(0).delivered_date(), "2026-05-04");
  EXPECT_EQ(v.tasks(0).assignee_name(), "Ann Seller");
  ASSERT_EQ(v.decisions_size(), 2);
  EXPECT_EQ(v.decisions(0).action(), "feedback_request");  // newest first, action as given
  EXPECT_TRUE(v.decisions(0).holdout());
  EXPECT_EQ(v.decisions(0).task_status(), "");
  EXPECT_EQ(v.decisions(1).task_status(), "delivered");
}

TEST_F(AccountViewTest, ListsAreLimitedAndSaySo) {
  params_.list_limit = 2;
  pulse::v1::AccountView v;
  ASSERT_THAT(BuildAccountView(*store_, portfolio_, "a1", params_, &v), IsOk());
  EXPECT_EQ(v.activities_size(), 2);
  EXPECT_EQ(v.activities_total(), 4);
  EXPECT_EQ(v.contacts_by_user_size(), 3) << "who made contacts counts every activity in the window";
  EXPECT_EQ(v.cases_size(), 2);
  EXPECT_EQ(v.cases_total(), 3);
  EXPECT_DOUBLE_EQ(v.median_first_response_hours(), 15) << "over every case in the window, not just the listed";
  EXPECT_THAT(RenderAccountHtml(v), HasSubstr("Showing the newest 2 of 4 activities."));
}

TEST_F(AccountViewTest, UnknownAndMalformedIds) {
  pulse::v1::AccountView v;
  EXPECT_THAT(BuildAccountView(*store_, portfolio_, "a2", params_, &v), StatusIs(absl::StatusCode::kNotFound))
      << "in the store, but not scored by the sweep";
  EXPECT_THAT(BuildAccountView(*store_, portfolio_, "", params_, &v),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("account_id")));
  EXPECT_THAT(ValidateAccountId(std::string(257, 'a')), StatusIs(absl::StatusCode::kInvalidArgument,
                                                                  HasSubstr("account_id is longer than 256")));
  EXPECT_THAT(ValidateAccountId(std::string("a\nb")), StatusIs(absl::StatusCode::kInvalidArgument,
                                                              HasSubstr("control character 0x0a")));
  EXPECT_THAT(ValidateAccountId(std::string("a\0b", 3)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateAccountId("\xff"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(ValidateAccountId("\xc3"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(ValidateAccountId("Kahvila Ä/ö 42"), IsOk());
  EXPECT_THAT(ValidateAccountId(std::string(256, 'a')), IsOk());
}

TEST_F(AccountViewTest, PageEscapesEveryCrmStringAndCarriesTheFiguresOnItsMarks) {
  portfolio_.accounts[0].name = "<script>alert('x')</script>";
  pulse::v1::AccountView v;
  ASSERT_THAT(BuildAccountView(*store_, portfolio_, "a1", params_, &v), IsOk());
  v.mutable_cases(0)->set_subject("\"><img src=x onerror=alert(1)>");
  const std::string page = RenderAccountHtml(v);
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(page, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                              "style-src 'unsafe-inline'\">"));
  // Self-contained: the only URL is the SVG namespace.
  for (const char* external : {"src=\"", "href=", "url(", "@import", "<link", "<script"}) {
    EXPECT_THAT(page, Not(HasSubstr(external))) << external;
  }
  EXPECT_THAT(page, HasSubstr("data-metric=\"amount\" data-month=\"2026-01\" data-value=\"150\""));
  EXPECT_THAT(page, HasSubstr("data-metric=\"amount\" data-month=\"2026-03\" data-value=\"170\""));
  EXPECT_THAT(page, HasSubstr("data-metric=\"churn_probability\" data-date=\"2026-06-30\" data-value=\"0.45000000000000001\""));
  EXPECT_THAT(page, HasSubstr("<svg id=\"chart-orders\""));
  EXPECT_THAT(page, HasSubstr("<svg id=\"chart-churn\""));
  EXPECT_THAT(page, HasSubstr("feedback request")) << "an action this build does not know, shown by its id";
  EXPECT_THAT(page, HasSubstr("holdout"));
  EXPECT_THAT(page, HasSubstr("6.0 h"));
  EXPECT_THAT(page, HasSubstr("(over SLA)"));
  EXPECT_EQ(page, RenderAccountHtml(v)) << "deterministic";
}

}  // namespace
}  // namespace pulse
