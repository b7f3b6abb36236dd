// `pulsed demo --simulate-weeks`: weekly sweeps over past weeks in which
// tasks save some truly leaving accounts, then a sweep whose report states
// the effect measured against the holdout.
#include <filesystem>
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
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pulse
