// End to end: the real pulsed and pulsectl binaries on a generated demo CRM.
// The server listens on port 0 and is driven over gRPC.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/common/csv_reader.h"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"
#include "tests/testing/http_client.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
using ::pulse::testing::HttpGet;
using ::pulse::testing::RunCommand;
using ::testing::HasSubstr;

constexpr char kEndDate[] = "2026-06-30";

std::string Binary(const std::string& name) { return ::pulse::testing::CliBinary(name); }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

int64_t CountLines(const fs::path& p) {
  std::ifstream in(p);
  int64_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

// Task keys in tasks.csv, parsed as CSV (descriptions span lines).
std::vector<std::string> TaskKeys(const fs::path& p) {
  std::vector<std::string> keys;
  auto reader = CsvReader::Open(p.string());
  if (!reader.ok()) return keys;
  CsvRow row;
  std::string err;
  while ((*reader)->Next(&row, &err)) keys.emplace_back(row.Get("key"));
  return keys;
}

class PulsedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("pulse-it-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir_.string(), "--accounts", "400", "--seed",
                                   "11", "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    ASSERT_THAT(out, HasSubstr("Wrote a demo CRM"));
    // Sweeps only on request, so the test sees health before the first one.
    std::string yaml = ReadFile(dir_ / "pulse.yaml");
    const std::string from = "run_on_start: true";
    ASSERT_NE(yaml.find(from), std::string::npos) << yaml;
    yaml.replace(yaml.find(from), from.size(), "run_on_start: false");
    WriteFile(dir_ / "pulse.yaml", yaml);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Appends a malformed order row; returns its line number.
  int64_t AppendBadOrder() {
    const int64_t line = CountLines(dir_ / "orders.csv") + 1;
    std::ofstream(dir_ / "orders.csv", std::ios::app) << "bad-order-1,ACC-X,yesterday,abc,EUR\n";
    return line;
  }

  // Starts `pulsed serve` with gRPC and HTTP on free ports; reads both ports
  // from its first two stdout lines.
  ChildProcess StartServer(int* port, int* http_port = nullptr) {
    auto child = ChildProcess::Start({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(), "--listen",
                                      "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                     (dir_ / "pulsed.log").string());
    EXPECT_TRUE(child.has_value());
    *port = ReadPortLine(*child, "pulsed listening on port ");
    const int http = ReadPortLine(*child, "pulsed http on port ");
    if (http_port != nullptr) *http_port = http;
    return std::move(*child);
  }

  // The port at the end of the next stdout line, which must start with `prefix`; 0 when it does not.
  int ReadPortLine(ChildProcess& child, const std::string& prefix) {
    auto line = child.ReadLine(absl::Seconds(30));
    EXPECT_TRUE(line.has_value()) << "no '" << prefix << "' line; log:\n" << ReadFile(dir_ / "pulsed.log");
    int port = 0;
    if (line.has_value()) {
      EXPECT_TRUE(absl::StartsWith(*line, prefix)) << *line;
      EXPECT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(' ') + 1), &port)) << *line;
    }
    return port;
  }

  fs::path dir_;
};

struct SweepOutcome {
  grpc::Status status;
  int progress_events = 0;
  pulse::v1::SweepReport report;
};

SweepOutcome RunSweep(pulse::v1::RetentionService::Stub& stub, const std::string& as_of) {
  SweepOutcome out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  pulse::v1::RunSweepRequest req;
  req.set_as_of(as_of);
  auto reader = stub.RunSweep(&ctx, req);
  pulse::v1::RunSweepResponse event;
  while (reader->Read(&event)) {
    if (event.has_progress()) ++out.progress_events;
    if (event.has_report()) out.report = event.report();
  }
  out.status = reader->Finish();
  return out;
}

TEST_F(PulsedTest, ServeSweepQueueHealthAndNoDuplicates) {
  const int64_t bad_line = AppendBadOrder();
  int port = 0;
  int http_port = 0;
  ChildProcess server = StartServer(&port, &http_port);
  ASSERT_GT(port, 0);
  ASSERT_GT(http_port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = pulse::v1::RetentionService::NewStub(channel);
  {
    auto healthz = HttpGet(http_port, "/healthz");
    ASSERT_TRUE(healthz.has_value());
    EXPECT_EQ(healthz->status, 503) << "not healthy before the first sweep";
  }

  // Before any sweep: not serving, and the queue says why it is empty.
  auto [health_before, health_out] = RunCommand({Binary("pulsectl"), "--server", address, "health"});
  EXPECT_EQ(health_before, 1) << health_out;
  EXPECT_THAT(health_out, HasSubstr("NOT_SERVING"));
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueResponse resp;
    grpc::Status s = stub->ListContactQueue(&ctx, {}, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }

  SweepOutcome first = RunSweep(*stub, kEndDate);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  const pulse::v1::SweepReport& r = first.report;
  EXPECT_TRUE(r.succeeded()) << r.error();
  EXPECT_GE(first.progress_events, 3);
  EXPECT_EQ(r.accounts_scored(), 400);
  EXPECT_GT(r.tasks_planned(), 0);
  EXPECT_EQ(r.tasks_created(), r.tasks_planned());
  ASSERT_GE(r.rejected_total(), 1);
  bool found = false;
  for (const auto& row : r.rejected()) {
    if (row.source() == "orders.csv" && row.line() == bad_line) found = true;
  }
  EXPECT_TRUE(found) << "the malformed row is reported as orders.csv:" << bad_line;

  auto [health_after, health_out2] = RunCommand({Binary("pulsectl"), "--server", address, "health"});
  EXPECT_EQ(health_after, 0) << health_out2;

  // The same sweep, as Prometheus sees it.
  {
    auto healthz = HttpGet(http_port, "/healthz");
    ASSERT_TRUE(healthz.has_value());
    EXPECT_EQ(healthz->status, 200);
    auto metrics = HttpGet(http_port, "/metrics");
    ASSERT_TRUE(metrics.has_value());
    EXPECT_EQ(metrics->status, 200);
    EXPECT_EQ(metrics->content_type, "text/plain; version=0.0.4");
    const std::string& body = metrics->body;
    EXPECT_THAT(body, HasSubstr(absl::StrCat("\npulse_tasks_created_total ", r.tasks_created(), "\n")));
    EXPECT_THAT(body, HasSubstr("\npulse_sweeps_total{outcome=\"succeeded\"} 1\n"));
    EXPECT_THAT(body, HasSubstr(absl::StrCat("\npulse_accounts_scored ", r.accounts_scored(), "\n")));
    EXPECT_THAT(body, HasSubstr("pulse_rows_rejected_total{entity=\"orders\"} "));
    EXPECT_THAT(body, HasSubstr("pulse_crm_request_duration_seconds_count{adapter=\"csv\",operation=\"write_task\","
                                "code=\"OK\"} "));
    EXPECT_THAT(body, HasSubstr("pulse_queue_size{tier=\"key\"} "));
  }

  // The queue, paged.
  pulse::v1::ListContactQueueRequest q;
  q.set_page_size(5);
  pulse::v1::ListContactQueueResponse page1, page2;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->ListContactQueue(&ctx, q, &page1).ok());
  }
  ASSERT_EQ(page1.entries_size(), 5);
  ASSERT_FALSE(page1.next_page_token().empty());
  for (const auto& e : page1.entries()) {
    EXPECT_FALSE(e.reasons().empty()) << e.account_id();
    EXPECT_FALSE(e.subject().empty());
  }
  q.set_page_token(page1.next_page_token());
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->ListContactQueue(&ctx, q, &page2).ok());
  }
  ASSERT_GT(page2.entries_size(), 0);
  EXPECT_GT(page2.entries(0).rank(), page1.entries(4).rank());

  // One account's health, with its task.
  const std::string account = page1.entries(0).account_id();
  pulse::v1::GetAccountHealthRequest hr;
  hr.set_account_id(account);
  pulse::v1::AccountHealth health;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->GetAccountHealth(&ctx, hr, &health).ok());
  }
  EXPECT_EQ(health.account_id(), account);
  EXPECT_FALSE(health.signals().empty());
  EXPECT_GT(health.churn_probability(), 0);
  EXPECT_NE(health.recommended_action(), pulse::v1::ACTION_UNSPECIFIED);
  EXPECT_EQ(health.churn_model(), "learned") << "the demo's three years of history train the model";
  EXPECT_FALSE(health.contributions().empty());
  EXPECT_THAT(r.churn_model(), ::testing::StartsWith("learned"));
  EXPECT_THAT(r.churn_model_summary(), HasSubstr("learned logistic model"));
  ASSERT_FALSE(health.open_tasks().empty());
  EXPECT_EQ(health.open_tasks(0).status(), "delivered");

  // Bad arguments are named.
  {
    grpc::ClientContext ctx;
    pulse::v1::AccountHealth unused;
    grpc::Status s = stub->GetAccountHealth(&ctx, {}, &unused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("account_id"));
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::GetAccountHealthRequest unknown;
    unknown.set_account_id("no-such-account");
    pulse::v1::AccountHealth unused;
    EXPECT_EQ(stub->GetAccountHealth(&ctx, unknown, &unused).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueRequest big;
    big.set_page_size(5000);
    pulse::v1::ListContactQueueResponse unused;
    grpc::Status s = stub->ListContactQueue(&ctx, big, &unused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("page_size"));
  }
  {
    grpc::ClientContext ctx;
    grpc::ClientContext unused_ctx;
    pulse::v1::RunSweepRequest bad;
    bad.set_as_of("30.06.2026");
    auto reader = stub->RunSweep(&ctx, bad);
    pulse::v1::RunSweepResponse ev;
    while (reader->Read(&ev)) {
    }
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("as_of"));
  }

  // The CRM got each task once.
  const std::vector<std::string> keys = TaskKeys(dir_ / "tasks.csv");
  EXPECT_EQ(static_cast<int64_t>(keys.size()), r.tasks_created());
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());

  // A second sweep creates no duplicate.
  SweepOutcome second = RunSweep(*stub, kEndDate);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_EQ(second.report.tasks_planned(), 0);
  EXPECT_EQ(second.report.tasks_created(), 0);
  // Every risk task is still open; an account asked for feedback or thanked
  // is simply no candidate again (docs/CONTACT_POLICY.md).
  const int64_t proactive = std::count_if(keys.begin(), keys.end(), [](const std::string& k) {
    return absl::StrContains(k, ":feedback_request:") || absl::StrContains(k, ":recognition:");
  });
  EXPECT_EQ(second.report.tasks_skipped_open(), r.tasks_planned() - proactive);
  EXPECT_EQ(TaskKeys(dir_ / "tasks.csv").size(), keys.size());

  // The people's client works against the same server.
  auto [queue_code, queue_out] =
      RunCommand({Binary("pulsectl"), "--server", address, "queue", "--limit", "3"});
  EXPECT_EQ(queue_code, 0) << queue_out;
  EXPECT_THAT(queue_out, HasSubstr(page1.entries(0).account_name().substr(0, 10)));
  auto [account_code, account_out] = RunCommand({Binary("pulsectl"), "--server", address, "--json", "account", account});
  EXPECT_EQ(account_code, 0) << account_out;
  EXPECT_THAT(account_out, HasSubstr("\"churn_probability\""));
  auto [sweeps_code, sweeps_out] = RunCommand({Binary("pulsectl"), "--server", address, "sweeps"});
  EXPECT_EQ(sweeps_code, 0) << sweeps_out;
  EXPECT_THAT(sweeps_out, HasSubstr("succeeded"));

  // SIGTERM: a clean exit.
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(absl::Seconds(20)), 0) << ReadFile(dir_ / "pulsed.log");
  EXPECT_THAT(ReadFile(dir_ / "pulsed.log"), HasSubstr("stopped"));
}

TEST_F(PulsedTest, SweepCommandPrintsReportRejectedRowsAndQueue) {
  const int64_t bad_line = AppendBadOrder();
  auto [code, out] = RunCommand({Binary("pulsed"), "sweep", "--config", (dir_ / "pulse.yaml").string(), "--as-of",
                                 kEndDate, "--top", "5"},
                                absl::Seconds(120), (dir_ / "sweep.log").string());
  ASSERT_EQ(code, 0) << out << ReadFile(dir_ / "sweep.log");
  EXPECT_THAT(out, HasSubstr(absl::StrCat("orders.csv:", bad_line, ": ")));
  EXPECT_THAT(out, HasSubstr("Top of the contact queue"));
  EXPECT_THAT(out, HasSubstr("Coverage: EUR "));
  EXPECT_THAT(out, HasSubstr("outside any care model"));
  EXPECT_THAT(out, HasSubstr("Tasks go to: "));
  EXPECT_GT(TaskKeys(dir_ / "tasks.csv").size(), 0u);
}

TEST_F(PulsedTest, ScoreCommandPrintsCsvWithoutLookAhead) {
  auto [code, out] = RunCommand({Binary("pulsed"), "score", "--data", dir_.string(), "--as-of", "2026-01-31"});
  ASSERT_EQ(code, 0) << out;
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_GT(lines.size(), 100u);
  EXPECT_EQ(lines[0], "account_id,churn_probability,value_at_risk,tier,owner_id,action,reasons");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    ASSERT_GE(f.size(), 7u) << lines[i];
    double p = -1;
    ASSERT_TRUE(absl::SimpleAtod(f[1], &p)) << lines[i];
    EXPECT_GE(p, 0);
    EXPECT_LE(p, 1);
  }
}

TEST(AnalysisCommands, FitAndBacktestOnCdnowAndTheirErrors) {
  const std::string cdnow = ::pulse::testing::SourceDir() + "/../shared/data/cdnow/";
  auto [fit_code, fit_out] =
      RunCommand({Binary("pulsed"), "fit", "--model", "bgnbd", "--summary", cdnow + "cdnow_customers_summary.csv"});
  ASSERT_EQ(fit_code, 0) << fit_out;
  EXPECT_THAT(fit_out, HasSubstr("\"r\":0.2425"));
  EXPECT_THAT(fit_out, HasSubstr("\"log_likelihood\":-9582.42"));

  auto [bt_code, bt_out] = RunCommand({Binary("pulsed"), "backtest", "--cdnow", cdnow + "CDNOW_master.txt", "--as-of",
                                       "1997-09-30", "--horizon-days", "273", "--capacity", "500"});
  ASSERT_EQ(bt_code, 0) << bt_out;
  EXPECT_THAT(bt_out, HasSubstr("9451 repeat buyers"));
  EXPECT_THAT(bt_out, HasSubstr("days_since_last_order   0.7113"));

  const fs::path log = fs::temp_directory_path() / absl::StrCat("pulse-analysis-", getpid(), ".log");
  auto [missing, out1] = RunCommand(
      {Binary("pulsed"), "fit", "--model", "bgnbd", "--summary", "/nonexistent/summary.csv"}, absl::Seconds(30),
      log.string());
  EXPECT_EQ(missing, 1);
  EXPECT_THAT(ReadFile(log), HasSubstr("/nonexistent/summary.csv"));
  auto [bad_model, out2] = RunCommand({Binary("pulsed"), "fit", "--model", "gamma", "--summary", "x.csv"},
                                      absl::Seconds(30), log.string());
  EXPECT_EQ(bad_model, 2);
  EXPECT_THAT(ReadFile(log), HasSubstr("got 'gamma'"));
  auto [bad_date, out3] = RunCommand({Binary("pulsed"), "backtest", "--cdnow", cdnow + "CDNOW_master.txt", "--as-of",
                                      "30.9.1997", "--horizon-days", "273"},
                                     absl::Seconds(30), log.string());
  EXPECT_EQ(bad_date, 2);
  EXPECT_THAT(ReadFile(log), HasSubstr("--as-of"));
  fs::remove(log);
}

TEST_F(PulsedTest, BadConfigFailsAtStartNamingTheKey) {
  WriteFile(dir_ / "bad.yaml", "store: {path: x.db}\nadapter: {type: csv, csv: {dir: .}}\nsweep: {interval: often}\n");
  auto [code, out] = RunCommand({Binary("pulsed"), "serve", "--config", (dir_ / "bad.yaml").string()},
                                absl::Seconds(30), (dir_ / "err.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_THAT(ReadFile(dir_ / "err.log"), HasSubstr("sweep.interval"));
}

TEST_F(PulsedTest, MissingRequiredFileIsAClearError) {
  fs::remove(dir_ / "orders.csv");
  auto [code, out] = RunCommand({Binary("pulsed"), "sweep", "--config", (dir_ / "pulse.yaml").string()},
                                absl::Seconds(60), (dir_ / "err.log").string());
  EXPECT_NE(code, 0);
  EXPECT_THAT(out + ReadFile(dir_ / "err.log"), HasSubstr("orders.csv"));
}

}  // namespace
}  // namespace pulse
