#include "sidecar/server/auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sidecar/common/logging.h"

namespace pulse {
namespace {

constexpr char kLog[] = "auth";
constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxNameLength = 64;

bool IsTokenName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && !absl::StrContains("._@+-", ch)) return false;
  }
  return true;
}

// The one table of who may call what. Every RPC of every Pulse service must
// be listed: a method missing here is refused to everyone (PERMISSION_DENIED).
// Reading is viewer, anything that plans or runs a sweep is operator,
// anything that changes the CRM's owners or erases data is admin.
struct MethodRole {
  const char* method;
  Role role;
};
constexpr MethodRole kMethodRoles[] = {
    {"/pulse.v1.RetentionService/ListContactQueue", Role::kViewer},
    {"/pulse.v1.RetentionService/GetAccountHealth", Role::kViewer},
    {"/pulse.v1.RetentionService/ListSweeps", Role::kViewer},
    {"/pulse.v1.RetentionService/GetUpliftReport", Role::kViewer},
    {"/pulse.v1.RetentionService/GetCoverageReport", Role::kViewer},
    {"/pulse.v1.RetentionService/GetAccountView", Role::kViewer},
    {"/pulse.v1.RetentionService/ListHandoffs", Role::kViewer},
    {"/pulse.v1.RetentionService/GetHandoffPlan", Role::kViewer},
    {"/pulse.v1.RetentionService/RunSweep", Role::kOperator},
    {"/pulse.v1.RetentionService/PlanHandoff", Role::kOperator},
    {"/pulse.v1.RetentionService/MoveHandoffAccount", Role::kOperator},
    {"/pulse.v1.RetentionService/DiscardHandoffPlan", Role::kOperator},
    // Owner changes in the CRM: admins only.
    {"/pulse.v1.RetentionService/ApplyHandoff", Role::kAdmin},
    {"/pulse.v1.RetentionService/RevertHandoff", Role::kAdmin},
};

// Services open to everyone: probes and tooling need no token, and neither
// reveals customer data.
constexpr const char* kOpenServices[] = {
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
};

// The token of "Bearer <token>" (the scheme is case-insensitive); empty otherwise.
absl::string_view BearerToken(absl::string_view authorization) {
  authorization = absl::StripAsciiWhitespace(authorization);
  if (authorization.size() < 7 || !absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) return "";
  return absl::StripAsciiWhitespace(authorization.substr(7));
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "none";
}

std::optional<Role> ParseRole(absl::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::optional<Role> MinimumRole(absl::string_view method) {
  for (const char* open : kOpenServices) {
    if (absl::StartsWith(method, open)) return Role::kNone;
  }
  for (const MethodRole& m : kMethodRoles) {
    if (method == m.method) return m.role;
  }
  return std::nullopt;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Walks all of b whatever a holds, so the time says nothing about where
  // they differ.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    const unsigned char ca = a.empty() ? 0 : static_cast<unsigned char>(a[i % a.size()]);
    diff |= static_cast<unsigned char>(ca ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

absl::StatusOr<std::vector<TokenEntry>> ParseTokens(absl::string_view text, absl::string_view path) {
  std::vector<TokenEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat(path, ":", line_no, ": ");
    std::optional<Role> role = ParseRole(words[0]);
    if (!role.has_value()) {
      // The first word may itself be a token pasted without a role: never echo it.
      return absl::InvalidArgumentError(
          absl::StrCat(where, "must be '<role> <token> [<name>]' with the role viewer, operator or admin first"));
    }
    if (words.size() != 2 && words.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "must be '<role> <token> [<name>]': one token, no spaces in it or in the name"));
    }
    // The third word is not echoed either: it may be a second token pasted in.
    if (words.size() == 3 && !IsTokenName(words[2])) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "the name (third word) must be 1 to ", kMaxNameLength, " letters, digits or . _ @ + -"));
    }
    if (words[1].size() < kMinTokenLength) {
      return absl::InvalidArgumentError(absl::StrCat(where, "the token is shorter than ", kMinTokenLength,
                                                     " characters (make one with `openssl rand -hex 32`)"));
    }
    for (const TokenEntry& e : out) {
      if (e.token == words[1]) {
        return absl::InvalidArgumentError(absl::StrCat(where, "the same token as line ", e.line));
      }
    }
    TokenEntry entry;
    entry.role = *role;
    entry.token = std::string(words[1]);
    entry.name = words.size() == 3 ? std::string(words[2]) : absl::StrCat(RoleName(*role), "-token-line-", line_no);
    entry.line = line_no;
    out.push_back(std::move(entry));
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": holds no token"));
  return out;
}

absl::StatusOr<std::unique_ptr<TokenAuthorizer>> TokenAuthorizer::Load(const std::string& tokens_file) {
  std::unique_ptr<TokenAuthorizer> authorizer(new TokenAuthorizer(tokens_file));
  if (absl::Status s = authorizer->ReadFile(); !s.ok()) return s;
  return authorizer;
}

absl::Status TokenAuthorizer::ReadFile() {
  struct stat st;
  FileStamp stamp;
  if (stat(path_.c_str(), &st) == 0) {
    stamp.size = st.st_size;
    stamp.inode = st.st_ino;
    stamp.mtime = st.st_mtim;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    absl::MutexLock lock(&mu_);
    stamp_ = stamp;
    return absl::NotFoundError(absl::StrCat("auth.tokens_file '", path_, "': cannot read the file"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  absl::StatusOr<std::vector<TokenEntry>> tokens = ParseTokens(text, absl::StrCat("auth.tokens_file ", path_));
  absl::MutexLock lock(&mu_);
  stamp_ = stamp;
  if (!tokens.ok()) return tokens.status();
  for (const TokenEntry& t : *tokens) RegisterSecret(t.token);
  tokens_ = std::move(*tokens);
  return absl::OkStatus();
}

void TokenAuthorizer::ReloadIfChanged() {
  struct stat st;
  FileStamp now;
  if (stat(path_.c_str(), &st) == 0) {
    now.size = st.st_size;
    now.inode = st.st_ino;
    now.mtime = st.st_mtim;
  }
  {
    absl::MutexLock lock(&mu_);
    if (now == stamp_) return;
  }
  if (absl::Status s = ReadFile(); !s.ok()) {
    LogError(kLog, s.message(), "; the tokens read before stay in force until the file is fixed");
    return;
  }
  size_t n = 0;
  {
    absl::MutexLock lock(&mu_);
    n = tokens_.size();
  }
  LogInfo(kLog, "reloaded ", path_, ": ", n, " token(s)");
}

Role TokenAuthorizer::RoleOf(absl::string_view authorization, std::string* name) {
  name->clear();
  const absl::string_view token = BearerToken(authorization);
  if (token.empty()) return Role::kNone;
  absl::MutexLock lock(&mu_);
  Role found = Role::kNone;
  for (const TokenEntry& e : tokens_) {
    // No early exit: every token is compared.
    if (ConstantTimeEquals(token, e.token)) {
      found = e.role;
      *name = e.name;
    }
  }
  return found;
}

absl::Status TokenAuthorizer::Authorize(absl::string_view method, absl::string_view authorization,
                                        absl::string_view peer, Role* role, std::string* identity) {
  *role = Role::kNone;
  if (identity != nullptr) identity->clear();
  const std::optional<Role> required = MinimumRole(method);
  if (required.has_value() && *required == Role::kNone) return absl::OkStatus();
  return AuthorizeRole(required.value_or(Role::kNone), method, authorization, peer, role, identity);
}

absl::Status TokenAuthorizer::AuthorizeRole(Role required, absl::string_view what, absl::string_view authorization,
                                            absl::string_view peer, Role* role, std::string* identity) {
  ReloadIfChanged();
  std::string name;
  *role = RoleOf(authorization, &name);
  if (identity != nullptr) *identity = name;
  if (*role == Role::kNone) {
    const bool missing = BearerToken(authorization).empty();
    LogWarning(kLog, "unauthenticated: ", what, " from ", peer, ": ",
               missing ? "no bearer token" : "a token that is not in the tokens file");
    return absl::UnauthenticatedError(
        missing ? "this server needs a bearer token: send 'authorization: Bearer <token>' (pulsectl --token-file "
                  "FILE or $PULSE_TOKEN)"
                : "the bearer token is not valid (unknown or rotated away)");
  }
  if (required == Role::kNone) {
    LogWarning(kLog, "permission denied: ", what, " from ", peer, " (role ", RoleName(*role),
               "): the method is not in Pulse's access table");
    return absl::PermissionDeniedError(
        absl::StrCat(what, " is not open to any role (it is not in Pulse's access table)"));
  }
  if (*role < required) {
    LogWarning(kLog, "permission denied: ", what, " from ", peer, " (token of ", name, "): role ",
               RoleName(*role), ", needs ", RoleName(required));
    return absl::PermissionDeniedError(absl::StrCat(what, " needs the ", RoleName(required), " role; this token has ",
                                                    RoleName(*role)));
  }
  LogDebug(kLog, "allowed: ", what, " from ", peer, " (", name, ", role ", RoleName(*role), ")");
  return absl::OkStatus();
}

}  // namespace pulse
