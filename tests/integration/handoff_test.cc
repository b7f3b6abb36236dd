// A seller's departure end to end: the real pulsed on the demo CRM (CSV
// adapter), a handoff plan over gRPC, and an apply that is killed at each
// failpoint of its write path and resumed by a restarted server. Every owner
// change must land in owner_changes.csv exactly once, and every intro task in
// tasks.csv exactly once.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/common/csv_reader.h"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
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

// The values of one column of a CSV file, parsed as CSV (descriptions span lines).
std::vector<std::string> Column(const fs::path& p, const std::string& column) {
  std::vector<std::string> values;
  auto reader = CsvReader::Open(p.string());
  if (!reader.ok()) return values;
  CsvRow row;
  std::string err;
  while ((*reader)->Next(&row, &err)) values.emplace_back(row.Get(column));
  return values;
}

class HandoffIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrCat("pulse-handoff-it-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir_.string(), "--accounts", "400", "--seed",
                                   "11", "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    std::string yaml = ReadFile(dir_ / "pulse.yaml");
    const std::string from = "run_on_start: true";
    ASSERT_NE(yaml.find(from), std::string::npos);
    yaml.replace(yaml.find(from), from.size(), "run_on_start: false");
    std::ofstream(dir_ / "pulse.yaml") << yaml;
  }
  void TearDown() override {
    unsetenv("PULSE_FAILPOINTS");
    fs::remove_all(dir_);
  }

  // Starts `pulsed serve` on a free port with PULSE_FAILPOINTS = `failpoints`.
  std::unique_ptr<ChildProcess> Start(const std::string& failpoints) {
    if (failpoints.empty()) {
      unsetenv("PULSE_FAILPOINTS");
    } else {
      setenv("PULSE_FAILPOINTS", failpoints.c_str(), 1);
    }
    auto child = ChildProcess::Start({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(), "--listen",
                                      "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                     (dir_ / absl::StrCat("pulsed-", ++starts_, ".log")).string());
    unsetenv("PULSE_FAILPOINTS");
    EXPECT_TRUE(child.has_value());
    if (!child.has_value()) return nullptr;
    auto line = child->ReadLine(absl::Seconds(30));
    EXPECT_TRUE(line.has_value());
    port_ = 0;
    if (line.has_value()) EXPECT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(' ') + 1), &port_)) << *line;
    stub_ = pulse::v1::RetentionService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
    return std::make_unique<ChildProcess>(std::move(*child));
  }

  void Sweep() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    pulse::v1::RunSweepRequest req;
    req.set_as_of(kEndDate);
    auto reader = stub_->RunSweep(&ctx, req);
    pulse::v1::RunSweepResponse event;
    bool succeeded = false;
    while (reader->Read(&event)) {
      if (event.has_report()) succeeded = event.report().succeeded();
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_TRUE(succeeded);
  }

  grpc::Status Apply(int64_t plan_id, pulse::v1::HandoffPlan* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    pulse::v1::ApplyHandoffRequest req;
    req.set_plan_id(plan_id);
    req.set_requested_by("integration-test");
    return stub_->ApplyHandoff(&ctx, req, out);
  }

  fs::path dir_;
  int starts_ = 0;
  int port_ = 0;
  std::unique_ptr<pulse::v1::RetentionService::Stub> stub_;
};

TEST_F(HandoffIntegrationTest, ApplyKilledAtEveryFailpointEndsWithEachChangeExactlyOnce) {
  // 1. Detect and plan.
  std::unique_ptr<ChildProcess> server = Start("");
  ASSERT_NE(server, nullptr);
  Sweep();
  pulse::v1::ListHandoffsResponse list;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ListHandoffs(&ctx, {}, &list).ok());
  }
  ASSERT_EQ(list.pending_size(), 1) << "the demo has one departed seller";
  const std::string departed = list.pending(0).user_id();
  {
    grpc::ClientContext ctx;
    pulse::v1::HandoffPlan unused;
    grpc::Status s = stub_->PlanHandoff(&ctx, {}, &unused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("from_user_id"));
  }
  auto [plan_code, plan_out] =
      RunCommand({Binary("pulsectl"), "--server", absl::StrCat("127.0.0.1:", port_), "handoff", "plan", "--from",
                  departed, "--effective", "2026-07-01", "--by", "manager"});
  ASSERT_EQ(plan_code, 0) << plan_out;
  EXPECT_THAT(plan_out, HasSubstr("Handoff plan 1:"));
  EXPECT_THAT(plan_out, HasSubstr("lowest load relative to capacity"));
  pulse::v1::HandoffPlan plan;
  {
    grpc::ClientContext ctx;
    pulse::v1::GetHandoffPlanRequest req;
    req.set_plan_id(1);
    ASSERT_TRUE(stub_->GetHandoffPlan(&ctx, req, &plan).ok());
  }
  const int64_t accounts = plan.assignments_size();
  ASSERT_GE(accounts, 10);
  EXPECT_EQ(plan.unassigned(), 0);
  EXPECT_EQ(static_cast<int64_t>(list.pending(0).accounts()), accounts);
  for (const auto& l : plan.loads()) EXPECT_LE(l.load_after(), l.capacity()) << l.user_id();
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(absl::Seconds(20)), 0);

  // 2. Killed right after the CRM took the third owner change.
  server = Start("handoff.after_crm_owner_change=kill@3");
  Sweep();
  pulse::v1::HandoffPlan out;
  EXPECT_FALSE(Apply(1, &out).ok());
  EXPECT_EQ(server->Wait(absl::Seconds(30)), -SIGKILL);
  EXPECT_EQ(Column(dir_ / "owner_changes.csv", "key").size(), 3u);

  // 3. Killed after marking the second owner change of the resumed apply.
  server = Start("handoff.after_mark_owner_change=kill@2");
  EXPECT_FALSE(Apply(1, &out).ok());
  EXPECT_EQ(server->Wait(absl::Seconds(30)), -SIGKILL);

  // 4. Killed after the CRM took the second intro task.
  server = Start("deliver.after_crm_write=kill@2");
  EXPECT_FALSE(Apply(1, &out).ok());
  EXPECT_EQ(server->Wait(absl::Seconds(30)), -SIGKILL);

  // 5. No failpoint: the apply completes.
  server = Start("");
  grpc::Status applied = Apply(1, &out);
  ASSERT_TRUE(applied.ok()) << applied.error_message();
  EXPECT_EQ(out.status(), "applied");
  EXPECT_EQ(out.pending(), 0);

  const std::vector<std::string> change_keys = Column(dir_ / "owner_changes.csv", "key");
  EXPECT_EQ(static_cast<int64_t>(change_keys.size()), accounts);
  EXPECT_EQ(std::set<std::string>(change_keys.begin(), change_keys.end()).size(), change_keys.size());
  std::vector<std::string> intro;
  for (const std::string& k : Column(dir_ / "tasks.csv", "key")) {
    if (absl::StrContains(k, ":handover_intro:")) intro.push_back(k);
  }
  EXPECT_EQ(static_cast<int64_t>(intro.size()), accounts);
  EXPECT_EQ(std::set<std::string>(intro.begin(), intro.end()).size(), intro.size());
  std::map<std::string, std::string> new_owner;
  const std::vector<std::string> change_accounts = Column(dir_ / "owner_changes.csv", "account_id");
  const std::vector<std::string> change_to = Column(dir_ / "owner_changes.csv", "to_owner_id");
  for (size_t i = 0; i < change_accounts.size(); ++i) new_owner[change_accounts[i]] = change_to[i];
  for (const auto& a : out.assignments()) {
    EXPECT_EQ(new_owner[a.account_id()], a.to_user_id()) << a.account_id();
    EXPECT_EQ(a.owner_change_status(), "delivered");
    EXPECT_EQ(a.intro_task_status(), "delivered");
  }

  // 6. The next sweep sees the new owners: nothing pending any more.
  Sweep();
  {
    grpc::ClientContext ctx;
    pulse::v1::ListHandoffsResponse after;
    ASSERT_TRUE(stub_->ListHandoffs(&ctx, {}, &after).ok());
    EXPECT_EQ(after.pending_size(), 0);
  }
  auto [show_code, show_out] =
      RunCommand({Binary("pulsectl"), "--server", absl::StrCat("127.0.0.1:", port_), "handoff", "show", "1"});
  EXPECT_EQ(show_code, 0) << show_out;
  EXPECT_THAT(show_out, HasSubstr("applied"));
  EXPECT_THAT(show_out, HasSubstr("integration-test  applied"));
  EXPECT_EQ(Column(dir_ / "owner_changes.csv", "key").size(), change_keys.size()) << "the sweep wrote none again";
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 0);
}

}  // namespace
}  // namespace pulse
