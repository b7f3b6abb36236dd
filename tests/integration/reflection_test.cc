// The server reflection and standard health services of a real pulsed, so
// that grpcurl and Kubernetes' grpc probes work against it.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/child_process.h"
#include "tests/testing/paths.h"

namespace pulse {
namespace {

namespace fs = std::filesystem;
using ::pulse::testing::ChildProcess;
using ::pulse::testing::RunCommand;

std::string Binary(const std::string& name) { return ::pulse::testing::CliBinary(name); }

TEST(Reflection, ListsTheRetentionAndHealthServices) {
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("pulse-reflection-", getpid());
  fs::remove_all(dir);
  auto [code, out] = RunCommand({Binary("pulsed"), "demo", "--out", dir.string(), "--accounts", "50", "--end-date",
                                 "2026-06-30"});
  ASSERT_EQ(code, 0) << out;
  auto server = ChildProcess::Start({Binary("pulsed"), "serve", "--config", (dir / "pulse.yaml").string(),
                                     "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                                    (dir / "pulsed.log").string());
  ASSERT_TRUE(server.has_value());
  auto line = server->ReadLine(absl::Seconds(30));
  ASSERT_TRUE(line.has_value());
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(' ') + 1), &port)) << *line;

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names, ::testing::IsSupersetOf({"pulse.v1.RetentionService", "grpc.health.v1.Health"}));
  while (stream->Read(&response)) {
  }
  EXPECT_TRUE(stream->Finish().ok());

  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pulse
