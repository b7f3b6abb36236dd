// Pulse's HTTP endpoint, next to the gRPC API: Prometheus metrics, a plain
// health probe for tools that do not speak gRPC, and the coverage report for
// people with a browser. Read-only.
//
//   GET /metrics   the registry in the Prometheus text format 0.0.4
//   GET /healthz   200 "ok" once a sweep has read the CRM, 503 before
//   GET /coverage  the coverage report as a self-contained HTML page; 503
//                  before the first sweep (404 when not configured); with
//                  authorize_page, 401/403 without a good bearer token
//   GET /accounts/ID  one account's page (ID percent-encoded), authorized
//                  like /coverage; 400 for a malformed ID, 404 for an
//                  unknown one, 503 before the first sweep
//   GET /          a short plain-text index
//
// Other paths are 404; methods other than GET (and HEAD) are 405.
#ifndef PULSE_SIDECAR_HTTP_HTTP_SERVER_H_
#define PULSE_SIDECAR_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sidecar/common/metrics.h"

namespace pulse {

struct HttpServerParams {
  // HOST:PORT to bind ("[::1]:9090" for IPv6); port 0 picks a free port.
  std::string listen = "127.0.0.1:9090";
  // Rendered on GET /metrics; must outlive the server. Null serves no metrics.
  const MetricsRegistry* metrics = nullptr;
  // Answers GET /healthz: true = 200, false = 503. Called on the server's
  // threads, so it must be thread-safe. Empty = always healthy.
  std::function<bool()> healthy;
  // Answers GET /coverage with an HTML page. FailedPrecondition (no sweep
  // yet) is a 503, any other error a 500, both with the message as text.
  // Called on the server's threads, so it must be thread-safe. Empty = 404.
  std::function<absl::StatusOr<std::string>()> coverage_page;
  // Answers GET /accounts/ID with the account's HTML page, given the ID
  // percent-decoded (a malformed escape is a 400 before it is called).
  // InvalidArgument is a 400, NotFound a 404, FailedPrecondition a 503, any
  // other error a 500, each with the message as text. Thread-safe, as
  // coverage_page. Empty = 404.
  std::function<absl::StatusOr<std::string>(const std::string& account_id)> account_page;
  // Decides whether a request may see a page (/coverage, /accounts/ID),
  // given what it asks for ("GET /coverage", "GET /accounts/", for the log),
  // its Authorization header (empty when absent) and the client's address:
  // Unauthenticated is a 401, PermissionDenied a 403. Empty = open.
  // /metrics and /healthz are always open.
  std::function<absl::Status(absl::string_view what, absl::string_view authorization, absl::string_view peer)>
      authorize_page;
};

// Serves on its own threads from Start() until Stop() or destruction.
class HttpServer {
 public:
  // Binds and starts serving. InvalidArgument for a malformed address,
  // Unavailable when it cannot be bound (in use, no such host).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerParams params);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Stops, as Stop().
  ~HttpServer();

  // The bound port (the chosen one when started on port 0).
  int port() const { return port_; }
  // Stops accepting, finishes the requests in progress and joins the
  // server's threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl, int port);

  std::unique_ptr<Impl> impl_;
  const int port_;
};

// Splits "host:port" / "[v6]:port" into host (brackets removed) and port.
// InvalidArgument when it is not of that form or the port is not 0..65535.
absl::Status SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace pulse

#endif  // PULSE_SIDECAR_HTTP_HTTP_SERVER_H_
