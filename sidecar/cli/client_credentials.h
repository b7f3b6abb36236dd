// How a client of pulsed (pulsectl, bench/load_bench) reaches it: plaintext or
// TLS/mTLS channel credentials and the bearer token, from the options and
// environment variables docs/SECURITY.md describes.
#ifndef PULSE_SIDECAR_CLI_CLIENT_CREDENTIALS_H_
#define PULSE_SIDECAR_CLI_CLIENT_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

namespace pulse {

// The connection options; empty strings mean "not given".
struct ClientConnectionOptions {
  std::string token;       // --token; wins over token_file
  std::string token_file;  // --token-file: a file holding the token
  bool tls = false;        // --tls: TLS trusting the system's CAs
  std::string tls_ca;      // --tls-ca: TLS trusting this CA (PEM)
  std::string tls_cert;    // --tls-cert and --tls-key: a client certificate for mTLS (PEM)
  std::string tls_key;
};

// The options from PULSE_TLS=1, PULSE_TLS_CA, PULSE_TLS_CERT, PULSE_TLS_KEY,
// PULSE_TOKEN and PULSE_TOKEN_FILE. Command-line options replace them: a token
// given on the command line (either form) replaces both token variables.
ClientConnectionOptions ClientConnectionOptionsFromEnvironment();

struct ClientCredentials {
  std::shared_ptr<grpc::ChannelCredentials> channel;
  // "Bearer <token>" for the authorization metadata of every call; empty without a token.
  std::string bearer_header;
};

// The credentials for `options`. InvalidArgument naming the option (never the
// token) when a file cannot be read, the token file is empty, or only one of
// --tls-cert and --tls-key is given.
absl::StatusOr<ClientCredentials> MakeClientCredentials(const ClientConnectionOptions& options);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_CLIENT_CREDENTIALS_H_
