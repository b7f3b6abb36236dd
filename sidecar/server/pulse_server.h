// The long-running sidecar: the gRPC server (RetentionService, the standard
// health service, reflection) plus periodic sweeps.
#ifndef PULSE_SIDECAR_SERVER_PULSE_SERVER_H_
#define PULSE_SIDECAR_SERVER_PULSE_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/grpcpp.h"
#include "sidecar/config/config.h"
#include "sidecar/server/auth.h"
#include "sidecar/server/retention_service.h"
#include "sidecar/server/sweep_runner.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {

// The service name the health service reports, besides "" (the server).
inline constexpr char kRetentionServiceName[] = "pulse.v1.RetentionService";

struct ServerParams {
  std::string listen;  // "host:port"; port 0 picks a free port
  bool periodic_sweeps = true;
  TlsConfig tls;  // disabled: plaintext
  // Checks every call's bearer token; null: no authentication.
  std::shared_ptr<TokenAuthorizer> authorizer;
  LimitsConfig limits;
};

class PulseServer {
 public:
  // Starts serving. `sweeper` must outlive the server. Health is NOT_SERVING
  // until a sweep has read the CRM successfully. Unavailable when the
  // address cannot be bound; InvalidArgument naming the tls.* key when a
  // certificate file is missing or malformed.
  static absl::StatusOr<std::unique_ptr<PulseServer>> Start(Sweeper* sweeper, const ServerParams& params);

  PulseServer(const PulseServer&) = delete;
  PulseServer& operator=(const PulseServer&) = delete;
  ~PulseServer();

  // The port actually bound.
  int port() const { return port_; }

  // Graceful stop: health NOT_SERVING, stop taking calls (in-flight calls get
  // `deadline` to finish), cancel and wait for a running sweep. Idempotent.
  void Shutdown(absl::Duration deadline = absl::Seconds(10));
  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  PulseServer(Sweeper* sweeper, absl::Duration default_deadline);
  void PeriodicLoop();
  void SetServing(bool serving);

  Sweeper* sweeper_;
  SweepRunner runner_;
  RetentionServiceImpl service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread periodic_;
  absl::Notification stopping_;
  absl::Notification stopped_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_SERVER_PULSE_SERVER_H_
