// Handoff planning: when a seller leaves, who takes each of their accounts.
// A pure function of the accounts, the recipients and the policy: the same
// input always gives the same plan, with a reason for every assignment and
// every recipient's load before and after (docs/HANDOFF.md).
#ifndef PULSE_SIDECAR_ENGINE_HANDOFF_H_
#define PULSE_SIDECAR_ENGINE_HANDOFF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"

namespace pulse {

// One account as the planner needs it.
struct HandoffAccount {
  std::string account_id;
  std::string name;
  std::string owner_id;
  Tier tier = Tier::kTail;
  double annual_value = 0;
  double churn_probability = 0;
  std::string country;
  std::string industry;
};

struct HandoffRecipient {
  std::string user_id;
  std::string name;
  int weekly_capacity = 0;
};

struct HandoffInput {
  std::string from_user_id;
  // Every account of the departing owner and of the recipients (their
  // existing books); other accounts are ignored.
  std::vector<HandoffAccount> accounts;
  std::vector<HandoffRecipient> recipients;  // at least one
  HandoffPolicy policy;
};

struct HandoffAssignment {
  std::string account_id;
  std::string to_user_id;  // empty: no eligible recipient had room
  double weight = 0;
  std::string reason;
};

struct RecipientLoad {
  std::string user_id;
  std::string name;
  int weekly_capacity = 0;
  bool key_account_holder = false;
  int64_t accounts_before = 0;
  int64_t accounts_after = 0;
  double annual_value_before = 0;
  double annual_value_after = 0;
  double load_before = 0;
  double load_after = 0;
  double capacity = 0;  // load units
  double RelativeBefore() const { return weekly_capacity > 0 ? load_before / weekly_capacity : 0; }
  double RelativeAfter() const { return weekly_capacity > 0 ? load_after / weekly_capacity : 0; }
};

struct HandoffDistribution {
  std::vector<HandoffAssignment> assignments;  // heaviest account first
  std::vector<RecipientLoad> loads;            // by user id
  int64_t unassigned = 0;
};

// The load of one account under `policy`, given the team's mean annual value
// and churn probability (an average account weighs 1).
double HandoffWeight(const HandoffAccount& account, double mean_value, double mean_churn,
                     const HandoffPolicy& policy);

// Distributes the departing owner's accounts: heaviest first, each to the
// eligible recipient with the lowest load relative to weekly capacity after
// taking it (less a small affinity bonus), never beyond a recipient's
// capacity; key accounts only to key-account holders; ties by user id.
// InvalidArgument when there is no recipient, a recipient has no weekly
// capacity, or the departing owner is among the recipients.
absl::StatusOr<HandoffDistribution> DistributeHandoff(const HandoffInput& input);

// Recomputes the loads after `assignments` changed (a move), from the
// loads' before-values and the assignments' weights.
void RecomputeHandoffLoads(const std::vector<HandoffAssignment>& assignments,
                           const std::vector<HandoffAccount>& accounts, std::vector<RecipientLoad>* loads);

// The default recipients: active users who own at least one account in
// `portfolio`, except `from_user_id` and the pool users.
std::vector<std::string> DefaultHandoffRecipients(const Portfolio& portfolio, const std::string& from_user_id,
                                                  const std::vector<std::string>& pool_user_ids);

// The planner's input from a sweep's assessment and the CRM's accounts.
// InvalidArgument naming "to_user_ids" for an unknown or inactive recipient.
absl::StatusOr<HandoffInput> MakeHandoffInput(const Portfolio& portfolio, const std::vector<Account>& accounts,
                                              const std::string& from_user_id,
                                              const std::vector<std::string>& recipients,
                                              const ContactPolicy& contact, const HandoffPolicy& policy);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_HANDOFF_H_
