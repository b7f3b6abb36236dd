#include "sidecar/domain/records.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace pulse {
namespace {

TEST(Records, ParseWordsCaseInsensitively) {
  EXPECT_EQ(ParseTier(" Key "), Tier::kKey);
  EXPECT_EQ(ParseTier(""), Tier::kUnspecified);
  EXPECT_FALSE(ParseTier("gold").has_value());
  EXPECT_EQ(ParseActivityType("MEETING"), ActivityType::kMeeting);
  EXPECT_FALSE(ParseActivityType("fax").has_value());
  EXPECT_EQ(ParseDirection(""), Direction::kUnknown);
  EXPECT_EQ(ParseDirection("Inbound"), Direction::kInbound);
  EXPECT_FALSE(ParseDirection("sideways").has_value());
  EXPECT_EQ(ParseTaskType("email_draft"), TaskType::kEmailDraft);
  EXPECT_EQ(TaskTypeName(TaskType::kMeeting), "meeting");
}

TEST(Records, TwoWayContact) {
  Activity a;
  a.type = ActivityType::kEmail;
  a.direction = Direction::kOutbound;
  EXPECT_FALSE(a.IsTwoWay());
  a.direction = Direction::kInbound;
  EXPECT_TRUE(a.IsTwoWay());
  a.type = ActivityType::kCall;
  a.direction = Direction::kOutbound;
  EXPECT_TRUE(a.IsTwoWay());
  a.type = ActivityType::kNote;
  EXPECT_FALSE(a.IsTwoWay());
}

TEST(Records, CaseOpenness) {
  Case c;
  c.status = "Open";
  EXPECT_TRUE(c.IsOpen());
  c.status = "Closed";
  EXPECT_FALSE(c.IsOpen());
  c.status = "new";
  c.closed_at = absl::Now();
  EXPECT_FALSE(c.IsOpen());
}

}  // namespace
}  // namespace pulse
