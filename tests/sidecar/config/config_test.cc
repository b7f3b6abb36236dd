#include "sidecar/config/config.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "sidecar/common/logging.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::AllOf;
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
  EXPECT_EQ(c.http_listen, "127.0.0.1:9090");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_EQ(c.adapter.credentials_file, "");
  EXPECT_EQ(c.adapter.credentials_env, "");
}

TEST(Config, EveryKeyIsRead) {
  const std::string yaml = std::string(kMinimal) + R"(
listen: 0.0.0.0:7000
http_listen: 0.0.0.0:9191
log_level: debug
log_format: json
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
  holdout: {key: 0, tail: 0.2}
  holdout_exempt_actions: [handover_intro, service_recovery]
  effect_min_per_arm: 50
  effect_prior_weight: 20
)";
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(yaml, "/x"));
  EXPECT_EQ(c.listen, "0.0.0.0:7000");
  EXPECT_EQ(c.http_listen, "0.0.0.0:9191");
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.sweep.interval, absl::Minutes(30));
  EXPECT_FALSE(c.sweep.run_on_start);
  EXPECT_FALSE(c.sweep.write_tasks);
  EXPECT_DOUBLE_EQ(c.engine.tiers.key_revenue_share, 0.5);
  EXPECT_FALSE(c.engine.tiers.use_crm_tier);
  EXPECT_DOUBLE_EQ(c.engine.signals.overdue_ratio.mid, 3);
  EXPECT_EQ(c.engine.signals.contact_gap_days.key, 30);
  EXPECT_DOUBLE_EQ(c.engine.weights.complaints_rising, 1.5);
  EXPECT_EQ(c.engine.contact.horizon_days, 60);
  EXPECT_THAT(c.engine.contact.pool_user_ids, ::testing::ElementsAre("cs-1", "cs-2"));
  EXPECT_EQ(c.engine.contact.language, "fi");
  EXPECT_DOUBLE_EQ(c.engine.contact.effectiveness.at("win_back"), 0.5);
  EXPECT_DOUBLE_EQ(c.engine.contact.holdout_share.at("key"), 0);
  EXPECT_DOUBLE_EQ(c.engine.contact.holdout_share.at("mid"), 0.1);  // the default stays
  EXPECT_DOUBLE_EQ(c.engine.contact.holdout_share.at("tail"), 0.2);
  EXPECT_THAT(c.engine.contact.holdout_exempt_actions, ::testing::ElementsAre("handover_intro", "service_recovery"));
  EXPECT_EQ(c.engine.contact.effect_min_per_arm, 50);
  EXPECT_DOUBLE_EQ(c.engine.contact.effect_prior_weight, 20);
}

// A key that is a list or a mapping used to throw out of yaml-cpp and end the
// process (found while writing the config fuzz target; tests/fuzz/regressions/config/).
TEST(Config, KeysThatAreNotNamesAreAnError) {
  EXPECT_THAT(ParseConfig("? [a, b]\n: 1\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config: top level: has a key that is not a name")));
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "contact:\n  effectiveness: {[win_back]: 0.5}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.effectiveness: has a key that is not")));
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "contact:\n  language_by_country: {{FI: x}: fi}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("contact.language_by_country: has a key that is not")));
  EXPECT_THAT(ParseConfig("store: {[path]: p}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config: store: has a key that is not a name")));
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
  EXPECT_THAT(with("contact: {holdout: {tail: 0.9}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.holdout.tail: must be between 0")));
  EXPECT_THAT(with("contact: {holdout: {longtail: 0.1}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.holdout.longtail: unknown key")));
  EXPECT_THAT(with("contact: {holdout_exempt_actions: [hug]}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown action id 'hug'")));
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

TEST(Config, StoreIntegrityCheckAndBackupKeys) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig defaults, ParseConfig(kMinimal, "/etc/pulse"));
  EXPECT_EQ(defaults.store_integrity_check, "quick");
  EXPECT_FALSE(defaults.store_backup.enabled());

  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(R"(
store:
  path: state/pulse.db
  integrity_check: full
  backup:
    dir: state/backups
    interval: 6h
    keep: 3
adapter: {type: csv, csv: {dir: data}}
)", "/etc/pulse"));
  EXPECT_EQ(c.store_integrity_check, "full");
  EXPECT_EQ(c.store_backup.dir, "/etc/pulse/state/backups");
  EXPECT_EQ(c.store_backup.interval, absl::Hours(6));
  EXPECT_EQ(c.store_backup.keep, 3);
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/elsewhere"));
  EXPECT_EQ(back.store_integrity_check, "full");
  EXPECT_EQ(back.store_backup.dir, "/etc/pulse/state/backups");
  EXPECT_EQ(back.store_backup.interval, absl::Hours(6));
  EXPECT_EQ(back.store_backup.keep, 3);

  EXPECT_THAT(ParseConfig("store: {path: p, integrity_check: fast}\nadapter: {type: csv}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.integrity_check: must be quick, full or off")));
  EXPECT_THAT(ParseConfig("store: {path: p, backup: {interval: 1h}}\nadapter: {type: csv}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.backup.dir: is required")));
  EXPECT_THAT(ParseConfig("store: {path: p, backup: {dir: b, interval: 10s}}\nadapter: {type: csv}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.backup.interval: must be at least")));
  EXPECT_THAT(ParseConfig("store: {path: p, backup: {dir: b, keep: 0}}\nadapter: {type: csv}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.backup.keep")));
  EXPECT_THAT(ParseConfig("store: {path: p, backup: {dir: b, every: 1h}}\nadapter: {type: csv}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.backup.every: unknown key")));
  EXPECT_THAT(ParseConfig("store: {path: \":memory:\", backup: {dir: b}}\nadapter: {type: csv}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store.backup: needs a store file")));
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
  EXPECT_EQ(back.engine.signals.price_terms, c.engine.signals.price_terms);
  EXPECT_DOUBLE_EQ(back.engine.signals.first_response_sla_hours.mid, c.engine.signals.first_response_sla_hours.mid);
  EXPECT_DOUBLE_EQ(back.engine.weights.key_contact_gone, c.engine.weights.key_contact_gone);
}

TEST(Config, ChurnModelKeys) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c, ParseConfig(std::string(kMinimal) + "churn_model: {learn: false, max_training_cuts: 2, l2: 3.5}\n", "/x"));
  EXPECT_FALSE(c.engine.churn_model.learn);
  EXPECT_EQ(c.engine.churn_model.max_training_cuts, 2);
  EXPECT_DOUBLE_EQ(c.engine.churn_model.l2, 3.5);
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/x"));
  EXPECT_FALSE(back.engine.churn_model.learn);
  EXPECT_DOUBLE_EQ(back.engine.churn_model.l2, 3.5);
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "churn_model: {max_training_cuts: 0}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("churn_model.max_training_cuts")));
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "churn_model: {learning: true}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("churn_model.learning: unknown key")));
}

TEST(Config, HandoffKeys) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig defaults, ParseConfig(kMinimal, "/x"));
  EXPECT_EQ(defaults.engine.handoff.watch_days, 90);
  EXPECT_TRUE(defaults.engine.handoff.key_account_holders.empty());
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c,
      ParseConfig(std::string(kMinimal) +
                      "handoff: {watch_days: 30, key_account_holders: [u-1, u-2], affinity: industry, "
                      "capacity_headroom: 0.3, value_weight: 2, watch_threshold_factor: 0.25}\n",
                  "/x"));
  EXPECT_EQ(c.engine.handoff.watch_days, 30);
  EXPECT_EQ(c.engine.handoff.key_account_holders, (std::vector<std::string>{"u-1", "u-2"}));
  EXPECT_EQ(c.engine.handoff.affinity, "industry");
  EXPECT_DOUBLE_EQ(c.engine.handoff.capacity_headroom, 0.3);
  EXPECT_DOUBLE_EQ(c.engine.handoff.value_weight, 2);
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/x"));
  EXPECT_EQ(back.engine.handoff.watch_days, 30);
  EXPECT_EQ(back.engine.handoff.key_account_holders, c.engine.handoff.key_account_holders);
  EXPECT_DOUBLE_EQ(back.engine.handoff.watch_threshold_factor, 0.25);
  auto with = [](const std::string& extra) { return ParseConfig(std::string(kMinimal) + extra, "/x"); };
  EXPECT_THAT(with("handoff: {watch_dayz: 3}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("handoff.watch_dayz: unknown key")));
  EXPECT_THAT(with("handoff: {affinity: zodiac}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("handoff.affinity: must be none, country")));
  EXPECT_THAT(with("handoff: {watch_days: -1}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("handoff.watch_days")));
  EXPECT_THAT(with("handoff: {value_weight: 0, account_weight: 0, risk_weight: 0}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not all be 0")));
}

TEST(Config, FeedbackAndRecognitionKeys) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig defaults, ParseConfig(kMinimal, "/x"));
  EXPECT_TRUE(defaults.engine.feedback.enabled);
  EXPECT_EQ(defaults.engine.feedback.ask_interval_days, 365);
  EXPECT_DOUBLE_EQ(defaults.engine.feedback.monthly_share.at("tail"), 0.05);
  EXPECT_EQ(defaults.engine.recognition.max_per_owner_per_week, 2);
  EXPECT_DOUBLE_EQ(defaults.engine.contact.proactive_capacity_share, 0.2);
  EXPECT_THAT(defaults.engine.contact.holdout_exempt_actions,
              ::testing::ElementsAre("handover_intro", "feedback_request", "recognition"));
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c,
      ParseConfig(std::string(kMinimal) +
                      "contact: {proactive_capacity_share: 0.3, effectiveness: {recognition: 0.1}}\n"
                      "feedback: {ask_interval_days: 180, monthly_share: {tail: 0.02}, answer_window_days: 14}\n"
                      "recognition: {enabled: false, tiers: [key], min_tenure_days: 730, quiet_days: 90, "
                      "max_churn_probability: 0.1, max_per_owner_per_week: 1, interval_days: 180}\n",
                  "/x"));
  EXPECT_DOUBLE_EQ(c.engine.contact.proactive_capacity_share, 0.3);
  EXPECT_DOUBLE_EQ(c.engine.contact.effectiveness.at("recognition"), 0.1);
  EXPECT_EQ(c.engine.feedback.ask_interval_days, 180);
  EXPECT_DOUBLE_EQ(c.engine.feedback.monthly_share.at("tail"), 0.02);
  EXPECT_DOUBLE_EQ(c.engine.feedback.monthly_share.at("mid"), 0.10);  // kept
  EXPECT_EQ(c.engine.feedback.answer_window_days, 14);
  EXPECT_FALSE(c.engine.recognition.enabled);
  EXPECT_THAT(c.engine.recognition.tiers, ::testing::ElementsAre("key"));
  EXPECT_EQ(c.engine.recognition.min_tenure_days, 730);
  EXPECT_EQ(c.engine.recognition.quiet_days, 90);
  EXPECT_DOUBLE_EQ(c.engine.recognition.max_churn_probability, 0.1);
  EXPECT_EQ(c.engine.recognition.max_per_owner_per_week, 1);
  EXPECT_EQ(c.engine.recognition.interval_days, 180);
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/x"));
  EXPECT_EQ(back.engine.feedback.ask_interval_days, 180);
  EXPECT_DOUBLE_EQ(back.engine.feedback.monthly_share.at("tail"), 0.02);
  EXPECT_FALSE(back.engine.recognition.enabled);
  EXPECT_EQ(back.engine.recognition.tiers, c.engine.recognition.tiers);
  EXPECT_EQ(back.engine.recognition.interval_days, 180);
  EXPECT_DOUBLE_EQ(back.engine.contact.proactive_capacity_share, 0.3);
  auto with = [](const std::string& extra) { return ParseConfig(std::string(kMinimal) + extra, "/x"); };
  EXPECT_THAT(with("feedback: {ask_every: 3}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("feedback.ask_every: unknown key")));
  EXPECT_THAT(with("feedback: {monthly_share: {key: 0.1}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("feedback.monthly_share.key: unknown key")));
  EXPECT_THAT(with("feedback: {monthly_share: {tail: 1.5}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("feedback.monthly_share.tail: must be between")));
  EXPECT_THAT(with("feedback: {ask_interval_days: 7}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("feedback.ask_interval_days: must be between")));
  EXPECT_THAT(with("recognition: {tiers: [gold]}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recognition.tiers: unknown tier 'gold'")));
  EXPECT_THAT(with("recognition: {max_churn_probability: lots}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recognition.max_churn_probability: must be a")));
  EXPECT_THAT(with("recognition: {enabled: maybe}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("recognition.enabled: must be true or false")));
  EXPECT_THAT(with("contact: {proactive_capacity_share: -0.1}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.proactive_capacity_share")));
}

TEST(Config, RelationshipSignalKeys) {
  const std::string yaml = std::string(kMinimal) + R"(
signals:
  first_response_sla_hours: {key: 2, mid: 6, tail: 48}
  price_terms: [Price, ALENNUS]
  health_check_interval_days: 180
  onboarding_days: 60
churn_weights: {key_contact_gone: 0.9, price_talk: 0.1}
)";
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(yaml, "/x"));
  EXPECT_DOUBLE_EQ(c.engine.signals.first_response_sla_hours.key, 2);
  EXPECT_DOUBLE_EQ(c.engine.signals.first_response_sla_hours.tail, 48);
  EXPECT_THAT(c.engine.signals.price_terms, ::testing::ElementsAre("price", "alennus"));
  EXPECT_EQ(c.engine.signals.health_check_interval_days.key, 180);
  EXPECT_EQ(c.engine.signals.onboarding_days.tail, 60);
  EXPECT_DOUBLE_EQ(c.engine.weights.key_contact_gone, 0.9);
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "signals: {first_response_sla_hours: {gold: 1}}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signals.first_response_sla_hours.gold")));
  EXPECT_THAT(ParseConfig(std::string(kMinimal) + "signals: {nps_detractor_max: 11}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signals.nps_detractor_max")));
}

TEST(Config, SignalSettingsPerTier) {
  auto with = [](const std::string& extra) { return ParseConfig(std::string(kMinimal) + extra, "/x"); };
  // A scalar sets every tier; a map sets the tiers it names, the others keep their default.
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, with(R"(signals:
  overdue_ratio: 3.5
  overdue_min_days: {key: 10, tail: 45}
  volume_drop_share: {mid: 0.5}
  contact_gap_days: 90
  complaint_min_cases: {key: 1, mid: 2, tail: 4}
)"));
  const SignalPolicy& s = c.engine.signals;
  EXPECT_DOUBLE_EQ(s.overdue_ratio.key, 3.5);
  EXPECT_DOUBLE_EQ(s.overdue_ratio.mid, 3.5);
  EXPECT_DOUBLE_EQ(s.overdue_ratio.tail, 3.5);
  EXPECT_EQ(s.overdue_min_days.key, 10);
  EXPECT_EQ(s.overdue_min_days.mid, SignalPolicy().overdue_min_days.mid);
  EXPECT_EQ(s.overdue_min_days.tail, 45);
  EXPECT_DOUBLE_EQ(s.volume_drop_share.key, SignalPolicy().volume_drop_share.key);
  EXPECT_DOUBLE_EQ(s.volume_drop_share.mid, 0.5);
  EXPECT_EQ(s.contact_gap_days.key, 90);
  EXPECT_EQ(s.contact_gap_days.tail, 90);
  EXPECT_EQ(s.complaint_min_cases.For(Tier::kKey), 1);
  EXPECT_EQ(s.complaint_min_cases.For(Tier::kMid), 2);
  EXPECT_EQ(s.complaint_min_cases.For(Tier::kTail), 4);
  EXPECT_EQ(s.complaint_min_cases.For(Tier::kUnspecified), 4);

  // What is written back reads the same.
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/x"));
  EXPECT_EQ(back.engine.signals.overdue_min_days.key, 10);
  EXPECT_EQ(back.engine.signals.overdue_min_days.tail, 45);
  EXPECT_DOUBLE_EQ(back.engine.signals.overdue_ratio.mid, 3.5);

  // Bad input names the key and what is wrong with it.
  EXPECT_THAT(with("signals: {overdue_ratio: {gold: 2}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signals.overdue_ratio.gold: unknown key (known: key, mid, tail)")));
  EXPECT_THAT(with("signals: {complaint_window_days: {mid: abc}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signals.complaint_window_days.mid: must be a whole number, got 'abc'")));
  EXPECT_THAT(with("signals: {volume_window_days: {tail: 5}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signals.volume_window_days.tail: must be between 7 and 365, got 5")));
  EXPECT_THAT(with("signals: {onboarding_days: 3}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signals.onboarding_days: must be between")));
  EXPECT_THAT(with("signals: {engagement_drop_share: [0.5]}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signals.engagement_drop_share: must be a number, or a map of tiers")));
  // Not per tier: the cadence is estimated before tiers are known.
  EXPECT_THAT(with("signals: {min_orders_for_cadence: {key: 3}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signals.min_orders_for_cadence")));
}

TEST(Config, HttpListenAndLogFormat) {
  auto with = [](const std::string& extra) { return ParseConfig(std::string(kMinimal) + extra, "/x"); };
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig off, with("http_listen: \"\"\n"));
  EXPECT_EQ(off.http_listen, "") << "empty disables the HTTP endpoint";
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig any, with("http_listen: 127.0.0.1:0\n"));
  EXPECT_EQ(any.http_listen, "127.0.0.1:0");
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig v6, with("http_listen: \"[::1]:9090\"\n"));
  EXPECT_EQ(v6.http_listen, "[::1]:9090");
  for (const char* bad : {"9090", "localhost", "host:", ":9090", "host:99999", "host:-1", "host:90x", "::1:9090"}) {
    EXPECT_THAT(with(absl::StrCat("http_listen: \"", bad, "\"\n")),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http_listen: must be HOST:PORT")))
        << bad;
  }
  EXPECT_THAT(with("http_listen: [a, b]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http_listen: must be a string")));
  EXPECT_THAT(with("log_format: xml\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_format: must be text or json")));
}

TEST(Config, CredentialsFileOrEnvButNotBoth) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig file,
      ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}, credentials_file: secrets/crm}\n",
                  "/etc/pulse"));
  EXPECT_EQ(file.adapter.credentials_file, "/etc/pulse/secrets/crm");
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig env,
      ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}, credentials_env: CRM_TOKEN}\n", "/x"));
  EXPECT_EQ(env.adapter.credentials_env, "CRM_TOKEN");
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}, credentials_file: f, "
                          "credentials_env: E}\n",
                          "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("adapter.credentials_file"), HasSubstr("adapter.credentials_env"))));
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}, credentials_env: \"CRM TOKEN\"}\n",
                          "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.credentials_env: must be")));
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}, credentials: x}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.credentials: unknown key")));
}

TEST(SecurityConfig, TlsAuthAndLimitsAreReadResolvedAndRenderedBack) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c,
      ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\n"
                  "tls: {cert_file: tls/server.crt, key_file: tls/server.key, client_ca_file: tls/ca.crt, "
                  "require_client_cert: true, reload_interval: 5s}\n"
                  "auth: {tokens_file: tokens, allow_insecure: true}\n"
                  "limits: {max_receive_message_bytes: 65536, max_concurrent_streams: 8, default_deadline: 2m}\n",
                  "/etc/pulse"));
  EXPECT_EQ(c.tls.cert_file, "/etc/pulse/tls/server.crt");
  EXPECT_EQ(c.tls.key_file, "/etc/pulse/tls/server.key");
  EXPECT_EQ(c.tls.client_ca_file, "/etc/pulse/tls/ca.crt");
  EXPECT_TRUE(c.tls.require_client_cert);
  EXPECT_EQ(c.tls.reload_interval, absl::Seconds(5));
  EXPECT_EQ(c.auth.tokens_file, "/etc/pulse/tokens");
  EXPECT_TRUE(c.auth.allow_insecure);
  EXPECT_EQ(c.limits.max_receive_message_bytes, 65536);
  EXPECT_EQ(c.limits.max_concurrent_streams, 8);
  EXPECT_EQ(c.limits.default_deadline, absl::Minutes(2));
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/elsewhere"));
  EXPECT_EQ(back.tls.client_ca_file, c.tls.client_ca_file);
  EXPECT_EQ(back.tls.reload_interval, c.tls.reload_interval);
  EXPECT_EQ(back.auth.tokens_file, c.auth.tokens_file);
  EXPECT_EQ(back.limits.default_deadline, c.limits.default_deadline);
}

TEST(SecurityConfig, ErrorsNameTheKey) {
  const std::string base = "store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\n";
  EXPECT_THAT(ParseConfig(base + "tls: {cert_file: a.crt}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.key_file")));
  EXPECT_THAT(ParseConfig(base + "tls: {cert_file: a, key_file: b, require_client_cert: true}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.require_client_cert: needs")));
  EXPECT_THAT(ParseConfig(base + "tls: {client_ca_file: ca}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.client_ca_file")));
  EXPECT_THAT(ParseConfig(base + "tls: {cert: a}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.cert: unknown key")));
  EXPECT_THAT(ParseConfig(base + "auth: {tokens: t}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("auth.tokens: unknown key")));
  EXPECT_THAT(ParseConfig(base + "limits: {max_concurrent_streams: 0}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limits.max_concurrent_streams")));
}

TEST(SecurityConfig, TokensInClearTextOffLoopbackAreRefused) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c, ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\nauth: {tokens_file: t}\n",
                                 "/x"));
  EXPECT_THAT(CheckTransportSecurity(c), IsOk()) << "the default listen address is loopback";
  for (const char* local : {"localhost:1", "[::1]:50051", "127.0.0.2:0"}) {
    c.listen = local;
    EXPECT_THAT(CheckTransportSecurity(c), IsOk()) << local;
  }
  c.listen = "0.0.0.0:50051";
  EXPECT_THAT(CheckTransportSecurity(c),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("clear text"), HasSubstr("0.0.0.0"))));
  c.auth.allow_insecure = true;
  EXPECT_THAT(CheckTransportSecurity(c), IsOk());
  c.auth.allow_insecure = false;
  c.tls.cert_file = "/x/a.crt";
  c.tls.key_file = "/x/a.key";
  EXPECT_THAT(CheckTransportSecurity(c), IsOk());
}

TEST(Config, RenderedConfigKeepsTheNewKeys) {
  PulseConfig c;
  c.store_path = "/data/pulse.db";
  c.adapter.csv.dir = "/data";
  c.http_listen = "";
  c.log_format = "json";
  c.adapter.credentials_env = "CRM_TOKEN";
  const std::string yaml = RenderConfig(c);
  EXPECT_THAT(yaml, HasSubstr("http_listen: \"\""));
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(yaml, "/elsewhere"));
  EXPECT_EQ(back.http_listen, "");
  EXPECT_EQ(back.log_format, "json");
  EXPECT_EQ(back.adapter.credentials_env, "CRM_TOKEN");
  c.adapter.credentials_env.clear();
  c.adapter.credentials_file = "/var/run/secrets/pulse/credentials";
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back2, ParseConfig(RenderConfig(c), "/elsewhere"));
  EXPECT_EQ(back2.adapter.credentials_file, "/var/run/secrets/pulse/credentials");
  PulseConfig plain;
  plain.store_path = "/p";
  plain.adapter.csv.dir = "/d";
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig defaults, ParseConfig(RenderConfig(plain), "/x"));
  EXPECT_EQ(defaults.http_listen, "127.0.0.1:9090");
  EXPECT_EQ(defaults.log_format, "text");
}

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("pulse-cred-", getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    unsetenv("PULSE_TEST_CRM_TOKEN");
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(CredentialsTest, FileIsReadTrimmedAndRegisteredAsSecret) {
  AdapterConfig a;
  a.credentials_file = Write("token", "  file-token-12345\n");
  PULSE_ASSERT_OK_AND_ASSIGN(std::string value, LoadAdapterCredentials(a));
  EXPECT_EQ(value, "file-token-12345");
  EXPECT_EQ(Redact("Bearer file-token-12345"), "Bearer ***");
}

TEST_F(CredentialsTest, EnvIsReadAndRegisteredAsSecret) {
  setenv("PULSE_TEST_CRM_TOKEN", "env-token-67890", 1);
  AdapterConfig a;
  a.credentials_env = "PULSE_TEST_CRM_TOKEN";
  PULSE_ASSERT_OK_AND_ASSIGN(std::string value, LoadAdapterCredentials(a));
  EXPECT_EQ(value, "env-token-67890");
  EXPECT_EQ(Redact("key=env-token-67890"), "key=***");
}

TEST_F(CredentialsTest, ErrorsNameTheFileOrVariable) {
  AdapterConfig a;
  EXPECT_THAT(LoadAdapterCredentials(a),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("adapter.credentials_file or")));
  a.credentials_file = (dir_ / "missing").string();
  EXPECT_THAT(LoadAdapterCredentials(a), StatusIs(absl::StatusCode::kNotFound, HasSubstr(a.credentials_file)));
  a.credentials_file = Write("blank", " \n\t\n");
  EXPECT_THAT(LoadAdapterCredentials(a),
              StatusIs(absl::StatusCode::kFailedPrecondition, AllOf(HasSubstr("blank"), HasSubstr("empty"))));
  a.credentials_file.clear();
  a.credentials_env = "PULSE_TEST_CRM_TOKEN";
  EXPECT_THAT(LoadAdapterCredentials(a),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("PULSE_TEST_CRM_TOKEN")));
  setenv("PULSE_TEST_CRM_TOKEN", "   ", 1);
  EXPECT_THAT(LoadAdapterCredentials(a),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("PULSE_TEST_CRM_TOKEN")));
}

constexpr char kOdoo[] = R"(
store: {path: p}
adapter:
  type: odoo
  credentials_file: secrets/odoo-key
  odoo:
    url: https://erp.example.com
    database: prod
    username: pulse-bot
    api: jsonrpc
    order_sources: [sale_orders, invoices]
    activity_sources: [messages]
    reconcile_every: 6h
    page_size: 200
    timeout: 30s
    verify_tls: false
    ca_file: certs/ca.pem
)";

TEST(Config, OdooKeysAreRead) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(kOdoo, "/etc/pulse"));
  const OdooAdapterSettings& o = c.adapter.odoo;
  EXPECT_EQ(c.adapter.type, "odoo");
  EXPECT_EQ(o.url, "https://erp.example.com");
  EXPECT_EQ(o.database, "prod");
  EXPECT_EQ(o.username, "pulse-bot");
  EXPECT_EQ(o.api, "jsonrpc");
  EXPECT_THAT(o.order_sources, ::testing::ElementsAre("sale_orders", "invoices"));
  EXPECT_THAT(o.activity_sources, ::testing::ElementsAre("messages"));
  EXPECT_EQ(o.reconcile_every, absl::Hours(6));
  EXPECT_EQ(o.page_size, 200);
  EXPECT_EQ(o.timeout, absl::Seconds(30));
  EXPECT_FALSE(o.verify_tls);
  EXPECT_EQ(o.ca_file, "/etc/pulse/certs/ca.pem");
  EXPECT_EQ(c.adapter.credentials_file, "/etc/pulse/secrets/odoo-key");
}

TEST(Config, OdooDefaults) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c,
      ParseConfig("store: {path: p}\nadapter: {type: odoo, credentials_env: ODOO_KEY, odoo: {url: "
                  "'https://erp.example.com', api: json2}}\n",
                  "/x"));
  const OdooAdapterSettings& o = c.adapter.odoo;
  EXPECT_THAT(o.order_sources, ::testing::ElementsAre("sale_orders"));
  EXPECT_THAT(o.activity_sources, ::testing::ElementsAre("messages", "calendar_events"));
  EXPECT_EQ(o.reconcile_every, absl::Hours(24));
  EXPECT_EQ(o.page_size, 500);
  EXPECT_TRUE(o.verify_tls);
}

TEST(Config, OdooErrorsNameTheKey) {
  auto odoo = [](const std::string& block, const std::string& extra = "credentials_env: ODOO_KEY, ") {
    return ParseConfig(absl::StrCat("store: {path: p}\nadapter: {type: odoo, ", extra, "odoo: {", block, "}}\n"),
                       "/x");
  };
  const std::string ok = "url: 'https://e.example', database: d, username: u";
  EXPECT_THAT(odoo(ok), IsOk());
  EXPECT_THAT(odoo("database: d, username: u"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.url: is required")));
  EXPECT_THAT(odoo("url: erp.example.com, database: d, username: u"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.url: must start with https://")));
  EXPECT_THAT(odoo("url: 'https://e.example', username: u"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.database: is required")));
  EXPECT_THAT(odoo("url: 'https://e.example', database: d"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.username: is required")));
  EXPECT_THAT(odoo(ok, ""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.credentials_file")));
  EXPECT_THAT(odoo(ok + ", api: xmlrpc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.api: must be auto")));
  EXPECT_THAT(odoo(ok + ", order_sources: [quotes]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.order_sources")));
  EXPECT_THAT(odoo(ok + ", order_sources: []"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.order_sources")));
  EXPECT_THAT(odoo(ok + ", activity_sources: [phone]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.activity_sources")));
  EXPECT_THAT(odoo(ok + ", page_size: 0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.page_size: must be between")));
  EXPECT_THAT(odoo(ok + ", reconcile_every: often"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.reconcile_every")));
  EXPECT_THAT(odoo(ok + ", password: x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.odoo.password: unknown key")));
}

TEST(Config, RenderedOdooConfigParsesBack) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(kOdoo, "/etc/pulse"));
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/"));
  EXPECT_EQ(back.adapter.type, "odoo");
  EXPECT_EQ(back.adapter.odoo.url, c.adapter.odoo.url);
  EXPECT_EQ(back.adapter.odoo.database, "prod");
  EXPECT_EQ(back.adapter.odoo.api, "jsonrpc");
  EXPECT_EQ(back.adapter.odoo.order_sources, c.adapter.odoo.order_sources);
  EXPECT_EQ(back.adapter.odoo.activity_sources, c.adapter.odoo.activity_sources);
  EXPECT_EQ(back.adapter.odoo.reconcile_every, absl::Hours(6));
  EXPECT_EQ(back.adapter.odoo.ca_file, "/etc/pulse/certs/ca.pem");
  EXPECT_FALSE(back.adapter.odoo.verify_tls);
}

TEST(Config, MissingFileIsNotFound) {
  EXPECT_THAT(LoadConfigFile("/nonexistent/pulse.yaml"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pulse

namespace pulse {
namespace {

constexpr char kSuiteCrm[] = R"(
store: {path: p}
adapter:
  type: suitecrm
  credentials_file: secrets/suitecrm
  suitecrm:
    base_url: https://crm.example.com/legacy
    grant: password
    client_id: 0a1b2c3d-pulse
    username: pulse-api
    order_sources: [invoices, opportunities]
    task_module: Calls
    first_response: field:first_reply_c
    task_key_field: pulse_key_c
    deletions: legacy_api
    reconcile_every: 12
    concurrency: 6
    page_size: 200
    timeout: 45s
    verify_tls: false
    ca_file: certs/crm.pem
)";

TEST(SuiteCrmConfig, EveryKeyIsRead) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(kSuiteCrm, "/etc/pulse"));
  const SuiteCrmSettings& s = c.adapter.suitecrm;
  EXPECT_EQ(c.adapter.type, "suitecrm");
  EXPECT_EQ(s.base_url, "https://crm.example.com/legacy");
  EXPECT_EQ(s.grant, "password");
  EXPECT_EQ(s.client_id, "0a1b2c3d-pulse");
  EXPECT_EQ(s.username, "pulse-api");
  EXPECT_EQ(s.order_sources, (std::vector<std::string>{"invoices", "opportunities"}));
  EXPECT_EQ(s.task_module, "Calls");
  EXPECT_EQ(s.first_response, "field:first_reply_c");
  EXPECT_EQ(s.task_key_field, "pulse_key_c");
  EXPECT_EQ(s.deletions, "legacy_api");
  EXPECT_EQ(s.reconcile_every, 12);
  EXPECT_EQ(s.concurrency, 6);
  EXPECT_EQ(s.page_size, 200);
  EXPECT_EQ(s.timeout, absl::Seconds(45));
  EXPECT_FALSE(s.verify_tls);
  EXPECT_EQ(s.ca_file, "/etc/pulse/certs/crm.pem");
  EXPECT_EQ(c.adapter.credentials_file, "/etc/pulse/secrets/suitecrm");
}

TEST(SuiteCrmConfig, DefaultsAreSafe) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c,
      ParseConfig("store: {path: p}\nadapter: {type: suitecrm, credentials_env: SUITECRM_SECRET, suitecrm: "
                  "{base_url: 'https://crm', client_id: c}}\n",
                  "/x"));
  const SuiteCrmSettings& s = c.adapter.suitecrm;
  EXPECT_EQ(s.grant, "client_credentials");
  EXPECT_EQ(s.order_sources, std::vector<std::string>{"invoices"});
  EXPECT_EQ(s.task_module, "Tasks");
  EXPECT_EQ(s.first_response, "case_updates");
  EXPECT_EQ(s.deletions, "reconcile");
  EXPECT_TRUE(s.verify_tls);
}

TEST(SuiteCrmConfig, ErrorsNameTheKey) {
  auto parse = [](const std::string& suitecrm, const std::string& extra = "credentials_env: S, ") {
    return ParseConfig(absl::StrCat("store: {path: p}\nadapter: {type: suitecrm, ", extra, "suitecrm: {", suitecrm,
                                    "}}\n"),
                       "/x");
  };
  const std::string ok = "base_url: 'https://crm', client_id: c";
  EXPECT_THAT(parse(ok), IsOk());
  EXPECT_THAT(parse(ok + ", colour: blue"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.colour: unknown key")));
  EXPECT_THAT(parse("client_id: c"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.base_url: is required")));
  EXPECT_THAT(parse("base_url: crm.example.com, client_id: c"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.base_url: must start")));
  EXPECT_THAT(parse("base_url: 'https://crm'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.client_id: is required")));
  EXPECT_THAT(parse(ok + ", grant: implicit"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.grant")));
  EXPECT_THAT(parse(ok + ", grant: password"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.username: is required")));
  EXPECT_THAT(parse(ok + ", deletions: legacy_api"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.username: is required")));
  EXPECT_THAT(parse(ok + ", deletions: never"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.deletions")));
  EXPECT_THAT(parse(ok + ", order_sources: [quotes]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.order_sources: unknown source 'quotes'")));
  EXPECT_THAT(parse(ok + ", task_module: Notes"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.task_module")));
  EXPECT_THAT(parse(ok + ", first_response: 'field:'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.first_response")));
  EXPECT_THAT(parse(ok + ", concurrency: 0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.concurrency: must be between")));
  EXPECT_THAT(parse(ok + ", page_size: 5000"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.page_size")));
  EXPECT_THAT(parse(ok + ", timeout: soon"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.suitecrm.timeout")));
  EXPECT_THAT(parse(ok, ""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adapter.credentials_file")));
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: sugar}\n", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("available: csv, suitecrm")));
}

TEST(SuiteCrmConfig, RenderedConfigParsesBack) {
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig c, ParseConfig(kSuiteCrm, "/etc/pulse"));
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig back, ParseConfig(RenderConfig(c), "/etc/pulse"));
  const SuiteCrmSettings& a = c.adapter.suitecrm;
  const SuiteCrmSettings& b = back.adapter.suitecrm;
  EXPECT_EQ(b.base_url, a.base_url);
  EXPECT_EQ(b.grant, a.grant);
  EXPECT_EQ(b.username, a.username);
  EXPECT_EQ(b.order_sources, a.order_sources);
  EXPECT_EQ(b.task_module, a.task_module);
  EXPECT_EQ(b.first_response, a.first_response);
  EXPECT_EQ(b.task_key_field, a.task_key_field);
  EXPECT_EQ(b.deletions, a.deletions);
  EXPECT_EQ(b.reconcile_every, a.reconcile_every);
  EXPECT_EQ(b.concurrency, a.concurrency);
  EXPECT_EQ(b.page_size, a.page_size);
  EXPECT_EQ(b.timeout, a.timeout);
  EXPECT_EQ(b.verify_tls, a.verify_tls);
  EXPECT_EQ(b.ca_file, a.ca_file);
}

}  // namespace
}  // namespace pulse
