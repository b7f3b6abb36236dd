// The gRPC server in process, on a slow in-memory CRM: the input limits and
// the default deadline of streams whose client sets none.
#include "sidecar/server/pulse_server.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/server/auth.h"
#include "sidecar/store/store.h"
#include "tests/sidecar/store/scoped_temp_dir.h"
#include "tests/testing/memory_crm.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::MemoryCrm;
using ::pulse::testing::MemoryCrmState;
using ::testing::HasSubstr;
using ::testing::Not;

class PulseServerTest : public ::testing::Test {
 protected:
  void Start(const LimitsConfig& limits, std::shared_ptr<TokenAuthorizer> authorizer = nullptr) {
    state_ = std::make_shared<MemoryCrmState>();
    state_->hold_reads = &release_reads_;
    StoreOptions options;
    options.path = ":memory:";
    auto store = Store::Open(options);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    PulseConfig config;
    config.store_path = ":memory:";
    sweeper_ = std::make_unique<Sweeper>(std::make_unique<MemoryCrm>(state_), store_.get(), config);
    ServerParams params;
    params.listen = "127.0.0.1:0";
    params.periodic_sweeps = false;
    params.limits = limits;
    params.authorizer = std::move(authorizer);
    auto server = PulseServer::Start(sweeper_.get(), params);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    stub_ = pulse::v1::RetentionService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (!release_reads_.HasBeenNotified()) release_reads_.Notify();
    if (server_ != nullptr) server_->Shutdown();
  }

  // Runs a sweep to its end; the stream's status.
  grpc::Status Sweep(grpc::ClientContext* ctx, const std::string& as_of = "") {
    pulse::v1::RunSweepRequest request;
    request.set_as_of(as_of);
    auto reader = stub_->RunSweep(ctx, request);
    pulse::v1::RunSweepResponse event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  }

  absl::Notification release_reads_;
  std::shared_ptr<MemoryCrmState> state_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Sweeper> sweeper_;
  std::unique_ptr<PulseServer> server_;
  std::unique_ptr<pulse::v1::RetentionService::Stub> stub_;
};

TEST_F(PulseServerTest, AStreamWithoutClientDeadlineEndsAtTheDefaultOneAndTheSweepGoesOn) {
  LimitsConfig limits;
  limits.default_deadline = absl::Milliseconds(300);
  Start(limits);
  grpc::ClientContext ctx;
  const absl::Time t0 = absl::Now();
  grpc::Status s = Sweep(&ctx);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("limits.default_deadline"));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(10));
  // The sweep itself was not stopped: released, it finishes and is recorded.
  release_reads_.Notify();
  bool recorded = false;
  for (int i = 0; i < 100 && !recorded; ++i) {
    grpc::ClientContext list_ctx;
    pulse::v1::ListSweepsResponse sweeps;
    ASSERT_TRUE(stub_->ListSweeps(&list_ctx, pulse::v1::ListSweepsRequest(), &sweeps).ok());
    recorded = sweeps.sweeps_size() == 1 && sweeps.sweeps(0).status() != "running";
    if (!recorded) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(recorded);
}

TEST_F(PulseServerTest, AClientDeadlineWinsOverTheDefault) {
  LimitsConfig limits;
  limits.default_deadline = absl::Milliseconds(200);
  Start(limits);
  std::thread release([this] {
    absl::SleepFor(absl::Seconds(1));
    release_reads_.Notify();
  });
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Status s = Sweep(&ctx);
  release.join();
  EXPECT_NE(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
}

TEST_F(PulseServerTest, OversizedMessagesAndLongArgumentsAreRefusedNamingTheField) {
  LimitsConfig limits;
  limits.max_receive_message_bytes = 64 * 1024;
  Start(limits);
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueRequest big;
    big.set_owner_id(std::string(100 * 1024, 'x'));
    pulse::v1::ListContactQueueResponse unused;
    EXPECT_EQ(stub_->ListContactQueue(&ctx, big, &unused).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  const std::string long_value(300, 'z');
  auto expect_invalid = [&](const grpc::Status& s, const std::string& field) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(field));
    EXPECT_THAT(s.error_message(), Not(HasSubstr(long_value))) << "a long value is not echoed back";
  };
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueRequest r;
    r.set_owner_id(long_value);
    pulse::v1::ListContactQueueResponse unused;
    expect_invalid(stub_->ListContactQueue(&ctx, r, &unused), "owner_id");
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueRequest r;
    r.set_page_token(long_value);
    pulse::v1::ListContactQueueResponse unused;
    expect_invalid(stub_->ListContactQueue(&ctx, r, &unused), "page_token");
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::ListContactQueueRequest r;
    r.set_page_size(-1);
    pulse::v1::ListContactQueueResponse unused;
    expect_invalid(stub_->ListContactQueue(&ctx, r, &unused), "page_size");
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::GetAccountHealthRequest r;
    r.set_account_id(long_value);
    pulse::v1::AccountHealth unused;
    expect_invalid(stub_->GetAccountHealth(&ctx, r, &unused), "account_id");
  }
  for (const char* field : {"action", "tier"}) {
    grpc::ClientContext ctx;
    pulse::v1::GetUpliftReportRequest r;
    (std::string(field) == "action" ? r.mutable_action() : r.mutable_tier())->assign(long_value);
    pulse::v1::UpliftReport unused;
    expect_invalid(stub_->GetUpliftReport(&ctx, r, &unused), field);
  }
  {
    // Short but unknown values are refused too, naming the field.
    grpc::ClientContext ctx;
    pulse::v1::GetUpliftReportRequest r;
    r.set_action("hug");
    pulse::v1::UpliftReport unused;
    expect_invalid(stub_->GetUpliftReport(&ctx, r, &unused), "action: unknown action id 'hug'");
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::GetUpliftReportRequest r;
    r.set_tier("longtail");
    pulse::v1::UpliftReport unused;
    expect_invalid(stub_->GetUpliftReport(&ctx, r, &unused), "tier: must be key, mid or tail");
  }
  {
    grpc::ClientContext ctx;
    pulse::v1::ListSweepsRequest r;
    r.set_limit(501);
    pulse::v1::ListSweepsResponse unused;
    expect_invalid(stub_->ListSweeps(&ctx, r, &unused), "limit");
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    expect_invalid(Sweep(&ctx, long_value), "as_of");
  }
}

// With auth on, a handoff's audit log names the holder of the token the call
// came with (the tokens file's name), not whoever the client claims to be.
TEST_F(PulseServerTest, HandoffAuditNamesTheTokensHolderNotTheClientsClaim) {
  const std::string token = "operator-0e4d7a91c25b43f6a8d1";
  ::pulse::testing::ScopedTempDir dir;
  const std::string tokens_file = dir.File("tokens");
  std::ofstream(tokens_file) << "operator " << token << " olga@example.com\n";
  auto authorizer = TokenAuthorizer::Load(tokens_file);
  ASSERT_THAT(authorizer, IsOk());
  Start(LimitsConfig(), std::shared_ptr<TokenAuthorizer>(std::move(*authorizer)));
  release_reads_.Notify();

  HandoffPlanRecord plan;
  plan.from_user_id = "u1";
  plan.effective_day = "2026-06-01";
  plan.created_at = absl::Now();
  plan.requested_by = "olga@example.com";
  HandoffAuditRecord created;
  created.at = plan.created_at;
  created.requested_by = plan.requested_by;
  created.action = "plan";
  auto id = store_->AddHandoffPlan(plan, created);
  ASSERT_THAT(id, IsOk());

  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  pulse::v1::DiscardHandoffPlanRequest request;
  request.set_plan_id(*id);
  request.set_requested_by("mallory");
  pulse::v1::HandoffPlan response;
  const grpc::Status status = stub_->DiscardHandoffPlan(&ctx, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto stored = store_->GetHandoffPlan(*id);
  ASSERT_THAT(stored, IsOk());
  ASSERT_TRUE(stored->has_value());
  ASSERT_FALSE((*stored)->audit.empty());
  EXPECT_EQ((*stored)->audit.back().action, "discard");
  EXPECT_EQ((*stored)->audit.back().requested_by, "olga@example.com");
}

// GetAccountView over gRPC: a malformed id is refused naming the field
// whatever the server's state; then FAILED_PRECONDITION until a sweep has
// finished; then NOT_FOUND for an account it did not score.
TEST_F(PulseServerTest, GetAccountViewChecksItsArgumentThenNeedsASweepThenFindsTheAccount) {
  Start(LimitsConfig());
  release_reads_.Notify();
  {
    absl::MutexLock lock(&state_->mu);
    Account acme;
    acme.id = "a1";
    acme.name = "Acme";
    state_->data.accounts.push_back(acme);
  }
  auto view = [this](const std::string& id, pulse::v1::AccountView* out) {
    grpc::ClientContext ctx;
    pulse::v1::GetAccountViewRequest request;
    request.set_account_id(id);
    return stub_->GetAccountView(&ctx, request, out);
  };
  pulse::v1::AccountView v;
  for (const std::string& bad : {std::string(), std::string(300, 'z'), std::string("a\x01b")}) {
    const grpc::Status s = view(bad, &v);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("account_id"));
  }
  EXPECT_EQ(view("a1", &v).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ASSERT_TRUE(Sweep(&ctx).ok());
  }
  EXPECT_EQ(view("a2", &v).error_code(), grpc::StatusCode::NOT_FOUND);
  const grpc::Status ok = view("a1", &v);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(v.name(), "Acme");
  EXPECT_EQ(v.days_since_last_order(), -1) << "no order";
  ASSERT_EQ(v.score_history_size(), 1) << "the sweep recorded its first score";
  EXPECT_DOUBLE_EQ(v.score_history(0).churn_probability(), v.churn_probability());
}

}  // namespace
}  // namespace pulse
