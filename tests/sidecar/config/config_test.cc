#include "sidecar/config/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(
store:
  path: state/pulse.db
adapter:
  type: csv
  csv:
    dir: data
)";

TEST(Config, MinimalUsesDefaultsAndResolvesPaths) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(kMinimal, "/etc/pulse"));
  EXPECT_EQ(c.store_path, "/etc/pulse/state/pulse.db");
  EXPECT_EQ(c.adapter.csv.dir, "/etc/pulse/data");
  EXPECT_EQ(c.listen, "127.0.0.1:50051");
  EXPECT_EQ(c.sweep.interval, absl::Hours(1));
  EXPECT_EQ(c.engine.contact.default_weekly_capacity, 15);
}

TEST(Config, EveryKeyIsRead) {
  const std::string yaml = std::string(kMinimal) + R"(
listen: 0.0.0.0:7000
log_level: debug
sweep: {interval: 30m, run_on_start: false, write_tasks: false}
tiers: {key_revenue_share: 0.5, key_max_account_share: 0.03, mid_account_share: 0.25, use_crm_tier: false}
signals:
  overdue_ratio: 3
  contact_gap_days: {key: 30, mid: 90, tail: 200}
churn_weights: {complaints_rising: 1.5}
contact:
  horizon_days: 60
  pool_users: [cs-1, cs-2]
  language: fi
  effectiveness: {win_back: 0.5}
)";
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(yaml, "/x"));
  EXPECT_EQ(c.listen, "0.0.0.0:7000");
  EXPECT_EQ(c.sweep.interval, absl::Minutes(30));
  EXPECT_FALSE(c.sweep.run_on_start);
  EXPECT_FALSE(c.sweep.write_tasks);
  EXPECT_DOUBLE_EQ(c.engine.tiers.key_revenue_share, 0.5);
  EXPECT_FALSE(c.engine.tiers.use_crm_tier);
  EXPECT_DOUBLE_EQ(c.engine.signals.overdue_ratio, 3);
  EXPECT_EQ(c.engine.signals.contact_gap_days.key, 30);
  EXPECT_DOUBLE_EQ(c.engine.weights.complaints_rising, 1.5);
  EXPECT_EQ(c.engine.contact.horizon_days, 60);
  EXPECT_THAT(c.engine.contact.pool_user_ids, ::testing::ElementsAre("cs-1", "cs-2"));
  EXPECT_EQ(c.engine.contact.language, "fi");
  EXPECT_DOUBLE_EQ(c.engine.contact.effectiveness.at("win_back"), 0.5);
}

TEST(Config, ErrorsNameTheKey) {
  auto with = [](const std::string& extra) { return ParseConfig(std::string(kMinimal) + extra, "/x"); };
  EXPECT_THAT(with("sweep: {intervall: 1h}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sweep.intervall: unknown key")));
  EXPECT_THAT(with("sweep: {interval: soon}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sweep.interval: must be a duration")));
  EXPECT_THAT(with("contact: {horizon_days: -3}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.horizon_days: must be between")));
  EXPECT_THAT(with("contact: {horizon_days: many}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.horizon_days: must be a whole number")));
  EXPECT_THAT(with("contact: {pool_users: cs-1}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.pool_users: must be a list")));
  EXPECT_THAT(with("contact: {effectiveness: {call_everyone: 1}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.effectiveness.call_everyone")));
  EXPECT_THAT(with("tiers: {key_revenue_share: 1.5}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tiers.key_revenue_share")));
  EXPECT_THAT(with("log_level: loud\n"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_level")));
  EXPECT_THAT(ParseConfig("adapter: {type: csv, csv: {dir: d}}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.path: is required")));
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: salesforce}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown adapter 'salesforce'")));
  EXPECT_THAT(ParseConfig("store: [unclosed\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid YAML: line")));
  EXPECT_THAT(ParseConfig("", "/x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(Config, RenderedConfigParsesBackToTheSameValues) {
  PulseConfig c;
  c.store_path = "/data/pulse.db";
  c.adapter.csv.dir = "/data";
  c.engine.contact.pool_user_ids = {"cs-1"};
  c.engine.contact.language = "fi";
  c.sweep.interval = absl::Minutes(90);
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/elsewhere"));
  EXPECT_EQ(back.store_path, "/data/pulse.db");
  EXPECT_EQ(back.adapter.csv.dir, "/data");
  EXPECT_EQ(back.engine.contact.pool_user_ids, c.engine.contact.pool_user_ids);
  EXPECT_EQ(back.engine.contact.language, "fi");
  EXPECT_EQ(back.sweep.interval, absl::Minutes(90));
  EXPECT_EQ(back.engine.contact.effectiveness, c.engine.contact.effectiveness);
}

TEST(Config, MissingFileIsNotFound) {
  EXPECT_THAT(LoadConfigFile("/nonexistent/pulse.yaml"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pulse
