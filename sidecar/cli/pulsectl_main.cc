// pulsectl: the command-line client of a running pulsed, for people.
//
//   pulsectl [--server HOST:PORT] [--json] COMMAND ...
//
// The server address defaults to $PULSE_SERVER, then 127.0.0.1:50051.
// Exit codes: 0 success, 1 the server said no, 2 bad usage, 3 unreachable.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/cli/args.h"
#include "sidecar/cli/client_credentials.h"
#include "sidecar/cli/handoff_commands.h"
#include "sidecar/cli/render.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/report/account_html.h"
#include "sidecar/report/coverage_html.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {
namespace {

constexpr char kUsage[] = R"(pulsectl: talk to a running pulsed

Usage: pulsectl [--server HOST:PORT] [--json] [CONNECTION OPTIONS] COMMAND

Connection options (each also from the environment variable in brackets):
  --token TOKEN            bearer token [PULSE_TOKEN]; prefer --token-file: arguments are visible in ps
  --token-file FILE        file holding the bearer token [PULSE_TOKEN_FILE]
  --tls                    use TLS, trusting the system's CAs [PULSE_TLS=1]
  --tls-ca FILE            use TLS, trusting the CA in FILE (PEM) [PULSE_TLS_CA]
  --tls-cert FILE --tls-key FILE
                           client certificate and key for mTLS (PEM) [PULSE_TLS_CERT, PULSE_TLS_KEY]

Commands:
  sweep [--dry-run] [--as-of YYYY-MM-DD]       run a sweep now, showing its progress, then its report
  queue [--owner USER] [--tier key|mid|tail] [--action ACTION] [--limit N] [--all]
                                               the ranked contact queue (--all: also deferred/suppressed)
  account ACCOUNT_ID [--html FILE]             one account's signals, risk and tasks; --html also writes its
                                               whole relationship as a self-contained HTML page
                                               (with --json: that page's data, else the summary's)
  sweeps [--limit N]                           recent sweeps
  uplift [--action ACTION] [--tier key|mid|tail]
                                               the measured effect of Pulse's tasks against the holdout
  coverage [--html FILE]                       the coverage and portfolio report; --html also writes it
                                               as a self-contained HTML page
  health                                       whether the server is SERVING
  handoff list|plan|show|move|discard|apply|revert ...
                                               when a seller leaves (see `pulsectl handoff help`, docs/HANDOFF.md)

Actions: win_back, service_recovery, check_in, reorder_reminder, health_check, onboarding, growth,
handover_intro, feedback_request, recognition. The server address defaults to $PULSE_SERVER, then 127.0.0.1:50051.
)";

int Usage(const std::string& error) {
  std::cerr << "pulsectl: " << error << "\n\n" << kUsage;
  return 2;
}

int RpcFailed(const grpc::Status& status, const std::string& server) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "pulsectl: cannot reach pulsed at " << server << ": " << status.error_message()
              << "\n(is it running? set --server or $PULSE_SERVER)\n";
    return 3;
  }
  std::cerr << "pulsectl: " << status.error_message() << "\n";
  return 1;
}

// "Bearer <token>" for every call; empty without a token.
std::string& BearerHeader() {
  static std::string* header = new std::string();
  return *header;
}

void SetDeadline(grpc::ClientContext* context, absl::Duration d) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + d));
  if (!BearerHeader().empty()) context->AddMetadata("authorization", BearerHeader());
}

int RunSweep(pulse::v1::RetentionService::Stub& stub, const Args& args, bool json, const std::string& server) {
  pulse::v1::RunSweepRequest request;
  request.set_dry_run(args.Has("dry-run"));
  if (auto as_of = args.Get("as-of")) request.set_as_of(*as_of);
  grpc::ClientContext context;
  if (!BearerHeader().empty()) context.AddMetadata("authorization", BearerHeader());
  std::unique_ptr<grpc::ClientReader<pulse::v1::RunSweepResponse>> reader = stub.RunSweep(&context, request);
  const bool tty = isatty(STDERR_FILENO) != 0;
  pulse::v1::RunSweepResponse event;
  pulse::v1::SweepReport report;
  bool have_report = false;
  std::string last_line;
  while (reader->Read(&event)) {
    if (event.has_report()) {
      report = event.report();
      have_report = true;
      continue;
    }
    const std::string line = RenderProgressLine(event.progress());
    if (tty) {
      // One live line, rewritten in place.
      std::cerr << "\r\033[K" << line << std::flush;
    } else if (line != last_line) {
      std::cerr << line << "\n";
    }
    last_line = line;
  }
  if (tty && !last_line.empty()) std::cerr << "\n";
  grpc::Status status = reader->Finish();
  if (!status.ok()) return RpcFailed(status, server);
  if (!have_report) {
    std::cerr << "pulsectl: the server ended the sweep stream without a report\n";
    return 1;
  }
  std::cout << (json ? ToJson(report) : FormatSweepReport(report));
  return report.succeeded() ? 0 : 1;
}

int Queue(pulse::v1::RetentionService::Stub& stub, const Args& args, bool json, const std::string& server) {
  pulse::v1::ListContactQueueRequest request;
  absl::StatusOr<int64_t> limit = args.GetInt("limit", 25, 1, 1000);
  if (!limit.ok()) return Usage(std::string(limit.status().message()));
  request.set_page_size(static_cast<int>(*limit));
  if (auto owner = args.Get("owner")) request.set_owner_id(*owner);
  if (auto tier = args.Get("tier")) {
    pulse::v1::Tier t;
    if (!pulse::v1::Tier_Parse("TIER_" + absl::AsciiStrToUpper(*tier), &t) || t == pulse::v1::TIER_UNSPECIFIED) {
      return Usage("--tier must be key, mid or tail");
    }
    request.set_tier(t);
  }
  if (auto action = args.Get("action")) {
    pulse::v1::Action a;
    if (!pulse::v1::Action_Parse("ACTION_" + absl::AsciiStrToUpper(*action), &a) ||
        a == pulse::v1::ACTION_UNSPECIFIED) {
      return Usage("--action must be one of the actions listed below");
    }
    request.set_action(a);
  }
  request.set_include_all(args.Has("all"));
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  pulse::v1::ListContactQueueResponse response;
  grpc::Status status = stub.ListContactQueue(&context, request, &response);
  if (!status.ok()) return RpcFailed(status, server);
  std::cout << (json ? ToJson(response) : RenderQueue(response));
  return 0;
}

int ShowAccount(pulse::v1::RetentionService::Stub& stub, const Args& args, bool json, const std::string& server) {
  if (args.positional().size() != 1) return Usage("account needs exactly one ACCOUNT_ID");
  if (auto html = args.Get("html")) {
    pulse::v1::GetAccountViewRequest view_request;
    view_request.set_account_id(args.positional()[0]);
    grpc::ClientContext view_context;
    SetDeadline(&view_context, absl::Seconds(30));
    pulse::v1::AccountView view;
    grpc::Status view_status = stub.GetAccountView(&view_context, view_request, &view);
    if (!view_status.ok()) return RpcFailed(view_status, server);
    std::ofstream out(*html, std::ios::binary | std::ios::trunc);
    out << RenderAccountHtml(view);
    out.close();
    if (!out) {
      std::cerr << "pulsectl: cannot write the account page to " << *html << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    std::cerr << "pulsectl: wrote the account page to " << *html << "\n";
    if (json) {
      std::cout << ToJson(view);
      return 0;
    }
  }
  pulse::v1::GetAccountHealthRequest request;
  request.set_account_id(args.positional()[0]);
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  pulse::v1::AccountHealth response;
  grpc::Status status = stub.GetAccountHealth(&context, request, &response);
  if (!status.ok()) return RpcFailed(status, server);
  std::cout << (json ? ToJson(response) : RenderAccountHealth(response));
  return 0;
}

int Sweeps(pulse::v1::RetentionService::Stub& stub, const Args& args, bool json, const std::string& server) {
  pulse::v1::ListSweepsRequest request;
  absl::StatusOr<int64_t> limit = args.GetInt("limit", 20, 1, 500);
  if (!limit.ok()) return Usage(std::string(limit.status().message()));
  request.set_limit(static_cast<int>(*limit));
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  pulse::v1::ListSweepsResponse response;
  grpc::Status status = stub.ListSweeps(&context, request, &response);
  if (!status.ok()) return RpcFailed(status, server);
  std::cout << (json ? ToJson(response) : RenderSweeps(response));
  return 0;
}

int Uplift(pulse::v1::RetentionService::Stub& stub, const Args& args, bool json, const std::string& server) {
  pulse::v1::GetUpliftReportRequest request;
  request.set_action(args.Get("action").value_or(""));
  request.set_tier(args.Get("tier").value_or(""));
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  pulse::v1::UpliftReport response;
  grpc::Status status = stub.GetUpliftReport(&context, request, &response);
  if (!status.ok()) return RpcFailed(status, server);
  std::cout << (json ? ToJson(response) : RenderUplift(response));
  return 0;
}

int Coverage(pulse::v1::RetentionService::Stub& stub, const Args& args, bool json, const std::string& server) {
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(30));
  pulse::v1::CoverageReport report;
  grpc::Status status = stub.GetCoverageReport(&context, pulse::v1::GetCoverageReportRequest(), &report);
  if (!status.ok()) return RpcFailed(status, server);
  if (auto html = args.Get("html")) {
    std::ofstream out(*html, std::ios::binary | std::ios::trunc);
    out << RenderCoverageHtml(report);
    out.close();
    if (!out) {
      std::cerr << "pulsectl: cannot write the HTML report to " << *html << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    std::cerr << "pulsectl: wrote the coverage report to " << *html << "\n";
  }
  std::cout << (json ? ToJson(report) : RenderCoverage(report));
  return 0;
}

int Health(const std::shared_ptr<grpc::Channel>& channel, bool json, const std::string& server) {
  // The standard health protocol, spoken with the generic stub: the health
  // proto's generated code is not part of grpc++'s public headers.
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(5));
  // grpc.health.v1.HealthCheckRequest{service = ""} encodes as an empty message.
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  grpc::Status status;
  absl::Notification done;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      status = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  if (!status.ok()) return RpcFailed(status, server);
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (SERVING)} is the bytes 08 01.
  const bool serving = bytes.size() == 2 && bytes[0] == 0x08 && bytes[1] == 0x01;
  if (json) {
    std::cout << "{\"status\": \"" << (serving ? "SERVING" : "NOT_SERVING") << "\"}\n";
  } else {
    std::cout << (serving ? "SERVING" : "NOT_SERVING (no successful sync yet)") << "\n";
  }
  return serving ? 0 : 1;
}

}  // namespace
}  // namespace pulse

int main(int argc, char** argv) {
  using pulse::Args;
  std::vector<std::string> all(argv + 1, argv + argc);
  // Global options come before the command.
  std::string server;
  if (const char* env = std::getenv("PULSE_SERVER"); env != nullptr && *env != '\0') server = env;
  if (server.empty()) server = "127.0.0.1:50051";
  bool json = false;
  // The environment first; options given on the command line replace it.
  pulse::ClientConnectionOptions connection = pulse::ClientConnectionOptionsFromEnvironment();
  // A token given on the command line wins over the environment.
  std::string cli_token, cli_token_file;
  const std::pair<const char*, std::string*> valued_globals[] = {
      {"--server", &server},           {"--token", &cli_token},              {"--token-file", &cli_token_file},
      {"--tls-ca", &connection.tls_ca}, {"--tls-cert", &connection.tls_cert}, {"--tls-key", &connection.tls_key}};
  size_t i = 0;
  for (; i < all.size(); ++i) {
    bool matched = false;
    for (const auto& [name, target] : valued_globals) {
      const std::string prefix = std::string(name) + "=";
      if (all[i] == name) {
        if (i + 1 >= all.size()) return pulse::Usage(std::string(name) + " needs a value");
        *target = all[++i];
        matched = true;
      } else if (all[i].rfind(prefix, 0) == 0) {
        *target = all[i].substr(prefix.size());
        matched = true;
      }
      if (matched) break;
    }
    if (matched) continue;
    if (all[i] == "--json") {
      json = true;
    } else if (all[i] == "--tls") {
      connection.tls = true;
    } else if (all[i] == "--help" || all[i] == "-h" || all[i] == "help") {
      std::cout << pulse::kUsage;
      return 0;
    } else {
      break;
    }
  }
  if (i >= all.size()) return pulse::Usage("a command is required");
  const std::string command = all[i];
  std::vector<std::string> rest(all.begin() + static_cast<long>(i) + 1, all.end());
  // --json is also accepted after the command.
  for (auto it = rest.begin(); it != rest.end();) {
    if (*it == "--json") {
      json = true;
      it = rest.erase(it);
    } else {
      ++it;
    }
  }
  std::set<std::string> valued, flags;
  if (command == "handoff") {
    if (!rest.empty() && (rest[0] == "help" || rest[0] == "--help")) {
      std::cout << "Usage: pulsectl [--server HOST:PORT] [--json] handoff COMMAND\n\n" << pulse::kHandoffUsage;
      return 0;
    }
  } else if (command == "sweep") {
    valued = {"as-of"};
    flags = {"dry-run"};
  } else if (command == "queue") {
    valued = {"owner", "tier", "action", "limit"};
    flags = {"all"};
  } else if (command == "sweeps") {
    valued = {"limit"};
  } else if (command == "uplift") {
    valued = {"action", "tier"};
  } else if (command == "coverage" || command == "account") {
    valued = {"html"};
  } else if (command != "account" && command != "health") {
    return pulse::Usage("unknown command '" + command + "'");
  }
  // The handoff commands parse their own words.
  absl::StatusOr<Args> args = Args::Parse(command == "handoff" ? std::vector<std::string>{} : rest, valued, flags);
  if (!args.ok()) return pulse::Usage(std::string(args.status().message()));
  if (command != "account" && !args->positional().empty()) {
    return pulse::Usage("unexpected argument '" + args->positional()[0] + "'");
  }
  if (!cli_token.empty() || !cli_token_file.empty()) {
    connection.token = cli_token;
    connection.token_file = cli_token_file;
  }
  absl::StatusOr<pulse::ClientCredentials> credentials = pulse::MakeClientCredentials(connection);
  if (!credentials.ok()) return pulse::Usage(std::string(credentials.status().message()));
  pulse::BearerHeader() = credentials->bearer_header;
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(server, credentials->channel);
  if (command == "health") return pulse::Health(channel, json, server);
  std::unique_ptr<pulse::v1::RetentionService::Stub> stub = pulse::v1::RetentionService::NewStub(channel);
  if (command == "handoff") return pulse::RunHandoffCommand(*stub, rest, json, server, pulse::BearerHeader());
  if (command == "sweep") return pulse::RunSweep(*stub, *args, json, server);
  if (command == "queue") return pulse::Queue(*stub, *args, json, server);
  if (command == "account") return pulse::ShowAccount(*stub, *args, json, server);
  if (command == "uplift") return pulse::Uplift(*stub, *args, json, server);
  if (command == "coverage") return pulse::Coverage(*stub, *args, json, server);
  return pulse::Sweeps(*stub, *args, json, server);
}
