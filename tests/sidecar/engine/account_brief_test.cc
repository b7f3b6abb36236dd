#include "sidecar/engine/account_brief.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "tests/sidecar/engine/engine_test_util.h"

namespace pulse {
namespace {

using ::pulse::testing::CustomerBuilder;
using ::pulse::testing::Day;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

class AccountBriefTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CustomerBuilder b;
    b.User("old", false).User("new", true).User("cs-1", true);
    b.Account("acc", "old");
    b.Orders("acc", "2024-07-01", "2025-06-20", 30, 100, "BOLT");  // the year before: 12 orders
    b.Orders("acc", "2025-07-01", "2026-05-28", 60, 150, "NUT");   // the last year: 6 orders
    b.CaseOpened("acc", "2026-05-02", "delivery", true);
    b.CaseOpened("acc", "2025-01-10", "quality", false);
    b.Call("acc", "2026-04-01", "old").Call("acc", "2026-06-10", "cs-1");
    b.Account("other", "new").Call("other", "2026-06-20", "old");
    data_ = b.data();
    data_.accounts[0].country = "FI";
    data_.accounts[0].industry = "Forestry";
    data_.activities[0].subject = "Spring price list";
    Contact c;
    c.id = "k1";
    c.account_id = "acc";
    c.name = "Maija Buyer";
    c.role = "Purchasing manager";
    c.email = "maija@example.com";
    data_.contacts.push_back(c);
    c.id = "k2";
    c.name = "Gone Buyer";
    c.active = false;
    data_.contacts.push_back(c);
    for (const User& u : data_.users) users_.emplace(u.id, u);
    assessment_.account_id = "acc";
    assessment_.tier = Tier::kMid;
    assessment_.annual_value = 900;
    assessment_.churn_probability = 0.42;
    assessment_.value_at_risk = 378;
    assessment_.typical_gap_days = 45;
    assessment_.signals.push_back({kSignalOwnerInactive, 0.8, "the owner old is inactive"});
  }

  AccountBriefInput Input() {
    AccountBriefInput in = BriefInputFor(data_, "acc");
    in.assessment = &assessment_;
    in.users = &users_;
    in.previous_owner_id = "old";
    in.new_owner_id = "new";
    in.as_of = absl::CivilDay(2026, 6, 30);
    return in;
  }

  CustomerData data_;
  absl::flat_hash_map<std::string, User> users_;
  AccountAssessment assessment_;
};

TEST_F(AccountBriefTest, HasEverySectionFromTheAccountsOwnRecords) {
  const std::string brief = AccountBrief(Input(), "pulse:acc:handover_intro:2026-W27");
  EXPECT_THAT(brief, HasSubstr("# Handover brief: Company acc"));
  EXPECT_THAT(brief, HasSubstr("From User old (old) to User new (new), as of 2026-06-30"));
  EXPECT_THAT(brief, HasSubstr("Customer since 2020-01-01"));
  EXPECT_THAT(brief, HasSubstr("Tier mid, annual value 900"));
  EXPECT_THAT(brief, HasSubstr("Forestry, FI"));
  EXPECT_THAT(brief, HasSubstr("18 orders, usually every 45 days"));
  EXPECT_THAT(brief, HasSubstr("Last 12 months 900, the 12 months before 1200 (-25 %)"));
  EXPECT_THAT(brief, HasSubstr("Last orders: 2026-04-27 150 EUR; 2026-02-26 150 EUR; 2025-12-28 150 EUR"));
  EXPECT_THAT(brief, HasSubstr("Top products (12 months): Product NUT 900"));
  EXPECT_THAT(brief, Not(HasSubstr("Product BOLT")));
  EXPECT_THAT(brief, HasSubstr("1 open, 1 opened in the last 180 days"));
  EXPECT_THAT(brief, HasSubstr("Open since 2026-05-02: delivery problem"));
  EXPECT_THAT(brief, HasSubstr("Maija Buyer, Purchasing manager <maija@example.com>"));
  EXPECT_THAT(brief, Not(HasSubstr("Gone Buyer")));
  EXPECT_THAT(brief, HasSubstr("2026-06-10 call (outbound) by User cs-1 (cs-1)"));
  // The previous owner's last action on this account, not a later one elsewhere.
  EXPECT_THAT(brief, HasSubstr("## What the previous owner last did\n- 2026-04-01 call (outbound) by User old (old): "
                               "Spring price list"));
  EXPECT_THAT(brief, HasSubstr("Churn probability 42 %, value at risk 378"));
  EXPECT_THAT(brief, HasSubstr("owner_inactive: the owner old is inactive"));
  EXPECT_THAT(brief, HasSubstr("## Open tasks\n- None."));
  EXPECT_THAT(brief, EndsWith("Pulse task key: pulse:acc:handover_intro:2026-W27"));
}

TEST_F(AccountBriefTest, ListsOpenTasksAndSaysWhenDataIsMissing) {
  AccountBriefInput in = Input();
  in.open_tasks.push_back({"Check-in call: Company acc", "cs-1", absl::CivilDay(2026, 7, 2)});
  in.orders.clear();
  in.contacts.clear();
  in.activities.clear();
  in.assessment = nullptr;
  const std::string brief = AccountBrief(in, "");
  EXPECT_THAT(brief, HasSubstr("- Check-in call: Company acc (User cs-1 (cs-1), due 2026-07-02)"));
  EXPECT_THAT(brief, HasSubstr("No orders on record."));
  EXPECT_THAT(brief, HasSubstr("No active contact on record"));
  EXPECT_THAT(brief, HasSubstr("## What the previous owner last did\n- Nothing on record."));
  EXPECT_THAT(brief, HasSubstr("Not scored yet."));
  EXPECT_THAT(brief, Not(HasSubstr("Pulse task key")));
}

TEST_F(AccountBriefTest, IgnoresRecordsAfterTheAsOfDay) {
  AccountBriefInput in = Input();
  in.as_of = absl::CivilDay(2026, 4, 15);
  const std::string brief = AccountBrief(in, "");
  EXPECT_THAT(brief, Not(HasSubstr("2026-04-27")));
  EXPECT_THAT(brief, Not(HasSubstr("delivery problem")));
  EXPECT_THAT(brief, Not(HasSubstr("by User cs-1")));
}

}  // namespace
}  // namespace pulse
