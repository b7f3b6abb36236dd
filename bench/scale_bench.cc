// The large-scale benchmarks of issue #10, as one program anyone can run
// (bench/run.sh runs it at 10,000 .. 1,000,000 accounts and writes
// docs/BENCHMARKS.md). Each mode prints one JSON object per measurement on
// stdout, so run.sh can tabulate them; run one mode per process, since the
// peak memory (ru_maxrss) is the process's.
//
//   scale_bench fit --model bgnbd|paretonbd --customers N [--threads T]
//       Simulates N distinct customers from the published CDNOW parameters
//       and fits the model to them.
//   scale_bench generate --accounts N --out DIR
//       Writes the demo generator's CSV folder (the CSV adapter's format).
//   scale_bench ingest --dir DIR
//       Reads DIR's orders through the CSV adapter (parse and validate).
//   scale_bench sweep --accounts N
//       Generates N accounts in memory and times one sweep's scoring and
//       planning over them.
//   scale_bench incremental --config DIR/pulse.yaml [--changed-share S]
//       On a demo CRM (`pulsed demo`), a whole first sweep (sync into an
//       empty store, score, coverage, plan, write the tasks), then new orders
//       of share S of the accounts appended to orders.csv and a second sweep
//       of the same day, as `pulsed serve` runs them; then a sweep of the
//       next day with nothing new (a daily sweep: everything scored again).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/csv/csv_adapter.h"
#include "sidecar/cli/app.h"
#include "sidecar/config/config.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/planner.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/stats/bgnbd.h"
#include "sidecar/stats/pareto_nbd.h"
#include "sidecar/stats/simulate.h"

namespace pulse {
namespace {

const absl::CivilDay kEndDay(2026, 6, 30);

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "scale_bench: " << message << "\n";
  std::exit(2);
}

// The process's peak resident memory so far, in MiB.
double PeakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// The process's current resident memory, in MiB (Linux /proc).
double CurrentRssMib() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * 4096.0 / (1024.0 * 1024.0);
}

double Seconds(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

// CPU time (user + system) the process has used so far, all threads.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return sec(usage.ru_utime) + sec(usage.ru_stime);
}

struct Flags {
  std::string mode;
  std::string model = "bgnbd";
  std::string dir;
  std::string config;
  int64_t customers = 1000000;
  int accounts = 10000;
  int threads = 0;
  double changed_share = 0.01;
};

Flags ParseFlags(int argc, char** argv) {
  if (argc < 2) Die("usage: scale_bench fit|generate|ingest|sweep [--flags] (see the file's header)");
  Flags f;
  f.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string name = argv[i];
    if (i + 1 >= argc) Die(absl::StrCat(name, " needs a value"));
    const std::string value = argv[++i];
    bool ok = true;
    if (name == "--model") {
      f.model = value;
    } else if (name == "--dir" || name == "--out") {
      f.dir = value;
    } else if (name == "--config") {
      f.config = value;
    } else if (name == "--customers") {
      ok = absl::SimpleAtoi(value, &f.customers) && f.customers > 0;
    } else if (name == "--accounts") {
      ok = absl::SimpleAtoi(value, &f.accounts) && f.accounts >= 10;
    } else if (name == "--threads") {
      ok = absl::SimpleAtoi(value, &f.threads) && f.threads >= 0;
    } else if (name == "--changed-share") {
      ok = absl::SimpleAtod(value, &f.changed_share) && f.changed_share > 0 && f.changed_share <= 1;
    } else {
      Die(absl::StrCat("unknown flag ", name));
    }
    if (!ok) Die(absl::StrCat("bad value for ", name, ": '", value, "'"));
  }
  return f;
}

int RunFit(const Flags& f) {
  stats::FitOptions options;
  options.threads = f.threads;
  if (f.model == "bgnbd") {
    // CDNOW's published BG/NBD parameters (weeks); T spread like CDNOW's
    // 12-week cohort over a 39-week calibration period.
    const stats::BgNbdParams truth{0.2426, 4.4136, 0.7929, 2.4259};
    std::vector<double> T(static_cast<size_t>(f.customers));
    for (size_t i = 0; i < T.size(); ++i) T[i] = 27.0 + 12.0 * static_cast<double>(i) / T.size();
    auto data = stats::SimulateBgNbd(truth, T, 7);
    if (!data.ok()) Die(std::string(data.status().message()));
    const double rss_data = CurrentRssMib();
    const absl::Time start = absl::Now();
    const double cpu_start = CpuSeconds();
    auto fit = stats::FitBgNbd(*data, options);
    const double seconds = Seconds(start);
    const double cpu = CpuSeconds() - cpu_start;
    if (!fit.ok()) Die(std::string(fit.status().message()));
    std::cout << absl::StrFormat(
        "{\"bench\":\"fit\",\"model\":\"bgnbd\",\"customers\":%d,\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"iterations\":%d,"
        "\"converged\":%s,\"r\":%.4f,\"alpha\":%.4f,\"a\":%.4f,\"b\":%.4f,\"data_mib\":%.0f,\"peak_rss_mib\":%.0f}\n",
        f.customers, seconds, cpu, fit->iterations, fit->converged ? "true" : "false", fit->params.r, fit->params.alpha,
        fit->params.a, fit->params.b, rss_data, PeakRssMib());
    return 0;
  }
  if (f.model == "paretonbd") {
    const stats::ParetoNbdParams truth{0.5533, 10.578, 0.6062, 11.67};
    std::vector<double> T(static_cast<size_t>(f.customers));
    for (size_t i = 0; i < T.size(); ++i) T[i] = 27.0 + 12.0 * static_cast<double>(i) / T.size();
    auto data = stats::SimulateParetoNbd(truth, T, 7);
    if (!data.ok()) Die(std::string(data.status().message()));
    const double rss_data = CurrentRssMib();
    const absl::Time start = absl::Now();
    const double cpu_start = CpuSeconds();
    auto fit = stats::FitParetoNbd(*data, options);
    const double seconds = Seconds(start);
    const double cpu = CpuSeconds() - cpu_start;
    if (!fit.ok()) Die(std::string(fit.status().message()));
    std::cout << absl::StrFormat(
        "{\"bench\":\"fit\",\"model\":\"paretonbd\",\"customers\":%d,\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"iterations\":%d,"
        "\"converged\":%s,\"r\":%.4f,\"alpha\":%.4f,\"s\":%.4f,\"beta\":%.4f,\"data_mib\":%.0f,"
        "\"peak_rss_mib\":%.0f}\n",
        f.customers, seconds, cpu, fit->iterations, fit->converged ? "true" : "false", fit->params.r, fit->params.alpha,
        fit->params.s, fit->params.beta, rss_data, PeakRssMib());
    return 0;
  }
  Die(absl::StrCat("unknown model '", f.model, "' (bgnbd or paretonbd)"));
}

int RunGenerate(const Flags& f) {
  if (f.dir.empty()) Die("generate needs --out DIR");
  DemoParams params;
  params.accounts = f.accounts;
  params.seed = 42;
  params.end_day = kEndDay;
  const absl::Time start = absl::Now();
  auto summary = WriteDemoDataset(params, f.dir, /*overwrite=*/true);
  if (!summary.ok()) Die(std::string(summary.status().message()));
  std::cout << absl::StrFormat(
      "{\"bench\":\"generate\",\"accounts\":%d,\"orders\":%d,\"order_lines\":%d,\"cases\":%d,\"activities\":%d,"
      "\"contacts\":%d,\"seconds\":%.3f}\n",
      summary->accounts, summary->orders, summary->order_lines, summary->cases, summary->activities,
      summary->contacts, Seconds(start));
  return 0;
}

int RunIngest(const Flags& f) {
  if (f.dir.empty()) Die("ingest needs --dir DIR");
  CsvAdapterOptions options;
  options.dir = f.dir;
  auto adapter = MakeCsvAdapter(options);
  if (!adapter.ok()) Die(std::string(adapter.status().message()));
  const absl::Time start = absl::Now();
  const double cpu_start = CpuSeconds();
  auto batch = (*adapter)->ReadOrders(ReadParams{});
  const double seconds = Seconds(start);
  const double cpu = CpuSeconds() - cpu_start;
  if (!batch.ok()) Die(std::string(batch.status().message()));
  int64_t lines = 0;
  for (const Order& o : batch->upserts) lines += static_cast<int64_t>(o.lines.size());
  const double rows = static_cast<double>(batch->upserts.size());
  std::cout << absl::StrFormat(
      "{\"bench\":\"ingest\",\"orders\":%d,\"order_lines\":%d,\"rejected\":%d,\"seconds\":%.3f,"
      "\"cpu_seconds\":%.3f,\"order_rows_per_second\":%.0f,\"order_rows_per_cpu_second\":%.0f,"
      "\"peak_rss_mib\":%.0f}\n",
      batch->upserts.size(), lines, batch->rejected.size(), seconds, cpu, rows / seconds, rows / cpu, PeakRssMib());
  return 0;
}

// Collects the generator's records into one CustomerData.
class CollectingSink : public DemoRecordSink {
 public:
  explicit CollectingSink(CustomerData* data) : data_(data) {}
  absl::Status AddUsers(const std::vector<User>& users, const std::vector<std::string>& pool_user_ids,
                        const std::string& /*departed_user_id*/) override {
    data_->users = users;
    pool_ = pool_user_ids;
    return absl::OkStatus();
  }
  absl::Status AddAccount(DemoAccountRecords* r) override {
    data_->accounts.push_back(std::move(r->account));
    Move(r->contacts, data_->contacts);
    Move(r->orders, data_->orders);
    Move(r->cases, data_->cases);
    Move(r->activities, data_->activities);
    Move(r->engagement, data_->engagement);
    Move(r->feedback, data_->feedback);
    return absl::OkStatus();
  }
  const std::vector<std::string>& pool() const { return pool_; }

 private:
  template <typename T>
  static void Move(std::vector<T>& from, std::vector<T>& to) {
    for (T& x : from) to.push_back(std::move(x));
    from.clear();
  }
  CustomerData* data_;
  std::vector<std::string> pool_;
};

int RunSweep(const Flags& f) {
  DemoParams params;
  params.accounts = f.accounts;
  params.seed = 42;
  params.end_day = kEndDay;
  CustomerData data;
  CollectingSink sink(&data);
  absl::Time start = absl::Now();
  if (absl::Status s = StreamDemoData(params, &sink); !s.ok()) Die(std::string(s.message()));
  const double generate_seconds = Seconds(start);
  data.orders.shrink_to_fit();
  const double data_mib = CurrentRssMib();

  EngineConfig config;
  config.contact.pool_user_ids = sink.pool();
  ScoreParams score_params;
  score_params.as_of = StartOfDay(kEndDay + 1) - absl::Seconds(1);

  start = absl::Now();
  const double cpu_start = CpuSeconds();
  ScoreTimings timings;
  Portfolio portfolio = AssessPortfolio(data, config, score_params, &timings);
  const double score_seconds = Seconds(start);
  PlanParams plan_params;
  plan_params.now = score_params.as_of;
  start = absl::Now();
  ContactPlan plan = PlanContacts(portfolio, config, plan_params);
  const double plan_seconds = Seconds(start);
  const double cpu = CpuSeconds() - cpu_start;
  std::cout << absl::StrFormat(
      "{\"bench\":\"sweep\",\"accounts\":%d,\"orders\":%d,\"cases\":%d,\"activities\":%d,\"contacts\":%d,"
      "\"generate_seconds\":%.3f,\"data_mib\":%.0f,\"score_seconds\":%.3f,\"plan_seconds\":%.3f,"
      "\"planned\":%d,\"cpu_seconds\":%.3f,\"peak_rss_mib\":%.0f,\"histories_seconds\":%.3f,\"facts_seconds\":%.3f,"
      "\"learn_seconds\":%.3f,\"population_seconds\":%.3f,\"assess_seconds\":%.3f}\n",
      data.accounts.size(), data.orders.size(), data.cases.size(), data.activities.size(), data.contacts.size(),
      generate_seconds, data_mib, score_seconds, plan_seconds, plan.planned, cpu, PeakRssMib(), timings.histories_seconds,
      timings.facts_seconds, timings.learn_seconds, timings.population_seconds, timings.assess_seconds);
  return 0;
}

int RunIncremental(const Flags& f) {
  if (f.config.empty()) Die("incremental needs --config DIR/pulse.yaml (from pulsed demo)");
  auto config = LoadConfigFile(f.config);
  if (!config.ok()) Die(std::string(config.status().message()));
  std::error_code ec;
  std::filesystem::remove(config->store_path, ec);  // a first sweep into an empty store
  auto app = OpenPulseApp(*config);
  if (!app.ok()) Die(std::string(app.status().message()));
  SweepRequest request;
  request.as_of = StartOfDay(kEndDay + 1) - absl::Seconds(1);

  auto sweep = [&](const char* which) {
    const absl::Time start = absl::Now();
    const double cpu_start = CpuSeconds();
    auto report = app->sweeper->Run(request, nullptr);
    const double seconds = Seconds(start);
    const double cpu = CpuSeconds() - cpu_start;
    if (!report.ok()) Die(std::string(report.status().message()));
    if (!report->succeeded()) Die(report->error());
    int64_t orders_read = 0;
    for (const auto& e : report->entities()) {
      if (e.entity() == "orders") orders_read = e.read();
    }
    const std::shared_ptr<const SweepSnapshot> latest = app->sweeper->Latest();
    std::cout << absl::StrFormat(
        "{\"bench\":\"incremental\",\"sweep\":\"%s\",\"accounts\":%d,\"orders_read\":%d,\"seconds\":%.3f,"
        "\"cpu_seconds\":%.3f,\"tasks_planned\":%d,\"trend_replayed\":%d,\"model_reused\":%s,"
        "\"peak_rss_mib\":%.0f}\n",
        which, report->accounts_scored(), orders_read, seconds, cpu, report->tasks_planned(),
        latest->coverage.trend_replayed,
        absl::StrContains(latest->portfolio.churn_model_summary, "reused from earlier today") ? "true" : "false",
        PeakRssMib());
  };
  sweep("first");

  // New orders for a share of the accounts, dated the as-of day, appended
  // (the CSV adapter then reads only the new lines).
  const std::filesystem::path orders = std::filesystem::path(config->adapter.csv.dir) / "orders.csv";
  auto accounts = app->store->LoadCustomerData();
  if (!accounts.ok()) Die(std::string(accounts.status().message()));
  const size_t n = accounts->accounts.size();
  const size_t changed = std::max<size_t>(1, static_cast<size_t>(f.changed_share * n));
  {
    std::ofstream out(orders, std::ios::app);
    for (size_t i = 0; i < changed; ++i) {
      const Account& a = accounts->accounts[(i * 7919) % n];
      out << "bench-" << i << "," << a.id << "," << FormatIsoDay(kEndDay) << "T09:00:00Z,123.45,EUR\n";
    }
    if (!out) Die(absl::StrCat("cannot append to ", orders.string()));
  }
  sweep("incremental");
  // The next day, nothing new: everything is scored again (new day, new
  // model, new trend days), as a daily sweep does.
  request.as_of = *request.as_of + absl::Hours(24);
  sweep("next_day");
  return 0;
}

}  // namespace
}  // namespace pulse

int main(int argc, char** argv) {
  const pulse::Flags f = pulse::ParseFlags(argc, argv);
  if (f.mode == "fit") return pulse::RunFit(f);
  if (f.mode == "generate") return pulse::RunGenerate(f);
  if (f.mode == "ingest") return pulse::RunIngest(f);
  if (f.mode == "sweep") return pulse::RunSweep(f);
  if (f.mode == "incremental") return pulse::RunIncremental(f);
  pulse::Die(absl::StrCat("unknown mode '", f.mode, "'"));
}
