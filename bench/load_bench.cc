// load_bench: an open-loop load generator for pulsed's read API (issue #10:
// "ListContactQueue and GetAccountHealth while a sweep runs: p99 under 10 ms
// at 500 requests per second").
//
//   load_bench [--server HOST:PORT] [CONNECTION OPTIONS] [--rps R] [--seconds S]
//              [--queue-percent P] [--accounts-csv FILE] [--sweep-during] [--json]
//
// Open loop: request i is due at start + i/R whether or not earlier answers
// have come back, and its latency is measured from that scheduled time, not
// from when it was actually sent. A server (or client) that stalls therefore
// shows the stall in every request that was due during it, instead of
// quietly sending fewer requests (coordinated omission).
//
// Exit codes: 0 every request answered OK, 1 some failed (the figures are
// still printed), 2 bad usage, 3 pulsed unreachable or not ready.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/cli/args.h"
#include "sidecar/cli/client_credentials.h"
#include "sidecar/common/csv_reader.h"

namespace pulse {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kUsage[] = R"(load_bench: open-loop load on pulsed's ListContactQueue and GetAccountHealth

Usage: load_bench [--server HOST:PORT] [CONNECTION OPTIONS] [OPTIONS]

Options:
  --rps R                 requests per second, on a fixed schedule (default 500)
  --seconds S             length of the measured window (default 30)
  --queue-percent P       share of ListContactQueue in the mix, the rest GetAccountHealth (default 50)
  --accounts-csv FILE     a CRM's accounts.csv (column id): half of GetAccountHealth's ids come from it,
                          the other half from the queue (default: all from the queue)
  --sweep-during          keep a sweep running on the server for the whole window (RunSweep; one that
                          ends early is followed by another); needs the operator role with auth on
  --deadline-ms D         per-request deadline (default 5000)
  --seed N                seed of the request mix (default 1)
  --json                  one JSON object instead of the table

Connection options, as pulsectl's (each also from the environment variable in brackets):
  --token TOKEN | --token-file FILE   bearer token [PULSE_TOKEN, PULSE_TOKEN_FILE]
  --tls | --tls-ca FILE               TLS with the system's CAs, or with this CA [PULSE_TLS=1, PULSE_TLS_CA]
  --tls-cert FILE --tls-key FILE      client certificate for mTLS [PULSE_TLS_CERT, PULSE_TLS_KEY]
The server defaults to $PULSE_SERVER, then 127.0.0.1:50051. A sweep must have finished on the server.

Latency is measured from each request's scheduled send time. Percentiles cover every request,
failed ones included. ABORTED answers to a page token issued by an earlier sweep are the documented
"list again from the first page" and are counted apart, not as errors.
)";

int Usage(const std::string& error) {
  std::cerr << "load_bench: " << error << "\n\n" << kUsage;
  return 2;
}

enum class Method { kListContactQueue = 0, kGetAccountHealth = 1 };
constexpr const char* kMethodNames[] = {"ListContactQueue", "GetAccountHealth"};

struct LoadOptions {
  std::string server;
  int64_t rps = 500;
  int64_t seconds = 30;
  int64_t queue_percent = 50;
  std::string accounts_csv;
  bool sweep_during = false;
  int64_t deadline_ms = 5000;
  int64_t seed = 1;
  bool json = false;
};

// One request's outcome; written once by its completion callback.
struct Sample {
  Method method = Method::kListContactQueue;
  int code = -1;  // grpc::StatusCode; -1 = no answer by the end
  bool stale_token = false;
  int64_t latency_ns = 0;
  int64_t send_lag_ns = 0;  // how late the scheduler issued it
};

// A ListContactQueue request that continues a listing, with the sweep its token belongs to.
struct PageContinuation {
  pulse::v1::ListContactQueueRequest request;
  int64_t sweep_id = 0;
};

// The ids the mix draws from, and the page tokens answers hand out. Thread-safe.
class RequestPool {
 public:
  RequestPool(std::vector<std::string> queue_accounts, std::vector<std::string> crm_accounts,
              std::vector<std::string> assignees)
      : queue_accounts_(std::move(queue_accounts)),
        crm_accounts_(std::move(crm_accounts)),
        assignees_(std::move(assignees)) {}

  const std::vector<std::string>& queue_accounts() const { return queue_accounts_; }
  const std::vector<std::string>& crm_accounts() const { return crm_accounts_; }
  const std::vector<std::string>& assignees() const { return assignees_; }

  // Remembers the next page of a listing; tokens of older sweeps are dropped
  // once a newer sweep is seen, as a client that lists again would.
  void AddContinuation(PageContinuation c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (c.sweep_id > latest_sweep_) {
      latest_sweep_ = c.sweep_id;
      continuations_.erase(std::remove_if(continuations_.begin(), continuations_.end(),
                                          [&](const PageContinuation& p) { return p.sweep_id < latest_sweep_; }),
                           continuations_.end());
    }
    if (c.sweep_id < latest_sweep_) return;
    if (continuations_.size() >= kMaxContinuations) continuations_.erase(continuations_.begin());
    continuations_.push_back(std::move(c));
  }

  std::optional<PageContinuation> TakeContinuation(std::mt19937_64& rng) {
    std::lock_guard<std::mutex> lock(mu_);
    if (continuations_.empty()) return std::nullopt;
    const size_t i = std::uniform_int_distribution<size_t>(0, continuations_.size() - 1)(rng);
    PageContinuation c = std::move(continuations_[i]);
    continuations_[i] = std::move(continuations_.back());
    continuations_.pop_back();
    return c;
  }

 private:
  static constexpr size_t kMaxContinuations = 512;
  const std::vector<std::string> queue_accounts_;
  const std::vector<std::string> crm_accounts_;
  const std::vector<std::string> assignees_;
  std::mutex mu_;
  std::vector<PageContinuation> continuations_;  // guarded by mu_
  int64_t latest_sweep_ = 0;                     // guarded by mu_
};

// Keeps a sweep running on the server: starts RunSweep, and when one ends
// starts the next, until Stop(). Records when each sweep was running, from
// its first event to the end of its stream.
class SweepKeeper {
 public:
  SweepKeeper(pulse::v1::RetentionService::Stub* stub, std::string bearer) : stub_(stub), bearer_(std::move(bearer)) {}
  SweepKeeper(const SweepKeeper&) = delete;
  SweepKeeper& operator=(const SweepKeeper&) = delete;
  ~SweepKeeper() { Stop(); }

  struct Interval {
    Clock::time_point begin;
    Clock::time_point end;
    bool finished = false;  // ended with a report (not cut off by Stop)
  };

  void Start() { thread_ = std::thread([this] { Loop(); }); }

  // Waits until a sweep has sent its first event; false after `timeout`, or
  // when the last attempt failed (`error` says why).
  bool WaitRunning(std::chrono::seconds timeout, std::string* error) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return running_ || !last_error_.empty(); });
    if (!running_) *error = last_error_.empty() ? "no sweep started within the timeout" : last_error_;
    return running_;
  }

  // Cancels the running stream (the server finishes that sweep on its own)
  // and starts no other.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // The sweeps so far; one still running ends now.
  std::vector<Interval> intervals() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Interval> out = intervals_;
    if (open_) out.back().end = Clock::now();
    return out;
  }
  int64_t busy_retries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return busy_retries_;
  }
  std::map<std::string, int64_t> errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  void Loop() {
    while (true) {
      grpc::ClientContext context;
      if (!bearer_.empty()) context.AddMetadata("authorization", bearer_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        context_ = &context;
      }
      pulse::v1::RunSweepRequest request;
      std::unique_ptr<grpc::ClientReader<pulse::v1::RunSweepResponse>> reader = stub_->RunSweep(&context, request);
      pulse::v1::RunSweepResponse event;
      std::optional<Clock::time_point> begin;
      bool reported = false;
      while (reader->Read(&event)) {
        const Clock::time_point now = Clock::now();
        if (!begin.has_value()) {
          begin = now;
          std::lock_guard<std::mutex> lock(mu_);
          running_ = true;
          open_ = true;
          intervals_.push_back(Interval{now, now, false});
          cv_.notify_all();
        }
        if (event.has_report()) reported = true;
      }
      const grpc::Status status = reader->Finish();
      std::unique_lock<std::mutex> lock(mu_);
      context_ = nullptr;
      if (begin.has_value()) {
        open_ = false;
        intervals_.back().end = Clock::now();
        intervals_.back().finished = reported && status.ok();
      }
      if (stopping_) return;
      if (status.error_code() == grpc::StatusCode::ABORTED) {
        // Another sweep (a periodic one) holds the sweeper: try again shortly.
        ++busy_retries_;
        cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopping_; });
      } else if (!status.ok()) {
        ++errors_[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
        last_error_ = absl::StrCat("RunSweep: ", status.error_message());
        cv_.notify_all();
        cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_; });
      }
    }
  }

  pulse::v1::RetentionService::Stub* stub_;
  const std::string bearer_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                       // guarded by mu_
  bool running_ = false;                        // guarded by mu_
  bool open_ = false;                           // a sweep is running now; guarded by mu_
  grpc::ClientContext* context_ = nullptr;      // guarded by mu_
  std::vector<Interval> intervals_;             // guarded by mu_
  int64_t busy_retries_ = 0;                    // guarded by mu_
  std::map<std::string, int64_t> errors_;       // guarded by mu_
  std::string last_error_;                      // guarded by mu_
};

// The figures of one method (or all).
struct LatencySummary {
  int64_t requests = 0;
  int64_t ok = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

double Percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1]) / 1e6;
}

LatencySummary Summarize(const std::vector<Sample>& samples, std::optional<Method> method) {
  LatencySummary s;
  std::vector<int64_t> latencies;
  for (const Sample& x : samples) {
    if (method.has_value() && x.method != *method) continue;
    ++s.requests;
    if (x.code == 0) ++s.ok;
    latencies.push_back(x.latency_ns);
  }
  std::sort(latencies.begin(), latencies.end());
  s.p50_ms = Percentile(latencies, 0.50);
  s.p90_ms = Percentile(latencies, 0.90);
  s.p99_ms = Percentile(latencies, 0.99);
  s.p999_ms = Percentile(latencies, 0.999);
  s.max_ms = latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1e6;
  return s;
}

nlohmann::json ToJson(const LatencySummary& s) {
  return {{"requests", s.requests}, {"ok", s.ok},           {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms},
          {"p99_ms", s.p99_ms},     {"p999_ms", s.p999_ms}, {"max_ms", s.max_ms}};
}

// Collects the ids the mix draws from: the queue (every entry, deferred and
// suppressed ones too, up to kMaxListed) and the CRM's accounts.csv.
constexpr int kMaxListed = 20000;

absl::StatusOr<std::unique_ptr<RequestPool>> Prepare(pulse::v1::RetentionService::Stub& stub, const std::string& bearer,
                                                     const std::string& accounts_csv) {
  std::vector<std::string> queue_accounts;
  std::set<std::string> assignees;
  pulse::v1::ListContactQueueRequest request;
  request.set_include_all(true);
  request.set_page_size(1000);
  while (static_cast<int>(queue_accounts.size()) < kMaxListed) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!bearer.empty()) context.AddMetadata("authorization", bearer);
    pulse::v1::ListContactQueueResponse response;
    const grpc::Status status = stub.ListContactQueue(&context, request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("listing the queue to pick account ids: ", status.error_message()));
    }
    for (const auto& e : response.entries()) {
      queue_accounts.push_back(e.account_id());
      if (!e.assignee_id().empty()) assignees.insert(e.assignee_id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::vector<std::string> crm_accounts;
  if (!accounts_csv.empty()) {
    absl::StatusOr<std::unique_ptr<CsvReader>> reader = CsvReader::Open(accounts_csv);
    if (!reader.ok()) return absl::InvalidArgumentError(absl::StrCat("--accounts-csv: ", reader.status().message()));
    if (absl::Status s = (*reader)->RequireColumns({"id"}); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--accounts-csv: ", s.message()));
    }
    CsvRow row;
    std::string error;
    while ((*reader)->Next(&row, &error)) {
      if (!row.Get("id").empty()) crm_accounts.emplace_back(row.Get("id"));
    }
    if (!error.empty()) return absl::InvalidArgumentError(absl::StrCat("--accounts-csv: ", error));
    if (crm_accounts.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--accounts-csv: '", accounts_csv, "' has no account ids"));
    }
  }
  if (queue_accounts.empty() && crm_accounts.empty()) {
    return absl::FailedPreconditionError(
        "the contact queue is empty and no --accounts-csv was given: no account id to ask GetAccountHealth for");
  }
  return std::make_unique<RequestPool>(std::move(queue_accounts), std::move(crm_accounts),
                                       std::vector<std::string>(assignees.begin(), assignees.end()));
}

// Issues the requests on their schedule and records their outcomes.
class LoadRun {
 public:
  LoadRun(pulse::v1::RetentionService::Stub* stub, std::string bearer, const LoadOptions& options, RequestPool* pool)
      : stub_(stub),
        bearer_(std::move(bearer)),
        options_(options),
        pool_(pool),
        rng_(static_cast<uint64_t>(options.seed)),
        samples_(static_cast<size_t>(options.rps * options.seconds)) {}

  // Runs the window; returns when every request has been answered or has
  // passed its deadline.
  void Run() {
    const int64_t n = static_cast<int64_t>(samples_.size());
    start_ = Clock::now() + std::chrono::milliseconds(50);
    for (int64_t i = 0; i < n; ++i) {
      const Clock::time_point due =
          start_ + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * 1e9 /
                                                                 static_cast<double>(options_.rps)));
      std::this_thread::sleep_until(due);
      Issue(static_cast<size_t>(i), due);
    }
    end_ = start_ + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(n) * 1e9 /
                                                                   static_cast<double>(options_.rps)));
    std::unique_lock<std::mutex> lock(done_mu_);
    // Every call has a deadline, so this ends; the margin covers the callbacks.
    done_cv_.wait_until(lock, Clock::now() + std::chrono::milliseconds(options_.deadline_ms + 2000),
                        [&] { return completed_ == n; });
    last_answer_ = Clock::now();
  }

  // Copies of the samples: answered ones as recorded, unanswered ones with
  // code -1 and their latency so far.
  std::vector<Sample> samples() {
    std::lock_guard<std::mutex> lock(done_mu_);
    std::vector<Sample> out = samples_;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!answered_[i]) {
        out[i].code = -1;
        out[i].latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(last_answer_ - due_[i]).count();
      }
    }
    return out;
  }
  Clock::time_point start() const { return start_; }
  Clock::time_point end() const { return end_; }

 private:
  template <typename Request, typename Response>
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
    size_t index = 0;
    Clock::time_point due;
  };

  void SetUpContext(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(options_.deadline_ms));
    if (!bearer_.empty()) context->AddMetadata("authorization", bearer_);
  }

  const std::string& Pick(const std::vector<std::string>& ids) {
    return ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng_)];
  }

  void Issue(size_t i, Clock::time_point due) {
    const int64_t lag = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - due).count();
    const Method method = std::uniform_int_distribution<int>(0, 99)(rng_) < options_.queue_percent
                              ? Method::kListContactQueue
                              : Method::kGetAccountHealth;
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      if (due_.empty()) {
        due_.resize(samples_.size());
        answered_.assign(samples_.size(), false);
      }
      due_[i] = due;
      samples_[i].method = method;
      samples_[i].send_lag_ns = lag;
    }
    if (method == Method::kListContactQueue) {
      IssueQueue(i, due);
    } else {
      IssueAccount(i, due);
    }
  }

  // A page of the queue: the first with or without filters, or the next one
  // of an earlier listing.
  void IssueQueue(size_t i, Clock::time_point due) {
    auto* call = new Call<pulse::v1::ListContactQueueRequest, pulse::v1::ListContactQueueResponse>();
    call->index = i;
    call->due = due;
    static constexpr int kPageSizes[] = {10, 25, 50, 100, 200};
    const int kind = std::uniform_int_distribution<int>(0, 99)(rng_);
    std::optional<PageContinuation> next;
    if (kind < 20) next = pool_->TakeContinuation(rng_);
    if (next.has_value()) {
      call->request = std::move(next->request);
    } else {
      call->request.set_page_size(kPageSizes[std::uniform_int_distribution<int>(0, 4)(rng_)]);
      if (kind >= 40 && kind < 55) {
        call->request.set_tier(static_cast<pulse::v1::Tier>(std::uniform_int_distribution<int>(1, 3)(rng_)));
      } else if (kind >= 55 && kind < 65) {
        call->request.set_action(static_cast<pulse::v1::Action>(
            std::uniform_int_distribution<int>(1, pulse::v1::Action_MAX)(rng_)));
      } else if (kind >= 65 && kind < 85 && !pool_->assignees().empty()) {
        call->request.set_owner_id(Pick(pool_->assignees()));
      } else if (kind >= 85) {
        call->request.set_include_all(true);
      }
    }
    SetUpContext(&call->context);
    const bool continued = !call->request.page_token().empty();
    stub_->async()->ListContactQueue(
        &call->context, &call->request, &call->response, [this, call, continued](grpc::Status status) {
          if (status.ok() && !call->response.next_page_token().empty()) {
            PageContinuation c;
            c.request = call->request;
            c.request.set_page_token(call->response.next_page_token());
            c.sweep_id = call->response.sweep_id();
            pool_->AddContinuation(std::move(c));
          }
          Record(call->index, call->due, status, continued && status.error_code() == grpc::StatusCode::ABORTED);
          delete call;
        });
  }

  void IssueAccount(size_t i, Clock::time_point due) {
    auto* call = new Call<pulse::v1::GetAccountHealthRequest, pulse::v1::AccountHealth>();
    call->index = i;
    call->due = due;
    const bool from_crm = !pool_->crm_accounts().empty() &&
                          (pool_->queue_accounts().empty() || std::uniform_int_distribution<int>(0, 1)(rng_) == 1);
    call->request.set_account_id(Pick(from_crm ? pool_->crm_accounts() : pool_->queue_accounts()));
    SetUpContext(&call->context);
    stub_->async()->GetAccountHealth(&call->context, &call->request, &call->response,
                                     [this, call](grpc::Status status) {
                                       Record(call->index, call->due, status, false);
                                       delete call;
                                     });
  }

  void Record(size_t i, Clock::time_point due, const grpc::Status& status, bool stale_token) {
    const int64_t latency = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - due).count();
    std::lock_guard<std::mutex> lock(done_mu_);
    Sample& s = samples_[i];
    s.code = static_cast<int>(status.error_code());
    s.stale_token = stale_token;
    s.latency_ns = latency;
    answered_[i] = true;
    if (++completed_ == static_cast<int64_t>(samples_.size())) done_cv_.notify_all();
  }

  pulse::v1::RetentionService::Stub* stub_;
  const std::string bearer_;
  const LoadOptions options_;
  RequestPool* pool_;
  std::mt19937_64 rng_;  // used by the scheduling thread only
  Clock::time_point start_;
  Clock::time_point end_;
  Clock::time_point last_answer_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::vector<Sample> samples_;           // guarded by done_mu_
  std::vector<Clock::time_point> due_;    // guarded by done_mu_
  std::vector<bool> answered_;            // guarded by done_mu_
  int64_t completed_ = 0;                 // guarded by done_mu_
};

// Whether sweeps covered [start, end): the share covered and the longest uncovered stretch.
struct SweepCoverage {
  int64_t started = 0;
  int64_t finished = 0;
  double mean_finished_seconds = 0;
  double covered_share = 0;
  double longest_gap_ms = 0;
  bool throughout = false;
};

// A sweep counts as running throughout when no stretch of the window longer
// than kMaxGap went without one (the next sweep starts a round trip after the
// last one's report).
constexpr auto kMaxGap = std::chrono::milliseconds(250);

SweepCoverage Coverage(const std::vector<SweepKeeper::Interval>& intervals, Clock::time_point start,
                       Clock::time_point end) {
  SweepCoverage c;
  double finished_seconds = 0;
  Clock::duration covered{0}, longest_gap{0};
  Clock::time_point cursor = start;
  for (const SweepKeeper::Interval& i : intervals) {
    ++c.started;
    if (i.finished) {
      ++c.finished;
      finished_seconds += std::chrono::duration<double>(i.end - i.begin).count();
    }
    const Clock::time_point b = std::max(i.begin, cursor);
    const Clock::time_point e = std::min(i.end, end);
    if (e <= b) continue;
    longest_gap = std::max(longest_gap, b - cursor);
    covered += e - b;
    cursor = e;
  }
  if (cursor < end) longest_gap = std::max(longest_gap, end - cursor);
  c.mean_finished_seconds = c.finished > 0 ? finished_seconds / static_cast<double>(c.finished) : 0;
  c.covered_share = std::chrono::duration<double>(covered).count() / std::chrono::duration<double>(end - start).count();
  c.longest_gap_ms = std::chrono::duration<double, std::milli>(longest_gap).count();
  c.throughout = !intervals.empty() && longest_gap <= kMaxGap;
  return c;
}

std::string CodeName(int code) {
  if (code < 0) return "NO_ANSWER";
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

int Main(const LoadOptions& options, const ClientConnectionOptions& connection) {
  absl::StatusOr<ClientCredentials> credentials = MakeClientCredentials(connection);
  if (!credentials.ok()) return Usage(std::string(credentials.status().message()));
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(options.server, credentials->channel);
  std::unique_ptr<pulse::v1::RetentionService::Stub> stub = pulse::v1::RetentionService::NewStub(channel);
  absl::StatusOr<std::unique_ptr<RequestPool>> pool = Prepare(*stub, credentials->bearer_header, options.accounts_csv);
  if (!pool.ok()) {
    if (pool.status().code() == absl::StatusCode::kInvalidArgument) return Usage(std::string(pool.status().message()));
    std::cerr << "load_bench: " << options.server << ": " << pool.status().message() << "\n";
    if (pool.status().code() == absl::StatusCode::kUnavailable) {
      std::cerr << "(is pulsed running there? set --server or $PULSE_SERVER)\n";
    }
    return 3;
  }
  std::unique_ptr<SweepKeeper> keeper;
  if (options.sweep_during) {
    keeper = std::make_unique<SweepKeeper>(stub.get(), credentials->bearer_header);
    keeper->Start();
    std::string error;
    if (!keeper->WaitRunning(std::chrono::seconds(60), &error)) {
      std::cerr << "load_bench: --sweep-during: " << error << "\n";
      return 3;
    }
  }
  const double loadavg_start = [] {
    double l[1] = {0};
    return getloadavg(l, 1) == 1 ? l[0] : -1.0;
  }();
  LoadRun run(stub.get(), credentials->bearer_header, options, pool->get());
  run.Run();
  std::optional<SweepCoverage> coverage;
  std::map<std::string, int64_t> sweep_errors;
  int64_t sweep_busy = 0;
  if (keeper != nullptr) {
    coverage = Coverage(keeper->intervals(), run.start(), run.end());
    sweep_errors = keeper->errors();
    sweep_busy = keeper->busy_retries();
    keeper->Stop();
  }
  double loadavg_end = -1;
  getloadavg(&loadavg_end, 1);

  const std::vector<Sample> samples = run.samples();
  std::map<std::string, int64_t> errors;
  int64_t stale = 0, answered = 0;
  std::vector<int64_t> lags;
  for (const Sample& s : samples) {
    if (s.code >= 0) ++answered;
    if (s.stale_token) {
      ++stale;
    } else if (s.code != 0) {
      ++errors[CodeName(s.code)];
    }
    lags.push_back(s.send_lag_ns);
  }
  std::sort(lags.begin(), lags.end());
  int64_t error_count = 0;
  for (const auto& [code, count] : errors) error_count += count;
  const double window_s = std::chrono::duration<double>(run.end() - run.start()).count();
  const double achieved = static_cast<double>(answered) / window_s;
  const LatencySummary per_method[] = {Summarize(samples, Method::kListContactQueue),
                                       Summarize(samples, Method::kGetAccountHealth)};
  const LatencySummary all = Summarize(samples, std::nullopt);

  if (options.json) {
    nlohmann::json j;
    j["server"] = options.server;
    j["target_rps"] = options.rps;
    j["seconds"] = options.seconds;
    j["sent"] = static_cast<int64_t>(samples.size());
    j["answered"] = answered;
    j["achieved_rps"] = achieved;
    j["scheduler_lag_ms"] = {{"p99", Percentile(lags, 0.99)},
                             {"max", lags.empty() ? 0.0 : static_cast<double>(lags.back()) / 1e6}};
    j["load_average"] = {{"start", loadavg_start}, {"end", loadavg_end}};
    for (int m = 0; m < 2; ++m) j["methods"][kMethodNames[m]] = ToJson(per_method[m]);
    j["methods"]["all"] = ToJson(all);
    j["errors"] = errors;
    j["error_count"] = error_count;
    j["stale_page_tokens"] = stale;
    nlohmann::json sweep = {{"requested", options.sweep_during}};
    if (coverage.has_value()) {
      sweep["started"] = coverage->started;
      sweep["finished"] = coverage->finished;
      sweep["mean_finished_seconds"] = coverage->mean_finished_seconds;
      sweep["covered_share"] = coverage->covered_share;
      sweep["longest_gap_ms"] = coverage->longest_gap_ms;
      sweep["throughout"] = coverage->throughout;
      sweep["busy_retries"] = sweep_busy;
      sweep["errors"] = sweep_errors;
    }
    j["sweep"] = sweep;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << absl::StrFormat(
        "Open-loop load on %s: %d requests per second for %d s (%d%% ListContactQueue), latency from each "
        "request's scheduled send time\n",
        options.server, options.rps, options.seconds, options.queue_percent);
    std::cout << absl::StrFormat(
        "Sent %d, answered %d: %.1f requests per second achieved; scheduler lag p99 %.2f ms, max %.2f ms; load "
        "average %.2f at start, %.2f at end\n\n",
        samples.size(), answered, achieved, Percentile(lags, 0.99),
        lags.empty() ? 0.0 : static_cast<double>(lags.back()) / 1e6, loadavg_start, loadavg_end);
    std::cout << "| method | requests | ok | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n"
                 "|---|---:|---:|---:|---:|---:|---:|---:|\n";
    auto row = [](const std::string& name, const LatencySummary& s) {
      std::cout << absl::StrFormat("| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, s.requests, s.ok,
                                   s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms);
    };
    for (int m = 0; m < 2; ++m) row(kMethodNames[m], per_method[m]);
    row("all", all);
    std::cout << "\nErrors by status code: ";
    if (errors.empty()) std::cout << "none";
    bool first = true;
    for (const auto& [code, count] : errors) {
      std::cout << (first ? "" : ", ") << code << " " << count;
      first = false;
    }
    std::cout << "\nStale page tokens (ABORTED: a newer sweep replaced the queue; the client lists again): " << stale
              << "\n";
    if (coverage.has_value()) {
      std::cout << absl::StrFormat(
          "Sweep running throughout: %s (%d started, %d finished in %.1f s on average; %.1f%% of the window "
          "covered, longest gap %.0f ms)\n",
          coverage->throughout ? "yes" : "no", coverage->started, coverage->finished, coverage->mean_finished_seconds,
          100 * coverage->covered_share, coverage->longest_gap_ms);
      for (const auto& [code, count] : sweep_errors) std::cout << "RunSweep failed: " << code << " " << count << "\n";
    } else {
      std::cout << "Sweep running throughout: not requested (--sweep-during)\n";
    }
  }
  return error_count == 0 ? 0 : 1;
}

}  // namespace
}  // namespace pulse

int main(int argc, char** argv) {
  std::vector<std::string> argv_list(argv + 1, argv + argc);
  for (const std::string& a : argv_list) {
    if (a == "--help" || a == "-h") {
      std::cout << pulse::kUsage;
      return 0;
    }
  }
  absl::StatusOr<pulse::Args> args = pulse::Args::Parse(
      argv_list,
      {"server", "token", "token-file", "tls-ca", "tls-cert", "tls-key", "rps", "seconds", "queue-percent",
       "accounts-csv", "deadline-ms", "seed"},
      {"tls", "sweep-during", "json"});
  if (!args.ok()) return pulse::Usage(std::string(args.status().message()));
  if (!args->positional().empty()) return pulse::Usage("unexpected argument '" + args->positional()[0] + "'");
  pulse::LoadOptions options;
  const char* env_server = std::getenv("PULSE_SERVER");
  options.server = args->Get("server").value_or(env_server != nullptr && *env_server != '\0' ? env_server
                                                                                            : "127.0.0.1:50051");
  struct IntOption {
    const char* name;
    int64_t* target;
    int64_t min, max;
  };
  const IntOption ints[] = {{"rps", &options.rps, 1, 100000},
                            {"seconds", &options.seconds, 1, 3600},
                            {"queue-percent", &options.queue_percent, 0, 100},
                            {"deadline-ms", &options.deadline_ms, 1, 600000},
                            {"seed", &options.seed, 0, INT64_MAX}};
  for (const IntOption& o : ints) {
    absl::StatusOr<int64_t> v = args->GetInt(o.name, *o.target, o.min, o.max);
    if (!v.ok()) return pulse::Usage(std::string(v.status().message()));
    *o.target = *v;
  }
  if (options.rps * options.seconds > 50'000'000) return pulse::Usage("--rps times --seconds is over 50,000,000 requests");
  options.accounts_csv = args->Get("accounts-csv").value_or("");
  options.sweep_during = args->Has("sweep-during");
  options.json = args->Has("json");
  pulse::ClientConnectionOptions connection = pulse::ClientConnectionOptionsFromEnvironment();
  if (args->Has("token") || args->Has("token-file")) {
    connection.token = args->Get("token").value_or("");
    connection.token_file = args->Get("token-file").value_or("");
  }
  if (args->Has("tls")) connection.tls = true;
  if (auto v = args->Get("tls-ca")) connection.tls_ca = *v;
  if (auto v = args->Get("tls-cert")) connection.tls_cert = *v;
  if (auto v = args->Get("tls-key")) connection.tls_key = *v;
  return pulse::Main(options, connection);
}
