#include "sidecar/server/server_credentials.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc_security.h"
#include "sidecar/common/logging.h"

namespace pulse {
namespace {

constexpr char kLog[] = "server";

// Wraps gRPC core credentials, so that one auth metadata processor serves
// both TLS and plaintext listeners (grpc++'s InsecureServerCredentials takes
// no processor).
class CoreServerCredentials final : public grpc::ServerCredentials {
 public:
  explicit CoreServerCredentials(grpc_server_credentials* creds) : creds_(creds) {}
  ~CoreServerCredentials() override { grpc_server_credentials_release(creds_); }

  void SetAuthMetadataProcessor(const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {
    // Pulse's processor is set on the core credentials; a second one here
    // would silently not run.
    LogError(kLog, "SetAuthMetadataProcessor is not supported on Pulse's server credentials");
    std::abort();
  }

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }

  grpc_server_credentials* creds_;
};

absl::string_view SliceView(const grpc_slice& s) {
  return absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(s)), GRPC_SLICE_LENGTH(s));
}

// The caller as far as the transport knows it: gRPC's auth hook sees no
// address, but a client certificate names its holder.
std::string PeerName(const grpc_auth_context* context) {
  grpc_auth_property_iterator it = grpc_auth_context_find_properties_by_name(context, GRPC_X509_CN_PROPERTY_NAME);
  if (const grpc_auth_property* p = grpc_auth_property_iterator_next(&it)) {
    return absl::StrCat("client certificate CN=", absl::string_view(p->value, p->value_length));
  }
  return "a client without certificate";
}

void ProcessAuthMetadata(void* state, grpc_auth_context* context, const grpc_metadata* md, size_t num_md,
                         grpc_process_auth_metadata_done_cb done, void* user_data) {
  TokenAuthorizer* authorizer = static_cast<std::shared_ptr<TokenAuthorizer>*>(state)->get();
  absl::string_view method;
  absl::string_view authorization;
  const grpc_metadata* authorization_md = nullptr;
  for (size_t i = 0; i < num_md; ++i) {
    const absl::string_view key = SliceView(md[i].key);
    if (key == ":path") {
      method = SliceView(md[i].value);
    } else if (key == "authorization") {
      authorization = SliceView(md[i].value);
      authorization_md = &md[i];
    }
  }
  Role role = Role::kNone;
  std::string identity;
  const absl::Status status = authorizer->Authorize(method, authorization, PeerName(context), &role, &identity);
  if (!status.ok()) {
    const std::string message(status.message());
    done(user_data, nullptr, 0, nullptr, 0, static_cast<grpc_status_code>(status.code()), message.c_str());
    return;
  }
  if (role != Role::kNone) {
    grpc_auth_context_add_cstring_property(context, "pulse_role", std::string(RoleName(role)).c_str());
    // Who the token belongs to: handlers record it as requested_by.
    grpc_auth_context_add_cstring_property(context, kCallerIdentityProperty, identity.c_str());
  }
  // The token is consumed here: no handler ever sees it.
  done(user_data, authorization_md, authorization_md == nullptr ? 0 : 1, nullptr, 0, GRPC_STATUS_OK, nullptr);
}

void DestroyAuthState(void* state) { delete static_cast<std::shared_ptr<TokenAuthorizer>*>(state); }

// Reads a PEM file now, so that a wrong path fails at start with the key
// named rather than at the first handshake.
absl::Status CheckPemFile(const std::string& key, const std::string& path, absl::string_view must_contain) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("config: ", key, ": cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (!absl::StrContains(text, "-----BEGIN ") || !absl::StrContains(text, must_contain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: ", key, ": '", path, "' is not a PEM file with a ", must_contain, " block"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsConfig& tls, std::shared_ptr<TokenAuthorizer> authorizer) {
  grpc_server_credentials* creds = nullptr;
  if (tls.enabled()) {
    if (absl::Status s = CheckPemFile("tls.cert_file", tls.cert_file, "CERTIFICATE"); !s.ok()) return s;
    if (absl::Status s = CheckPemFile("tls.key_file", tls.key_file, "PRIVATE KEY"); !s.ok()) return s;
    const bool client_certs = !tls.client_ca_file.empty();
    if (client_certs) {
      if (absl::Status s = CheckPemFile("tls.client_ca_file", tls.client_ca_file, "CERTIFICATE"); !s.ok()) return s;
    }
    grpc_tls_certificate_provider* provider = grpc_tls_certificate_provider_file_watcher_create(
        tls.key_file.c_str(), tls.cert_file.c_str(), client_certs ? tls.client_ca_file.c_str() : nullptr,
        static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(tls.reload_interval))));
    grpc_tls_credentials_options* options = grpc_tls_credentials_options_create();
    grpc_tls_credentials_options_set_certificate_provider(options, provider);
    grpc_tls_certificate_provider_release(provider);  // the options hold their own reference
    grpc_tls_credentials_options_watch_identity_key_cert_pairs(options);
    if (client_certs) grpc_tls_credentials_options_watch_root_certs(options);
    grpc_tls_credentials_options_set_cert_request_type(
        options, !client_certs               ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                 : tls.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                           : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    creds = grpc_tls_server_credentials_create(options);  // takes the options
    if (creds == nullptr) return absl::InternalError("gRPC could not create the TLS server credentials");
  } else {
    creds = grpc_insecure_server_credentials_create();
  }
  if (authorizer != nullptr) {
    grpc_auth_metadata_processor processor;
    processor.process = ProcessAuthMetadata;
    processor.destroy = DestroyAuthState;
    processor.state = new std::shared_ptr<TokenAuthorizer>(std::move(authorizer));
    grpc_server_credentials_set_auth_metadata_processor(creds, processor);
  }
  return std::shared_ptr<grpc::ServerCredentials>(new CoreServerCredentials(creds));
}

}  // namespace pulse
