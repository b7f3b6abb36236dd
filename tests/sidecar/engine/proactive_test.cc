// The planner's proactive pass: feedback requests and recognition, planned
// only in the capacity the risk items leave. Portfolios are built by hand so
// each eligibility rule is tested on its own.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/engine/planner.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::Day;
using ::testing::HasSubstr;

constexpr char kNow[] = "2025-11-25";  // a Tuesday

class Book {
 public:
  Book() { portfolio_.as_of = Day(kNow); }

  Book& User(const std::string& id, int capacity, bool active = true) {
    pulse::User u;
    u.id = id;
    u.active = active;
    u.weekly_capacity = capacity;
    portfolio_.users[id] = u;
    return *this;
  }

  // A steady, low-risk account: customer since `first`, ordering every 30
  // days, last order a week ago, no risk action.
  AccountAssessment& Steady(const std::string& id, const std::string& owner, Tier tier, double value,
                            absl::CivilDay first = absl::CivilDay(2019, 1, 10)) {
    AccountAssessment a;
    a.account_id = id;
    a.name = absl::StrCat("Account ", id);
    a.tier = tier;
    a.owner_id = owner;
    a.owner_active = portfolio_.users.contains(owner) && portfolio_.users[owner].active;
    a.annual_value = value;
    a.churn_probability = 0.05;
    a.orders_total = 40;
    a.first_order_day = first;
    a.last_order_day = absl::CivilDay(2025, 11, 18);
    a.typical_gap_days = 30;
    a.mean_gap_days = 30;
    portfolio_.index[id] = portfolio_.accounts.size();
    portfolio_.accounts.push_back(std::move(a));
    return portfolio_.accounts.back();
  }

  // An account that stopped ordering: a win-back.
  AccountAssessment& AtRisk(const std::string& id, const std::string& owner, double value) {
    AccountAssessment& a = Steady(id, owner, Tier::kMid, value);
    a.churn_probability = 0.9;
    a.action = ActionKind::kWinBack;
    a.signals.push_back({kSignalStoppedOrdering, 1.0, "no order for 90 days"});
    return a;
  }

  // `n` opted-out tail accounts: they make the tail larger, so the weekly
  // sample (a quarter of the month's) is not what limits a test.
  Book& OptedOutTail(int n) {
    for (int i = 0; i < n; ++i) Steady(absl::StrCat("zz-optout-", i), "", Tier::kTail, 1).do_not_contact = true;
    return *this;
  }

  Portfolio& portfolio() { return portfolio_; }

 private:
  Portfolio portfolio_;
};

// Feedback only, or recognition only, with the whole capacity open to them.
EngineConfig FeedbackOnly(double tail_share) {
  EngineConfig c;
  c.recognition.enabled = false;
  c.feedback.monthly_share = {{"mid", 0.0}, {"tail", tail_share}};
  c.contact.proactive_capacity_share = 1.0;
  return c;
}

EngineConfig RecognitionOnly() {
  EngineConfig c;
  c.feedback.enabled = false;
  c.contact.proactive_capacity_share = 1.0;
  return c;
}

ContactPlan Plan(Book& book, const EngineConfig& config, std::vector<LedgerTask> ledger = {}) {
  PlanParams pp;
  pp.now = Day(kNow);
  pp.recent_tasks = std::move(ledger);
  return PlanContacts(book.portfolio(), config, pp);
}

std::vector<std::string> AccountsWith(const Book& book, const ContactPlan& plan, ActionKind action) {
  std::vector<std::string> out;
  for (const QueueItem& q : plan.queue) {
    if (q.action == action && q.status == PlanStatus::kTaskPlanned) {
      out.push_back(const_cast<Book&>(book).portfolio().accounts[q.account].account_id);
    }
  }
  return out;
}

LedgerTask Task(const std::string& account, const std::string& assignee, const std::string& action, const char* day) {
  LedgerTask t;
  t.key = absl::StrCat("pulse:", account, ":", action);
  t.account_id = account;
  t.assignee_id = assignee;
  t.action = action;
  t.created_at = Day(day);
  return t;
}

TEST(FeedbackRequests, NeverAskedTailIsSampledPerMonthAndWeek) {
  Book book;
  book.User("u1", 100);
  for (int i = 0; i < 40; ++i) book.Steady(absl::StrCat("t", i), "u1", Tier::kTail, 1000 + i);
  // 25 % of 40 tail accounts a month = 10; a week at most a quarter: 3.
  ContactPlan plan = Plan(book, FeedbackOnly(0.25));
  const std::vector<std::string> asked = AccountsWith(book, plan, ActionKind::kFeedbackRequest);
  EXPECT_THAT(asked, ::testing::ElementsAre("t39", "t38", "t37"));  // most valuable first
  EXPECT_EQ(plan.planned, 3);
  for (const QueueItem& q : plan.queue) {
    EXPECT_TRUE(q.proactive);
    EXPECT_EQ(q.task_type, TaskType::kEmailDraft);
    EXPECT_EQ(q.assignee_id, "u1");
    EXPECT_EQ(q.status_detail, "not a risk task: never asked for feedback");
    EXPECT_THAT(q.description, HasSubstr("not a risk task"));
    EXPECT_THAT(q.description, HasSubstr("recommend us (0-10)"));
    EXPECT_THAT(q.task_key, HasSubstr(":feedback_request:2025-W48"));
  }

  // Pulse asked 8 earlier this month (none this week): 2 are left this month.
  std::vector<LedgerTask> ledger;
  for (int i = 0; i < 8; ++i) ledger.push_back(Task(absl::StrCat("t", i), "u1", "feedback_request", "2025-11-05"));
  EXPECT_EQ(AccountsWith(book, Plan(book, FeedbackOnly(0.25), ledger), ActionKind::kFeedbackRequest).size(), 2u);
  // Two asked this week already (Monday): one more this week.
  ledger = {Task("t0", "u1", "feedback_request", "2025-11-24"), Task("t1", "u1", "feedback_request", "2025-11-24")};
  EXPECT_EQ(AccountsWith(book, Plan(book, FeedbackOnly(0.25), ledger), ActionKind::kFeedbackRequest).size(), 1u);
  // Last month's requests do not count against this month.
  ledger.clear();
  for (int i = 0; i < 10; ++i) ledger.push_back(Task(absl::StrCat("t", i), "u1", "feedback_request", "2025-10-20"));
  EXPECT_EQ(AccountsWith(book, Plan(book, FeedbackOnly(0.25), ledger), ActionKind::kFeedbackRequest).size(), 3u);
  // A share of 0 asks no one.
  EXPECT_TRUE(AccountsWith(book, Plan(book, FeedbackOnly(0)), ActionKind::kFeedbackRequest).empty());
}

TEST(FeedbackRequests, NotTheAskedTheAnsweredTheOptedOutOrTheRecentlyContacted) {
  Book book;
  book.User("u1", 100);
  book.Steady("asked", "u1", Tier::kTail, 900);
  book.Steady("answered", "u1", Tier::kTail, 800).last_feedback_day = absl::CivilDay(2025, 3, 1);
  book.Steady("optout", "u1", Tier::kTail, 700).do_not_contact = true;
  book.Steady("contacted", "u1", Tier::kTail, 600);
  book.Steady("no-orders", "u1", Tier::kTail, 0).orders_total = 0;
  book.Steady("key", "u1", Tier::kKey, 99000);  // asked before the health check instead
  book.Steady("long-ago", "u1", Tier::kTail, 500).last_feedback_day = absl::CivilDay(2024, 6, 1);
  book.Steady("never", "u1", Tier::kTail, 100);
  book.OptedOutTail(40);
  const std::vector<LedgerTask> ledger = {Task("asked", "u1", "feedback_request", "2025-02-01"),
                                          Task("contacted", "u1", "check_in", "2025-11-17")};
  ContactPlan plan = Plan(book, FeedbackOnly(1.0), ledger);
  EXPECT_THAT(AccountsWith(book, plan, ActionKind::kFeedbackRequest), ::testing::ElementsAre("long-ago", "never"));
  EXPECT_EQ(plan.queue[0].status_detail, "not a risk task: not asked for feedback since 2024-06-01");
  // A request older than the interval no longer blocks.
  EngineConfig shorter = FeedbackOnly(1.0);
  shorter.feedback.ask_interval_days = 200;
  EXPECT_THAT(AccountsWith(book, Plan(book, shorter, ledger), ActionKind::kFeedbackRequest),
              ::testing::ElementsAre("asked", "answered", "long-ago", "never"));
}

TEST(FeedbackRequests, DisagreeingSignalsFirstThenWeakeningOrdersThenValue) {
  Book book;
  book.User("u1", 100);
  book.Steady("rich", "u1", Tier::kTail, 9000);
  AccountAssessment& weakening = book.Steady("weakening", "u1", Tier::kTail, 500);
  weakening.churn_probability = 0.3;
  weakening.signals.push_back({kSignalVolumeFalling, 0.5, "volume down 40 %"});
  AccountAssessment& disagree = book.Steady("disagree", "u1", Tier::kTail, 100);
  disagree.signals.push_back({kSignalPriceTalk, 0.6, "3 mentions of price"});
  disagree.action = ActionKind::kCheckIn;  // below the risk threshold: no risk item
  disagree.churn_probability = 0.1;
  book.OptedOutTail(40);
  ContactPlan plan = Plan(book, FeedbackOnly(1.0));
  ASSERT_THAT(AccountsWith(book, plan, ActionKind::kFeedbackRequest),
              ::testing::ElementsAre("disagree", "weakening", "rich"));
  EXPECT_THAT(plan.queue[0].status_detail, HasSubstr("orders look fine but the relationship does not (price_talk)"));
  EXPECT_THAT(plan.queue[1].status_detail, HasSubstr("orders are weakening, churn risk 30 %"));
}

TEST(FeedbackRequests, UnownedAccountsGoToThePoolByLoad) {
  Book book;
  book.User("cs-1", 10).User("cs-2", 10).User("gone", 10, /*active=*/false);
  for (int i = 0; i < 4; ++i) book.Steady(absl::StrCat("t", i), i == 0 ? "gone" : "", Tier::kTail, 100 + i);
  book.OptedOutTail(40);
  EngineConfig config = FeedbackOnly(1.0);
  config.contact.pool_user_ids = {"cs-1", "cs-2"};
  ContactPlan plan = Plan(book, config);
  ASSERT_EQ(plan.planned, 4);
  std::map<std::string, int> per_user;
  for (const QueueItem& q : plan.queue) {
    EXPECT_TRUE(q.pool);
    ++per_user[q.assignee_id];
  }
  EXPECT_EQ(per_user["cs-1"], 2);
  EXPECT_EQ(per_user["cs-2"], 2);
}

TEST(Recognition, LoyalQuietValuableAccountsFromTheirOwnerCappedPerWeek) {
  Book book;
  book.User("u1", 100).User("u2", 100);
  for (int i = 0; i < 4; ++i) book.Steady(absl::StrCat("k", i), "u1", Tier::kKey, 50000 + i);
  book.Steady("m", "u2", Tier::kMid, 20000).last_proactive_contact_day = absl::CivilDay(2025, 1, 15);
  ContactPlan plan = Plan(book, RecognitionOnly());
  // Two per owner per week, most valuable first.
  EXPECT_THAT(AccountsWith(book, plan, ActionKind::kRecognition), ::testing::ElementsAre("k3", "k2", "m"));
  for (const QueueItem& q : plan.queue) {
    EXPECT_TRUE(q.proactive);
    EXPECT_EQ(q.task_type, TaskType::kCall);
    EXPECT_THAT(q.status_detail, HasSubstr("not a risk task: loyal customer: 6 years since the first order"));
    EXPECT_THAT(q.description, HasSubstr("Not a risk task: call to thank them"));
  }
  EXPECT_THAT(plan.queue[2].status_detail, HasSubstr("no call or meeting from us since 2025-01-15"));
  EXPECT_THAT(plan.queue[0].status_detail, HasSubstr("no call or meeting from us on record"));
  // One recognition earlier this week leaves one for u1.
  EXPECT_THAT(AccountsWith(book, Plan(book, RecognitionOnly(), {Task("k3", "u1", "recognition", "2025-11-24")}),
                           ActionKind::kRecognition),
              ::testing::ElementsAre("k2", "m"));
}

TEST(Recognition, NotForTheYoungTheCalledTheRiskyTheFallingTheTailOrTheUnowned) {
  Book book;
  book.User("u1", 100);
  book.Steady("young", "u1", Tier::kKey, 9000, absl::CivilDay(2024, 6, 1));
  book.Steady("two-years", "u1", Tier::kMid, 60, absl::CivilDay(2023, 11, 20));
  book.Steady("called", "u1", Tier::kKey, 9000).last_proactive_contact_day = absl::CivilDay(2025, 10, 1);
  // The customer's own emails and calls are not contact from us.
  AccountAssessment& emails = book.Steady("emails-us", "u1", Tier::kMid, 50);
  emails.last_two_way_contact_day = absl::CivilDay(2025, 11, 20);
  emails.last_proactive_contact_day = absl::CivilDay(2025, 3, 1);
  book.Steady("risky", "u1", Tier::kKey, 9000).churn_probability = 0.3;
  book.Steady("falling", "u1", Tier::kKey, 9000).signals.push_back({kSignalVolumeFalling, 0.5, "down"});
  book.Steady("irregular", "u1", Tier::kKey, 9000).typical_gap_days = 0;
  book.Steady("tail", "u1", Tier::kTail, 9000);
  book.Steady("unowned", "", Tier::kMid, 9000);
  book.Steady("optout", "u1", Tier::kMid, 9000).do_not_contact = true;
  book.Steady("thanked", "u1", Tier::kMid, 9000);
  book.Steady("loyal", "u1", Tier::kMid, 100);
  EngineConfig config = RecognitionOnly();
  config.recognition.max_per_owner_per_week = 10;
  ContactPlan plan = Plan(book, config, {Task("thanked", "u1", "recognition", "2025-03-01")});
  EXPECT_THAT(AccountsWith(book, plan, ActionKind::kRecognition), ::testing::ElementsAre("loyal", "two-years", "emails-us"));
}

TEST(ProactivePass, NeverDisplacesARiskTaskAndSkipsAccountsWithOne) {
  Book book;
  book.User("u1", 3);
  for (int i = 0; i < 3; ++i) book.AtRisk(absl::StrCat("r", i), "u1", 1000);
  book.Steady("loyal", "u1", Tier::kKey, 90000);
  book.Steady("tail", "u1", Tier::kTail, 500);
  EngineConfig config;
  config.contact.proactive_capacity_share = 1.0;
  config.feedback.monthly_share = {{"mid", 1.0}, {"tail", 1.0}};
  // Capacity 3, three risk items: nothing is left for proactive work.
  ContactPlan plan = Plan(book, config);
  EXPECT_EQ(plan.planned, 3);
  for (const QueueItem& q : plan.queue) EXPECT_EQ(q.action, ActionKind::kWinBack);

  // Capacity 6: the risk items first, then the recognition and the request;
  // the at-risk mid accounts, though never asked, get no survey on top.
  book.User("u1", 6);
  plan = Plan(book, config);
  ASSERT_EQ(plan.queue.size(), 5u);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(plan.queue[i].proactive);
  EXPECT_EQ(plan.queue[3].action, ActionKind::kRecognition);
  EXPECT_EQ(plan.queue[4].action, ActionKind::kFeedbackRequest);

  // Proactive tasks created earlier this week do not defer a risk item.
  book.User("u1", 3);
  plan = Plan(book, config, {Task("x", "u1", "feedback_request", "2025-11-24"),
                             Task("y", "u1", "recognition", "2025-11-24")});
  EXPECT_EQ(plan.planned, 3);
  EXPECT_EQ(plan.deferred_capacity, 0);
  // ...though they do count in the week's load.
  ASSERT_EQ(plan.loads.size(), 1u);
  EXPECT_EQ(plan.loads[0].second.used_before + plan.loads[0].second.planned, 5);

  // A risk item deferred for capacity still keeps the account from a survey.
  book.User("u1", 2);
  plan = Plan(book, config);
  EXPECT_EQ(plan.deferred_capacity, 1);
  EXPECT_TRUE(AccountsWith(book, plan, ActionKind::kFeedbackRequest).empty());
}

TEST(ProactivePass, TakesAtMostItsShareOfEachPersonsWeek) {
  Book book;
  book.User("u1", 10);
  for (int i = 0; i < 20; ++i) book.Steady(absl::StrCat("t", i), "u1", Tier::kTail, 100 + i);
  book.OptedOutTail(40);
  EngineConfig config = FeedbackOnly(1.0);
  config.contact.proactive_capacity_share = 0.2;
  EXPECT_EQ(Plan(book, config).planned, 2);
  // Earlier proactive tasks this week use the share up.
  EXPECT_EQ(Plan(book, config, {Task("x", "u1", "recognition", "2025-11-24")}).planned, 1);
}

TEST(ProactivePass, RespectsTheAccountCooldownAndTheHoldoutExemption) {
  Book book;
  book.User("u1", 100);
  book.Steady("t", "u1", Tier::kTail, 100);
  book.Steady("k", "u1", Tier::kKey, 90000);
  EngineConfig config;
  config.contact.proactive_capacity_share = 1.0;
  config.feedback.monthly_share = {{"mid", 1.0}, {"tail", 1.0}};
  // A task of any kind within the account cooldown blocks both.
  EXPECT_EQ(Plan(book, config, {Task("t", "u1", "check_in", "2025-11-20"), Task("k", "u1", "growth", "2025-11-20")})
                .planned,
            0);
  // Holdout accounts get them: the actions are exempt by default.
  PlanParams pp;
  pp.now = Day(kNow);
  pp.holdout_accounts = {"t", "k"};
  ContactPlan plan = PlanContacts(book.portfolio(), config, pp);
  EXPECT_EQ(plan.planned, 2);
  EXPECT_EQ(plan.holdout, 0);
  // Without the exemption they get none (and nothing is recorded as withheld).
  config.contact.holdout_exempt_actions = {"handover_intro"};
  plan = PlanContacts(book.portfolio(), config, pp);
  EXPECT_EQ(plan.planned, 0);
  EXPECT_EQ(plan.holdout, 0);
}

TEST(ProactivePass, CanBeTurnedOff) {
  Book book;
  book.User("u1", 100);
  book.Steady("t", "u1", Tier::kTail, 100);
  book.Steady("k", "u1", Tier::kKey, 90000);
  EngineConfig config;
  config.contact.proactive_capacity_share = 1.0;
  config.feedback.monthly_share = {{"mid", 1.0}, {"tail", 1.0}};
  config.feedback.enabled = false;
  config.recognition.enabled = false;
  EXPECT_EQ(Plan(book, config).planned, 0);
  config.contact.proactive_capacity_share = 0;
  config.feedback.enabled = true;
  config.recognition.enabled = true;
  EXPECT_EQ(Plan(book, config).planned, 0);
}

}  // namespace
}  // namespace pulse
