#include "sidecar/http/http_server.h"

#include <atomic>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_client.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::HttpGet;
using ::pulse::testing::HttpRequest;
using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::HasSubstr;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metrics_.Counter("pulse_sweeps_total", "Sweeps finished.", {"outcome"}).Add({"succeeded"});
    HttpServerParams params;
    params.listen = "127.0.0.1:0";
    params.metrics = &metrics_;
    params.healthy = [this] { return synced_.load(); };
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(params);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
  }

  MetricsRegistry metrics_;
  std::atomic<bool> synced_{false};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesMetricsInThePrometheusTextFormat) {
  ASSERT_GT(server_->port(), 0);
  auto res = HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(res->body,
            "# HELP pulse_sweeps_total Sweeps finished.\n"
            "# TYPE pulse_sweeps_total counter\n"
            "pulse_sweeps_total{outcome=\"succeeded\"} 1\n");
  // Every scrape renders the registry anew.
  metrics_.Gauge("pulse_tasks_pending", "Tasks in the outbox.").Set({}, 3);
  res = HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(res.has_value());
  EXPECT_THAT(res->body, HasSubstr("\npulse_tasks_pending 3\n"));
}

TEST_F(HttpServerTest, HealthzIs503UntilSyncedThen200) {
  auto before = HttpGet(server_->port(), "/healthz");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->status, 503);
  synced_ = true;
  auto after = HttpGet(server_->port(), "/healthz");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->body, "ok\n");
}

TEST_F(HttpServerTest, IndexUnknownPathsAndOtherMethods) {
  auto index = HttpGet(server_->port(), "/");
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->status, 200);
  EXPECT_THAT(index->body, HasSubstr("/metrics"));
  auto missing = HttpGet(server_->port(), "/admin");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    auto refused = HttpRequest(server_->port(), method, "/metrics");
    ASSERT_TRUE(refused.has_value()) << method;
    EXPECT_EQ(refused->status, 405) << method;
  }
  auto head = HttpRequest(server_->port(), "HEAD", "/healthz");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 503);
}

TEST_F(HttpServerTest, StopClosesThePortAndIsIdempotent) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();
  EXPECT_FALSE(HttpGet(port, "/healthz").has_value());
}

TEST(HttpServer, StartAndStopRightAway) {
  for (int i = 0; i < 20; ++i) {
    HttpServerParams params;
    params.listen = "127.0.0.1:0";
    auto server = HttpServer::Start(params);
    ASSERT_THAT(server, IsOk());
  }  // destructors stop and join
}

TEST(HttpServer, BadOrBusyAddressesAreErrors) {
  HttpServerParams params;
  params.listen = "localhost";
  EXPECT_THAT(HttpServer::Start(params), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HOST:PORT")));
  params.listen = "127.0.0.1:0";
  auto first = HttpServer::Start(params);
  ASSERT_THAT(first, IsOk());
  params.listen = absl::StrCat("127.0.0.1:", (*first)->port());
  EXPECT_THAT(HttpServer::Start(params), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(params.listen)));
}

TEST(SplitHostPort, Forms) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(SplitHostPort("0.0.0.0:9090", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9090);
  ASSERT_TRUE(SplitHostPort("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  for (const char* bad : {"", "9090", ":9090", "h:", "h:65536", "h:+1", "::1:80", "[::1:80"}) {
    EXPECT_FALSE(SplitHostPort(bad, &host, &port).ok()) << bad;
  }
}

TEST_F(HttpServerTest, CoverageIsNotFoundWhenNoPageIsConfigured) {
  auto res = HttpGet(server_->port(), "/coverage");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 404);
}

TEST(HttpCoverageTest, CoveragePageIs503BeforeTheFirstSweepThenHtmlUnderAStrictPolicy) {
  std::atomic<int> state{0};  // 0: no sweep yet, 1: a page, 2: a broken store
  HttpServerParams params;
  params.listen = "127.0.0.1:0";
  params.coverage_page = [&state]() -> absl::StatusOr<std::string> {
    if (state.load() == 0) return absl::FailedPreconditionError("no sweep has finished yet");
    if (state.load() == 2) return absl::InternalError("the store is unreadable");
    return std::string("<!DOCTYPE html>\n<p>coverage</p>\n");
  };
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(params);
  ASSERT_THAT(server, IsOk());
  const int port = (*server)->port();

  auto before = HttpGet(port, "/coverage");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->status, 503);
  EXPECT_THAT(before->body, HasSubstr("no sweep has finished yet"));

  state = 1;
  auto page = HttpGet(port, "/coverage");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->headers["content-security-policy"], "default-src 'none'; style-src 'unsafe-inline'");
  EXPECT_EQ(page->headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(page->body, "<!DOCTYPE html>\n<p>coverage</p>\n");
  auto refused = HttpRequest(port, "POST", "/coverage");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 405) << "read-only";

  state = 2;
  auto broken = HttpGet(port, "/coverage");
  ASSERT_TRUE(broken.has_value());
  EXPECT_EQ(broken->status, 500);
  EXPECT_THAT(broken->body, HasSubstr("the store is unreadable"));
}

// /accounts/ID: the id percent-decoded from the raw path, the page's errors
// as statuses, and the same authorization as /coverage.
TEST(HttpAccountTest, AccountPagesDecodeTheIdMapErrorsAndNeedAuthorization) {
  std::atomic<bool> swept{false};
  std::atomic<int> asked{0};
  HttpServerParams params;
  params.listen = "127.0.0.1:0";
  params.account_page = [&](const std::string& id) -> absl::StatusOr<std::string> {
    ++asked;
    if (!swept.load()) return absl::FailedPreconditionError("no sweep has finished yet");
    if (id.empty() || id.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError("account_id is required / holds a control character");
    }
    if (id != "a/1 \xc3\xa4" && id != "a1") return absl::NotFoundError("account '" + id + "' is not in the latest sweep");
    return "<!DOCTYPE html>\n<p>account " + id + "</p>\n";
  };
  std::vector<std::string> seen;
  params.authorize_page = [&seen](absl::string_view what, absl::string_view authorization,
                                  absl::string_view) -> absl::Status {
    seen.emplace_back(what);
    if (authorization.empty()) return absl::UnauthenticatedError("a bearer token is required");
    if (authorization != "Bearer good") return absl::PermissionDeniedError("this token may not read pages");
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(params);
  ASSERT_THAT(server, IsOk());
  const int port = (*server)->port();
  const std::string good = "Authorization: Bearer good\r\n";

  auto anonymous = HttpGet(port, "/accounts/a1");
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->headers["www-authenticate"], "Bearer realm=\"pulse\"");
  auto wrong = HttpGet(port, "/accounts/a1", "Authorization: Bearer bad\r\n");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 403);
  EXPECT_EQ(asked.load(), 0) << "refused before the page is built";
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), "GET /accounts/");

  auto early = HttpGet(port, "/accounts/a1", good);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->status, 503);

  swept = true;
  auto page = HttpGet(port, "/accounts/a1?utm=x", good);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->headers["content-security-policy"], "default-src 'none'; style-src 'unsafe-inline'");
  EXPECT_EQ(page->body, "<!DOCTYPE html>\n<p>account a1</p>\n");
  // An encoded '/' and UTF-8 stay part of the id; '+' is literal in a path.
  auto encoded = HttpGet(port, "/accounts/a%2F1%20%C3%a4", good);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->status, 200) << encoded->body;
  EXPECT_EQ(encoded->body, "<!DOCTYPE html>\n<p>account a/1 \xc3\xa4</p>\n");
  auto plus = HttpGet(port, "/accounts/a+1", good);
  ASSERT_TRUE(plus.has_value());
  EXPECT_EQ(plus->status, 404);
  EXPECT_THAT(plus->body, HasSubstr("'a+1'"));

  for (const char* path : {"/accounts/nobody", "/accounts/..%2F..%2Fetc%2Fpasswd"}) {
    auto missing = HttpGet(port, path, good);
    ASSERT_TRUE(missing.has_value());
    EXPECT_EQ(missing->status, 404) << path;
  }
  for (const char* path : {"/accounts/", "/accounts/a%0A1", "/accounts/a%2", "/accounts/a%zz", "/accounts/%"}) {
    auto bad = HttpGet(port, path, good);
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->status, 400) << path;
  }
  auto refused = HttpRequest(port, "POST", "/accounts/a1", good);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 405) << "read-only";
}

TEST_F(HttpServerTest, AccountsAreNotFoundWhenNoPageIsConfigured) {
  auto res = HttpGet(server_->port(), "/accounts/a1");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 404);
}

}  // namespace
}  // namespace pulse
