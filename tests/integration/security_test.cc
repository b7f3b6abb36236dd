// End to end: pulsed with TLS, mTLS and bearer tokens, driven by gRPC clients
// and pulsectl. Certificates are made at test time with the openssl CLI.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "tests/integration/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
using ::pulse::testing::HttpGet;
using ::pulse::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEndDate[] = "2026-06-30";
constexpr char kViewerToken[] = "viewer-6b1f0c2e9d4a4e7b8c3f";
constexpr char kOperatorToken[] = "operator-0e4d7a91c25b43f6a8d1";
constexpr char kAdminToken[] = "admin-5c8e2f7a1b9d4c3e6f0a";

std::string Binary(const std::string& name) { return ::pulse::testing::CliBinary(name); }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Writes, in `dir`, a CA (NAME-ca.crt) and a server certificate for
// localhost and 127.0.0.1 it signed (NAME-server.crt/.key), plus a client
// certificate (NAME-client.crt/.key, CN=NAME-client). EC keys: quick to make.
void MakeCertificates(const fs::path& dir, const std::string& name) {
  const std::string script = absl::StrCat(
      "set -e; cd '", dir.string(), "'; n=", name, "\n",
      "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out \"$1\" 2>/dev/null; }\n",
      "key $n-ca.key\n",
      "openssl req -x509 -new -key $n-ca.key -out $n-ca.crt -days 2 -subj \"/CN=$n test CA\" 2>/dev/null\n",
      "key $n-server.key\n",
      "openssl req -new -key $n-server.key -out $n-server.csr -subj /CN=localhost 2>/dev/null\n",
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > $n-server.ext\n",
      "openssl x509 -req -in $n-server.csr -CA $n-ca.crt -CAkey $n-ca.key -CAcreateserial -days 2 ",
      "-extfile $n-server.ext -out $n-server.crt 2>/dev/null\n",
      "key $n-client.key\n",
      "openssl req -new -key $n-client.key -out $n-client.csr -subj /CN=$n-client 2>/dev/null\n",
      "openssl x509 -req -in $n-client.csr -CA $n-ca.crt -CAkey $n-ca.key -CAcreateserial -days 2 ",
      "-out $n-client.crt 2>/dev/null\n",
      "echo made\n");
  auto [code, out] = RunCommand({"/bin/sh", "-c", script});
  ASSERT_EQ(code, 0) << "openssl failed (is the openssl package installed?): " << out;
  ASSERT_TRUE(fs::exists(dir / (name + "-server.crt")));
}

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const fs::path& ca, const fs::path& cert = {},
                                                         const fs::path& key = {}) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca);
  if (!cert.empty()) {
    options.pem_cert_chain = ReadFile(cert);
    options.pem_private_key = ReadFile(key);
  }
  return grpc::SslCredentials(options);
}

// One unary call on a fresh channel (a fresh connection and handshake).
grpc::Status CallQueue(const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                       const std::string& token = "") {
  grpc::ChannelArguments args;
  // Separate channels must not share a connection: each test call handshakes.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = pulse::v1::RetentionService::NewStub(grpc::CreateCustomChannel(address, credentials, args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  pulse::v1::ListContactQueueResponse response;
  return stub->ListContactQueue(&ctx, pulse::v1::ListContactQueueRequest(), &response);
}

// Reached the service: it answered, whatever it said about the queue.
bool Reached(const grpc::Status& s) {
  return s.error_code() != grpc::StatusCode::UNAVAILABLE && s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("pulse-sec-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", getpid());
    fs::remove_all(dir_);
    auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir_.string(), "--accounts", "60", "--seed", "5",
                                   "--end-date", kEndDate});
    ASSERT_EQ(code, 0) << out;
    base_yaml_ = ReadFile(dir_ / "pulse.yaml");
    const std::string from = "run_on_start: true";
    ASSERT_NE(base_yaml_.find(from), std::string::npos);
    base_yaml_.replace(base_yaml_.find(from), from.size(), "run_on_start: false");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes pulse.yaml: the demo's config plus `extra` top-level YAML.
  void WriteConfig(const std::string& extra) { WriteFile(dir_ / "pulse.yaml", base_yaml_ + extra); }

  void WriteTokens(const std::string& text) { WriteFile(dir_ / "tokens", text); }

  // Starts `pulsed serve` on free ports; *port and *http_port from its stdout.
  std::optional<ChildProcess> StartServer(int* port, int* http_port = nullptr) {
    auto child = ChildProcess::Start({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(), "--listen",
                                      "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                     (dir_ / "pulsed.log").string());
    if (!child.has_value()) return std::nullopt;
    *port = ReadPort(*child, "pulsed listening on port ");
    const int http = ReadPort(*child, "pulsed http on port ");
    if (http_port != nullptr) *http_port = http;
    return child;
  }

  int ReadPort(ChildProcess& child, const std::string& prefix) {
    auto line = child.ReadLine(absl::Seconds(30));
    int port = 0;
    if (!line.has_value() || !absl::StartsWith(*line, prefix) ||
        !absl::SimpleAtoi(line->substr(line->rfind(' ') + 1), &port)) {
      ADD_FAILURE() << "no '" << prefix << "' line; log:\n" << ReadFile(dir_ / "pulsed.log");
    }
    return port;
  }

  fs::path dir_;
  std::string base_yaml_;
};

TEST_F(SecurityTest, TlsServesOnlyClientsThatTrustItsCaAndPicksUpARotatedCertificate) {
  MakeCertificates(dir_, "a");
  MakeCertificates(dir_, "b");
  fs::copy_file(dir_ / "a-server.crt", dir_ / "server.crt");
  fs::copy_file(dir_ / "a-server.key", dir_ / "server.key");
  WriteConfig("tls: {cert_file: server.crt, key_file: server.key, reload_interval: 1s}\n");
  int port = 0;
  auto server = StartServer(&port);
  ASSERT_TRUE(server.has_value());
  ASSERT_GT(port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);

  grpc::Status trusted = CallQueue(address, TlsCredentials(dir_ / "a-ca.crt"));
  EXPECT_EQ(trusted.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "reaches the service (no sweep yet): " << trusted.error_message();
  EXPECT_FALSE(Reached(CallQueue(address, grpc::InsecureChannelCredentials()))) << "plaintext is refused";
  EXPECT_FALSE(Reached(CallQueue(address, TlsCredentials(dir_ / "b-ca.crt")))) << "a client trusting another CA";

  // pulsectl over TLS.
  auto [code, out] = RunCommand({Binary("pulsectl"), "--server", address, "--tls-ca", (dir_ / "a-ca.crt").string(),
                                 "sweep", "--as-of", kEndDate});
  EXPECT_EQ(code, 0) << out;
  auto [no_ca_code, no_ca_out] = RunCommand({Binary("pulsectl"), "--server", address, "sweeps"});
  EXPECT_EQ(no_ca_code, 3) << "plaintext pulsectl cannot reach a TLS server: " << no_ca_out;

  // Rotation: CA b's certificate replaces a's; gRPC's file watcher serves it
  // without a restart. Each file is replaced by a rename, never half-written.
  fs::copy_file(dir_ / "b-server.key", dir_ / "server.key.new");
  fs::copy_file(dir_ / "b-server.crt", dir_ / "server.crt.new");
  fs::rename(dir_ / "server.key.new", dir_ / "server.key");
  fs::rename(dir_ / "server.crt.new", dir_ / "server.crt");
  bool rotated = false;
  for (int i = 0; i < 40 && !rotated; ++i) {
    rotated = Reached(CallQueue(address, TlsCredentials(dir_ / "b-ca.crt")));
    if (!rotated) absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(rotated) << "the new certificate was not served within 10 s";
  EXPECT_FALSE(Reached(CallQueue(address, TlsCredentials(dir_ / "a-ca.crt")))) << "the old certificate is gone";

  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 0) << ReadFile(dir_ / "pulsed.log");
  EXPECT_THAT(ReadFile(dir_ / "pulsed.log"), HasSubstr("TLS, no authentication"));
}

TEST_F(SecurityTest, MutualTlsRefusesClientsWithoutACertificateFromItsCa) {
  MakeCertificates(dir_, "a");
  MakeCertificates(dir_, "b");
  WriteConfig("tls: {cert_file: a-server.crt, key_file: a-server.key, client_ca_file: a-ca.crt, "
              "require_client_cert: true}\n");
  int port = 0;
  auto server = StartServer(&port);
  ASSERT_TRUE(server.has_value());
  const std::string address = absl::StrCat("127.0.0.1:", port);
  const fs::path ca = dir_ / "a-ca.crt";
  EXPECT_TRUE(Reached(CallQueue(address, TlsCredentials(ca, dir_ / "a-client.crt", dir_ / "a-client.key"))));
  EXPECT_FALSE(Reached(CallQueue(address, TlsCredentials(ca)))) << "no client certificate";
  EXPECT_FALSE(Reached(CallQueue(address, TlsCredentials(ca, dir_ / "b-client.crt", dir_ / "b-client.key"))))
      << "a client certificate from another CA";
  auto [code, out] =
      RunCommand({Binary("pulsectl"), "--server", address, "--tls-ca", ca.string(), "--tls-cert",
                  (dir_ / "a-client.crt").string(), "--tls-key", (dir_ / "a-client.key").string(), "health"});
  EXPECT_EQ(code, 1) << "reached; not serving before the first sweep: " << out;
  EXPECT_THAT(out, HasSubstr("NOT_SERVING"));
  auto [no_cert, no_cert_out] =
      RunCommand({Binary("pulsectl"), "--server", address, "--tls-ca", ca.string(), "health"});
  EXPECT_EQ(no_cert, 3) << no_cert_out;
}

TEST_F(SecurityTest, MissingCertificateFileFailsAtStartNamingTheKey) {
  WriteConfig("tls: {cert_file: nope.crt, key_file: nope.key}\n");
  auto [code, out] = RunCommand({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(), "--listen",
                                 "127.0.0.1:0", "--http-listen", ""},
                                absl::Seconds(30), (dir_ / "err.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_THAT(ReadFile(dir_ / "err.log"), HasSubstr("tls.cert_file"));
}

std::string TokensFile() {
  return absl::StrCat("# role token\nviewer ", kViewerToken, "\noperator ", kOperatorToken, "\nadmin ", kAdminToken,
                      "\n");
}

grpc::Status CallSweep(pulse::v1::RetentionService::Stub& stub, const std::string& token) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  pulse::v1::RunSweepRequest request;
  request.set_as_of(kEndDate);
  auto reader = stub.RunSweep(&ctx, request);
  pulse::v1::RunSweepResponse event;
  while (reader->Read(&event)) {
  }
  return reader->Finish();
}

TEST_F(SecurityTest, BearerTokensWithRolesGuardEveryMethodAndRotateWithoutRestart) {
  WriteTokens(TokensFile());
  WriteConfig("auth: {tokens_file: tokens}\n");
  int port = 0;
  int http_port = 0;
  auto server = StartServer(&port, &http_port);
  ASSERT_TRUE(server.has_value());
  ASSERT_GT(http_port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto insecure = grpc::InsecureChannelCredentials();
  auto stub = pulse::v1::RetentionService::NewStub(grpc::CreateChannel(address, insecure));

  grpc::Status missing = CallQueue(address, insecure);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED) << missing.error_message();
  EXPECT_EQ(CallQueue(address, insecure, "viewer-not-a-real-token-123").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallQueue(address, insecure, kViewerToken).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "a viewer reaches the queue (empty before the first sweep)";
  grpc::Status viewer_sweep = CallSweep(*stub, kViewerToken);
  EXPECT_EQ(viewer_sweep.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(viewer_sweep.error_message(), HasSubstr("operator"));
  EXPECT_EQ(CallSweep(*stub, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Health is open; pulsectl sends its token from a file or the environment.
  auto [health_code, health_out] = RunCommand({Binary("pulsectl"), "--server", address, "health"});
  EXPECT_EQ(health_code, 1) << "reached without a token, not serving yet: " << health_out;
  WriteFile(dir_ / "operator.token", std::string(kOperatorToken) + "\n");
  auto [sweep_code, sweep_out] = RunCommand({Binary("pulsectl"), "--server", address, "--token-file",
                                             (dir_ / "operator.token").string(), "sweep", "--as-of", kEndDate});
  EXPECT_EQ(sweep_code, 0) << sweep_out;
  auto [denied_code, denied_out] = RunCommand({Binary("pulsectl"), "--server", address, "--token", kViewerToken,
                                               "sweep", "--as-of", kEndDate});
  EXPECT_EQ(denied_code, 1) << denied_out;
  auto [queue_code, queue_out] =
      RunCommand({Binary("pulsectl"), "--server", address, "--token", kViewerToken, "queue", "--limit", "3"});
  EXPECT_EQ(queue_code, 0) << queue_out;
  EXPECT_TRUE(CallQueue(address, insecure, kAdminToken).ok()) << "admin may do what a viewer may";

  // HTTP: /metrics and /healthz are open, /coverage needs a viewer token.
  EXPECT_EQ(HttpGet(http_port, "/metrics")->status, 200);
  EXPECT_EQ(HttpGet(http_port, "/healthz")->status, 200);
  auto no_token = HttpGet(http_port, "/coverage");
  ASSERT_TRUE(no_token.has_value());
  EXPECT_EQ(no_token->status, 401);
  EXPECT_EQ(no_token->headers["www-authenticate"], "Bearer realm=\"pulse\"");
  EXPECT_EQ(HttpGet(http_port, "/coverage", "Authorization: Bearer wrong-token-wrong-token\r\n")->status, 401);
  auto page = HttpGet(http_port, "/coverage", absl::StrCat("Authorization: Bearer ", kViewerToken, "\r\n"));
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("<html"));

  // Rotation: the file is re-read when it changes; the old token stops working.
  const std::string rotated = "viewer-rotated-7d3a9e1f4b2c";
  WriteTokens(absl::StrCat("viewer ", rotated, "\noperator ", kOperatorToken, "\n"));
  EXPECT_EQ(CallQueue(address, insecure, kViewerToken).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallQueue(address, insecure, rotated).ok());

  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 0);
  const std::string log = ReadFile(dir_ / "pulsed.log");
  EXPECT_THAT(log, HasSubstr("permission denied: /pulse.v1.RetentionService/RunSweep from "));
  EXPECT_THAT(log, HasSubstr("role viewer, needs operator"));
  EXPECT_THAT(log, HasSubstr("unauthenticated: /pulse.v1.RetentionService/ListContactQueue"));
  EXPECT_THAT(log, HasSubstr("unauthenticated: GET /coverage from 127.0.0.1:"));
  for (const std::string& token : {std::string(kViewerToken), std::string(kOperatorToken), rotated}) {
    EXPECT_THAT(log, Not(HasSubstr(token)));
  }
}

TEST_F(SecurityTest, TokensWithMutualTlsNameTheClientCertificateInTheLog) {
  MakeCertificates(dir_, "a");
  WriteTokens(TokensFile());
  WriteConfig("tls: {cert_file: a-server.crt, key_file: a-server.key, client_ca_file: a-ca.crt, "
              "require_client_cert: true}\nauth: {tokens_file: tokens}\n");
  int port = 0;
  auto server = StartServer(&port);
  ASSERT_TRUE(server.has_value());
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto creds = TlsCredentials(dir_ / "a-ca.crt", dir_ / "a-client.crt", dir_ / "a-client.key");
  EXPECT_EQ(CallQueue(address, creds).error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "a client certificate is not a token";
  EXPECT_EQ(CallQueue(address, creds, kViewerToken).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 0);
  EXPECT_THAT(ReadFile(dir_ / "pulsed.log"), HasSubstr("from client certificate CN=a-client"));
}

TEST_F(SecurityTest, TokensInClearTextOffLoopbackAreRefusedAtStart) {
  WriteTokens(TokensFile());
  WriteConfig("auth: {tokens_file: tokens}\n");
  auto [code, out] = RunCommand({Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(), "--listen",
                                 "0.0.0.0:0", "--http-listen", ""},
                                absl::Seconds(30), (dir_ / "err.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_THAT(ReadFile(dir_ / "err.log"), HasSubstr("clear text"));
}

// A CRM that refuses every login and, like a careless one, echoes the
// request (with the client secret) in its error message.
class EchoingCrm {
 public:
  EchoingCrm() {
    server_.Post(".*", [](const httplib::Request& req, httplib::Response& res) { Refuse(req, res); });
    server_.Get(".*", [](const httplib::Request& req, httplib::Response& res) { Refuse(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(5));
  }
  ~EchoingCrm() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  static void Refuse(const httplib::Request& req, httplib::Response& res) {
    std::string echoed = absl::StrCat(req.body, " ", req.get_header_value("Authorization"));
    for (char& c : echoed) {
      if (c == '"' || c == '\\') c = '\'';
    }
    res.status = 401;
    res.set_content(absl::StrCat("{\"error\":\"invalid_client\",\"error_description\":\"rejected ", echoed,
                                 "\",\"message\":\"rejected ", echoed, "\"}"),
                    "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Every secret of the run, and every text Pulse showed anyone.
struct Exposure {
  std::vector<std::string> secrets;
  std::vector<std::pair<std::string, std::string>> texts;  // what, text
  void Add(const std::string& what, const std::string& text) { texts.emplace_back(what, text); }
  void ExpectNoSecret() const {
    for (const auto& [what, text] : texts) {
      for (const std::string& secret : secrets) {
        EXPECT_THAT(text, Not(HasSubstr(secret))) << what << " shows a secret";
      }
    }
  }
};

TEST_F(SecurityTest, SecretsNeverAppearInLogsErrorsMetricsOrTheReport) {
  const std::string crm_secret = "crm-client-secret-51b7e09a2d";
  Exposure exposure;
  exposure.secrets = {kViewerToken, kOperatorToken, kAdminToken, crm_secret};
  WriteTokens(TokensFile());
  WriteFile(dir_ / "crm.secret", absl::StrCat("client_secret=", crm_secret, "\n"));
  auto run = [&](const std::string& what, const std::vector<std::string>& argv) {
    const fs::path err = dir_ / "stderr.txt";
    auto [code, out] = RunCommand(argv, absl::Seconds(60), err.string());
    exposure.Add(what + " (stdout)", out);
    exposure.Add(what + " (stderr)", ReadFile(err));
    return code;
  };

  // 1. The CSV CRM with tokens: every auth error path, then a good sweep and its report.
  WriteConfig("auth: {tokens_file: tokens}\n");
  {
    int port = 0;
    int http_port = 0;
    auto server = StartServer(&port, &http_port);
    ASSERT_TRUE(server.has_value());
    const std::string address = absl::StrCat("127.0.0.1:", port);
    auto insecure = grpc::InsecureChannelCredentials();
    auto stub = pulse::v1::RetentionService::NewStub(grpc::CreateChannel(address, insecure));
    for (const std::string& token : {std::string(), std::string("not-") + kViewerToken, std::string(kViewerToken)}) {
      exposure.Add("queue error", CallQueue(address, insecure, token).error_message());
      exposure.Add("sweep error", CallSweep(*stub, token).error_message());
    }
    EXPECT_EQ(run("pulsectl sweep as viewer", {Binary("pulsectl"), "--server", address, "--token", kViewerToken,
                                               "sweep", "--as-of", kEndDate}),
              1);
    EXPECT_EQ(run("pulsectl sweep", {Binary("pulsectl"), "--server", address, "--token", kOperatorToken, "sweep",
                                     "--as-of", kEndDate}),
              0);
    const fs::path html = dir_ / "coverage.html";
    EXPECT_EQ(run("pulsectl coverage", {Binary("pulsectl"), "--server", address, "--token", kAdminToken, "coverage",
                                        "--html", html.string()}),
              0);
    exposure.Add("coverage --html", ReadFile(html));
    EXPECT_THAT(ReadFile(html), HasSubstr("<html"));
    for (const std::string& token : {std::string(), std::string("wrong-") + kViewerToken, std::string(kViewerToken)}) {
      auto page = HttpGet(http_port, "/coverage", token.empty() ? "" : "Authorization: Bearer " + token + "\r\n");
      ASSERT_TRUE(page.has_value());
      exposure.Add("GET /coverage", page->body);
    }
    auto metrics = HttpGet(http_port, "/metrics");
    ASSERT_TRUE(metrics.has_value());
    exposure.Add("GET /metrics", metrics->body);
    server->Signal(SIGTERM);
    EXPECT_EQ(server->Wait(absl::Seconds(20)), 0);
    exposure.Add("pulsed log (csv)", ReadFile(dir_ / "pulsed.log"));
  }

  // 2. A CRM adapter failure: SuiteCRM refuses the login and echoes the secret back.
  EchoingCrm crm;
  WriteFile(dir_ / "pulse.yaml",
            absl::StrCat("store: {path: crm.db}\n"
                         "adapter:\n  type: suitecrm\n  credentials_file: crm.secret\n"
                         "  suitecrm: {base_url: 'http://127.0.0.1:", crm.port(), "', client_id: pulse, timeout: 5s}\n"
                         "sweep: {run_on_start: false}\nauth: {tokens_file: tokens}\n"));
  {
    int port = 0;
    int http_port = 0;
    auto server = StartServer(&port, &http_port);
    ASSERT_TRUE(server.has_value());
    const std::string address = absl::StrCat("127.0.0.1:", port);
    auto stub = pulse::v1::RetentionService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    EXPECT_NE(run("pulsectl sweep (CRM down)", {Binary("pulsectl"), "--server", address, "--token", kOperatorToken,
                                                "--json", "sweep"}),
              0);
    EXPECT_EQ(run("pulsectl sweeps", {Binary("pulsectl"), "--server", address, "--token", kViewerToken, "--json",
                                      "sweeps"}),
              0);
    auto metrics = HttpGet(http_port, "/metrics");
    ASSERT_TRUE(metrics.has_value());
    exposure.Add("GET /metrics (suitecrm)", metrics->body);
    server->Signal(SIGTERM);
    EXPECT_EQ(server->Wait(absl::Seconds(20)), 0);
    const std::string log = ReadFile(dir_ / "pulsed.log");
    exposure.Add("pulsed log (suitecrm)", log);
    EXPECT_THAT(log, HasSubstr("rejected")) << "the CRM's answer reached the log, redacted:\n" << log;
  }
  EXPECT_EQ(run("pulsed sweep (CRM down)", {Binary("pulsed"), "sweep", "--config", (dir_ / "pulse.yaml").string()}),
            1);

  // 3. Bad configuration: a tokens file with a line that is only a token, an unknown role.
  WriteTokens(absl::StrCat(kAdminToken, "\nroot ", kOperatorToken, "\n"));
  const std::vector<std::string> serve = {Binary("pulsed"), "serve", "--config", (dir_ / "pulse.yaml").string(),
                                          "--listen", "127.0.0.1:0", "--http-listen", ""};
  EXPECT_EQ(run("pulsed serve (bad tokens file)", serve), 2);
  WriteTokens(absl::StrCat("superuser ", kOperatorToken, "\n"));
  EXPECT_EQ(run("pulsed serve (unknown role)", serve), 2);

  ASSERT_GE(exposure.texts.size(), 20u);
  exposure.ExpectNoSecret();
  // The test looks where a secret could be: the errors above were really produced.
  bool saw_crm_error = false;
  for (const auto& [what, text] : exposure.texts) saw_crm_error |= absl::StrContains(text, "***");
  EXPECT_TRUE(saw_crm_error) << "the echoed secret was redacted to *** somewhere";
}

}  // namespace
}  // namespace pulse
