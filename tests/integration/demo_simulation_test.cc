// `pulsed demo --simulate-weeks`: weekly sweeps over past weeks in which
// tasks save some truly leaving accounts, then a sweep whose report states
// the effect measured against the holdout.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::RunCommand;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

TEST(DemoSimulation, SweepsPastWeeksAndTheNextSweepMeasuresTheEffect) {
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("pulse-sim-", getpid());
  fs::remove_all(dir);
  auto [code, out] = RunCommand({pulse::testing::CliBinary("pulsed"), "demo", "--out", dir.string(), "--accounts",
                                 "400", "--seed", "9", "--end-date", "2026-06-30", "--simulate-weeks", "8",
                                 "--holdout", "0.3"},
                                absl::Seconds(600));
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, ContainsRegex("Simulated 8 weekly sweeps in [0-9.]+ s: [1-9][0-9]* tasks written, [1-9][0-9]* "
                                 "withheld from the holdout"));
  EXPECT_THAT(out, HasSubstr("true effects: check_in 0.30"));
  auto [sweep_code, sweep_out] =
      RunCommand({pulse::testing::CliBinary("pulsed"), "sweep", "--config", (dir / "pulse.yaml").string()},
                 absl::Seconds(300));
  ASSERT_EQ(sweep_code, 0) << sweep_out;
  // Every simulated decision has matured by the data's last day.
  EXPECT_THAT(sweep_out, ContainsRegex("Measured effect \\(pulsectl uplift\\): ordered again within 90 days: [0-9]+% "
                                       "of [1-9][0-9]* decisions with a task vs [0-9]+% of [1-9][0-9]* held out"))
      << sweep_out;
  // Bad values are refused before anything is written.
  auto [bad_code, bad_out] = RunCommand({pulse::testing::CliBinary("pulsed"), "demo", "--out",
                                         (dir / "other").string(), "--holdout", "0.9"});
  EXPECT_EQ(bad_code, 2);
  EXPECT_FALSE(fs::exists(dir / "other" / "users.csv"));
  auto [weeks_code, weeks_out] = RunCommand({pulse::testing::CliBinary("pulsed"), "demo", "--out",
                                             (dir / "other").string(), "--simulate-weeks", "500"});
  EXPECT_EQ(weeks_code, 2);
  EXPECT_FALSE(fs::exists(dir / "other" / "users.csv"));

  // pulsed templates: the defaults, the configured ones, and a bad file named.
  auto [tpl_code, tpl_out] = RunCommand({pulse::testing::CliBinary("pulsed"), "templates"});
  ASSERT_EQ(tpl_code, 0);
  EXPECT_THAT(tpl_out, HasSubstr("win_back:\n    title: Palautuspuhelu"));
  std::ofstream(dir / "texts.yaml") << "fi:\n  win_back:\n    subject: 'Soita: {account}'\n";
  const fs::path cfg = dir / "texts-config.yaml";
  std::ofstream(cfg) << "store: {path: p.db}\nadapter: {type: csv, csv: {dir: .}}\n"
                        "contact: {templates_file: texts.yaml}\n";
  auto [own_code, own_out] =
      RunCommand({pulse::testing::CliBinary("pulsed"), "templates", "--config", cfg.string()});
  ASSERT_EQ(own_code, 0) << own_out;
  EXPECT_THAT(own_out, HasSubstr("subject: \"Soita: {account}\""));
  std::ofstream(dir / "texts.yaml") << "sv: {}\n";
  const std::string err_log = (dir / "templates.err").string();
  auto [bad_tpl_code, bad_tpl_out] =
      RunCommand({pulse::testing::CliBinary("pulsed"), "templates", "--config", cfg.string()}, absl::Seconds(60),
                 err_log);
  EXPECT_EQ(bad_tpl_code, 2);
  std::ifstream err_in(err_log);
  std::stringstream err;
  err << err_in.rdbuf();
  EXPECT_THAT(err.str(), HasSubstr("contact.templates_file"));
  EXPECT_THAT(err.str(), HasSubstr("sv: unknown language"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pulse
