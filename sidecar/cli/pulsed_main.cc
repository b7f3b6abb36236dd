// pulsed: the Pulse sidecar.
//
//   pulsed serve --config FILE [--listen HOST:PORT] [--http-listen HOST:PORT]
//   pulsed sweep --config FILE [--dry-run] [--as-of YYYY-MM-DD] [--top N]
//   pulsed demo  --out DIR [--accounts N] [--seed S] [--end-date YYYY-MM-DD] [--force]
//   pulsed score --data DIR --as-of YYYY-MM-DD [--horizon-days N] [--config FILE]
//   pulsed backup --config FILE [--to FILE]
//
// Exit codes: 0 success, 1 the work failed, 2 bad usage or configuration.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "sidecar/cli/analysis_commands.h"
#include "sidecar/cli/app.h"
#include "sidecar/cli/args.h"
#include "sidecar/cli/render.h"
#include "sidecar/common/csv_writer.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/metrics.h"
#include "sidecar/common/time_util.h"
#include "sidecar/config/config.h"
#include "sidecar/cli/demo_simulation.h"
#include "sidecar/config/templates_file.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/http/http_server.h"
#include "sidecar/report/account_html.h"
#include "sidecar/report/coverage_html.h"
#include "sidecar/server/auth.h"
#include "sidecar/server/pulse_server.h"
#include "sidecar/server/retention_service.h"
#include "sidecar/store/store_backup.h"

namespace pulse {
namespace {

constexpr char kUsage[] = R"(pulsed: the Pulse customer-retention sidecar

Usage:
  pulsed serve --config FILE [--listen HOST:PORT] [--http-listen HOST:PORT]
      Run the gRPC server with periodic sweeps until SIGTERM or SIGINT, and the HTTP
      endpoint (/metrics, /healthz, /coverage, /accounts/ID) unless http_listen is empty.
  pulsed sweep --config FILE [--dry-run] [--as-of YYYY-MM-DD] [--top N]
      Run one sweep, print its report and the top N of the contact queue (default 15).
  pulsed demo --out DIR [--accounts N] [--seed S] [--end-date YYYY-MM-DD] [--force] [--simulate-weeks W] [--holdout SHARE]
      Write a realistic synthetic B2B CRM as CSV files and a ready pulse.yaml into DIR. With
      --simulate-weeks, replay W weekly sweeps over past weeks in which Pulse's tasks save some of the
      truly leaving accounts, so `pulsectl uplift` has an effect to measure; --holdout sets the share
      of each tier held out (default 0.1).
  pulsed score --data DIR --as-of YYYY-MM-DD [--horizon-days N] [--config FILE]
      Score a CSV folder as of a day, without a server; CSV on stdout.
  pulsed backtest (--data DIR | --cdnow FILE) --as-of YYYY-MM-DD --horizon-days N [--capacity K] [--json]
      Compare Pulse's churn ranking with the baselines on what happened after the as-of.
  pulsed fit --model bgnbd|paretonbd --summary FILE
      Fit a cadence model to an RFM summary CSV (ID,frequency,recency,T); one JSON object.
  pulsed backup --config FILE [--to FILE]
      Take an online backup of the store now (also while pulsed serve runs): a new generation in
      store.backup.dir (pruned to store.backup.keep), or a copy at FILE. See docs/RELIABILITY.md.
  pulsed templates [--config FILE]
      Print the task texts (English and Finnish) in contact.templates_file's format: the defaults, or
      with --config those the config's templates file gives. Copy, edit, and point the config at it.
  pulsed version
)";

int Usage(const std::string& error) {
  std::cerr << "pulsed: " << error << "\n\n" << kUsage;
  return 2;
}

int Fail(const absl::Status& status) {
  std::cerr << "pulsed: " << Redact(status.ToString()) << "\n";
  return 1;
}

absl::StatusOr<PulseConfig> LoadConfigArg(const Args& args) {
  auto path = args.Get("config");
  if (!path.has_value()) return absl::InvalidArgumentError("--config FILE is required");
  absl::StatusOr<PulseConfig> config = LoadConfigFile(*path);
  if (!config.ok()) return config.status();
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);
  return config;
}

absl::StatusOr<absl::Time> EndOfDayArg(const std::string& text, const std::string& option) {
  absl::StatusOr<absl::CivilDay> day = ParseIsoDay(text);
  if (!day.ok()) return absl::InvalidArgumentError(absl::StrCat("--", option, ": ", day.status().message()));
  return StartOfDay(*day + 1) - absl::Seconds(1);
}

// Blocks SIGTERM and SIGINT in every thread started after this; one thread
// waits for them with sigwait and runs `on_signal`.
std::thread HandleStopSignals(std::function<void(int)> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return std::thread([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&set, &sig);
    on_signal(sig);
  });
}

int Serve(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"config", "listen", "http-listen"}, {});
  if (!args.ok()) return Usage(std::string(args.status().message()));
  // Signals are blocked before any thread starts so they all inherit it.
  absl::Notification stop;
  std::thread signals = HandleStopSignals([&stop](int sig) {
    LogInfo("pulsed", "received ", sig == SIGTERM ? "SIGTERM" : "SIGINT", ", stopping");
    stop.Notify();
  });
  signals.detach();
  absl::StatusOr<PulseConfig> config = LoadConfigArg(*args);
  if (!config.ok()) return Usage(std::string(config.status().message()));
  if (auto listen = args->Get("listen")) config->listen = *listen;
  if (auto http_listen = args->Get("http-listen")) config->http_listen = *http_listen;
  LogFormat format;
  if (ParseLogFormat(config->log_format, &format)) SetLogFormat(format);
  if (absl::Status s = CheckTransportSecurity(*config); !s.ok()) return Usage(std::string(s.message()));
  std::shared_ptr<TokenAuthorizer> authorizer;
  if (config->auth.enabled()) {
    absl::StatusOr<std::unique_ptr<TokenAuthorizer>> loaded = TokenAuthorizer::Load(config->auth.tokens_file);
    if (!loaded.ok()) return Usage(Redact(loaded.status().message()));
    authorizer = std::move(*loaded);
  }
  MetricsRegistry metrics;  // declared first: outlives the sweeper and both servers
  absl::StatusOr<PulseApp> app = OpenPulseApp(*config);
  if (!app.ok()) return Fail(app.status());
  app->sweeper->SetMetrics(&metrics);
  std::unique_ptr<BackupSchedule> backups;
  if (config->store_backup.enabled()) {
    BackupParams backup_params;
    backup_params.dir = config->store_backup.dir;
    backup_params.keep = config->store_backup.keep;
    backups = std::make_unique<BackupSchedule>(config->store_path, backup_params, config->store_backup.interval);
  }
  ServerParams params;
  params.listen = config->listen;
  params.tls = config->tls;
  params.authorizer = authorizer;
  params.limits = config->limits;
  absl::StatusOr<std::unique_ptr<PulseServer>> server = PulseServer::Start(app->sweeper.get(), params);
  if (!server.ok()) {
    return server.status().code() == absl::StatusCode::kInvalidArgument ? Usage(std::string(server.status().message()))
                                                                         : Fail(server.status());
  }
  // The chosen port, for scripts and tests that listen on port 0.
  std::cout << "pulsed listening on port " << (*server)->port() << std::endl;
  std::unique_ptr<HttpServer> http;
  if (!config->http_listen.empty()) {
    HttpServerParams http_params;
    http_params.listen = config->http_listen;
    http_params.metrics = &metrics;
    http_params.healthy = [sweeper = app->sweeper.get()] { return sweeper->HasSynced(); };
    http_params.coverage_page = [sweeper = app->sweeper.get()]() -> absl::StatusOr<std::string> {
      pulse::v1::CoverageReport report;
      if (absl::Status s = LatestCoverageReport(*sweeper, &report); !s.ok()) return s;
      return RenderCoverageHtml(report);
    };
    http_params.account_page = [sweeper = app->sweeper.get()](
                                   const std::string& account_id) -> absl::StatusOr<std::string> {
      pulse::v1::AccountView view;
      if (absl::Status s = LatestAccountView(*sweeper, account_id, &view); !s.ok()) return s;
      return RenderAccountHtml(view);
    };
    if (authorizer != nullptr) {
      // The pages need a viewer token; over plaintext HTTP off this machine
      // the token would travel in clear text, so it is not served there.
      const bool token_safe = IsLoopbackAddress(config->http_listen) || config->auth.allow_insecure;
      if (!token_safe) {
        LogWarning("pulsed", "/coverage and /accounts/ are refused on ", config->http_listen,
                   ": auth is on and the HTTP endpoint is plaintext (use pulsectl coverage|account --html)");
      }
      http_params.authorize_page = [authorizer, token_safe](absl::string_view what, absl::string_view authorization,
                                                                absl::string_view peer) -> absl::Status {
        if (!token_safe) {
          return absl::PermissionDeniedError(
              "with auth on, the pages are served only on a loopback http_listen (the token would cross the "
              "network in clear text): use `pulsectl coverage --html FILE` or `pulsectl account ID --html FILE`");
        }
        Role role;
        return authorizer->AuthorizeRole(Role::kViewer, what, authorization, peer, &role);
      };
    }
    absl::StatusOr<std::unique_ptr<HttpServer>> started = HttpServer::Start(std::move(http_params));
    if (!started.ok()) {
      (*server)->Shutdown();
      return Fail(started.status());
    }
    http = std::move(*started);
    // Its chosen port: the second line, after the gRPC one.
    std::cout << "pulsed http on port " << http->port() << std::endl;
  }
  stop.WaitForNotification();
  (*server)->Shutdown();
  server->reset();
  if (http != nullptr) http->Stop();
  http.reset();
  backups.reset();  // waits for a backup in progress
  app->sweeper.reset();
  app->store.reset();
  LogInfo("pulsed", "bye");
  return 0;
}

int Sweep(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"config", "as-of", "top"}, {"dry-run"});
  if (!args.ok()) return Usage(std::string(args.status().message()));
  absl::StatusOr<PulseConfig> config = LoadConfigArg(*args);
  if (!config.ok()) return Usage(std::string(config.status().message()));
  absl::StatusOr<int64_t> top = args->GetInt("top", 15, 0, 1000);
  if (!top.ok()) return Usage(std::string(top.status().message()));
  SweepRequest request;
  request.dry_run = args->Has("dry-run");
  if (auto as_of = args->Get("as-of")) {
    absl::StatusOr<absl::Time> t = EndOfDayArg(*as_of, "as-of");
    if (!t.ok()) return Usage(std::string(t.status().message()));
    request.as_of = std::min(*t, absl::Now());
  }
  absl::StatusOr<PulseApp> app = OpenPulseApp(*config);
  if (!app.ok()) return Fail(app.status());
  absl::StatusOr<pulse::v1::SweepReport> report = app->sweeper->Run(request, nullptr);
  if (!report.ok()) return Fail(report.status());
  std::cout << FormatSweepReport(*report);
  if (!report->succeeded()) return 1;
  if (auto latest = app->sweeper->Latest(); latest != nullptr && latest->sweep_id == report->sweep_id()) {
    std::cout << "Coverage: " << latest->coverage.summary << "\n";
  }
  if (*top > 0) {
    SweepRunner runner(app->sweeper.get());
    RetentionServiceImpl service(app->sweeper.get(), &runner);
    pulse::v1::ListContactQueueRequest q;
    q.set_page_size(static_cast<int>(*top));
    pulse::v1::ListContactQueueResponse queue;
    if (absl::Status s = service.DoListContactQueue(q, &queue); !s.ok()) return Fail(s);
    std::cout << "\nTop of the contact queue:\n" << RenderQueue(queue);
  }
  return 0;
}

int Demo(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args =
      Args::Parse(argv, {"out", "accounts", "seed", "end-date", "simulate-weeks", "holdout"}, {"force"});
  if (!args.ok()) return Usage(std::string(args.status().message()));
  auto out = args->Get("out");
  if (!out.has_value()) return Usage("--out DIR is required");
  absl::StatusOr<int64_t> accounts = args->GetInt("accounts", 1000, 10, 2000000);
  if (!accounts.ok()) return Usage(std::string(accounts.status().message()));
  absl::StatusOr<int64_t> seed = args->GetInt("seed", 1, 0, INT64_MAX);
  if (!seed.ok()) return Usage(std::string(seed.status().message()));
  absl::StatusOr<int64_t> weeks = args->GetInt("simulate-weeks", 0, 0, 104);
  if (!weeks.ok()) return Usage(std::string(weeks.status().message()));
  double holdout = -1;
  if (auto h = args->Get("holdout")) {
    if (!absl::SimpleAtod(*h, &holdout) || holdout < 0 || holdout > 0.5) {
      return Usage(absl::StrCat("--holdout must be a share between 0 and 0.5, got '", *h, "'"));
    }
  }
  DemoParams params;
  params.accounts = static_cast<int>(*accounts);
  params.seed = static_cast<uint64_t>(*seed);
  params.end_day = UtcDay(absl::Now());
  if (auto end = args->Get("end-date")) {
    absl::StatusOr<absl::CivilDay> day = ParseIsoDay(*end);
    if (!day.ok()) return Usage(absl::StrCat("--end-date: ", day.status().message()));
    params.end_day = *day;
  }
  const absl::Time t0 = absl::Now();
  absl::StatusOr<DemoSummary> summary = WriteDemoDataset(params, *out, args->Has("force"));
  if (!summary.ok()) return Fail(summary.status());

  PulseConfig config;
  config.store_path = "pulse.db";
  config.adapter.type = "csv";
  config.adapter.csv.dir = ".";
  config.engine.contact.pool_user_ids = summary->pool_user_ids;
  if (holdout >= 0) config.engine.contact.holdout_share = {{"key", holdout}, {"mid", holdout}, {"tail", holdout}};
  const std::string config_path = (std::filesystem::path(*out) / "pulse.yaml").string();
  {
    std::ofstream f(config_path);
    f << "# Pulse configuration for the demo data in this folder (written by `pulsed demo`).\n"
         "# Relative paths are relative to this file. See README.md for every key.\n"
      << RenderConfig(config);
    if (!f) return Fail(absl::InternalError(absl::StrCat("cannot write ", config_path)));
  }
  std::cout << absl::StrFormat(
      "Wrote a demo CRM to %s in %.1f s: %d users, %d accounts, %d contacts, %d orders (%d lines), %d cases, "
      "%d activities, %d engagement rows, %d feedback rows.\n",
      summary->dir, absl::ToDoubleSeconds(absl::Now() - t0), summary->users, summary->accounts, summary->contacts,
      summary->orders, summary->order_lines, summary->cases, summary->activities, summary->engagement,
      summary->feedback);
  std::vector<std::string> scenarios;
  for (const auto& [name, n] : summary->accounts_by_scenario) scenarios.push_back(absl::StrCat(name, " ", n));
  std::cout << "Scenarios (ground truth in demo_truth.csv): " << absl::StrJoin(scenarios, ", ") << "\n";
  if (*weeks > 0) {
    // Start from a clean store: the simulation's decisions are its history.
    std::filesystem::remove(std::filesystem::path(*out) / "pulse.db");
    std::filesystem::remove(std::filesystem::path(*out) / "tasks.csv");
    ContactSimulationParams sim;
    sim.weeks = static_cast<int>(*weeks);
    const absl::Time s0 = absl::Now();
    absl::StatusOr<ContactSimulationSummary> simulated = SimulateContactEffect(params, *out, sim);
    if (!simulated.ok()) return Fail(simulated.status());
    std::cout << absl::StrFormat(
        "Simulated %d weekly sweeps in %.1f s: %d tasks written, %d withheld from the holdout; of %d truly leaving "
        "accounts that got a task, %d were saved (true effects: ",
        simulated->sweeps, absl::ToDoubleSeconds(absl::Now() - s0), simulated->tasks, simulated->held_out,
        simulated->leaving_treated, simulated->saved);
    std::vector<std::string> effects;
    for (const auto& [action, p] : sim.true_effect) effects.push_back(absl::StrFormat("%s %.2f", action, p));
    std::cout << absl::StrJoin(effects, ", ") << ").\nAfter the next sweep: pulsectl uplift\n";
  }
  std::cout << "Config: " << config_path << "\nNext: pulsed sweep --config " << config_path << "\n";
  return 0;
}

int Score(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"data", "as-of", "horizon-days", "config"}, {});
  if (!args.ok()) return Usage(std::string(args.status().message()));
  auto data_dir = args->Get("data");
  auto as_of_text = args->Get("as-of");
  if (!data_dir.has_value()) return Usage("--data DIR is required");
  if (!as_of_text.has_value()) return Usage("--as-of YYYY-MM-DD is required");
  absl::StatusOr<absl::Time> as_of = EndOfDayArg(*as_of_text, "as-of");
  if (!as_of.ok()) return Usage(std::string(as_of.status().message()));
  EngineConfig engine;
  if (args->Has("config")) {
    absl::StatusOr<PulseConfig> config = LoadConfigArg(*args);
    if (!config.ok()) return Usage(std::string(config.status().message()));
    engine = config->engine;
  }
  absl::StatusOr<int64_t> horizon = args->GetInt("horizon-days", engine.contact.horizon_days, 7, 730);
  if (!horizon.ok()) return Usage(std::string(horizon.status().message()));
  engine.contact.horizon_days = static_cast<int>(*horizon);

  AdapterConfig adapter_config;
  adapter_config.csv.dir = *data_dir;
  absl::StatusOr<std::unique_ptr<CrmAdapter>> adapter = MakeAdapter(adapter_config);
  if (!adapter.ok()) return Fail(adapter.status());
  std::vector<RejectedRecord> rejected;
  absl::StatusOr<CustomerData> data = ReadAllRecords(**adapter, &rejected);
  if (!data.ok()) return Fail(data.status());
  for (const RejectedRecord& r : rejected) std::cerr << r.ToString() << "\n";
  ScoreParams params;
  params.as_of = *as_of;
  const Portfolio portfolio = AssessPortfolio(*data, engine, params);
  std::string out = "account_id,churn_probability,value_at_risk,tier,owner_id,action,reasons\n";
  for (const AccountAssessment& a : portfolio.accounts) {
    if (a.orders_total == 0) continue;
    std::vector<std::string> reasons;
    for (const Signal& s : a.signals) reasons.push_back(s.id);
    out += FormatCsvRecord({a.account_id, absl::StrFormat("%.6f", a.churn_probability),
                            absl::StrFormat("%.2f", a.value_at_risk), std::string(TierName(a.tier)), a.owner_id,
                            std::string(ActionId(a.action)), absl::StrJoin(reasons, ";")});
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int Backup(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"config", "to"}, {});
  if (!args.ok()) return Usage(std::string(args.status().message()));
  if (!args->positional().empty()) return Usage("unexpected argument '" + args->positional()[0] + "'");
  absl::StatusOr<PulseConfig> config = LoadConfigArg(*args);
  if (!config.ok()) return Usage(std::string(config.status().message()));
  absl::StatusOr<BackupFile> file;
  if (auto to = args->Get("to")) {
    file = BackupStoreFile(config->store_path, *to);
  } else if (config->store_backup.enabled()) {
    BackupParams params;
    params.dir = config->store_backup.dir;
    params.keep = config->store_backup.keep;
    file = TakeBackupGeneration(config->store_path, params, absl::Now());
  } else {
    return Usage("--to FILE is required: the config has no store.backup.dir");
  }
  if (!file.ok()) return Fail(file.status());
  std::cout << "Backed up " << config->store_path << " to " << file->path << " (" << file->bytes << " bytes)\n";
  return 0;
}

int Templates(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"config"}, {});
  if (!args.ok()) return Usage(std::string(args.status().message()));
  if (!args->positional().empty()) return Usage("unexpected argument '" + args->positional()[0] + "'");
  if (auto path = args->Get("config")) {
    absl::StatusOr<PulseConfig> config = LoadConfigFile(*path);
    if (!config.ok()) return Usage(std::string(config.status().message()));
    std::cout << RenderTemplatesYaml(config->engine.contact.templates);
  } else {
    std::cout << RenderTemplatesYaml(DefaultTaskTemplates());
  }
  return 0;
}

}  // namespace
}  // namespace pulse

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << pulse::kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "serve") return pulse::Serve(args);
  if (command == "sweep") return pulse::Sweep(args);
  if (command == "demo") return pulse::Demo(args);
  if (command == "score") return pulse::Score(args);
  if (command == "backtest") return pulse::RunBacktestCommand(args);
  if (command == "fit") return pulse::RunFitCommand(args);
  if (command == "templates") return pulse::Templates(args);
  if (command == "backup") return pulse::Backup(args);
  if (command == "version" || command == "--version") {
    std::cout << "pulsed 0.1.0\n";
    return 0;
  }
  return pulse::Usage("unknown command '" + command + "'");
}
