#include "adapters/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace pulse::http {

bool Request::IsIdempotent() const {
  if (idempotent.has_value()) return *idempotent;
  const std::string m = absl::AsciiStrToUpper(method);
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

std::string Response::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

bool WasNotSent(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNotSentPayload).has_value();
}

bool IsRetryableHttpStatus(int status) {
  switch (status) {
    case 408:
    case 425:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

absl::StatusCode StatusCodeForHttp(int status) {
  switch (status) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAborted;
    case 408:
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      break;
  }
  if (status >= 500 && status < 600) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

absl::Status HttpError(absl::string_view what, const Response& response) {
  std::string snippet(absl::StripAsciiWhitespace(response.body.substr(0, 300)));
  for (char& c : snippet) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (response.body.size() > 300) absl::StrAppend(&snippet, "...");
  return absl::Status(StatusCodeForHttp(response.status),
                      absl::StrCat(what, ": HTTP ", response.status, snippet.empty() ? "" : " ", snippet));
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  int64_t seconds;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  absl::Time when;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), &when, &err)) {
    return std::max(absl::ZeroDuration(), when - now);
  }
  return std::nullopt;
}

namespace {

// "POST https://crm.example.com/path" without the query string, which may
// carry tokens in some APIs.
std::string Describe(const Request& request) {
  absl::string_view url = request.url;
  if (size_t q = url.find('?'); q != absl::string_view::npos) url = url.substr(0, q);
  return absl::StrCat(absl::AsciiStrToUpper(request.method), " ", url);
}

absl::Status NotSent(absl::Status status) {
  status.SetPayload(kNotSentPayload, absl::Cord("1"));
  return status;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  Response* response;
  int64_t limit;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (static_cast<int64_t>(t->response->body.size() + n) > t->limit) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after a 100 Continue or a redirect): start over.
    t->response->headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  t->response->headers.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
                                    std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(const ClientOptions& options) : options_(options) { InitCurlOnce(); }
  ~CurlHttpClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  absl::StatusOr<Response> Send(const Request& request) override {
    CURL* curl = Acquire();
    absl::StatusOr<Response> result = Perform(curl, request);
    Release(curl);
    return result;
  }

 private:
  // Easy handles are kept for reuse: each holds a connection cache, so paging
  // through a CRM does not open a connection (and a TLS session) per page.
  CURL* Acquire() {
    {
      absl::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Release(CURL* h) {
    curl_easy_reset(h);
    absl::MutexLock lock(&mu_);
    idle_.push_back(h);
  }

  absl::StatusOr<Response> Perform(CURL* curl, const Request& request) {
    const std::string what = Describe(request);
    if (curl == nullptr) return absl::InternalError(absl::StrCat(what, ": libcurl could not start a transfer"));
    Response response;
    Transfer transfer{&response, options_.max_response_bytes};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(request.timeout.value_or(options_.timeout))));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);

    const std::string method = absl::AsciiStrToUpper(request.method);
    if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (!request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : request.headers) headers = curl_slist_append(headers, absl::StrCat(k, ": ", v).c_str());
    // No "Expect: 100-continue" round trip for large bodies.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK) {
      long code = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
      response.status = static_cast<int>(code);
      return response;
    }
    long request_bytes = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    const std::string reason = curl_easy_strerror(rc);
    absl::Status status;
    switch (rc) {
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(absl::StrCat(what, ": ", reason));
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
        return NotSent(absl::UnavailableError(absl::StrCat(what, ": cannot connect (", reason, ")")));
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
        // Retrying will not help: the certificate or the CA file is wrong.
        return NotSent(absl::FailedPreconditionError(
            absl::StrCat(what, ": TLS certificate check failed (", reason,
                         "); give the CRM's CA certificate as ca_file, or fix the server's certificate")));
      case CURLE_SSL_CONNECT_ERROR:
        return NotSent(absl::UnavailableError(absl::StrCat(what, ": TLS handshake failed (", reason, ")")));
      case CURLE_OPERATION_TIMEDOUT:
        status = absl::DeadlineExceededError(absl::StrCat(what, ": no answer within the timeout (", reason, ")"));
        break;
      case CURLE_WRITE_ERROR:
        if (transfer.too_large) {
          return absl::ResourceExhaustedError(
              absl::StrCat(what, ": the answer is larger than ", options_.max_response_bytes, " bytes"));
        }
        status = absl::UnavailableError(absl::StrCat(what, ": ", reason));
        break;
      default:
        status = absl::UnavailableError(absl::StrCat(what, ": the connection failed (", reason, ")"));
        break;
    }
    return request_bytes == 0 ? NotSent(status) : status;
  }

  const ClientOptions options_;
  absl::Mutex mu_;
  std::vector<CURL*> idle_ ABSL_GUARDED_BY(mu_);
};

class RetryingHttpClient : public HttpClient {
 public:
  RetryingHttpClient(std::unique_ptr<HttpClient> inner, RetryPolicy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {
    if (!policy_.sleep) policy_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  }

  absl::StatusOr<Response> Send(const Request& request) override {
    const bool idempotent = request.IsIdempotent();
    absl::Duration backoff = policy_.initial_backoff;
    absl::BitGen gen;
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<Response> result = inner_->Send(request);
      absl::Duration wait = backoff;
      if (result.ok()) {
        const int code = result->status;
        if (!IsRetryableHttpStatus(code)) return result;
        // 429 and 503 say the server did not process the request; any other
        // 5xx may come after a write, so only idempotent requests repeat.
        if (!idempotent && code != 429 && code != 503) return result;
        if (std::optional<absl::Duration> after = ParseRetryAfter(result->Header("retry-after"), absl::Now())) {
          if (*after > policy_.max_retry_after) return result;
          wait = *after;
        }
      } else {
        const absl::StatusCode c = result.status().code();
        if (c != absl::StatusCode::kUnavailable && c != absl::StatusCode::kDeadlineExceeded) return result;
        if (!idempotent && !WasNotSent(result.status())) return result;
      }
      if (attempt >= policy_.max_attempts) return result;
      if (wait == backoff && policy_.jitter > 0) {
        const double f = absl::Uniform(gen, 1.0 - std::min(policy_.jitter, 1.0), 1.0);
        wait = backoff * f;
      }
      policy_.sleep(wait);
      backoff = std::min(backoff * policy_.multiplier, policy_.max_backoff);
    }
  }

 private:
  std::unique_ptr<HttpClient> inner_;
  RetryPolicy policy_;
};

class CircuitBreakerHttpClient : public HttpClient {
 public:
  CircuitBreakerHttpClient(std::unique_ptr<HttpClient> inner, CircuitBreakerPolicy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {
    if (!policy_.now) policy_.now = [] { return absl::Now(); };
  }

  absl::StatusOr<Response> Send(const Request& request) override {
    {
      absl::MutexLock lock(&mu_);
      if (failures_ >= policy_.failure_threshold) {
        const absl::Time now = policy_.now();
        if (now < open_until_ || trial_in_flight_) {
          return NotSent(absl::UnavailableError(absl::StrCat(
              Describe(request), ": not sent, the CRM failed ", failures_,
              " requests in a row (circuit open until ", absl::FormatTime("%H:%M:%S UTC", open_until_, absl::UTCTimeZone()),
              "); last error: ", last_error_)));
        }
        trial_in_flight_ = true;  // half-open: this request is the trial
      }
    }
    absl::StatusOr<Response> result = inner_->Send(request);
    const bool failed = !result.ok() ? (result.status().code() == absl::StatusCode::kUnavailable ||
                                        result.status().code() == absl::StatusCode::kDeadlineExceeded)
                                     : (result->status >= 500 || result->status == 429);
    absl::MutexLock lock(&mu_);
    trial_in_flight_ = false;
    if (!failed) {
      failures_ = 0;
      return result;
    }
    ++failures_;
    last_error_ = result.ok() ? absl::StrCat("HTTP ", result->status) : std::string(result.status().message());
    if (failures_ >= policy_.failure_threshold) open_until_ = policy_.now() + policy_.open_for;
    return result;
  }

 private:
  std::unique_ptr<HttpClient> inner_;
  CircuitBreakerPolicy policy_;
  absl::Mutex mu_;
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool trial_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const ClientOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

std::unique_ptr<HttpClient> MakeResilientHttpClient(std::unique_ptr<HttpClient> inner, const RetryPolicy& retry,
                                                    const CircuitBreakerPolicy& breaker) {
  if (retry.max_attempts > 1) inner = std::make_unique<RetryingHttpClient>(std::move(inner), retry);
  if (breaker.failure_threshold > 0) inner = std::make_unique<CircuitBreakerHttpClient>(std::move(inner), breaker);
  return inner;
}

std::unique_ptr<HttpClient> MakeHttpClient(const ClientOptions& options) {
  return MakeResilientHttpClient(MakeCurlHttpClient(options), options.retry, options.breaker);
}

}  // namespace pulse::http
