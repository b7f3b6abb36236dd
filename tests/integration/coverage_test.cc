// End to end: the coverage report of a real `pulsed serve` on a demo CRM whose
// every user and account name holds a <script>. GetCoverageReport over gRPC,
// the page on the HTTP port, `pulsectl coverage` (--json, --html), and the
// page rendered by headless Chromium: its charts are painted, and every chart
// mark carries exactly the RPC's figure.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/common/csv_reader.h"
#include "sidecar/common/csv_writer.h"
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

constexpr char kEndDate[] = "2026-06-30";
constexpr char kHostile[] = "<script>document.title='pwned'</script>";

std::string Binary(const std::string& name) { return ::pulse::testing::CliBinary(name); }

// The figures the page's chart marks carry, by "metric|segment|owner|as-of".
std::map<std::string, std::string> ChartMarks(const std::string& dom) {
  return ::pulse::testing::ChartMarks(dom, {"data-metric", "data-segment", "data-owner", "data-as-of"});
}

// What the marks must carry, from the RPC's report.
std::map<std::string, double> ExpectedMarks(const pulse::v1::CoverageReport& r) {
  std::map<std::string, double> out;
  for (const auto& s : r.current().segments()) {
    if (s.segment() != "all") {
      out[absl::StrCat("accounts|", s.segment(), "||")] = static_cast<double>(s.accounts());
      out[absl::StrCat("revenue_share|", s.segment(), "||")] = s.revenue_share();
    }
    out[absl::StrCat("churn_rate|", s.segment(), "||")] = s.churn_rate();
  }
  for (const auto& v : r.survey()) {
    out[absl::StrCat("asked_share|", v.segment(), "||")] = v.asked_share();
    out[absl::StrCat("revenue_asked_share|", v.segment(), "||")] = v.revenue_asked_share();
    out[absl::StrCat("answer_rate|", v.segment(), "||")] = v.answer_rate();
  }
  for (const auto& o : r.owners()) {
    if (o.value_at_risk() > 0) out[absl::StrCat("value_at_risk||", o.user_id(), "|")] = o.value_at_risk();
  }
  for (const auto& f : r.trend()) {
    out[absl::StrCat("revenue_outside_care_share|||", f.as_of())] = f.revenue_outside_care_share();
    for (const auto& s : f.segments()) {
      if (s.segment() != "all") out[absl::StrCat("churn_rate|", s.segment(), "||", f.as_of())] = s.churn_rate();
    }
  }
  return out;
}

class CoverageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("pulse-cov-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir_.string(), "--accounts", "400", "--seed",
                                   "11", "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    // Every name from the CRM tries to run a script in the report.
    PrefixNames(dir_ / "users.csv", kHostile);
    PrefixNames(dir_ / "accounts.csv", kHostile);
    std::string yaml = ReadFile(dir_ / "pulse.yaml");
    const std::string from = "run_on_start: true";
    ASSERT_NE(yaml.find(from), std::string::npos) << yaml;
    yaml.replace(yaml.find(from), from.size(), "run_on_start: false");
    std::ofstream(dir_ / "pulse.yaml") << yaml;
  }
  void TearDown() override { fs::remove_all(dir_); }

  int ReadPort(ChildProcess& child, const std::string& prefix) {
    return ::pulse::testing::ReadPort(child, prefix, dir_ / "pulsed.log");
  }

  // Runs headless Chromium on `url` with `args`; returns its stdout.
  std::string Chromium(const std::string& chromium, std::vector<std::string> args, const std::string& url) {
    return ::pulse::testing::RunChromium(chromium, dir_, args, url);
  }

  fs::path dir_;
};

TEST_F(CoverageTest, RpcCliPageAndBrowserShowTheSameFigures) {
  // The browser is part of the test's contract: without it the test fails, it does not skip.
  const std::string chromium = FindChromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium is not installed: this test renders the coverage page in Debian's headless chromium. "
         "Install it with scripts/install-deps.sh (or apt-get install chromium), or point $PULSE_CHROMIUM at one.";

  auto child = ChildProcess::Start({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(),
                                    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                   (dir_ / "pulsed.log").string());
  ASSERT_TRUE(child.has_value());
  const int port = ReadPort(*child, "pulsed listening on port ");
  const int http_port = ReadPort(*child, "pulsed http on port ");
  ASSERT_GT(port, 0);
  ASSERT_GT(http_port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = pulse::v1::RetentionService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));

  // Before the first sweep: the RPC and the page say there is nothing yet.
  {
    grpc::ClientContext ctx;
    pulse::v1::CoverageReport unused;
    EXPECT_EQ(stub->GetCoverageReport(&ctx, {}, &unused).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    auto page = HttpGet(http_port, "/coverage");
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->status, 503);
  }

  pulse::v1::SweepReport sweep;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    pulse::v1::RunSweepRequest req;
    req.set_as_of(kEndDate);
    auto reader = stub->RunSweep(&ctx, req);
    pulse::v1::RunSweepResponse event;
    while (reader->Read(&event)) {
      if (event.has_report()) sweep = event.report();
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_TRUE(sweep.succeeded()) << sweep.error();
  }

  pulse::v1::CoverageReport report;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub->GetCoverageReport(&ctx, {}, &report);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(report.sweep_id(), sweep.sweep_id());
  EXPECT_EQ(report.as_of(), kEndDate);
  EXPECT_EQ(report.currency(), "EUR");
  EXPECT_THAT(report.summary(), ::testing::StartsWith("EUR "));
  EXPECT_THAT(report.summary(), HasSubstr("outside any care model"));
  ASSERT_EQ(report.current().segments_size(), 5);
  ASSERT_EQ(report.trend_size(), 5);
  EXPECT_EQ(report.trend(4).as_of(), kEndDate);
  const auto& key = report.current().segments(0);
  const auto& mid = report.current().segments(1);
  const auto& tail = report.current().segments(2);
  const auto& unowned = report.current().segments(3);
  const auto& all = report.current().segments(4);
  // The report agrees with the sweep's and with itself.
  EXPECT_EQ(all.accounts(), sweep.accounts_scored());
  EXPECT_EQ(all.accounts_at_risk(), sweep.accounts_at_risk());
  EXPECT_DOUBLE_EQ(all.value_at_risk(), sweep.value_at_risk());
  EXPECT_EQ(key.accounts() + mid.accounts() + tail.accounts(), all.accounts());
  EXPECT_NEAR(key.revenue_share() + mid.revenue_share() + tail.revenue_share(), 1.0, 1e-12);
  EXPECT_EQ(unowned.accounts(), all.accounts_without_active_owner());
  EXPECT_EQ(report.current().accounts_outside_care(),
            tail.accounts() + key.accounts_without_active_owner() + mid.accounts_without_active_owner());
  // The demo is a wholesaler: most accounts are the long tail, bringing a minority of the revenue.
  EXPECT_GT(tail.accounts(), all.accounts() / 2);
  EXPECT_LT(tail.revenue_share(), 0.5);
  EXPECT_GT(report.current().revenue_outside_care_share(), 0);
  EXPECT_LT(report.current().revenue_outside_care_share(), 1);

  // Revenue and churn recomputed from orders.csv directly (dates are UTC days; the as-of is the end of
  // 2026-06-30; revenue 2025-07-01..2026-06-30; churn base 2025-04-02..2026-04-01, period after).
  {
    const absl::CivilDay as_of = *ParseIsoDay(kEndDate);
    std::map<std::string, double> revenue;
    std::map<std::string, bool> in_base, in_period;
    auto reader = CsvReader::Open((dir_ / "orders.csv").string());
    ASSERT_TRUE(reader.ok());
    CsvRow row;
    std::string error;
    while ((*reader)->Next(&row, &error)) {
      absl::StatusOr<absl::Time> at = ParseIsoTime(row.Get("ordered_at"));
      double amount = 0;
      ASSERT_TRUE(at.ok() && absl::SimpleAtod(row.Get("amount"), &amount)) << row.line();
      const int64_t days_before = as_of - UtcDay(*at);
      ASSERT_GE(days_before, 0) << "the demo ends on the as-of day";
      const std::string account(row.Get("account_id"));
      if (days_before < 365) revenue[account] += amount;
      if (amount > 0 && days_before >= 90 && days_before < 90 + 365) in_base[account] = true;
      if (amount > 0 && days_before < 90) in_period[account] = true;
    }
    double total = 0;
    for (const auto& [account, r] : revenue) total += std::max(0.0, r);
    int64_t base = 0, churned = 0;
    for (const auto& [account, yes] : in_base) {
      ++base;
      churned += in_period[account] ? 0 : 1;
    }
    EXPECT_NEAR(report.current().revenue(), total, 1e-6 * total);
    EXPECT_EQ(all.churn_base(), base);
    EXPECT_EQ(all.churned(), churned);
  }

  // Survey coverage recomputed from feedback.csv: on the first sweep Pulse has made no request yet, so the
  // accounts asked in the last 365 days are those with a feedback answer in them.
  {
    ASSERT_EQ(report.survey_size(), 4);
    EXPECT_EQ(report.ask_interval_days(), 365);
    const absl::CivilDay as_of = *ParseIsoDay(kEndDate);
    std::set<std::string> answered;
    auto reader = CsvReader::Open((dir_ / "feedback.csv").string());
    ASSERT_TRUE(reader.ok());
    CsvRow row;
    std::string error;
    while ((*reader)->Next(&row, &error)) {
      absl::StatusOr<absl::Time> at = ParseIsoTime(row.Get("received_at"));
      ASSERT_TRUE(at.ok()) << row.line();
      if (as_of - UtcDay(*at) < 365) answered.insert(std::string(row.Get("account_id")));
    }
    const auto& survey_all = report.survey(3);
    EXPECT_EQ(survey_all.segment(), "all");
    EXPECT_EQ(survey_all.accounts(), all.accounts());
    EXPECT_EQ(survey_all.asked(), static_cast<int64_t>(answered.size()));
    EXPECT_EQ(survey_all.requests(), 0);
    EXPECT_EQ(report.survey(0).asked() + report.survey(1).asked() + report.survey(2).asked(), survey_all.asked());
    // The demo's yearly survey is answered by most key accounts and few of the long tail.
    EXPECT_GT(report.survey(0).asked_share(), report.survey(2).asked_share());
    EXPECT_GT(report.survey(2).accounts() - report.survey(2).asked(), report.survey(2).asked());
  }

  // The page on the HTTP port.
  auto page = HttpGet(http_port, "/coverage");
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_THAT(page->body, Not(HasSubstr("<script")));
  EXPECT_THAT(page->body, HasSubstr("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));

  // pulsectl: the same report as JSON, the same page as a file, the sentence in the table.
  const fs::path html = dir_ / "coverage.html";
  auto [json_code, json] =
      RunCommand({Binary("pulsectl"), "--server", address, "coverage", "--json", "--html", html.string()});
  ASSERT_EQ(json_code, 0) << json;
  pulse::v1::CoverageReport from_cli;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &from_cli).ok()) << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_cli, report));
  EXPECT_EQ(ReadFile(html), page->body) << "pulsectl --html writes the page pulsed serves";
  auto [table_code, table] = RunCommand({Binary("pulsectl"), "--server", address, "coverage"});
  ASSERT_EQ(table_code, 0) << table;
  EXPECT_THAT(table, ::testing::StartsWith(report.summary()));
  EXPECT_THAT(table, HasSubstr("Owners, by value at risk"));

  // The served page in a real browser.
  const std::string url = absl::StrCat("http://127.0.0.1:", http_port, "/coverage");
  const std::string dom = Chromium(chromium, {"--dump-dom"}, url);
  ASSERT_THAT(dom, HasSubstr("</html>")) << dom;
  EXPECT_THAT(dom, Not(HasSubstr("<script"))) << "a CRM name became a script element";
  EXPECT_THAT(dom, HasSubstr("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
  EXPECT_THAT(dom, Not(HasSubstr("<title>pwned</title>")));
  EXPECT_THAT(dom, HasSubstr(report.summary()));
  for (const char* chart : {"chart-tiers", "chart-churn", "chart-owner-risk", "chart-trend"}) {
    EXPECT_THAT(dom, HasSubstr(absl::StrCat("<svg id=\"", chart, "\""))) << chart;
  }
  const std::map<std::string, std::string> marks = ChartMarks(dom);
  const std::map<std::string, double> expected = ExpectedMarks(report);
  EXPECT_GT(expected.size(), 40u);
  ::pulse::testing::ExpectMarksCarry(marks, expected);

  // And painted: each series colour covers far more than its legend swatch (10 x 10 px).
  const fs::path png = dir_ / "coverage.png";
  Chromium(chromium, {"--window-size=1000,2600", absl::StrCat("--screenshot=", png.string())}, url);
  std::string png_error;
  std::optional<pulse::testing::PngImage> image = pulse::testing::ReadPng(png.string(), &png_error);
  ASSERT_TRUE(image.has_value()) << png_error;
  EXPECT_EQ(image->width, 1000);
  const struct {
    const char* what;
    uint32_t colour;
    int64_t at_least;
  } painted[] = {
      {"account-share and owner bars (blue)", 0x3f6fd8, 3000},
      {"revenue-share bars (amber)", 0xe0a100, 2000},
      {"churn bars (red)", 0xc8453a, 2000},
      {"all-accounts churn bar and trend (purple)", 0x7a5cc8, 1000},
      {"mid churn trend line (green)", 0x2f9e6e, 300},
  };
  for (const auto& p : painted) EXPECT_GE(image->CountColour(p.colour), p.at_least) << p.what;

  child->Signal(SIGTERM);
  EXPECT_EQ(child->Wait(absl::Seconds(20)), 0) << ReadFile(dir_ / "pulsed.log");
}

}  // namespace
}  // namespace pulse
