#include "sidecar/config/templates_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/config/config.h"
#include "sidecar/engine/task_text.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TemplatesFile, OverridesOnlyTheFieldsItNames) {
  const std::string yaml =
      "fi:\n  win_back:\n    subject: \"{action} – {account} ({account_id})\"\n    what_to_do: Soita tänään.\n";
  PULSE_ASSERT_OK_AND_ASSIGN(TaskTemplates t, ApplyTemplateOverrides(DefaultTaskTemplates(), yaml, "t.yaml"));
  const ActionTemplate& w = t.Get("fi", "win_back");
  EXPECT_EQ(w.title, "Palautuspuhelu");  // kept
  EXPECT_EQ(w.subject, "{action} – {account} ({account_id})");
  EXPECT_EQ(w.what_to_do, "Soita tänään.");
  EXPECT_EQ(t.Get("en", "win_back").subject, DefaultTaskTemplates().Get("en", "win_back").subject);
  EXPECT_EQ(FillSubject(w.subject, "Oy Ab", "A-1", w.title), "Palautuspuhelu – Oy Ab (A-1)");
  EXPECT_EQ(FillSubject(w.subject, "", "A-1", w.title), "Palautuspuhelu – A-1 (A-1)");
}

TEST(TemplatesFile, ErrorsNameTheFileAndThePath) {
  auto apply = [](const std::string& yaml) { return ApplyTemplateOverrides(DefaultTaskTemplates(), yaml, "t.yaml"); };
  EXPECT_THAT(apply("sv: {}"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml: sv: unknown language")));
  EXPECT_THAT(apply("en: {hug: {title: x}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml: en.hug: unknown action id")));
  EXPECT_THAT(apply("en: {growth: {colour: red}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("en.growth.colour: unknown field")));
  EXPECT_THAT(apply("en: {growth: {subject: 'Call {owner}'}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown placeholder {owner}")));
  EXPECT_THAT(apply("en: {growth: {subject: ''}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("en.growth.subject: must not be empty")));
  EXPECT_THAT(apply("en: [1, 2"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid YAML")));
}

TEST(TemplatesFile, FeedbackRequestAndRecognitionHaveEditableTextsInBothLanguages) {
  for (const std::string language : {"en", "fi"}) {
    for (const std::string action : {"feedback_request", "recognition"}) {
      const auto& actions = DefaultTaskTemplates().by_language.at(language);
      ASSERT_TRUE(actions.count(action)) << language << "." << action;
      EXPECT_FALSE(actions.at(action).what_to_do.empty()) << language << "." << action;
    }
  }
  EXPECT_EQ(DefaultTaskTemplates().Get("fi", "recognition").title, "Kiitospuhelu");
  PULSE_ASSERT_OK_AND_ASSIGN(
      TaskTemplates t,
      ApplyTemplateOverrides(DefaultTaskTemplates(),
                             "en:\n  recognition:\n    what_to_do: Invite them to the anniversary dinner.\n"
                             "fi:\n  feedback_request: {title: Asiakaskysely}\n",
                             "t.yaml"));
  EXPECT_EQ(t.Get("en", "recognition").what_to_do, "Invite them to the anniversary dinner.");
  EXPECT_EQ(t.Get("fi", "feedback_request").title, "Asiakaskysely");
}

// A key that is a list or a mapping used to throw out of yaml-cpp and end the
// process (found while writing the config fuzz target; tests/fuzz/regressions/config/).
TEST(TemplatesFile, KeysThatAreNotNamesAreAnError) {
  auto apply = [](const std::string& yaml) { return ApplyTemplateOverrides(DefaultTaskTemplates(), yaml, "t.yaml"); };
  EXPECT_THAT(apply("{[en]: x}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml: has a key that is not a name")));
  EXPECT_THAT(apply("en: {{a: b}: {title: x}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml: en: has a key that is not a name")));
  EXPECT_THAT(apply("en: {growth: {[title]: x}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml: en.growth: has a key that is not")));
}

TEST(TemplatesFile, TheRenderedDefaultsReadBackUnchanged) {
  TaskTemplates empty;
  PULSE_ASSERT_OK_AND_ASSIGN(TaskTemplates back,
                             ApplyTemplateOverrides(empty, RenderTemplatesYaml(DefaultTaskTemplates()), "defaults"));
  for (const auto& [language, actions] : DefaultTaskTemplates().by_language) {
    for (const auto& [action, t] : actions) {
      const ActionTemplate& b = back.Get(language, action);
      EXPECT_EQ(b.title, t.title) << language << "." << action;
      EXPECT_EQ(b.subject, t.subject) << language << "." << action;
      EXPECT_EQ(b.what_to_do, t.what_to_do) << language << "." << action;
    }
  }
}

TEST(TemplatesFile, TheConfigLoadsItAndPicksTheLanguageByCountry) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("pulse-templates-", getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "texts.yaml") << "fi:\n  check_in:\n    subject: 'Soita: {account}'\n";
  PULSE_ASSERT_OK_AND_ASSIGN(
      PulseConfig c, ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\n"
                                 "contact: {templates_file: texts.yaml, language_by_country: {FI: fi}}\n",
                                 dir.string()));
  EXPECT_EQ(c.engine.contact.templates_file, (dir / "texts.yaml").string());
  AccountAssessment finnish;
  finnish.account_id = "A1";
  finnish.name = "Konepaja Oy";
  finnish.country = "FI";
  AccountAssessment swedish = finnish;
  swedish.country = "SE";
  swedish.name = "Verkstad AB";
  const ContactPolicy& policy = c.engine.contact;
  EXPECT_EQ(TaskSubject(finnish, ActionKind::kCheckIn, TaskLanguage(finnish, policy), policy.templates),
            "Soita: Konepaja Oy");
  EXPECT_EQ(TaskSubject(swedish, ActionKind::kCheckIn, TaskLanguage(swedish, policy), policy.templates),
            "Check-in call: Verkstad AB");
  EXPECT_THAT(TaskDescription(finnish, ActionKind::kCheckIn, absl::CivilDay(2026, 1, 5), "k",
                              TaskLanguage(finnish, policy), policy.templates),
              HasSubstr("Tee näin: Soita kuulumisten perään"));
  // The rendered config names the file and reads back the same.
  PULSE_ASSERT_OK_AND_ASSIGN(PulseConfig again, ParseConfig(RenderConfig(c), dir.string()));
  EXPECT_EQ(again.engine.contact.templates.Get("fi", "check_in").subject, "Soita: {account}");
  EXPECT_EQ(again.engine.contact.language_by_country.at("FI"), "fi");
  // A missing file and a bad one are config errors naming the key.
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\ncontact: {templates_file: nope.yaml}\n",
                          dir.string()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.templates_file: cannot read")));
  std::ofstream(dir / "bad.yaml") << "de: {}\n";
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\ncontact: {templates_file: bad.yaml}\n",
                          dir.string()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("de: unknown language")));
  EXPECT_THAT(ParseConfig("store: {path: p}\nadapter: {type: csv, csv: {dir: d}}\n"
                          "contact: {language_by_country: {FI: sv}}\n",
                          dir.string()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact.language_by_country.FI: must be en or fi")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pulse
