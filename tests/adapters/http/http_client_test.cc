#include "adapters/http/http_client.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pulse::http {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A real HTTP server on a loopback port chosen by the kernel.
class LocalServer {
 public:
  LocalServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// A loopback port nothing listens on: bound by the kernel's choice, then closed.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Request Get(const std::string& url) {
  Request r;
  r.url = url;
  return r;
}

Request Post(const std::string& url, const std::string& body = "") {
  Request r;
  r.method = "POST";
  r.url = url;
  r.body = body;
  return r;
}

Response Answer(int status, std::string retry_after = "") {
  Response r;
  r.status = status;
  if (!retry_after.empty()) r.headers.emplace_back("retry-after", retry_after);
  return r;
}

CircuitBreakerPolicy Breaker(int threshold, absl::Time* now) {
  CircuitBreakerPolicy b;
  b.failure_threshold = threshold;
  b.open_for = absl::Seconds(30);
  if (now != nullptr) b.now = [now] { return *now; };
  return b;
}

ClientOptions NoRetries() {
  ClientOptions o;
  o.retry.max_attempts = 1;
  o.breaker.failure_threshold = 0;
  o.timeout = absl::Seconds(5);
  return o;
}

TEST(CurlHttpClientTest, SendsMethodHeadersAndBodyAndReadsTheAnswer) {
  LocalServer local;
  local.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 201;
    res.set_header("X-Seen-Auth", req.get_header_value("Authorization"));
    res.set_content("got:" + req.body, "application/json");
  });
  auto client = MakeCurlHttpClient(NoRetries());
  Request req;
  req.method = "POST";
  req.url = local.Url("/echo");
  req.headers = {{"Authorization", "Bearer abc"}, {"Content-Type", "application/json"}};
  req.body = R"({"a":1})";
  PULSE_ASSERT_OK_AND_ASSIGN(Response res, client->Send(req));
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, R"(got:{"a":1})");
  EXPECT_EQ(res.Header("x-seen-auth"), "Bearer abc");
  EXPECT_EQ(res.Header("CONTENT-TYPE"), "application/json");
}

TEST(CurlHttpClientTest, AnErrorStatusIsAnAnswerNotAnError) {
  LocalServer local;
  local.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("{\"errors\":[{\"title\":\"nope\"}]}", "application/json");
  });
  auto client = MakeCurlHttpClient(NoRetries());
  PULSE_ASSERT_OK_AND_ASSIGN(Response res, client->Send(Get(local.Url("/missing"))));
  EXPECT_EQ(res.status, 404);
  EXPECT_THAT(HttpError("reading Accounts page 3", res),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("reading Accounts page 3: HTTP 404 {\"errors\"")));
}

TEST(CurlHttpClientTest, ConnectionRefusedIsUnavailableAndMarkedNotSent) {
  auto client = MakeCurlHttpClient(NoRetries());
  Request req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x?token=secret";
  absl::StatusOr<Response> res = client->Send(req);
  EXPECT_THAT(res, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot connect")));
  EXPECT_TRUE(WasNotSent(res.status()));
  // The query string never reaches a message.
  EXPECT_THAT(std::string(res.status().message()), Not(HasSubstr("secret")));
}

TEST(CurlHttpClientTest, ASlowServerIsDeadlineExceededAndMaybeSent) {
  LocalServer local;
  local.server().Post("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  ClientOptions o = NoRetries();
  o.timeout = absl::Milliseconds(300);
  auto client = MakeCurlHttpClient(o);
  absl::StatusOr<Response> res = client->Send(Post(local.Url("/slow"), "x"));
  EXPECT_THAT(res, StatusIs(absl::StatusCode::kDeadlineExceeded));
  // The request was written before the timeout: repeating a POST is not safe.
  EXPECT_FALSE(WasNotSent(res.status()));
}

TEST(CurlHttpClientTest, AnAnswerLargerThanTheLimitIsRefused) {
  LocalServer local;
  local.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(100000, 'x'), "text/plain");
  });
  ClientOptions o = NoRetries();
  o.max_response_bytes = 1000;
  auto client = MakeCurlHttpClient(o);
  EXPECT_THAT(client->Send(Get(local.Url("/big"))), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(CurlHttpClientTest, AMalformedUrlIsInvalidArgument) {
  auto client = MakeCurlHttpClient(NoRetries());
  EXPECT_THAT(client->Send(Get("ftp://example.com/x")), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CurlHttpClientTest, ReusesTheClientAcrossThreads) {
  LocalServer local;
  std::atomic<int> hits{0};
  local.server().Get("/n", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_content("ok", "text/plain");
  });
  auto client = MakeCurlHttpClient(NoRetries());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<Response> r = client->Send(Get(local.Url("/n")));
        if (r.ok() && r->status == 200 && r->body == "ok") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(hits.load(), 40);
}

// An in-memory transport that plays back scripted answers and records calls.
class ScriptedClient : public HttpClient {
 public:
  explicit ScriptedClient(std::deque<absl::StatusOr<Response>> script) : script_(std::move(script)) {}
  absl::StatusOr<Response> Send(const Request&) override {
    ++calls;
    if (script_.empty()) return Answer(200);
    absl::StatusOr<Response> r = script_.front();
    script_.pop_front();
    return r;
  }
  int calls = 0;

 private:
  std::deque<absl::StatusOr<Response>> script_;
};

absl::Status Sent(absl::Status s) { return s; }
absl::Status Unsent(absl::Status s) {
  s.SetPayload(kNotSentPayload, absl::Cord("1"));
  return s;
}

struct RetryHarness {
  std::vector<absl::Duration> waits;
  RetryPolicy Policy(int attempts = 4) {
    RetryPolicy p;
    p.max_attempts = attempts;
    p.initial_backoff = absl::Seconds(1);
    p.multiplier = 2;
    p.max_backoff = absl::Seconds(3);
    p.jitter = 0;
    p.sleep = [this](absl::Duration d) { waits.push_back(d); };
    return p;
  }
};

CircuitBreakerPolicy NoBreaker() { return Breaker(0, nullptr); }

TEST(RetryTest, RetriesAGetOn503WithExponentialCappedBackoff) {
  RetryHarness h;
  auto inner = std::make_unique<ScriptedClient>(std::deque<absl::StatusOr<Response>>{
      Answer(503), Answer(502), Answer(500), Answer(200)});
  ScriptedClient* raw = inner.get();
  auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
  PULSE_ASSERT_OK_AND_ASSIGN(Response r, client->Send(Get("http://x/")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(raw->calls, 4);
  EXPECT_THAT(h.waits, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)));
}

TEST(RetryTest, GivesUpAfterMaxAttemptsAndReturnsTheLastAnswer) {
  RetryHarness h;
  auto inner = std::make_unique<ScriptedClient>(
      std::deque<absl::StatusOr<Response>>{Answer(503), Answer(503), Answer(504)});
  auto client = MakeResilientHttpClient(std::move(inner), h.Policy(3), NoBreaker());
  PULSE_ASSERT_OK_AND_ASSIGN(Response r, client->Send(Get("http://x/")));
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(h.waits.size(), 2u);
}

TEST(RetryTest, HonoursRetryAfterAndRefusesOneTooLong) {
  RetryHarness h;
  auto inner = std::make_unique<ScriptedClient>(
      std::deque<absl::StatusOr<Response>>{Answer(429, "7"), Answer(429, "100000"), Answer(200)});
  ScriptedClient* raw = inner.get();
  auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
  PULSE_ASSERT_OK_AND_ASSIGN(Response r, client->Send(Get("http://x/")));
  EXPECT_EQ(r.status, 429);  // the second Retry-After is over max_retry_after
  EXPECT_EQ(raw->calls, 2);
  EXPECT_THAT(h.waits, ElementsAre(absl::Seconds(7)));
}

TEST(RetryTest, APostIsNotRepeatedAfterA500OrATimeoutButIsAfter429OrNotSent) {
  {
    RetryHarness h;
    auto inner = std::make_unique<ScriptedClient>(std::deque<absl::StatusOr<Response>>{Answer(500)});
    ScriptedClient* raw = inner.get();
    auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
    PULSE_ASSERT_OK_AND_ASSIGN(Response r, client->Send(Post("http://x/")));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(raw->calls, 1);
  }
  {
    RetryHarness h;
    auto inner = std::make_unique<ScriptedClient>(
        std::deque<absl::StatusOr<Response>>{Sent(absl::DeadlineExceededError("slow"))});
    ScriptedClient* raw = inner.get();
    auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
    EXPECT_THAT(client->Send(Post("http://x/")), StatusIs(absl::StatusCode::kDeadlineExceeded));
    EXPECT_EQ(raw->calls, 1);
  }
  {
    RetryHarness h;
    auto inner = std::make_unique<ScriptedClient>(std::deque<absl::StatusOr<Response>>{
        Answer(429), Unsent(absl::UnavailableError("refused")), Answer(201)});
    ScriptedClient* raw = inner.get();
    auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
    PULSE_ASSERT_OK_AND_ASSIGN(Response r, client->Send(Post("http://x/")));
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(raw->calls, 3);
  }
  {
    // A POST marked idempotent (a JSON-RPC read) is retried like a GET.
    RetryHarness h;
    auto inner = std::make_unique<ScriptedClient>(
        std::deque<absl::StatusOr<Response>>{Sent(absl::DeadlineExceededError("slow")), Answer(200)});
    ScriptedClient* raw = inner.get();
    auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
    EXPECT_THAT(client->Send([] {
      Request r = Post("http://x/");
      r.idempotent = true;
      return r;
    }()), IsOk());
    EXPECT_EQ(raw->calls, 2);
  }
}

TEST(RetryTest, ClientErrorsAreNotRetried) {
  RetryHarness h;
  auto inner = std::make_unique<ScriptedClient>(std::deque<absl::StatusOr<Response>>{Answer(401)});
  ScriptedClient* raw = inner.get();
  auto client = MakeResilientHttpClient(std::move(inner), h.Policy(), NoBreaker());
  PULSE_ASSERT_OK_AND_ASSIGN(Response r, client->Send(Get("http://x/")));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(raw->calls, 1);
}

TEST(RetryTest, JitterKeepsEachWaitWithinItsBand) {
  RetryHarness h;
  RetryPolicy p = h.Policy(4);
  p.jitter = 0.5;
  auto inner = std::make_unique<ScriptedClient>(
      std::deque<absl::StatusOr<Response>>{Answer(503), Answer(503), Answer(503), Answer(503)});
  auto client = MakeResilientHttpClient(std::move(inner), p, NoBreaker());
  ASSERT_THAT(client->Send(Get("http://x/")), IsOk());
  ASSERT_EQ(h.waits.size(), 3u);
  const absl::Duration base[] = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)};
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(h.waits[i], base[i] * 0.5);
    EXPECT_LE(h.waits[i], base[i]);
  }
}

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresFailsFastThenLetsOneTrialThrough) {
  absl::Time now = absl::FromUnixSeconds(1000000);
  CircuitBreakerPolicy breaker = Breaker(3, &now);
  auto inner = std::make_unique<ScriptedClient>(std::deque<absl::StatusOr<Response>>{
      Answer(500), Sent(absl::UnavailableError("reset")), Answer(503), Answer(200), Answer(200)});
  ScriptedClient* raw = inner.get();
  RetryPolicy one;
  one.max_attempts = 1;
  auto client = MakeResilientHttpClient(std::move(inner), one, breaker);
  for (int i = 0; i < 3; ++i) (void)client->Send(Get("http://x/"));
  EXPECT_EQ(raw->calls, 3);
  absl::StatusOr<Response> fast = client->Send(Get("http://x/"));
  EXPECT_THAT(fast, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit open")));
  EXPECT_TRUE(WasNotSent(fast.status()));
  EXPECT_EQ(raw->calls, 3);
  now += absl::Seconds(31);
  EXPECT_THAT(client->Send(Get("http://x/")), IsOk());  // the half-open trial succeeds
  EXPECT_EQ(raw->calls, 4);
  EXPECT_THAT(client->Send(Get("http://x/")), IsOk());  // closed again
  EXPECT_EQ(raw->calls, 5);
}

TEST(CircuitBreakerTest, ASuccessInBetweenResetsTheCount) {
  absl::Time now = absl::FromUnixSeconds(1000000);
  CircuitBreakerPolicy breaker = Breaker(2, &now);
  auto inner = std::make_unique<ScriptedClient>(
      std::deque<absl::StatusOr<Response>>{Answer(500), Answer(404), Answer(500), Answer(200)});
  ScriptedClient* raw = inner.get();
  RetryPolicy one;
  one.max_attempts = 1;
  auto client = MakeResilientHttpClient(std::move(inner), one, breaker);
  for (int i = 0; i < 4; ++i) (void)client->Send(Get("http://x/"));
  EXPECT_EQ(raw->calls, 4);  // a 404 is an answer: the CRM is up
}

TEST(ParseRetryAfterTest, SecondsAndHttpDates) {
  const absl::Time now = absl::FromUnixSeconds(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
}

TEST(StatusCodeForHttpTest, MapsTheCodesAdaptersActOn) {
  EXPECT_EQ(StatusCodeForHttp(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttp(401), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusCodeForHttp(403), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForHttp(404), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForHttp(429), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForHttp(502), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForHttp(504), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusCodeForHttp(418), absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace pulse::http
