// End to end: one account's page from a real `pulsed serve` on a demo CRM
// whose every user and account name holds a <script>. GetAccountView over
// gRPC (its argument checks, before and after the first sweep), the page on
// the HTTP port (/accounts/ID, percent-encoded), `pulsectl account --html`,
// and the page rendered by headless Chromium: its charts are painted, and
// every chart mark carries exactly the RPC's figure. The order figures are
// recomputed from orders.csv; the churn line from two sweeps a month apart.
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/common/csv_reader.h"
#include "sidecar/common/time_util.h"
#include "tests/integration/child_process.h"
#include "tests/integration/page_test_util.h"
#include "tests/integration/png_image.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
using ::pulse::testing::FindChromium;
using ::pulse::testing::HttpGet;
using ::pulse::testing::PrefixNames;
using ::pulse::testing::ReadFile;
using ::pulse::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFirstSweep[] = "2026-05-31";
constexpr char kEndDate[] = "2026-06-30";
constexpr char kHostile[] = "<script>document.title='pwned'</script>";

std::string Binary(const std::string& name) { return ::pulse::testing::CliBinary(name); }

// Every byte as %XX: the server must decode the whole id.
std::string PercentEncodeAll(const std::string& id) {
  std::string out;
  for (unsigned char c : id) absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
  return out;
}

// What the marks must carry, from the RPC's view.
std::map<std::string, double> ExpectedMarks(const pulse::v1::AccountView& v) {
  std::map<std::string, double> out;
  for (const auto& m : v.order_months()) out[absl::StrCat("amount|", m.month(), "|")] = m.amount();
  for (const auto& p : v.score_history()) out[absl::StrCat("churn_probability||", p.date())] = p.churn_probability();
  return out;
}

class AccountPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("pulse-acct-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir_.string(), "--accounts", "300", "--seed",
                                   "7", "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    PrefixNames(dir_ / "users.csv", kHostile);
    PrefixNames(dir_ / "accounts.csv", kHostile);
    std::string yaml = ReadFile(dir_ / "pulse.yaml");
    const std::string from = "run_on_start: true";
    ASSERT_NE(yaml.find(from), std::string::npos) << yaml;
    yaml.replace(yaml.find(from), from.size(), "run_on_start: false");
    std::ofstream(dir_ / "pulse.yaml") << yaml;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Sweep(pulse::v1::RetentionService::Stub& stub, const std::string& as_of) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    pulse::v1::RunSweepRequest req;
    req.set_as_of(as_of);
    auto reader = stub.RunSweep(&ctx, req);
    pulse::v1::RunSweepResponse event;
    pulse::v1::SweepReport report;
    while (reader->Read(&event)) {
      if (event.has_report()) report = event.report();
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_TRUE(report.succeeded()) << report.error();
  }

  grpc::StatusCode ViewCode(pulse::v1::RetentionService::Stub& stub, const std::string& id,
                            std::string* message = nullptr) {
    grpc::ClientContext ctx;
    pulse::v1::GetAccountViewRequest req;
    req.set_account_id(id);
    pulse::v1::AccountView unused;
    grpc::Status s = stub.GetAccountView(&ctx, req, &unused);
    if (message != nullptr) *message = s.error_message();
    return s.error_code();
  }

  fs::path dir_;
};

TEST_F(AccountPageTest, RpcCliPageAndBrowserShowTheSameFigures) {
  // As the coverage test: the browser is part of the test's contract.
  const std::string chromium = FindChromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium is not installed: this test renders the account page in Debian's headless chromium. "
         "Install it with scripts/install-deps.sh (or apt-get install chromium), or point $PULSE_CHROMIUM at one.";

  auto child = ChildProcess::Start({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(),
                                    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                   (dir_ / "pulsed.log").string());
  ASSERT_TRUE(child.has_value());
  const int port = ::pulse::testing::ReadPort(*child, "pulsed listening on port ", dir_ / "pulsed.log");
  const int http_port = ::pulse::testing::ReadPort(*child, "pulsed http on port ", dir_ / "pulsed.log");
  ASSERT_GT(port, 0);
  ASSERT_GT(http_port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = pulse::v1::RetentionService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));

  // Before the first sweep: a malformed id is still the caller's error; a good one waits for the sweep.
  std::string message;
  EXPECT_EQ(ViewCode(*stub, "", &message), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(message, HasSubstr("account_id"));
  EXPECT_EQ(ViewCode(*stub, "A0001"), grpc::StatusCode::FAILED_PRECONDITION);
  {
    auto page = HttpGet(http_port, "/accounts/A0001");
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->status, 503);
  }

  // Two sweeps a month apart: every account gets two points of churn probability (28 days or more apart).
  Sweep(*stub, kFirstSweep);
  Sweep(*stub, kEndDate);

  // The first account of the queue: one Pulse has something to say about.
  std::string id;
  int32_t rank = 0;
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueResponse queue;
    ASSERT_TRUE(stub->ListContactQueue(&ctx, {}, &queue).ok());
    ASSERT_GT(queue.entries_size(), 0);
    id = queue.entries(0).account_id();
    rank = queue.entries(0).rank();
  }
  pulse::v1::AccountView view;
  {
    grpc::ClientContext ctx;
    pulse::v1::GetAccountViewRequest req;
    req.set_account_id(id);
    grpc::Status s = stub->GetAccountView(&ctx, req, &view);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(ViewCode(*stub, "no-such-account"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ViewCode(*stub, "A\x01"), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViewCode(*stub, std::string(300, 'A')), grpc::StatusCode::INVALID_ARGUMENT);

  // The view agrees with GetAccountHealth and with the sweep.
  pulse::v1::AccountHealth health;
  {
    grpc::ClientContext ctx;
    pulse::v1::GetAccountHealthRequest req;
    req.set_account_id(id);
    ASSERT_TRUE(stub->GetAccountHealth(&ctx, req, &health).ok());
  }
  EXPECT_EQ(view.as_of(), kEndDate);
  EXPECT_EQ(view.sweep_id(), health.sweep_id());
  EXPECT_EQ(view.name(), health.name());
  EXPECT_THAT(view.name(), ::testing::StartsWith(kHostile));
  EXPECT_DOUBLE_EQ(view.churn_probability(), health.churn_probability());
  EXPECT_EQ(view.last_order_date(), health.last_order_date());
  EXPECT_EQ(view.queue_rank(), rank);
  EXPECT_EQ(view.currency(), "EUR");
  EXPECT_EQ(view.signals_size(), health.signals_size());
  ASSERT_EQ(view.score_history_size(), 2);
  EXPECT_EQ(view.score_history(0).date(), kFirstSweep);
  EXPECT_EQ(view.score_history(1).date(), kEndDate);
  EXPECT_DOUBLE_EQ(view.score_history(1).churn_probability(), view.churn_probability());
  ASSERT_GE(view.owner_history_size(), 1);
  EXPECT_EQ(view.owner_history(view.owner_history_size() - 1).owner_id(), view.owner_id());

  // Orders by month recomputed from orders.csv (the 24 months 2024-07 .. 2026-06).
  {
    std::map<std::string, double> amount;
    std::map<std::string, int64_t> orders;
    auto reader = CsvReader::Open((dir_ / "orders.csv").string());
    ASSERT_TRUE(reader.ok());
    CsvRow row;
    std::string error;
    while ((*reader)->Next(&row, &error)) {
      if (row.Get("account_id") != id) continue;
      absl::StatusOr<absl::Time> at = ParseIsoTime(row.Get("ordered_at"));
      double value = 0;
      ASSERT_TRUE(at.ok() && absl::SimpleAtod(row.Get("amount"), &value)) << row.line();
      const std::string month = FormatIsoDay(*at).substr(0, 7);
      amount[month] += value;
      ++orders[month];
    }
    ASSERT_EQ(view.order_months_size(), 24);
    EXPECT_EQ(view.order_months(0).month(), "2024-07");
    EXPECT_EQ(view.order_months(23).month(), "2026-06");
    int64_t counted = 0;
    for (const auto& m : view.order_months()) {
      EXPECT_NEAR(m.amount(), amount[m.month()], 1e-6) << m.month();
      EXPECT_EQ(m.orders(), orders[m.month()]) << m.month();
      counted += m.orders();
    }
    EXPECT_GT(counted, 0) << "the queue's first account has orders in the last two years";
  }

  // The page on the HTTP port, the id percent-encoded byte by byte; errors as statuses.
  auto page = HttpGet(http_port, absl::StrCat("/accounts/", PercentEncodeAll(id)));
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_THAT(page->body, Not(HasSubstr("<script")));
  EXPECT_THAT(page->body, HasSubstr("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
  for (const auto& [path, status] : std::map<std::string, int>{{"/accounts/no-such-account", 404},
                                                               {"/accounts/A%zz", 400},
                                                               {"/accounts/A%01", 400},
                                                               {"/accounts/", 400}}) {
    auto res = HttpGet(http_port, path);
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
  }

  // pulsectl writes the page pulsed serves, and prints the view as JSON.
  const fs::path html = dir_ / "account.html";
  auto [json_code, json] =
      RunCommand({Binary("pulsectl"), "--server", address, "account", id, "--json", "--html", html.string()});
  ASSERT_EQ(json_code, 0) << json;
  pulse::v1::AccountView from_cli;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &from_cli).ok()) << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_cli, view));
  EXPECT_EQ(ReadFile(html), page->body) << "pulsectl --html writes the page pulsed serves";
  auto [text_code, text] = RunCommand({Binary("pulsectl"), "--server", address, "account", id});
  ASSERT_EQ(text_code, 0) << text;
  EXPECT_THAT(text, HasSubstr(id));

  // The served page in a real browser.
  const std::string url = absl::StrCat("http://127.0.0.1:", http_port, "/accounts/", id);
  const std::string dom = ::pulse::testing::RunChromium(chromium, dir_, {"--dump-dom"}, url);
  ASSERT_THAT(dom, HasSubstr("</html>")) << dom;
  EXPECT_THAT(dom, Not(HasSubstr("<script"))) << "a CRM name became a script element";
  EXPECT_THAT(dom, HasSubstr("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
  EXPECT_THAT(dom, Not(HasSubstr("<title>pwned</title>")));
  for (const char* chart : {"chart-orders", "chart-churn"}) {
    EXPECT_THAT(dom, HasSubstr(absl::StrCat("<svg id=\"", chart, "\""))) << chart;
  }
  const std::map<std::string, std::string> marks =
      ::pulse::testing::ChartMarks(dom, {"data-metric", "data-month", "data-date"});
  const std::map<std::string, double> expected = ExpectedMarks(view);
  EXPECT_EQ(expected.size(), 26u);
  ::pulse::testing::ExpectMarksCarry(marks, expected);

  // And painted: the order bars (blue) and the churn line with its dots (red).
  const fs::path png = dir_ / "account.png";
  ::pulse::testing::RunChromium(chromium, dir_,
                                {"--window-size=1000,4000", absl::StrCat("--screenshot=", png.string())}, url);
  std::string png_error;
  std::optional<pulse::testing::PngImage> image = pulse::testing::ReadPng(png.string(), &png_error);
  ASSERT_TRUE(image.has_value()) << png_error;
  EXPECT_EQ(image->width, 1000);
  EXPECT_GE(image->CountColour(0x3f6fd8), 300) << "order bars (blue)";
  EXPECT_GE(image->CountColour(0xc8453a), 150) << "churn line and dots (red)";
  if (const char* keep = std::getenv("PULSE_KEEP_SCREENSHOT"); keep != nullptr && *keep != '\0') {
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
  }

  child->Signal(SIGTERM);
  EXPECT_EQ(child->Wait(absl::Seconds(20)), 0) << ReadFile(dir_ / "pulsed.log");
}

}  // namespace
}  // namespace pulse
