#include "sidecar/engine/handoff.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/scorer.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

HandoffAccount MakeAccount(const std::string& id, const std::string& owner, double value, double churn,
                           Tier tier = Tier::kTail, const std::string& country = "FI") {
  HandoffAccount a;
  a.account_id = id;
  a.name = "Company " + id;
  a.owner_id = owner;
  a.tier = tier;
  a.annual_value = value;
  a.churn_probability = churn;
  a.country = country;
  a.industry = "Forestry";
  return a;
}

HandoffRecipient MakeRecipient(const std::string& id, int capacity) {
  HandoffRecipient r;
  r.user_id = id;
  r.name = "User " + id;
  r.weekly_capacity = capacity;
  return r;
}

std::map<std::string, std::string> ToMap(const HandoffDistribution& d) {
  std::map<std::string, std::string> out;
  for (const HandoffAssignment& a : d.assignments) out[a.account_id] = a.to_user_id;
  return out;
}

const RecipientLoad& LoadOf(const HandoffDistribution& d, const std::string& user) {
  for (const RecipientLoad& l : d.loads) {
    if (l.user_id == user) return l;
  }
  static const RecipientLoad kNone;
  ADD_FAILURE() << "no load for " << user;
  return kNone;
}

TEST(HandoffWeightTest, EachPartIsRelativeToTheAverageAccount) {
  HandoffPolicy policy;
  // value 300 / mean 100 = 3; one account = 1; churn 0.4 / mean 0.2 = 2: (3 + 1 + 2) / 3.
  EXPECT_DOUBLE_EQ(HandoffWeight(MakeAccount("a", "x", 300, 0.4), 100, 0.2, policy), 2.0);
  EXPECT_DOUBLE_EQ(HandoffWeight(MakeAccount("b", "x", 100, 0.2), 100, 0.2, policy), 1.0);
  policy.value_weight = 0;
  policy.risk_weight = 0;
  EXPECT_DOUBLE_EQ(HandoffWeight(MakeAccount("c", "x", 5000, 0.9), 100, 0.2, policy), 1.0);
}

TEST(DistributeHandoffTest, HandCheckedSmallCaseFillsByCapacityAndNeverBeyondIt) {
  HandoffInput in;
  in.from_user_id = "gone";
  in.policy.affinity = "none";
  in.policy.capacity_headroom = 0.5;
  for (const char* id : {"a1", "a2", "a3", "a4"}) in.accounts.push_back(MakeAccount(id, "gone", 100, 0.5));
  in.recipients = {MakeRecipient("r1", 10), MakeRecipient("r2", 10), MakeRecipient("r3", 20)};
  // Every account weighs 1; the team's load per weekly task is 4 / 40 = 0.1,
  // so the capacities are 1.5, 1.5 and 3.
  //   a1: r3 (1/20 = 0.05 beats 0.1); a2: all at 0.1, r1 by id;
  //   a3: r1 would exceed 1.5; r2 and r3 at 0.1, r2 by id; a4: only r3 has room.
  absl::StatusOr<HandoffDistribution> d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d), (std::map<std::string, std::string>{{"a1", "r3"}, {"a2", "r1"}, {"a3", "r2"}, {"a4", "r3"}}));
  EXPECT_EQ(d->unassigned, 0);
  EXPECT_DOUBLE_EQ(LoadOf(*d, "r1").capacity, 1.5);
  EXPECT_DOUBLE_EQ(LoadOf(*d, "r3").capacity, 3.0);
  EXPECT_EQ(LoadOf(*d, "r3").accounts_after, 2);
  for (const RecipientLoad& l : d->loads) {
    EXPECT_LE(l.load_after, l.capacity) << l.user_id;
    EXPECT_DOUBLE_EQ(l.RelativeAfter(), 0.1) << l.user_id;
  }
  EXPECT_THAT(d->assignments[0].reason, HasSubstr("lowest load relative to capacity"));

  // Without headroom a level team takes exactly its load.
  in.policy.capacity_headroom = 0;
  d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->unassigned, 0) << "a level team takes exactly its load";
  in.accounts.push_back(MakeAccount("a5", "r1", 100, 0.5));  // r1 already holds one
  in.policy.capacity_headroom = 0;
  d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  for (const RecipientLoad& l : d->loads) EXPECT_LE(l.load_after, l.capacity + 1e-9) << l.user_id;
}

TEST(DistributeHandoffTest, ExistingBooksCountAndNobodyIsPushedOverCapacity) {
  HandoffInput in;
  in.from_user_id = "gone";
  in.policy.affinity = "none";
  in.policy.capacity_headroom = 0;
  in.accounts = {MakeAccount("big", "gone", 100, 0.5), MakeAccount("b1", "r1", 100, 0.5),
                 MakeAccount("b2", "r1", 100, 0.5)};
  in.recipients = {MakeRecipient("r1", 10), MakeRecipient("r2", 10)};
  // Team load 3 over capacity 20: 0.15 per task, capacity 1.5 each. r1 holds 2 already.
  absl::StatusOr<HandoffDistribution> d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("big"), "r2");
  EXPECT_EQ(LoadOf(*d, "r1").accounts_before, 2);
  EXPECT_EQ(LoadOf(*d, "r1").accounts_after, 2);

  // A heavier account still goes to r2 (weight 1.44 fits 1.5); r1, above its
  // capacity already, gets nothing.
  in.accounts[0] = MakeAccount("huge", "gone", 700, 0.5);
  d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("huge"), "r2");
  EXPECT_DOUBLE_EQ(LoadOf(*d, "r1").load_after, LoadOf(*d, "r1").load_before);
  EXPECT_LE(LoadOf(*d, "r2").load_after, LoadOf(*d, "r2").capacity);
}

TEST(DistributeHandoffTest, AnAccountThatFitsNowhereIsLeftUnassignedWithTheReason) {
  HandoffInput in;
  in.from_user_id = "gone";
  in.policy.affinity = "none";
  in.policy.capacity_headroom = 0;
  in.accounts = {MakeAccount("a1", "gone", 100, 0.5), MakeAccount("a2", "gone", 100, 0.5),
                 MakeAccount("a3", "gone", 100, 0.5)};
  in.recipients = {MakeRecipient("r1", 10), MakeRecipient("r2", 10)};
  // Capacity 3 / 20 * 10 = 1.5 each: one account each, the third fits nowhere.
  absl::StatusOr<HandoffDistribution> d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d), (std::map<std::string, std::string>{{"a1", "r1"}, {"a2", "r2"}, {"a3", ""}}));
  EXPECT_EQ(d->unassigned, 1);
  EXPECT_THAT(d->assignments[2].reason, HasSubstr("no eligible recipient has room"));
}

TEST(DistributeHandoffTest, KeyAccountsGoOnlyToKeyAccountHolders) {
  HandoffInput in;
  in.from_user_id = "gone";
  in.policy.affinity = "none";
  in.policy.capacity_headroom = 5;
  in.accounts = {MakeAccount("key1", "gone", 1000, 0.3, Tier::kKey), MakeAccount("t1", "gone", 100, 0.3),
                 MakeAccount("k-held", "r1", 1000, 0.3, Tier::kKey), MakeAccount("r1-t", "r1", 100, 0.3)};
  in.recipients = {MakeRecipient("r1", 10), MakeRecipient("r2", 10)};
  // Default: only r1 holds a key account, although r2 is far less loaded.
  absl::StatusOr<HandoffDistribution> d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("key1"), "r1");
  EXPECT_THAT(d->assignments[0].reason, HasSubstr("holds key accounts"));
  EXPECT_EQ(ToMap(*d).at("t1"), "r2");
  EXPECT_TRUE(LoadOf(*d, "r1").key_account_holder);
  EXPECT_FALSE(LoadOf(*d, "r2").key_account_holder);

  // The configured list replaces the default.
  in.policy.key_account_holders = {"r2"};
  d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("key1"), "r2");

  // Nobody may hold it: unassigned, and the reason says what to do.
  in.policy.key_account_holders = {"someone-else"};
  d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("key1"), "");
  EXPECT_EQ(d->unassigned, 1);
  EXPECT_THAT(d->assignments[0].reason, HasSubstr("key_account_holders"));
}

TEST(DistributeHandoffTest, AffinityBreaksNearTiesTowardsTheSameCountry) {
  HandoffInput in;
  in.from_user_id = "gone";
  in.policy.capacity_headroom = 5;
  in.policy.affinity = "country";
  in.accounts = {MakeAccount("se1", "gone", 100, 0.3, Tier::kTail, "SE"), MakeAccount("r1-fi", "r1", 100, 0.3, Tier::kTail, "FI"),
                 MakeAccount("r2-se", "r2", 100, 0.3, Tier::kTail, "SE")};
  in.recipients = {MakeRecipient("r1", 10), MakeRecipient("r2", 10)};
  absl::StatusOr<HandoffDistribution> d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("se1"), "r2") << "equal loads: r1 by id without affinity";
  EXPECT_THAT(d->assignments[0].reason, HasSubstr("same country (SE)"));
  in.policy.affinity = "none";
  d = DistributeHandoff(in);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ToMap(*d).at("se1"), "r1");
}

TEST(DistributeHandoffTest, SameInputInAnyOrderGivesTheSamePlan) {
  HandoffInput in;
  in.from_user_id = "gone";
  for (int i = 0; i < 40; ++i) {
    in.accounts.push_back(MakeAccount("g" + std::to_string(i), "gone", 50 + (i * 37) % 400, 0.1 + (i % 7) / 10.0,
                                      i % 13 == 0 ? Tier::kKey : Tier::kTail, i % 3 == 0 ? "SE" : "FI"));
    in.accounts.push_back(MakeAccount("b" + std::to_string(i), "r" + std::to_string(i % 4), 80 + (i * 53) % 300,
                                      0.2, i % 9 == 0 ? Tier::kKey : Tier::kTail));
  }
  in.recipients = {MakeRecipient("r0", 10), MakeRecipient("r1", 15), MakeRecipient("r2", 20), MakeRecipient("r3", 12)};
  absl::StatusOr<HandoffDistribution> first = DistributeHandoff(in);
  ASSERT_THAT(first, IsOk());
  std::reverse(in.accounts.begin(), in.accounts.end());
  std::reverse(in.recipients.begin(), in.recipients.end());
  absl::StatusOr<HandoffDistribution> second = DistributeHandoff(in);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(first->assignments.size(), second->assignments.size());
  for (size_t i = 0; i < first->assignments.size(); ++i) {
    EXPECT_EQ(first->assignments[i].account_id, second->assignments[i].account_id);
    EXPECT_EQ(first->assignments[i].to_user_id, second->assignments[i].to_user_id);
    EXPECT_EQ(first->assignments[i].reason, second->assignments[i].reason);
  }
}

TEST(DistributeHandoffTest, RejectsBadRecipients) {
  HandoffInput in;
  in.from_user_id = "gone";
  in.accounts = {MakeAccount("a", "gone", 1, 0.1)};
  EXPECT_THAT(DistributeHandoff(in), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_user_ids")));
  in.recipients = {MakeRecipient("gone", 10)};
  EXPECT_THAT(DistributeHandoff(in), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("departing owner")));
  in.recipients = {MakeRecipient("r0", 0)};
  EXPECT_THAT(DistributeHandoff(in), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weekly capacity")));
}

// The demo's departed seller: every account reassigned, nobody above
// capacity, nobody more than 20 % above the average load per weekly task.
TEST(DistributeHandoffTest, DemoDepartedSellerIsFullyReassignedWithinBounds) {
  DemoParams params;
  params.accounts = 400;
  params.seed = 11;
  params.end_day = absl::CivilDay(2026, 6, 30);
  DemoTruth truth;
  absl::StatusOr<CustomerData> data = GenerateDemoData(params, &truth);
  ASSERT_THAT(data, IsOk());
  EngineConfig config;
  config.contact.pool_user_ids = truth.pool_user_ids;
  ScoreParams score;
  score.as_of = StartOfDay(params.end_day + 1) - absl::Seconds(1);
  const Portfolio portfolio = AssessPortfolio(*data, config, score);
  const std::vector<std::string> recipients =
      DefaultHandoffRecipients(portfolio, truth.departed_user_id, config.contact.pool_user_ids);
  ASSERT_GE(recipients.size(), 2u);
  for (const std::string& r : recipients) {
    EXPECT_NE(r, truth.departed_user_id);
    EXPECT_EQ(std::count(truth.pool_user_ids.begin(), truth.pool_user_ids.end(), r), 0) << r;
  }
  absl::StatusOr<HandoffInput> input = MakeHandoffInput(portfolio, data->accounts, truth.departed_user_id, recipients,
                                                        config.contact, config.handoff);
  ASSERT_THAT(input, IsOk());
  int64_t departing = 0;
  for (const HandoffAccount& a : input->accounts) departing += a.owner_id == truth.departed_user_id ? 1 : 0;
  ASSERT_GT(departing, 10);
  absl::StatusOr<HandoffDistribution> d = DistributeHandoff(*input);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(static_cast<int64_t>(d->assignments.size()), departing);
  EXPECT_EQ(d->unassigned, 0);
  double sum = 0;
  for (const RecipientLoad& l : d->loads) sum += l.RelativeAfter();
  const double mean = sum / d->loads.size();
  for (const RecipientLoad& l : d->loads) {
    EXPECT_LE(l.load_after, l.capacity) << l.user_id;
    EXPECT_LE(l.RelativeAfter(), 1.2 * mean) << l.user_id;
  }
  std::map<std::string, bool> holder;
  for (const RecipientLoad& l : d->loads) holder[l.user_id] = l.key_account_holder;
  int key = 0;
  for (const HandoffAssignment& as : d->assignments) {
    const AccountAssessment* a = portfolio.Find(as.account_id);
    ASSERT_NE(a, nullptr);
    if (a->tier != Tier::kKey) continue;
    ++key;
    EXPECT_TRUE(holder[as.to_user_id]) << as.account_id << " went to " << as.to_user_id;
  }
  EXPECT_GT(key, 0) << "the departed seller holds key accounts in this demo";
}

}  // namespace
}  // namespace pulse
