#include "sidecar/engine/relationship_signals.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/engine/scorer.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::CustomerBuilder;
using ::pulse::testing::Day;
using ::testing::HasSubstr;

const Signal* Find(const AccountAssessment& a, absl::string_view id) {
  for (const Signal& s : a.signals) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

Portfolio Score(CustomerData& data, const char* as_of) {
  ScoreParams p;
  p.as_of = Day(as_of);
  return AssessPortfolio(data, EngineConfig{}, p);
}

// A steady, owned account ordering every two weeks since 2024, with calls.
CustomerBuilder Steady(const std::string& id = "a", Tier tier = Tier::kMid) {
  CustomerBuilder b;
  b.User("u1").Account(id, "u1", tier).Orders(id, "2024-01-01", "2025-11-20", 14, 400);
  return b;
}

TEST(RelationshipSignals, SlowFirstResponsesAgainstTheSla) {
  CustomerBuilder b = Steady();
  b.CaseOpened("a", "2025-10-01", "delivery", false).CaseOpened("a", "2025-11-01", "quality", false);
  EXPECT_EQ(Find(*Score(b.data(), "2025-11-25").Find("a"), kSignalSlowResponse), nullptr) << "answered in 2 h";
  for (Case& c : b.data().cases) c.first_response_at = c.opened_at + absl::Hours(30);
  const Portfolio a_portfolio = Score(b.data(), "2025-11-25");
  const AccountAssessment* a = a_portfolio.Find("a");
  const Signal* s = Find(*a, kSignalSlowResponse);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("2 of 2 cases"));
  EXPECT_THAT(s->evidence, HasSubstr("8 h SLA"));  // the mid tier's
  EXPECT_EQ(a->action, ActionKind::kServiceRecovery);
}

TEST(RelationshipSignals, ContactFrequencyFalling) {
  CustomerBuilder b = Steady();
  for (const char* d : {"2024-07-01", "2024-08-01", "2024-09-01", "2024-10-01", "2024-11-01", "2024-12-01",
                        "2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15", "2025-05-15", "2025-09-01"}) {
    b.Call("a", d, "u1");
  }
  const Portfolio scored = Score(b.data(), "2025-11-25");
  const Signal* s = Find(*scored.Find("a"), kSignalContactFrequencyFalling);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("1 calls, meetings or replies in the last 180 days"));
  for (const char* d : {"2025-06-20", "2025-07-20", "2025-08-20", "2025-10-01", "2025-11-01"}) b.Call("a", d, "u1");
  EXPECT_EQ(Find(*Score(b.data(), "2025-11-25").Find("a"), kSignalContactFrequencyFalling), nullptr);
}

TEST(RelationshipSignals, KeyContactGoneWithoutHandover) {
  CustomerBuilder b = Steady();
  b.Call("a", "2025-09-01", "u1");
  Contact buyer;
  buyer.id = "c1";
  buyer.account_id = "a";
  buyer.name = "Liisa Laine";
  buyer.role = "Purchasing manager";
  buyer.active = false;
  buyer.updated_at = Day("2025-10-10");
  b.data().contacts.push_back(buyer);
  const Portfolio a_portfolio = Score(b.data(), "2025-11-25");
  const AccountAssessment* a = a_portfolio.Find("a");
  const Signal* s = Find(*a, kSignalKeyContactGone);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("Liisa Laine (Purchasing manager) left on 2025-10-10"));
  EXPECT_DOUBLE_EQ(s->strength, 0.9);
  // Not visible before it happened (no look-ahead).
  EXPECT_EQ(Find(*Score(b.data(), "2025-10-01").Find("a"), kSignalKeyContactGone), nullptr);
  // A call after the change is the handover.
  b.Call("a", "2025-10-20", "u1");
  EXPECT_EQ(Find(*Score(b.data(), "2025-11-25").Find("a"), kSignalKeyContactGone), nullptr);
}

TEST(RelationshipSignals, EngagementFalling) {
  CustomerBuilder b = Steady();
  for (int m = 1; m <= 11; ++m) {
    EngagementPeriod e;
    e.account_id = "a";
    e.period_start = absl::CivilDay(2025, m, 1);
    e.id = absl::StrCat("a|", m);
    e.sent = 4;
    e.opened = m >= 9 ? 0 : 3;
    b.data().engagement.push_back(e);
  }
  const Portfolio scored = Score(b.data(), "2025-11-25");
  const Signal* s = Find(*scored.Find("a"), kSignalEngagementFalling);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("opened 0 % of newsletters"));
  EXPECT_EQ(Find(*Score(b.data(), "2025-08-15").Find("a"), kSignalEngagementFalling), nullptr);
}

TEST(RelationshipSignals, PriceTalkInEnglishAndFinnish) {
  CustomerBuilder b = Steady();
  b.CaseOpened("a", "2025-10-01", "invoicing", false);
  b.data().cases.back().subject = "Pyyntö: alennus seuraavaan tilaukseen";
  b.Call("a", "2025-11-01", "u1");
  b.data().activities.back().subject = "Competitor offered a lower price";
  const Portfolio scored = Score(b.data(), "2025-11-25");
  const Signal* s = Find(*scored.Find("a"), kSignalPriceTalk);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("2 of 2 recent"));
  // The signal that decided the action comes first among the reasons.
  const Portfolio again = Score(b.data(), "2025-11-25");
  EXPECT_EQ(again.Find("a")->action, ActionKind::kCheckIn);
  EXPECT_EQ(again.Find("a")->signals.front().id, kSignalPriceTalk);
  b.data().activities.back().subject = "Quarterly review";
  EXPECT_EQ(Find(*Score(b.data(), "2025-11-25").Find("a"), kSignalPriceTalk), nullptr);
}

TEST(RelationshipSignals, ProactiveMoments) {
  // Growing orders.
  CustomerBuilder g;
  g.User("u1").Account("g", "u1", Tier::kMid).Orders("g", "2024-01-01", "2025-05-31", 14, 300);
  g.Orders("g", "2025-06-01", "2025-11-20", 14, 700);
  const Portfolio grow_portfolio = Score(g.data(), "2025-11-25");
  const AccountAssessment* grow = grow_portfolio.Find("g");
  ASSERT_NE(Find(*grow, kSignalGrowthPotential), nullptr);
  EXPECT_EQ(grow->action, ActionKind::kGrowth);
  // The long tail gets no growth calls.
  g.data().accounts.back().crm_tier = Tier::kTail;
  EXPECT_EQ(Find(*Score(g.data(), "2025-11-25").Find("g"), kSignalGrowthPotential), nullptr);

  // A key account without a meeting for over a year.
  CustomerBuilder k = Steady("k", Tier::kKey);
  k.Call("k", "2025-11-01", "u1");
  const Portfolio key_portfolio = Score(k.data(), "2025-11-25");
  const AccountAssessment* key = key_portfolio.Find("k");
  ASSERT_NE(Find(*key, kSignalHealthCheckDue), nullptr);
  EXPECT_EQ(key->action, ActionKind::kHealthCheck);
  Activity meeting;
  meeting.id = "m1";
  meeting.account_id = "k";
  meeting.type = ActivityType::kMeeting;
  meeting.occurred_at = Day("2025-03-01");
  k.data().activities.push_back(meeting);
  EXPECT_EQ(Find(*Score(k.data(), "2025-11-25").Find("k"), kSignalHealthCheckDue), nullptr);

  // A new customer nobody has called.
  CustomerBuilder n;
  n.User("u1").Account("n", "u1").Order("n", Day("2025-10-20"), 900).Call("other", "2025-01-01");
  n.data().accounts.back().created_at = Day("2025-10-15");
  const Portfolio fresh_portfolio = Score(n.data(), "2025-11-25");
  const AccountAssessment* fresh = fresh_portfolio.Find("n");
  ASSERT_NE(Find(*fresh, kSignalNewCustomer), nullptr);
  EXPECT_EQ(fresh->action, ActionKind::kOnboarding);
  n.Call("n", "2025-10-25", "u1");
  EXPECT_EQ(Find(*Score(n.data(), "2025-11-25").Find("n"), kSignalNewCustomer), nullptr);
}

TEST(RelationshipSignals, NegativeFeedbackIsModest) {
  CustomerBuilder b = Steady();
  Feedback f;
  f.account_id = "a";
  f.id = "a|1";
  f.received_at = Day("2025-10-05");
  f.scale = FeedbackScale::kNps;
  f.score = 3;
  f.comment = "Deliveries keep arriving late";
  b.data().feedback.push_back(f);
  const Portfolio a_portfolio = Score(b.data(), "2025-11-25");
  const AccountAssessment* a = a_portfolio.Find("a");
  const Signal* s = Find(*a, kSignalNegativeFeedback);
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(s->evidence, HasSubstr("NPS 3 on 2025-10-05"));
  EXPECT_LT(s->strength, 0.6);
  b.data().feedback.back().score = 9;
  EXPECT_EQ(Find(*Score(b.data(), "2025-11-25").Find("a"), kSignalNegativeFeedback), nullptr);
}

TEST(RelationshipSignals, AbsentDataIsAnAbsentSignal) {
  // No cases, activities, contacts, engagement or feedback anywhere: none of
  // the relationship signals can fire, and none pretends to.
  CustomerBuilder b = Steady("k", Tier::kKey);
  const Portfolio a_portfolio = Score(b.data(), "2025-11-25");
  const AccountAssessment* a = a_portfolio.Find("k");
  for (const char* id : {kSignalSlowResponse, kSignalContactFrequencyFalling, kSignalKeyContactGone,
                         kSignalEngagementFalling, kSignalPriceTalk, kSignalHealthCheckDue, kSignalNewCustomer,
                         kSignalNegativeFeedback}) {
    EXPECT_EQ(Find(*a, id), nullptr) << id;
  }
}

}  // namespace
}  // namespace pulse
