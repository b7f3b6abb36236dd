// The handoff workflow behind the Handoff RPCs (docs/HANDOFF.md): detect
// departed owners, plan and store how their accounts are distributed, let a
// manager change or discard the plan, and apply (or revert) it in the CRM.
//
// Apply follows the outbox rule of the sweep: the owner changes and the intro
// tasks are stored first (with deterministic keys), then delivered, each
// marked after the CRM confirmed it. A crash or a CRM failure half-way leaves
// a state that a second apply (or the next sweep) completes without doing
// anything twice. Apply and revert hold the sweeper's run lock, so they never
// interleave with a sweep: Aborted while one runs.
//
// Thread-safe.
#ifndef PULSE_SIDECAR_HANDOFF_HANDOFF_WORKFLOW_H_
#define PULSE_SIDECAR_HANDOFF_HANDOFF_WORKFLOW_H_

#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "pulse/v1/retention.pb.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {

// The key of a plan's owner change for one account; revert adds ":revert".
std::string HandoffOwnerChangeKey(int64_t plan_id, const std::string& account_id, bool revert);

class HandoffWorkflow {
 public:
  // `sweeper` must outlive the workflow.
  explicit HandoffWorkflow(Sweeper* sweeper) : sweeper_(sweeper) {}
  HandoffWorkflow(const HandoffWorkflow&) = delete;
  HandoffWorkflow& operator=(const HandoffWorkflow&) = delete;

  // Each returns InvalidArgument naming the field for a bad argument,
  // FailedPrecondition before the first sweep (where the latest assessment
  // is needed) or when the plan's status does not allow the operation,
  // NotFound for an unknown plan, and the store's or the CRM's errors.
  absl::Status List(const pulse::v1::ListHandoffsRequest& request, pulse::v1::ListHandoffsResponse* response);
  absl::Status Plan(const pulse::v1::PlanHandoffRequest& request, pulse::v1::HandoffPlan* response);
  absl::Status Get(const pulse::v1::GetHandoffPlanRequest& request, pulse::v1::HandoffPlan* response);
  absl::Status Move(const pulse::v1::MoveHandoffAccountRequest& request, pulse::v1::HandoffPlan* response);
  absl::Status Discard(const pulse::v1::DiscardHandoffPlanRequest& request, pulse::v1::HandoffPlan* response);
  // Aborted while a sweep runs.
  absl::Status Apply(const pulse::v1::ApplyHandoffRequest& request, pulse::v1::HandoffPlan* response);
  absl::Status Revert(const pulse::v1::RevertHandoffRequest& request, pulse::v1::HandoffPlan* response);

 private:
  absl::Status Fill(int64_t plan_id, bool include_briefs, pulse::v1::HandoffPlan* out);

  Sweeper* sweeper_;
  // Serializes the changes of plans (plan, move, discard, apply, revert).
  absl::Mutex mu_;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_HANDOFF_HANDOFF_WORKFLOW_H_
