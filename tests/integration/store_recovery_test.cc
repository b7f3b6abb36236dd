// End to end with the real pulsed binary: the integrity check at start, the
// refusal of a store from a newer schema, scheduled and on-demand backups,
// and the documented restore (docs/RELIABILITY.md, "Restore").
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
using ::pulse::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEndDate[] = "2026-06-30";

std::string Binary(const std::string& name) { return ::pulse::testing::CliBinary(name); }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs one statement on the file through a plain sqlite3 connection and
// returns the first column of the first row.
std::string Sql(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db);
  } else {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    } else if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

std::vector<fs::path> Generations(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("pulse-", 0) == 0 && name.size() > 3 && name.substr(name.size() - 3) == ".db") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class StoreRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("pulse-it-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir_.string(), "--accounts", "200", "--seed",
                                   "5", "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    std::string yaml = ReadFile(dir_ / "pulse.yaml");
    for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"run_on_start: true", "run_on_start: false"},
             {"integrity_check: quick", "integrity_check: quick\n  backup: {dir: backups, interval: 1h, keep: 2}"}}) {
      ASSERT_NE(yaml.find(from), std::string::npos) << yaml;
      yaml.replace(yaml.find(from), from.size(), to);
    }
    std::ofstream(dir_ / "pulse.yaml") << yaml;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `pulsed sweep`: its exit code, and stdout followed by stderr.
  std::pair<int, std::string> Sweep() {
    auto [code, out] = RunCommand({Binary("pulsed"), "sweep", "--config", config(), "--as-of", kEndDate, "--top", "0"},
                                  absl::Seconds(120), (dir_ / "sweep.err").string());
    return {code, out + ReadFile(dir_ / "sweep.err")};
  }

  std::string config() const { return (dir_ / "pulse.yaml").string(); }
  fs::path store() const { return dir_ / "pulse.db"; }

  fs::path dir_;
};

TEST_F(StoreRecoveryTest, ServeBacksUpACorruptStoreIsRefusedAndTheBackupRestores) {
  auto [first_code, first] = Sweep();
  ASSERT_EQ(first_code, 0) << first;
  const std::string orders = Sql(store(), "SELECT count(*) FROM orders");
  ASSERT_NE(orders, "0");

  // serve takes the first generation at start (there is none yet).
  auto server = ChildProcess::Start({Binary("pulsed"), "serve", "--config", config(), "--listen", "127.0.0.1:0",
                                     "--http-listen", ""},
                                    (dir_ / "serve.log").string());
  ASSERT_TRUE(server.has_value());
  ASSERT_TRUE(server->ReadLine(absl::Seconds(30)).has_value()) << ReadFile(dir_ / "serve.log");
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (Generations(dir_ / "backups").empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_EQ(Generations(dir_ / "backups").size(), 1u) << ReadFile(dir_ / "serve.log");
  // An on-demand backup while serve has the store open; keep: 2 prunes the
  // oldest of three.
  for (int i = 0; i < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(1100));  // generations are named by the second
    auto [code, out] = RunCommand({Binary("pulsed"), "backup", "--config", config()});
    ASSERT_EQ(code, 0) << out;
    EXPECT_THAT(out, HasSubstr("Backed up "));
  }
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(absl::Seconds(30)), 0) << ReadFile(dir_ / "serve.log");
  const std::vector<fs::path> kept = Generations(dir_ / "backups");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(Sql(kept.back(), "SELECT count(*) FROM orders"), orders);  // the backup holds the data
  EXPECT_EQ(Sql(kept.back(), "PRAGMA quick_check"), "ok");

  // Damage the orders table's root page, as a torn write would.
  const int page = std::stoi(Sql(store(), "SELECT rootpage FROM sqlite_schema WHERE name = 'orders'"));
  const int page_size = std::stoi(Sql(store(), "PRAGMA page_size"));
  ASSERT_GT(page, 1);
  {
    std::fstream file(store(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(page - 1) * page_size);
    const std::string garbage(page_size, '\x5a');
    file.write(garbage.data(), garbage.size());
    ASSERT_TRUE(file.good());
  }
  const std::string damaged = ReadFile(store());
  auto [refused_code, refused] = Sweep();
  EXPECT_EQ(refused_code, 1) << refused;
  EXPECT_THAT(refused, HasSubstr(absl::StrCat("store ", store().string(), ": failed its integrity check")));
  EXPECT_THAT(refused, HasSubstr("will not run on a damaged store"));
  EXPECT_THAT(refused, HasSubstr(absl::StrCat("cp ", kept.back().string(), " ", store().string())));
  EXPECT_EQ(ReadFile(store()), damaged);  // left as found
  auto [serve_code, serve_out] =
      RunCommand({Binary("pulsed"), "serve", "--config", config(), "--listen", "127.0.0.1:0", "--http-listen", ""},
                 absl::Seconds(60), (dir_ / "serve2.log").string());
  EXPECT_EQ(serve_code, 1);
  EXPECT_THAT(ReadFile(dir_ / "serve2.log"), HasSubstr("failed its integrity check"));

  // The documented restore: copy the newest backup over the store (no -wal
  // or -shm is left after a clean stop), and Pulse runs again.
  EXPECT_FALSE(fs::exists(store().string() + "-wal"));
  fs::copy_file(kept.back(), store(), fs::copy_options::overwrite_existing);
  auto [restored_code, restored] = Sweep();
  EXPECT_EQ(restored_code, 0) << restored;
  EXPECT_THAT(restored, Not(HasSubstr("integrity")));
  EXPECT_EQ(Sql(store(), "SELECT count(*) FROM orders"), orders);
}

TEST_F(StoreRecoveryTest, AStoreFromANewerSchemaIsRefusedByEveryCommand) {
  auto [first_code, first] = Sweep();
  ASSERT_EQ(first_code, 0) << first;
  const std::string version = Sql(store(), "PRAGMA user_version");
  const int newer = std::stoi(version) + 1;
  Sql(store(), absl::StrCat("PRAGMA user_version = ", newer));
  auto [code, out] = Sweep();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("store ", store().string(), ": schema version ", newer,
                                          " is newer than this build of Pulse knows (version ", version,
                                          "); run a newer Pulse")));
  auto [serve_code, serve_out] =
      RunCommand({Binary("pulsed"), "serve", "--config", config(), "--listen", "127.0.0.1:0", "--http-listen", ""},
                 absl::Seconds(60), (dir_ / "serve.log").string());
  EXPECT_EQ(serve_code, 1);
  EXPECT_THAT(ReadFile(dir_ / "serve.log"), HasSubstr("is newer than this build of Pulse knows"));
  EXPECT_EQ(Sql(store(), "PRAGMA user_version"), absl::StrCat(newer));  // untouched
}

TEST_F(StoreRecoveryTest, BackupCommandErrorsAreClear) {
  auto [missing_code, missing] = RunCommand({Binary("pulsed"), "backup", "--config", config()}, absl::Seconds(30),
                                            (dir_ / "err.log").string());
  EXPECT_EQ(missing_code, 1);
  EXPECT_THAT(ReadFile(dir_ / "err.log"), HasSubstr(absl::StrCat(store().string(), ": no such file to back up")));
  auto [usage_code, usage] = RunCommand({Binary("pulsed"), "backup"}, absl::Seconds(30), (dir_ / "err.log").string());
  EXPECT_EQ(usage_code, 2);
  EXPECT_THAT(ReadFile(dir_ / "err.log"), HasSubstr("--config FILE is required"));
}

}  // namespace
}  // namespace pulse
