#include "sidecar/common/time_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseIsoTime, DateIsMidnightUtc) {
  PULSE_ASSERT_OK_AND_ASSIGN(absl::Time t, ParseIsoTime("2026-03-01"));
  EXPECT_EQ(FormatIsoTime(t), "2026-03-01T00:00:00Z");
}

TEST(ParseIsoTime, DatetimeForms) {
  EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2026-03-01T14:05:09")), "2026-03-01T14:05:09Z");
  EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2026-03-01 14:05:09")), "2026-03-01T14:05:09Z");
  EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2026-03-01T14:05Z")), "2026-03-01T14:05:00Z");
  EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2026-03-01T14:05:09+02:00")), "2026-03-01T12:05:09Z");
  EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2026-03-01T01:00:00-0130")), "2026-03-01T02:30:00Z");
  PULSE_ASSERT_OK_AND_ASSIGN(absl::Time frac, ParseIsoTime("2026-03-01T14:05:09.250Z"));
  EXPECT_EQ(frac - *ParseIsoTime("2026-03-01T14:05:09Z"), absl::Milliseconds(250));
  EXPECT_THAT(ParseIsoTime("  2026-03-01  "), IsOk());
}

TEST(ParseIsoTime, RejectsWithTheText) {
  EXPECT_THAT(ParseIsoTime("01.03.2026"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'01.03.2026'")));
  EXPECT_THAT(ParseIsoTime("2026-02-30"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIsoTime("2026-03-01T25:00:00"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIsoTime("2026-03-01T10:00:00+2"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIsoTime(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseIsoDay, Strict) {
  PULSE_ASSERT_OK_AND_ASSIGN(absl::CivilDay d, ParseIsoDay("2024-02-29"));
  EXPECT_EQ(FormatIsoDay(d), "2024-02-29");
  EXPECT_THAT(ParseIsoDay("2023-02-29"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIsoDay("2023-2-1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DaysBetween, CountsCalendarDays) {
  EXPECT_EQ(DaysBetween(*ParseIsoTime("2026-01-01T23:59:00Z"), *ParseIsoTime("2026-01-02T00:01:00Z")), 1);
  EXPECT_EQ(DaysBetween(*ParseIsoTime("2026-01-10"), *ParseIsoTime("2026-01-01")), -9);
}

}  // namespace
}  // namespace pulse
