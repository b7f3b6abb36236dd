// The next-best-contact queue: who should contact which account, why and how,
// ranked by expected value kept, within each assignee's weekly capacity, with
// no second open task for the same account and reason.
#ifndef PULSE_SIDECAR_ENGINE_PLANNER_H_
#define PULSE_SIDECAR_ENGINE_PLANNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

// A task Pulse created earlier, as the planner needs to know it.
struct LedgerTask {
  std::string key;
  std::string account_id;
  std::string assignee_id;
  std::string action;  // ActionId
  absl::Time created_at;
  bool failed = false;  // given up: does not block a new task
  // A decision withheld from a holdout account: it blocks a repeat within the
  // cooldowns, as a real task would, but uses no one's capacity.
  bool holdout = false;
};

// Values match pulse.v1.QueueStatus.
enum class PlanStatus {
  kTaskPlanned = 1,
  kAlreadyOpen = 3,
  kDeferredCapacity = 4,
  kUnassigned = 5,
  kSuppressed = 6,
  kHoldout = 7,  // would have been planned; withheld to measure the effect
};

struct QueueItem {
  size_t account = 0;  // index into Portfolio::accounts
  ActionKind action = ActionKind::kNone;
  double priority = 0;  // churn probability x annual value x effectiveness
  std::string assignee_id;
  bool pool = false;
  absl::CivilDay due_day;
  TaskType task_type = TaskType::kCall;
  std::string subject;
  std::string description;
  std::string task_key;  // deterministic: account, action and ISO week
  PlanStatus status = PlanStatus::kTaskPlanned;
  std::string status_detail;
  // Planned in the capacity a holdout account freed (see PlanContacts).
  bool backfill = false;
  // Withheld from a holdout account in this plan (not in an earlier one).
  bool held_out_now = false;
  // Not a risk task (a feedback request or a recognition): planned in the
  // proactive pass, after every risk item; status_detail says why.
  bool proactive = false;
};

struct ContactPlan {
  std::vector<QueueItem> queue;  // ranked, highest priority first
  int64_t planned = 0;
  int64_t already_open = 0;
  int64_t deferred_capacity = 0;
  int64_t unassigned = 0;
  int64_t suppressed = 0;
  int64_t holdout = 0;  // decisions withheld in this plan
  // Weekly capacity and tasks counted against it, per assignee.
  struct Load {
    int capacity = 0;
    int used_before = 0;  // tasks created earlier this week
    int planned = 0;      // planned now
  };
  std::vector<std::pair<std::string, Load>> loads;  // sorted by user id
};

struct PlanParams {
  absl::Time now;
  // Pulse's tasks created within the longest cooldown (and this week).
  std::vector<LedgerTask> recent_tasks;
  // Accounts in the holdout.
  absl::flat_hash_set<std::string> holdout_accounts;
  // Effectiveness by action id to use instead of the configured prior (the
  // measured effect, blended; see uplift.h).
  std::map<std::string, double> effectiveness;
  // Accounts in a handoff watch period (docs/HANDOFF.md): their risk tasks
  // are planned from contact.min_churn_probability x
  // handoff.watch_threshold_factor, so signals fire earlier.
  absl::flat_hash_set<std::string> watched_accounts;
};

// The deterministic task key: "pulse:<account>:<action>:<ISO year>-W<week>".
std::string MakeTaskKey(const std::string& account_id, ActionKind action, absl::CivilDay day);

// Plans the queue. Deterministic for the same input.
//
// Holdout: a holdout account's item goes through the same rules (assignee,
// cooldowns, capacity) as any other and, where it would have been planned,
// is marked kHoldout instead. The two arms are thus chosen by one rule and
// compare fairly. The capacity it freed goes to the next items deferred for
// capacity with the same assignee (marked `backfill`), so no one's week is
// left partly empty.
//
// Proactive pass: after every risk item (and the backfill), recognitions and
// then feedback requests are planned in the capacity that is left, so they
// never displace a risk task. An account with any risk item in this plan, or
// in its account cooldown, gets neither. Only planned proactive items are
// listed (marked `proactive`); an account not reached is a candidate again in
// the next sweep. See docs/CONTACT_POLICY.md.
ContactPlan PlanContacts(const Portfolio& portfolio, const EngineConfig& config, const PlanParams& params);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_PLANNER_H_
