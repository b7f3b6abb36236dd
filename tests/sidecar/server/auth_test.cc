#include "sidecar/server/auth.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/common/logging.h"
#include "tests/sidecar/store/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kViewerToken[] = "viewer-token-0123456789abcdef";
constexpr char kOperatorToken[] = "operator-token-0123456789abcdef";
constexpr char kAdminToken[] = "admin-token-0123456789abcdef";
constexpr char kSweep[] = "/pulse.v1.RetentionService/RunSweep";
constexpr char kQueue[] = "/pulse.v1.RetentionService/ListContactQueue";

std::string Bearer(const std::string& token) { return "Bearer " + token; }

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

TEST(MethodRoles, EveryRetentionServiceMethodIsInTheTableAndNeedsARole) {
  const google::protobuf::ServiceDescriptor* service =
      pulse::v1::RunSweepRequest::descriptor()->file()->FindServiceByName("RetentionService");
  ASSERT_NE(service, nullptr);
  ASSERT_GT(service->method_count(), 0);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
    std::optional<Role> role = MinimumRole(method);
    ASSERT_TRUE(role.has_value()) << method << " is missing from kMethodRoles in sidecar/server/auth.cc";
    EXPECT_NE(*role, Role::kNone) << method << " must need a role";
  }
}

TEST(MethodRoles, ReadsAreViewerSweepsOperatorProbesOpenUnknownDenied) {
  EXPECT_EQ(MinimumRole(kQueue), Role::kViewer);
  EXPECT_EQ(MinimumRole("/pulse.v1.RetentionService/GetCoverageReport"), Role::kViewer);
  EXPECT_EQ(MinimumRole("/pulse.v1.RetentionService/GetAccountView"), Role::kViewer);
  EXPECT_EQ(MinimumRole(kSweep), Role::kOperator);
  EXPECT_EQ(MinimumRole("/grpc.health.v1.Health/Check"), Role::kNone);
  EXPECT_EQ(MinimumRole("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"), Role::kNone);
  EXPECT_EQ(MinimumRole("/pulse.v1.RetentionService/DropEverything"), std::nullopt);
  EXPECT_EQ(MinimumRole("/pulse.v1.RetentionService/RunSweepX"), std::nullopt);
  EXPECT_EQ(MinimumRole(""), std::nullopt);
}

TEST(Tokens, ParsesRolesCommentsAndBlankLines) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      std::vector<TokenEntry> tokens,
      ParseTokens(absl::StrCat("# Pulse tokens\n\nviewer ", kViewerToken, "\n  admin\t", kAdminToken, "  \n"), "t"));
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].role, Role::kViewer);
  EXPECT_EQ(tokens[0].token, kViewerToken);
  EXPECT_EQ(tokens[0].line, 3);
  EXPECT_EQ(tokens[1].role, Role::kAdmin);
  EXPECT_EQ(tokens[1].line, 4);
}

TEST(Tokens, ANameSaysWhoHoldsTheTokenAndDefaultsToRoleAndLine) {
  PULSE_ASSERT_OK_AND_ASSIGN(
      std::vector<TokenEntry> tokens,
      ParseTokens(absl::StrCat("admin ", kAdminToken, " olga.admin@example.com\n# old\nviewer ", kViewerToken,
                               "\noperator ", kOperatorToken, " olga.admin@example.com\n"),
                  "t"));
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].name, "olga.admin@example.com");
  EXPECT_EQ(tokens[1].name, "viewer-token-line-3");
  EXPECT_EQ(tokens[2].name, "olga.admin@example.com") << "one person may hold two tokens (rotation)";
}

TEST(Tokens, ErrorsNameTheLineAndNeverTheToken) {
  const std::string secret = "s3cret-s3cret-s3cret-s3cret";
  EXPECT_THAT(ParseTokens(absl::StrCat("viewer ", kViewerToken, "\nroot ", secret, "\n"), "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("tokens:2:"), Not(HasSubstr(secret)))));
  EXPECT_THAT(ParseTokens(secret + "\n", "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("tokens:1:"), Not(HasSubstr(secret)))));
  EXPECT_THAT(ParseTokens("viewer short\n", "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shorter than 16")));
  EXPECT_THAT(ParseTokens(absl::StrCat("viewer ", secret, "\nadmin ", secret, "\n"), "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("tokens:2: the same token as line 1"),
                                                                 Not(HasSubstr(secret)))));
  EXPECT_THAT(ParseTokens(absl::StrCat("viewer ", secret, " name extra\n"), "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr(secret))));
  // A second token pasted where the name goes is refused, and not echoed.
  EXPECT_THAT(ParseTokens(absl::StrCat("viewer ", kViewerToken, " ", secret, "/x\n"), "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tokens:1: the name (third word)"), Not(HasSubstr(secret)))));
  EXPECT_THAT(ParseTokens("# nothing\n", "tokens"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no token")));
}

TEST(ConstantTime, EqualsOnlyWhenEqual) {
  EXPECT_TRUE(ConstantTimeEquals("abcdef", "abcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abcdeg", "abcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcabc")) << "a prefix repeated is not equal";
  EXPECT_FALSE(ConstantTimeEquals("abcabc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

class TokenAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::path(dir_.path()) / "tokens").string();
    WriteFile(path_, absl::StrCat("viewer ", kViewerToken, "\noperator ", kOperatorToken, "\nadmin ", kAdminToken,
                                  "\n"));
  }
  testing::ScopedTempDir dir_;
  std::string path_;
};

TEST_F(TokenAuthorizerTest, RolesDecideWhoMayCallWhat) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TokenAuthorizer> auth, TokenAuthorizer::Load(path_));
  Role role;
  EXPECT_THAT(auth->Authorize(kQueue, Bearer(kViewerToken), "test", &role), IsOk());
  EXPECT_EQ(role, Role::kViewer);
  EXPECT_THAT(auth->Authorize(kSweep, Bearer(kViewerToken), "test", &role),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("needs the operator role; this token has viewer")));
  EXPECT_THAT(auth->Authorize(kSweep, Bearer(kOperatorToken), "test", &role), IsOk());
  EXPECT_EQ(role, Role::kOperator);
  EXPECT_THAT(auth->Authorize(kSweep, "bearer " + std::string(kAdminToken), "test", &role), IsOk())
      << "the scheme is case-insensitive";
  EXPECT_EQ(role, Role::kAdmin);
  EXPECT_THAT(auth->Authorize(kQueue, "", "test", &role), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth->Authorize(kQueue, kViewerToken, "test", &role), StatusIs(absl::StatusCode::kUnauthenticated))
      << "a token without the Bearer scheme";
  EXPECT_THAT(auth->Authorize(kQueue, Bearer("viewer-token-0123456789abcdeX"), "test", &role),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("viewer-token"))));
  EXPECT_THAT(auth->Authorize("/pulse.v1.RetentionService/Unknown", Bearer(kAdminToken), "test", &role),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not in Pulse's access table")));
  EXPECT_THAT(auth->Authorize("/pulse.v1.RetentionService/Unknown", "", "test", &role),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth->Authorize("/grpc.health.v1.Health/Check", "", "test", &role), IsOk());
  EXPECT_THAT(auth->AuthorizeRole(Role::kViewer, "GET /coverage", Bearer(kViewerToken), "test", &role), IsOk());
  // The caller's identity is the token's name.
  std::string identity = "stale";
  EXPECT_THAT(auth->Authorize(kSweep, Bearer(kOperatorToken), "test", &role, &identity), IsOk());
  EXPECT_EQ(identity, "operator-token-line-2");
  EXPECT_THAT(auth->Authorize(kQueue, Bearer("viewer-token-0123456789abcdeX"), "test", &role, &identity),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(identity, "");
  EXPECT_THAT(auth->Authorize("/grpc.health.v1.Health/Check", "", "test", &role, &identity), IsOk());
  EXPECT_EQ(identity, "");
  // Every token is a registered secret.
  EXPECT_EQ(Redact(absl::StrCat("x ", kOperatorToken, " y")), "x *** y");
}

TEST_F(TokenAuthorizerTest, RotationNeedsNoRestartAndABadFileKeepsTheOldTokens) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TokenAuthorizer> auth, TokenAuthorizer::Load(path_));
  Role role;
  ASSERT_THAT(auth->Authorize(kQueue, Bearer(kViewerToken), "test", &role), IsOk());
  const std::string rotated = "rotated-viewer-token-0123456789";
  WriteFile(path_, absl::StrCat("viewer ", rotated, "\n"));
  EXPECT_THAT(auth->Authorize(kQueue, Bearer(kViewerToken), "test", &role),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth->Authorize(kQueue, Bearer(rotated), "test", &role), IsOk());
  WriteFile(path_, "viewer\n");
  EXPECT_THAT(auth->Authorize(kQueue, Bearer(rotated), "test", &role), IsOk())
      << "a malformed file leaves the tokens read before in force";
}

TEST(TokenAuthorizerLoad, MissingOrEmptyFileIsAnError) {
  EXPECT_THAT(TokenAuthorizer::Load("/nonexistent/tokens"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("auth.tokens_file")));
}

}  // namespace
}  // namespace pulse
