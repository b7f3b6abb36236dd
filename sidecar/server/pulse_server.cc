#include "sidecar/server/pulse_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "sidecar/common/logging.h"
#include "sidecar/server/server_credentials.h"

namespace pulse {
namespace {
constexpr char kLog[] = "server";
}  // namespace

PulseServer::PulseServer(Sweeper* sweeper, absl::Duration default_deadline)
    : sweeper_(sweeper), runner_(sweeper), service_(sweeper, &runner_, default_deadline) {}

absl::StatusOr<std::unique_ptr<PulseServer>> PulseServer::Start(Sweeper* sweeper, const ServerParams& params) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(params.tls, params.authorizer);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<PulseServer> server(new PulseServer(sweeper, params.limits.default_deadline));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(params.listen, *credentials, &server->port_);
  builder.RegisterService(&server->service_);
  builder.SetMaxReceiveMessageSize(params.limits.max_receive_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, params.limits.max_concurrent_streams);
  // A client that connects and never finishes the TLS handshake holds a
  // connection for at most this long.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10000);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", params.listen,
                                               ": the address is in use or not valid (set `listen` or --listen)"));
  }
  server->SetServing(sweeper->HasSynced());
  PulseServer* raw = server.get();
  server->runner_.OnEverySweep([raw](const absl::StatusOr<pulse::v1::SweepReport>&) {
    if (raw->sweeper_->HasSynced()) raw->SetServing(true);
  });
  if (params.periodic_sweeps) server->periodic_ = std::thread([raw] { raw->PeriodicLoop(); });
  LogInfo(kLog, "listening on port ", server->port_, " (gRPC: pulse.v1.RetentionService, health, reflection; ",
          params.tls.enabled() ? (params.tls.require_client_cert ? "mTLS" : "TLS") : "plaintext",
          params.authorizer != nullptr ? ", bearer tokens" : ", no authentication", ")");
  return server;
}

PulseServer::~PulseServer() { Shutdown(); }

void PulseServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus(kRetentionServiceName, serving);
}

void PulseServer::PeriodicLoop() {
  const SweepConfig& sweep = sweeper_->config().sweep;
  absl::Time next = sweep.run_on_start ? absl::Now() : absl::Now() + sweep.interval;
  while (!stopping_.WaitForNotificationWithDeadline(next)) {
    absl::Notification done;
    const bool started = runner_.Start(SweepRequest{}, nullptr,
                                       [&done](const absl::StatusOr<pulse::v1::SweepReport>& result) {
                                         if (!result.ok()) LogWarning(kLog, "periodic sweep: ", result.status().ToString());
                                         done.Notify();
                                       });
    if (!started) break;
    done.WaitForNotification();
    next = absl::Now() + sweep.interval;
  }
}

void PulseServer::Shutdown(absl::Duration deadline) {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  LogInfo(kLog, "shutting down");
  SetServing(false);
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
  runner_.Shutdown();
  if (periodic_.joinable()) periodic_.join();
  if (server_ != nullptr) server_->Wait();
  stopped_.Notify();
  LogInfo(kLog, "stopped");
}

void PulseServer::Wait() { stopped_.WaitForNotification(); }

}  // namespace pulse
