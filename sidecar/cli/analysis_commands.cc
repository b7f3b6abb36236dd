#include "sidecar/cli/analysis_commands.h"

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "sidecar/cli/app.h"
#include "sidecar/cli/args.h"
#include "sidecar/common/logging.h"
#include "sidecar/common/time_util.h"
#include "sidecar/config/config.h"
#include "sidecar/engine/backtest.h"
#include "sidecar/stats/bgnbd.h"
#include "sidecar/stats/pareto_nbd.h"
#include "sidecar/stats/rfm.h"

namespace pulse {
namespace {

int UsageError(absl::string_view command, absl::string_view error) {
  std::cerr << "pulsed " << command << ": " << error << "\n(see pulsed help)\n";
  return 2;
}

int Failure(absl::string_view command, const absl::Status& status) {
  std::cerr << "pulsed " << command << ": " << Redact(status.ToString()) << "\n";
  return 1;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be opened"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read failed"));
  return text.str();
}

}  // namespace

int RunBacktestCommand(const std::vector<std::string>& argv) {
  constexpr char kCmd[] = "backtest";
  absl::StatusOr<Args> args =
      Args::Parse(argv, {"data", "cdnow", "as-of", "horizon-days", "capacity", "config"}, {"json"});
  if (!args.ok()) return UsageError(kCmd, args.status().message());
  if (args->Has("data") == args->Has("cdnow")) return UsageError(kCmd, "give exactly one of --data DIR or --cdnow FILE");
  auto as_of_text = args->Get("as-of");
  if (!as_of_text.has_value()) return UsageError(kCmd, "--as-of YYYY-MM-DD is required");
  absl::StatusOr<absl::CivilDay> as_of_day = ParseIsoDay(*as_of_text);
  if (!as_of_day.ok()) return UsageError(kCmd, absl::StrCat("--as-of: ", as_of_day.status().message()));
  EngineConfig engine;
  if (auto path = args->Get("config"); path.has_value()) {
    absl::StatusOr<PulseConfig> config = LoadConfigFile(*path);
    if (!config.ok()) return UsageError(kCmd, config.status().message());
    engine = config->engine;
  }
  if (!args->Has("horizon-days")) return UsageError(kCmd, "--horizon-days N is required");
  absl::StatusOr<int64_t> horizon = args->GetInt("horizon-days", engine.contact.horizon_days, 7, 730);
  if (!horizon.ok()) return UsageError(kCmd, horizon.status().message());
  absl::StatusOr<int64_t> capacity = args->GetInt("capacity", -1, 0, 100000000);
  if (!capacity.ok()) return UsageError(kCmd, capacity.status().message());

  absl::StatusOr<CustomerData> data;
  if (auto file = args->Get("cdnow"); file.has_value()) {
    absl::StatusOr<std::string> text = ReadWholeFile(*file);
    if (!text.ok()) return Failure(kCmd, text.status());
    data = ParseCdnowTransactions(*text);
    if (!data.ok()) return Failure(kCmd, absl::Status(data.status().code(), absl::StrCat(*file, ": ", data.status().message())));
  } else {
    AdapterConfig adapter_config;
    adapter_config.csv.dir = *args->Get("data");
    absl::StatusOr<std::unique_ptr<CrmAdapter>> adapter = MakeAdapter(adapter_config);
    if (!adapter.ok()) return Failure(kCmd, adapter.status());
    std::vector<RejectedRecord> rejected;
    data = ReadAllRecords(**adapter, &rejected);
    if (!data.ok()) return Failure(kCmd, data.status());
    for (const RejectedRecord& r : rejected) std::cerr << r.ToString() << "\n";
  }

  BacktestParams params;
  params.as_of = StartOfDay(*as_of_day + 1) - absl::Seconds(1);
  params.horizon_days = static_cast<int>(*horizon);
  if (*capacity >= 0) {
    params.capacity = *capacity;
  } else {
    // The owners' capacity: active users who own accounts, each with the
    // default weekly capacity.
    std::set<std::string> owners;
    for (const Account& a : data->accounts) {
      if (!a.owner_id.empty()) owners.insert(a.owner_id);
    }
    int64_t active = 0;
    for (const User& u : data->users) active += u.active && owners.count(u.id) > 0 ? 1 : 0;
    params.capacity = active * engine.contact.default_weekly_capacity;
  }
  absl::StatusOr<BacktestReport> report = RunBacktest(*data, engine, params);
  if (!report.ok()) return Failure(kCmd, report.status());
  std::cout << (args->Has("json") ? BacktestReportToJson(*report) : BacktestReportToText(*report));
  return 0;
}

int RunFitCommand(const std::vector<std::string>& argv) {
  constexpr char kCmd[] = "fit";
  absl::StatusOr<Args> args = Args::Parse(argv, {"model", "summary"}, {});
  if (!args.ok()) return UsageError(kCmd, args.status().message());
  auto model = args->Get("model");
  auto summary = args->Get("summary");
  if (!model.has_value()) return UsageError(kCmd, "--model bgnbd|paretonbd is required");
  if (*model != "bgnbd" && *model != "paretonbd") {
    return UsageError(kCmd, absl::StrCat("--model must be bgnbd or paretonbd, got '", *model, "'"));
  }
  if (!summary.has_value()) return UsageError(kCmd, "--summary FILE is required");
  absl::StatusOr<std::vector<stats::RfmSummary>> rows = stats::LoadRfmSummaryCsv(*summary);
  if (!rows.ok()) return Failure(kCmd, rows.status());
  if (*model == "bgnbd") {
    absl::StatusOr<stats::BgNbdFit> fit = stats::FitBgNbd(*rows);
    if (!fit.ok()) return Failure(kCmd, fit.status());
    std::cout << stats::BgNbdFitToJson(*fit) << "\n";
  } else {
    absl::StatusOr<stats::ParetoNbdFit> fit = stats::FitParetoNbd(*rows);
    if (!fit.ok()) return Failure(kCmd, fit.status());
    std::cout << stats::ParetoNbdFitToJson(*fit) << "\n";
  }
  return 0;
}

}  // namespace pulse
