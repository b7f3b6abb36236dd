// Exactly-once task delivery across crashes: `pulsed sweep` is killed with
// SIGKILL at each failpoint of the write path (PULSE_FAILPOINTS), then run
// again. The CRM (the CSV folder's tasks.csv) must end with every planned
// task exactly once: none lost, none written twice.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/common/csv_reader.h"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::RunCommand;
using ::testing::HasSubstr;

constexpr char kEndDate[] = "2026-06-30";

std::vector<std::string> TaskKeys(const fs::path& p) {
  std::vector<std::string> keys;
  auto reader = CsvReader::Open(p.string());
  if (!reader.ok()) return keys;
  CsvRow row;
  std::string err;
  while ((*reader)->Next(&row, &err)) keys.emplace_back(row.Get("key"));
  return keys;
}

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = GetParam();
    for (char& c : name) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    dir_ = fs::temp_directory_path() / absl::StrCat("pulse-crash-", name, "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({pulse::testing::CliBinary("pulsed"), "demo", "--out", dir_.string(), "--accounts",
                                   "300", "--seed", "5", "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    // No holdout here: every planned task must reach the CRM.
    std::ifstream in(dir_ / "pulse.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string yaml = ss.str();
    const std::string contact = "\ncontact:\n";
    const size_t at = yaml.find(contact);
    ASSERT_NE(at, std::string::npos) << yaml;
    yaml.insert(at + contact.size(), "  holdout: {key: 0, mid: 0, tail: 0}\n");
    std::ofstream(dir_ / "pulse.yaml") << yaml;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::pair<int, std::string> Sweep(const std::string& failpoints) {
    // env(1) sets the variable for the child only.
    std::vector<std::string> argv = {"/usr/bin/env", "PULSE_FAILPOINTS=" + failpoints,
                                     pulse::testing::CliBinary("pulsed"), "sweep", "--config",
                                     (dir_ / "pulse.yaml").string()};
    return RunCommand(argv, absl::Seconds(300), (dir_ / "stderr.log").string());
  }

  fs::path dir_;
};

TEST_P(CrashTest, KilledAtTheFailpointThenRunAgainWritesEveryTaskExactlyOnce) {
  // The delivery points are killed on their 5th hit: some tasks are
  // through, one is mid-flight.
  const std::string point = GetParam();
  auto [crash_code, crash_out] = Sweep(point);
  ASSERT_EQ(crash_code, -9) << "the sweep was not killed at " << point << "\n" << crash_out;
  const std::vector<std::string> after_crash = TaskKeys(dir_ / "tasks.csv");

  auto [code, out] = Sweep("");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr(" 0 failed,")) << out;
  EXPECT_THAT(out, HasSubstr(", 0 pending in the outbox")) << out;

  const std::vector<std::string> keys = TaskKeys(dir_ / "tasks.csv");
  const std::set<std::string> unique(keys.begin(), keys.end());
  EXPECT_EQ(unique.size(), keys.size()) << "a task was written twice";
  for (const std::string& k : after_crash) EXPECT_EQ(unique.count(k), 1u) << k;
  EXPECT_GT(keys.size(), after_crash.size());

  // The same data without a crash plans the same tasks: none was lost.
  const fs::path ref = dir_ / "reference";
  fs::create_directories(ref);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && file.size() > 4 && file.substr(file.size() - 4) == ".csv" && file != "tasks.csv" &&
        file != "owner_changes.csv") {
      fs::copy_file(entry.path(), ref / file);
    }
  }
  std::ifstream in(dir_ / "pulse.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string yaml = ss.str();
  std::ofstream(ref / "pulse.yaml") << yaml;
  auto [ref_code, ref_out] =
      RunCommand({pulse::testing::CliBinary("pulsed"), "sweep", "--config", (ref / "pulse.yaml").string()},
                 absl::Seconds(300));
  ASSERT_EQ(ref_code, 0) << ref_out;
  const std::vector<std::string> ref_keys = TaskKeys(ref / "tasks.csv");
  EXPECT_EQ(std::set<std::string>(ref_keys.begin(), ref_keys.end()), unique);

  // A third sweep writes nothing.
  auto [again_code, again_out] = Sweep("");
  ASSERT_EQ(again_code, 0) << again_out;
  EXPECT_EQ(TaskKeys(dir_ / "tasks.csv").size(), keys.size());
}

INSTANTIATE_TEST_SUITE_P(WritePath, CrashTest,
                         ::testing::Values("sweep.after_decisions=kill", "sweep.after_outbox=kill",
                                           "deliver.before_crm_write=kill@5", "deliver.after_crm_write=kill@5",
                                           "deliver.after_mark_delivered=kill@5"));

}  // namespace
}  // namespace pulse
