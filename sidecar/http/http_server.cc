#include "sidecar/http/http_server.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "sidecar/common/logging.h"

namespace pulse {
namespace {

constexpr char kLog[] = "http";
constexpr char kIndex[] =
    "Pulse, the customer-retention sidecar.\n"
    "\n"
    "GET /metrics  Prometheus metrics (text format 0.0.4)\n"
    "GET /healthz  200 once a sweep has read the CRM, 503 before\n"
    "GET /coverage the coverage and portfolio report (HTML)\n"
    "GET /accounts/ID  one account's page (HTML)\n"
    "\n"
    "The API is gRPC: pulse.v1.RetentionService (use pulsectl).\n";
// The scrapes and probes are small and rare: a few threads are plenty.
constexpr size_t kThreads = 2;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The account id of a raw request target "/accounts/<id>[?query]", percent-
// decoded ('+' is literal in a path). Nullopt for a malformed escape.
std::optional<std::string> AccountIdOfTarget(const std::string& target) {
  constexpr absl::string_view kPrefix = "/accounts/";
  absl::string_view raw(target);
  raw = raw.substr(0, raw.find_first_of("?#"));
  if (!absl::StartsWith(raw, kPrefix)) return std::nullopt;
  raw.remove_prefix(kPrefix.size());
  std::string id;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      id.push_back(raw[i]);
      continue;
    }
    const int hi = i + 1 < raw.size() ? HexValue(raw[i + 1]) : -1;
    const int lo = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    id.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return id;
}

// Refuses the request (401/403) unless authorize_page lets it see `what`.
bool Authorized(const HttpServerParams& params, absl::string_view what, const httplib::Request& req,
                httplib::Response& res) {
  if (!params.authorize_page) return true;
  const absl::Status allowed = params.authorize_page(what, req.get_header_value("Authorization"),
                                                     absl::StrCat(req.remote_addr, ":", req.remote_port));
  if (allowed.ok()) return true;
  const bool unauthenticated = allowed.code() == absl::StatusCode::kUnauthenticated;
  res.status = unauthenticated ? 401 : 403;
  if (unauthenticated) res.set_header("WWW-Authenticate", "Bearer realm=\"pulse\"");
  res.set_content(absl::StrCat(allowed.message(), "\n"), "text/plain; charset=utf-8");
  return false;
}

// A page, or its error as text with the matching status.
void ServePage(const absl::StatusOr<std::string>& page, httplib::Response& res) {
  if (!page.ok()) {
    switch (page.status().code()) {
      case absl::StatusCode::kInvalidArgument: res.status = 400; break;
      case absl::StatusCode::kNotFound: res.status = 404; break;
      case absl::StatusCode::kFailedPrecondition: res.status = 503; break;
      default: res.status = 500;
    }
    res.set_content(absl::StrCat(page.status().message(), "\n"), "text/plain; charset=utf-8");
    return;
  }
  // The page holds CRM-provided names: no script may run, whatever it says.
  res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(*page, "text/html; charset=utf-8");
}

}  // namespace

absl::Status SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  auto bad = [&address] {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address '", address, "' must be HOST:PORT with a port from 0 to 65535"));
  };
  if (colon == std::string::npos || colon == 0) return bad();
  std::string h = address.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return bad();
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return bad();
  }
  const std::string p = address.substr(colon + 1);
  int n = 0;
  if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || !absl::SimpleAtoi(p, &n) ||
      n > 65535) {
    return bad();
  }
  *host = h;
  *port = n;
  return absl::OkStatus();
}

struct HttpServer::Impl {
  HttpServerParams params;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl, int port) : impl_(std::move(impl)), port_(port) {}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerParams params) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(params.listen, &host, &port); !s.ok()) return s;
  auto impl = std::make_unique<Impl>();
  impl->params = std::move(params);
  Impl* self = impl.get();
  httplib::Server& server = impl->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_max_count(10);
  // httplib's default sets SO_REUSEPORT, which would let a second pulsed share the port and answer
  // every other scrape. SO_REUSEADDR alone still allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  // Read-only: every method but GET (and HEAD, which is GET without a body) is refused before routing.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") return httplib::Server::HandlerResponse::Unhandled;
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("method not allowed: this endpoint is read-only (GET)\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->params.metrics == nullptr ? std::string() : self->params.metrics->Render(),
                    kPrometheusTextContentType);
  });
  server.Get("/healthz", [self](const httplib::Request&, httplib::Response& res) {
    const bool healthy = !self->params.healthy || self->params.healthy();
    res.status = healthy ? 200 : 503;
    res.set_content(healthy ? "ok\n" : "not synced: no sweep has read the CRM yet\n", "text/plain; charset=utf-8");
  });
  if (self->params.coverage_page) {
    server.Get("/coverage", [self](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(self->params, "GET /coverage", req, res)) return;
      ServePage(self->params.coverage_page(), res);
    });
  }
  if (self->params.account_page) {
    // httplib matches its decoded path, where '.' would miss a decoded line break: match every byte.
    server.Get(R"(/accounts/[\s\S]*)", [self](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(self->params, "GET /accounts/", req, res)) return;
      // The raw target, not httplib's decoded path: an encoded '/' stays part of the id, and a
      // malformed escape is refused rather than guessed at.
      std::optional<std::string> id = AccountIdOfTarget(req.target);
      if (!id.has_value()) {
        res.status = 400;
        res.set_content("malformed account id in the path: use /accounts/ID with ID percent-encoded\n",
                        "text/plain; charset=utf-8");
        return;
      }
      ServePage(self->params.account_page(*id), res);
    });
  }
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kIndex, "text/plain; charset=utf-8");
  });
  // Unmatched GET paths: httplib answers 404; give it a body.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) res.set_content("not found\n", "text/plain; charset=utf-8");
  });

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
    if (bound < 0) bound = 0;
  } else if (!server.bind_to_port(host, port)) {
    bound = 0;
  }
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", impl->params.listen,
                                               " (address in use, or no such local address)"));
  }
  impl->thread = std::thread([self] {
    self->server.listen_after_bind();
    self->listen_returned.store(true);
  });
  // httplib's stop() only works once the accept loop runs; wait for it so Stop() never misses it.
  while (!server.is_running() && !impl->listen_returned.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  LogInfo(kLog, "serving /metrics, /healthz", impl->params.coverage_page ? ", /coverage" : "",
          impl->params.account_page ? ", /accounts/ID" : "", " on ", host, ":", bound);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), bound));
}

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace pulse
