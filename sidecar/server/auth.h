// Who may call what. Callers present a bearer token ("authorization: Bearer
// <token>"); the tokens file gives each token a role, and kMethodRoles in
// auth.cc gives each gRPC method the least role that may call it. A method
// that is not in the table is refused to everyone, so a new RPC is closed
// until it is added there.
//
// Roles are ordered: viewer < operator < admin.
#ifndef PULSE_SIDECAR_SERVER_AUTH_H_
#define PULSE_SIDECAR_SERVER_AUTH_H_

#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace pulse {

enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };

// "none", "viewer", "operator", "admin".
absl::string_view RoleName(Role role);
// "viewer", "operator" or "admin"; nullopt otherwise.
std::optional<Role> ParseRole(absl::string_view name);

// The least role that may call `method`, a full gRPC method name
// ("/pulse.v1.RetentionService/RunSweep"): kNone for the methods open to
// everyone (health, reflection), nullopt for a method not in the table.
std::optional<Role> MinimumRole(absl::string_view method);

// The gRPC auth-context property holding the authenticated caller's name
// (TokenEntry::name); absent when the server runs without auth.
inline constexpr char kCallerIdentityProperty[] = "pulse_identity";

// One line of the tokens file.
struct TokenEntry {
  Role role = Role::kNone;
  std::string token;
  // Who holds the token: recorded as requested_by in audit logs (handoffs).
  // "<role>-token-line-<N>" when the line names nobody.
  std::string name;
  int line = 0;
};

// Parses the tokens file: one "<role> <token> [<name>]" per line; blank lines
// and lines starting with '#' are skipped. The name (1 to 64 letters, digits
// and . _ @ + -) says who holds the token; several tokens may share a name
// (rotation). InvalidArgument "<path>:<line>: ..." for an unknown role, a
// missing token, a token shorter than 16 characters, a token listed twice or
// a malformed name. The message never contains a token.
absl::StatusOr<std::vector<TokenEntry>> ParseTokens(absl::string_view text, absl::string_view path);

// Checks callers' tokens against the tokens file, re-reading the file when it
// changes (size, mtime or inode), so tokens rotate without a restart. A file
// that becomes unreadable or malformed is reported once and the tokens read
// before stay in force. Every token read is registered with RegisterSecret.
// Thread-safe.
class TokenAuthorizer {
 public:
  // Reads `tokens_file`. NotFound when it cannot be read, InvalidArgument
  // when it is malformed or holds no token.
  static absl::StatusOr<std::unique_ptr<TokenAuthorizer>> Load(const std::string& tokens_file);

  TokenAuthorizer(const TokenAuthorizer&) = delete;
  TokenAuthorizer& operator=(const TokenAuthorizer&) = delete;
  ~TokenAuthorizer() = default;

  // Decides a call of `method` whose "authorization" header is
  // `authorization` (empty when absent); `peer` only names the caller in the
  // log. OK (and the caller's role in *role, kNone for open methods, and
  // when `identity` is not null the token's name in *identity, empty for
  // open methods);
  // Unauthenticated when the token is missing or unknown; PermissionDenied
  // when the method is not in the table or needs a higher role. Denials are
  // logged with the method, the peer and the role, never the token.
  absl::Status Authorize(absl::string_view method, absl::string_view authorization, absl::string_view peer,
                         Role* role, std::string* identity = nullptr);

  // The same for something outside gRPC (the HTTP /coverage page) that needs
  // `required`; `what` names it in messages.
  absl::Status AuthorizeRole(Role required, absl::string_view what, absl::string_view authorization,
                             absl::string_view peer, Role* role, std::string* identity = nullptr);

 private:
  explicit TokenAuthorizer(std::string path) : path_(std::move(path)) {}
  absl::Status ReadFile();
  void ReloadIfChanged();
  // The role of the token in `authorization`, kNone when there is none or it
  // is unknown, and its name in *name. Compares against every token in
  // constant time.
  Role RoleOf(absl::string_view authorization, std::string* name);

  const std::string path_;
  absl::Mutex mu_;
  std::vector<TokenEntry> tokens_ ABSL_GUARDED_BY(mu_);
  struct FileStamp {
    off_t size = -1;
    ino_t inode = 0;
    timespec mtime{};
    bool operator==(const FileStamp& o) const {
      return size == o.size && inode == o.inode && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
    }
  };
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);
};

// True when a and b are equal; the time taken depends only on b's length.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace pulse

#endif  // PULSE_SIDECAR_SERVER_AUTH_H_
