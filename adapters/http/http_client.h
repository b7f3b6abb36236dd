// The HTTP boundary the CRM adapters (SuiteCRM, Odoo, ...) talk through.
//
// HttpClient sends one request and returns the server's answer. An HTTP error
// status (404, 500, ...) is an answer, not an error: the adapter decides what
// it means for its API. The returned Status is not OK only when there is no
// answer at all:
//   Unavailable      - could not connect, the connection broke, TLS failed;
//   DeadlineExceeded - no complete answer within the timeout;
//   ResourceExhausted- the answer was larger than max_response_bytes;
//   InvalidArgument  - the URL or method is malformed.
// A transport error that proves the request never reached the server (DNS
// failure, connection refused) carries the payload kNotSentPayload, so a
// caller knows even a non-idempotent request is safe to send again.
//
// MakeHttpClient stacks the cross-cutting behaviour in one place: libcurl
// transport, then retries with exponential backoff and jitter (honouring
// Retry-After), then a circuit breaker that fails fast while the CRM is down.
// Adapters never retry by themselves.
//
// Messages never contain request headers or bodies: they carry credentials.
// Thread-safety: every HttpClient here is safe to use from several threads.
#ifndef PULSE_ADAPTERS_HTTP_HTTP_CLIENT_H_
#define PULSE_ADAPTERS_HTTP_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pulse::http {

struct Request {
  std::string method = "GET";
  std::string url;
  // Name, value. Content-Type and Authorization go here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Whether sending this twice is harmless. Defaults by method: GET, HEAD,
  // PUT, DELETE and OPTIONS are; POST and PATCH are not unless set true
  // (a JSON-RPC read is a POST that is safe to repeat).
  std::optional<bool> idempotent;
  // Overrides ClientOptions::timeout for this request when set.
  std::optional<absl::Duration> timeout;
  bool IsIdempotent() const;
};

struct Response {
  int status = 0;
  // Names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header with this (case-insensitive) name, or "".
  std::string Header(absl::string_view name) const;
};

// The payload type_url that marks a transport error as "never sent".
inline constexpr absl::string_view kNotSentPayload = "type.pulse/http.not_sent";
bool WasNotSent(const absl::Status& status);

class HttpClient {
 public:
  HttpClient() = default;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  virtual ~HttpClient() = default;
  // Sends the request; see the header comment for the errors.
  virtual absl::StatusOr<Response> Send(const Request& request) = 0;
};

struct RetryPolicy {
  // Attempts in all, the first included. 1 disables retries.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  double multiplier = 2.0;
  // Each wait is drawn uniformly from [(1 - jitter) * backoff, backoff].
  double jitter = 0.5;
  // A Retry-After longer than this is not waited for: the answer is returned.
  absl::Duration max_retry_after = absl::Seconds(120);
  // How waiting is done; tests replace it. Default: absl::SleepFor.
  std::function<void(absl::Duration)> sleep;
};

struct CircuitBreakerPolicy {
  // Consecutive failed requests (transport errors, 5xx, 429; after their
  // retries) that open the circuit. 0 disables the breaker.
  int failure_threshold = 5;
  // While open, requests fail at once with Unavailable; after this long one
  // trial request is let through (half-open).
  absl::Duration open_for = absl::Seconds(30);
  // The clock; tests replace it. Default: absl::Now.
  std::function<absl::Time()> now;
};

struct ClientOptions {
  absl::Duration connect_timeout = absl::Seconds(10);
  // The whole request, connect included.
  absl::Duration timeout = absl::Seconds(60);
  // TLS: verification is on unless switched off; ca_file replaces the
  // system's trust store when set.
  bool verify_tls = true;
  std::string ca_file;
  std::string user_agent = "pulse/0.1";
  int64_t max_response_bytes = int64_t{512} << 20;
  RetryPolicy retry;
  CircuitBreakerPolicy breaker;
};

// True for answers worth retrying: 408, 425, 429, 500, 502, 503, 504.
bool IsRetryableHttpStatus(int status);

// Maps an HTTP status that is not a success to a canonical code:
// 400/422 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied,
// 404 NotFound, 409 AlreadyExists/Aborted, 408/504 DeadlineExceeded,
// 429 ResourceExhausted, 5xx Unavailable, others Unknown.
absl::StatusCode StatusCodeForHttp(int status);
// The Status for an unsuccessful answer: "<what>: HTTP 503 <snippet of the
// body>" with the code above. The snippet is at most 300 characters.
absl::Status HttpError(absl::string_view what, const Response& response);

// Parses Retry-After (delta-seconds or an HTTP date) relative to `now`.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

// libcurl only: no retries, no breaker.
std::unique_ptr<HttpClient> MakeCurlHttpClient(const ClientOptions& options);
// Wraps `inner` with retries, then a circuit breaker, as configured.
std::unique_ptr<HttpClient> MakeResilientHttpClient(std::unique_ptr<HttpClient> inner,
                                                    const RetryPolicy& retry,
                                                    const CircuitBreakerPolicy& breaker);
// libcurl with retries and the breaker: what adapters use.
std::unique_ptr<HttpClient> MakeHttpClient(const ClientOptions& options);

}  // namespace pulse::http

#endif  // PULSE_ADAPTERS_HTTP_HTTP_CLIENT_H_
