// The credentials of the gRPC listener: TLS, optionally requiring client
// certificates (mTLS), from PEM files that gRPC's file watcher re-reads every
// tls.reload_interval, so a rotated certificate is served without a restart;
// or plaintext. With a TokenAuthorizer, every call's bearer token is checked
// (a gRPC auth metadata processor) before the call reaches any handler.
#ifndef PULSE_SIDECAR_SERVER_SERVER_CREDENTIALS_H_
#define PULSE_SIDECAR_SERVER_SERVER_CREDENTIALS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "sidecar/config/config.h"
#include "sidecar/server/auth.h"

namespace pulse {

// Credentials for ServerBuilder::AddListeningPort. `authorizer` may be null
// (no authentication). InvalidArgument naming the tls.* key when a PEM file
// cannot be read or does not hold what it should.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsConfig& tls, std::shared_ptr<TokenAuthorizer> authorizer);

}  // namespace pulse

#endif  // PULSE_SIDECAR_SERVER_SERVER_CREDENTIALS_H_
