// The pulse.v1.RetentionService implementation (gRPC callback API). Handlers
// read the latest sweep's immutable snapshot and the local store; sweeps run
// on the SweepRunner's threads, so no handler waits for the CRM.
#ifndef PULSE_SIDECAR_SERVER_RETENTION_SERVICE_H_
#define PULSE_SIDECAR_SERVER_RETENTION_SERVICE_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "pulse/v1/retention.grpc.pb.h"
#include "sidecar/handoff/handoff_workflow.h"
#include "sidecar/server/sweep_runner.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {

// The one place where absl::Status becomes grpc::Status.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The latest sweep's coverage report as the API's message: what
// GetCoverageReport answers and pulsed's /coverage page shows.
// FailedPrecondition before the first sweep has finished.
absl::Status LatestCoverageReport(const Sweeper& sweeper, pulse::v1::CoverageReport* out);

// One account's view from the latest sweep and the store: what
// GetAccountView answers and pulsed's /accounts/ID page shows.
// InvalidArgument for a malformed id (naming account_id), NotFound for an
// account the latest sweep did not score, FailedPrecondition before the
// first sweep has finished.
absl::Status LatestAccountView(const Sweeper& sweeper, const std::string& account_id, pulse::v1::AccountView* out);

class RetentionServiceImpl final : public pulse::v1::RetentionService::CallbackService {
 public:
  // Both must outlive the service. A RunSweep stream whose client set no
  // deadline ends with DEADLINE_EXCEEDED after `default_deadline` (the sweep
  // goes on); unary calls never wait, so they need none.
  RetentionServiceImpl(Sweeper* sweeper, SweepRunner* runner, absl::Duration default_deadline = absl::Hours(1))
      : sweeper_(sweeper), runner_(runner), default_deadline_(default_deadline), handoffs_(sweeper) {}

  grpc::ServerWriteReactor<pulse::v1::RunSweepResponse>* RunSweep(
      grpc::CallbackServerContext* context, const pulse::v1::RunSweepRequest* request) override;
  grpc::ServerUnaryReactor* ListContactQueue(grpc::CallbackServerContext* context,
                                             const pulse::v1::ListContactQueueRequest* request,
                                             pulse::v1::ListContactQueueResponse* response) override;
  grpc::ServerUnaryReactor* GetAccountHealth(grpc::CallbackServerContext* context,
                                             const pulse::v1::GetAccountHealthRequest* request,
                                             pulse::v1::AccountHealth* response) override;
  grpc::ServerUnaryReactor* ListSweeps(grpc::CallbackServerContext* context,
                                       const pulse::v1::ListSweepsRequest* request,
                                       pulse::v1::ListSweepsResponse* response) override;
  grpc::ServerUnaryReactor* GetUpliftReport(grpc::CallbackServerContext* context,
                                            const pulse::v1::GetUpliftReportRequest* request,
                                            pulse::v1::UpliftReport* response) override;
  grpc::ServerUnaryReactor* GetCoverageReport(grpc::CallbackServerContext* context,
                                              const pulse::v1::GetCoverageReportRequest* request,
                                              pulse::v1::CoverageReport* response) override;
  grpc::ServerUnaryReactor* GetAccountView(grpc::CallbackServerContext* context,
                                           const pulse::v1::GetAccountViewRequest* request,
                                           pulse::v1::AccountView* response) override;
  // Handoffs (docs/HANDOFF.md): the logic is in HandoffWorkflow.
  grpc::ServerUnaryReactor* ListHandoffs(grpc::CallbackServerContext* context,
                                         const pulse::v1::ListHandoffsRequest* request,
                                         pulse::v1::ListHandoffsResponse* response) override;
  grpc::ServerUnaryReactor* PlanHandoff(grpc::CallbackServerContext* context,
                                        const pulse::v1::PlanHandoffRequest* request,
                                        pulse::v1::HandoffPlan* response) override;
  grpc::ServerUnaryReactor* GetHandoffPlan(grpc::CallbackServerContext* context,
                                           const pulse::v1::GetHandoffPlanRequest* request,
                                           pulse::v1::HandoffPlan* response) override;
  grpc::ServerUnaryReactor* MoveHandoffAccount(grpc::CallbackServerContext* context,
                                               const pulse::v1::MoveHandoffAccountRequest* request,
                                               pulse::v1::HandoffPlan* response) override;
  grpc::ServerUnaryReactor* DiscardHandoffPlan(grpc::CallbackServerContext* context,
                                               const pulse::v1::DiscardHandoffPlanRequest* request,
                                               pulse::v1::HandoffPlan* response) override;
  grpc::ServerUnaryReactor* ApplyHandoff(grpc::CallbackServerContext* context,
                                         const pulse::v1::ApplyHandoffRequest* request,
                                         pulse::v1::HandoffPlan* response) override;
  grpc::ServerUnaryReactor* RevertHandoff(grpc::CallbackServerContext* context,
                                          const pulse::v1::RevertHandoffRequest* request,
                                          pulse::v1::HandoffPlan* response) override;
  HandoffWorkflow& handoffs() { return handoffs_; }

  // The handlers' logic, callable without gRPC (tests, CLI).
  absl::Status DoListContactQueue(const pulse::v1::ListContactQueueRequest& request,
                                  pulse::v1::ListContactQueueResponse* response) const;
  absl::Status DoGetAccountHealth(const pulse::v1::GetAccountHealthRequest& request,
                                  pulse::v1::AccountHealth* response) const;
  absl::Status DoListSweeps(const pulse::v1::ListSweepsRequest& request, pulse::v1::ListSweepsResponse* response) const;
  absl::Status DoGetUpliftReport(const pulse::v1::GetUpliftReportRequest& request,
                                 pulse::v1::UpliftReport* response) const;
  absl::Status DoGetCoverageReport(const pulse::v1::GetCoverageReportRequest& request,
                                   pulse::v1::CoverageReport* response) const;
  absl::Status DoGetAccountView(const pulse::v1::GetAccountViewRequest& request,
                                pulse::v1::AccountView* response) const;

 private:
  Sweeper* sweeper_;
  SweepRunner* runner_;
  const absl::Duration default_deadline_;
  HandoffWorkflow handoffs_;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_SERVER_RETENTION_SERVICE_H_
