#include "sidecar/cli/client_credentials.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/security/credentials.h"

namespace pulse {
namespace {

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

ClientConnectionOptions ClientConnectionOptionsFromEnvironment() {
  ClientConnectionOptions o;
  o.tls = EnvOr("PULSE_TLS", "") == "1";
  o.tls_ca = EnvOr("PULSE_TLS_CA", "");
  o.tls_cert = EnvOr("PULSE_TLS_CERT", "");
  o.tls_key = EnvOr("PULSE_TLS_KEY", "");
  o.token = EnvOr("PULSE_TOKEN", "");
  o.token_file = EnvOr("PULSE_TOKEN_FILE", "");
  return o;
}

absl::StatusOr<ClientCredentials> MakeClientCredentials(const ClientConnectionOptions& o) {
  ClientCredentials out;
  std::string token = o.token;
  if (token.empty() && !o.token_file.empty()) {
    std::optional<std::string> text = ReadWholeFile(o.token_file);
    if (!text.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("--token-file: cannot read '", o.token_file, "'"));
    }
    token = std::string(absl::StripAsciiWhitespace(*text));
    if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("--token-file: '", o.token_file, "' is empty"));
  }
  if (!token.empty()) out.bearer_header = absl::StrCat("Bearer ", token);
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!o.tls && o.tls_ca.empty() && o.tls_cert.empty()) {
    out.channel = grpc::InsecureChannelCredentials();
    return out;
  }
  grpc::SslCredentialsOptions ssl;
  const std::pair<const char*, const std::string*> files[] = {
      {"--tls-ca", &o.tls_ca}, {"--tls-cert", &o.tls_cert}, {"--tls-key", &o.tls_key}};
  std::string* targets[] = {&ssl.pem_root_certs, &ssl.pem_cert_chain, &ssl.pem_private_key};
  for (size_t i = 0; i < 3; ++i) {
    if (files[i].second->empty()) continue;
    std::optional<std::string> pem = ReadWholeFile(*files[i].second);
    if (!pem.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(files[i].first, ": cannot read '", *files[i].second, "'"));
    }
    *targets[i] = *pem;
  }
  out.channel = grpc::SslCredentials(ssl);
  return out;
}

}  // namespace pulse
