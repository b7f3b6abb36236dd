// bench/load_bench against a real pulsed on a tiny demo CRM: a short run at a
// low rate with a sweep running answers every request, and the tool's own
// failures (no sweep yet, a bad file, a token without the operator role) are
// clear. Keeps the benchmark from rotting; the figures come from bench/load.sh.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
using ::pulse::testing::RunCommand;
using ::testing::HasSubstr;

constexpr char kViewerToken[] = "viewer-token-0123456789abcdef";
constexpr char kOperatorToken[] = "operator-token-0123456789abcdef";

std::string Cli(const std::string& name) { return ::pulse::testing::CliBinary(name); }
std::string LoadBench() { return ::pulse::testing::BinaryDir() + "/bench/load_bench"; }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LoadBenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("pulse-load-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Cli("pulsed"), "demo", "--out", dir_.string(), "--accounts", "300", "--seed", "5",
                                   "--end-date", "2026-06-30"});
    ASSERT_EQ(code, 0) << out;
    std::string yaml = ReadFile(dir_ / "pulse.yaml");
    const std::string from = "run_on_start: true";
    ASSERT_NE(yaml.find(from), std::string::npos);
    yaml.replace(yaml.find(from), from.size(), "run_on_start: false");
    std::ofstream(dir_ / "pulse.yaml") << yaml;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void EnableAuth() {
    std::ofstream(dir_ / "tokens") << "viewer " << kViewerToken << "\noperator " << kOperatorToken << "\n";
    std::ofstream(dir_ / "pulse.yaml", std::ios::app) << "auth: {tokens_file: tokens}\n";
    std::ofstream(dir_ / "operator.token") << kOperatorToken << "\n";
  }

  // Starts pulsed serve on a free port; sets address_.
  ChildProcess StartServer() {
    auto child = ChildProcess::Start({Cli("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(), "--listen",
                                      "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                     (dir_ / "pulsed.log").string());
    EXPECT_TRUE(child.has_value());
    auto line = child->ReadLine(absl::Seconds(30));
    EXPECT_TRUE(line.has_value()) << ReadFile(dir_ / "pulsed.log");
    int port = 0;
    if (line.has_value()) {
      EXPECT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(' ') + 1), &port)) << *line;
    }
    address_ = absl::StrCat("127.0.0.1:", port);
    return std::move(*child);
  }

  void FirstSweep(const std::vector<std::string>& connection = {}) {
    std::vector<std::string> argv = {Cli("pulsectl"), "--server", address_};
    argv.insert(argv.end(), connection.begin(), connection.end());
    argv.push_back("sweep");
    auto [code, out] = RunCommand(argv, absl::Seconds(120));
    ASSERT_EQ(code, 0) << out << ReadFile(dir_ / "pulsed.log");
  }

  fs::path dir_;
  std::string address_;
};

TEST_F(LoadBenchTest, ShortRunWithASweepRunningAnswersEveryRequest) {
  ChildProcess server = StartServer();
  FirstSweep();
  auto [code, out] = RunCommand({LoadBench(), "--server", address_, "--rps", "50", "--seconds", "2", "--sweep-during",
                                 "--accounts-csv", (dir_ / "accounts.csv").string(), "--json"},
                                absl::Seconds(120), (dir_ / "load.err").string());
  ASSERT_EQ(code, 0) << out << ReadFile(dir_ / "load.err");
  const nlohmann::json r = nlohmann::json::parse(out);
  EXPECT_EQ(r["sent"], 100);
  EXPECT_EQ(r["answered"], 100);
  EXPECT_EQ(r["error_count"], 0) << out;
  EXPECT_TRUE(r["errors"].empty()) << out;
  const nlohmann::json& m = r["methods"];
  EXPECT_EQ(m["all"]["requests"], 100);
  EXPECT_GT(m["ListContactQueue"]["requests"], 20);
  EXPECT_GT(m["GetAccountHealth"]["requests"], 20);
  EXPECT_EQ(m["ListContactQueue"]["ok"].get<int>() + m["GetAccountHealth"]["ok"].get<int>() +
                r["stale_page_tokens"].get<int>(),
            100);
  for (const char* method : {"ListContactQueue", "GetAccountHealth"}) {
    EXPECT_GT(m[method]["p50_ms"].get<double>(), 0) << method;
    EXPECT_LE(m[method]["p50_ms"].get<double>(), m[method]["p99_ms"].get<double>()) << method;
    EXPECT_LE(m[method]["p99_ms"].get<double>(), m[method]["max_ms"].get<double>()) << method;
  }
  // At least one sweep ran; on a tiny CRM it ends within the window and the next one starts.
  EXPECT_TRUE(r["sweep"]["requested"]);
  EXPECT_GE(r["sweep"]["started"].get<int>(), 1) << out;
  EXPECT_GT(r["sweep"]["covered_share"].get<double>(), 0.5) << out;
  EXPECT_TRUE(r["sweep"]["errors"].empty()) << out;

  // The same run as a table.
  auto [table_code, table] = RunCommand({LoadBench(), "--server", address_, "--rps", "20", "--seconds", "1"});
  EXPECT_EQ(table_code, 0) << table;
  EXPECT_THAT(table, HasSubstr("| ListContactQueue |"));
  EXPECT_THAT(table, HasSubstr("| GetAccountHealth |"));
  EXPECT_THAT(table, HasSubstr("Errors by status code: none"));
  EXPECT_THAT(table, HasSubstr("Sweep running throughout: not requested"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0);
}

TEST_F(LoadBenchTest, SaysWhatIsWrongBeforeLoading) {
  ChildProcess server = StartServer();
  auto [no_sweep, no_sweep_out] =
      RunCommand({LoadBench(), "--server", address_, "--seconds", "1"}, absl::Seconds(60), (dir_ / "err").string());
  EXPECT_EQ(no_sweep, 3);
  EXPECT_THAT(ReadFile(dir_ / "err"), HasSubstr("no sweep has finished yet"));
  FirstSweep();
  std::ofstream(dir_ / "no-id.csv") << "name\nAcme\n";
  for (const char* file : {"no-id.csv", "missing.csv"}) {
    auto [bad_csv, bad_csv_out] = RunCommand({LoadBench(), "--server", address_, "--seconds", "1", "--accounts-csv",
                                              (dir_ / file).string()},
                                             absl::Seconds(60), (dir_ / "err").string());
    EXPECT_EQ(bad_csv, 2) << file;
    EXPECT_THAT(ReadFile(dir_ / "err"), HasSubstr("--accounts-csv")) << file;
  }
  auto [bad_rps, bad_rps_out] =
      RunCommand({LoadBench(), "--server", address_, "--rps", "0"}, absl::Seconds(60), (dir_ / "err").string());
  EXPECT_EQ(bad_rps, 2);
  EXPECT_THAT(ReadFile(dir_ / "err"), HasSubstr("--rps"));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0);
}

TEST_F(LoadBenchTest, SendsTheBearerTokenAndNeedsTheOperatorRoleToSweep) {
  EnableAuth();
  ChildProcess server = StartServer();
  FirstSweep({"--token-file", (dir_ / "operator.token").string()});
  auto [no_token, no_token_out] =
      RunCommand({LoadBench(), "--server", address_, "--seconds", "1"}, absl::Seconds(60), (dir_ / "err").string());
  EXPECT_EQ(no_token, 3);
  EXPECT_THAT(ReadFile(dir_ / "err"), HasSubstr("listing the queue"));
  auto [viewer, viewer_out] = RunCommand(
      {LoadBench(), "--server", address_, "--seconds", "1", "--rps", "20", "--token", kViewerToken, "--sweep-during"},
      absl::Seconds(60), (dir_ / "err").string());
  EXPECT_EQ(viewer, 3) << viewer_out;
  const std::string err = ReadFile(dir_ / "err");
  EXPECT_THAT(err, HasSubstr("--sweep-during: RunSweep"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr(kViewerToken))) << "the token never appears in messages";
  auto [op, op_out] = RunCommand({LoadBench(), "--server", address_, "--seconds", "1", "--rps", "20", "--token-file",
                                  (dir_ / "operator.token").string(), "--sweep-during", "--json"},
                                 absl::Seconds(60), (dir_ / "err").string());
  EXPECT_EQ(op, 0) << op_out << ReadFile(dir_ / "err");
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(30)), 0);
}

}  // namespace
}  // namespace pulse
