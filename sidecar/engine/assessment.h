// What the engine concludes about each account: its signals with evidence,
// its churn probability and value at risk, and the action it recommends.
#ifndef PULSE_SIDECAR_ENGINE_ASSESSMENT_H_
#define PULSE_SIDECAR_ENGINE_ASSESSMENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sidecar/domain/records.h"

namespace pulse {

// What Pulse asks someone to do. Values match pulse.v1.Action.
enum class ActionKind {
  kNone = 0,
  kWinBack = 1,
  kServiceRecovery = 2,
  kCheckIn = 3,
  kReorderReminder = 4,
  kHealthCheck = 5,
  kOnboarding = 6,
  kGrowth = 7,
  kHandoverIntro = 8,
  // Proactive, not risk actions: planned only in the capacity the risk
  // actions leave (PlanContacts), never instead of one.
  kFeedbackRequest = 9,
  kRecognition = 10,
};
// Stable ids: "win_back", "service_recovery", "check_in", "reorder_reminder",
// "health_check", "onboarding", "growth", "handover_intro", "feedback_request",
// "recognition"; "" for kNone.
absl::string_view ActionId(ActionKind a);
std::optional<ActionKind> ParseActionId(absl::string_view id);

// Stable signal ids.
inline constexpr char kSignalStoppedOrdering[] = "stopped_ordering";
inline constexpr char kSignalVolumeFalling[] = "volume_falling";
inline constexpr char kSignalComplaintsRising[] = "complaints_rising";
inline constexpr char kSignalContactGap[] = "contact_gap";
inline constexpr char kSignalNoOwner[] = "no_owner";
inline constexpr char kSignalOwnerInactive[] = "owner_inactive";
inline constexpr char kSignalSlowResponse[] = "slow_first_response";
inline constexpr char kSignalContactFrequencyFalling[] = "contact_frequency_falling";
inline constexpr char kSignalKeyContactGone[] = "key_contact_gone";
inline constexpr char kSignalEngagementFalling[] = "engagement_falling";
inline constexpr char kSignalPriceTalk[] = "price_talk";
inline constexpr char kSignalGrowthPotential[] = "growth_potential";
inline constexpr char kSignalHealthCheckDue[] = "health_check_due";
inline constexpr char kSignalNewCustomer[] = "new_customer";
inline constexpr char kSignalNegativeFeedback[] = "negative_feedback";

// One reason to worry (or to act), with evidence a person can read.
struct Signal {
  std::string id;
  double strength = 0;  // 0..1
  std::string evidence;
};

// A product the account ordered regularly and has not reordered on time.
struct OverdueProduct {
  std::string sku;
  std::string product;
  int times_ordered = 0;
  double usual_interval_days = 0;
  int days_since_last = 0;
};

// How much one feature moved the learned churn model's log-odds for this
// account, relative to an average account (see features.h for the names).
struct FeatureContribution {
  std::string feature;
  double log_odds = 0;
};

struct AccountAssessment {
  std::string account_id;
  std::string name;
  std::string country;  // as in the CRM; picks the task language (contact.language_by_country)
  Tier tier = Tier::kTail;
  std::string owner_id;    // as in the CRM; may name an unknown user
  bool owner_active = false;  // owner set, known and active
  bool do_not_contact = false;

  double annual_value = 0;  // trailing-year revenue (annualised for young accounts)
  double churn_probability = 0;
  double value_at_risk = 0;  // churn_probability * annual_value
  std::string cadence_model;  // which model gave the base probability
  std::vector<Signal> signals;  // strongest first
  // With the learned model: the largest contributions, by absolute size.
  std::vector<FeatureContribution> contributions;

  ActionKind action = ActionKind::kNone;
  std::string action_reason;  // one line: why this action

  // Facts for people.
  int64_t orders_total = 0;
  std::optional<absl::CivilDay> first_order_day;
  std::optional<absl::CivilDay> last_order_day;
  double typical_gap_days = 0;  // 0 when no cadence yet
  double mean_gap_days = 0;
  int open_cases = 0;
  std::optional<absl::CivilDay> last_two_way_contact_day;
  // The latest contact we made: an outbound (or undirected) call, or a
  // meeting. Inbound calls and emails are the customer reaching us.
  std::optional<absl::CivilDay> last_proactive_contact_day;
  // The latest survey answer (feedback record) received, if any.
  std::optional<absl::CivilDay> last_feedback_day;
  std::vector<OverdueProduct> overdue_products;
};

struct LearnedState;  // scorer.h

// The engine's view of the whole customer base at one instant.
struct Portfolio {
  absl::Time as_of;
  std::vector<AccountAssessment> accounts;
  absl::flat_hash_map<std::string, size_t> index;  // account id -> position
  absl::flat_hash_map<std::string, User> users;    // by id
  std::vector<std::string> warnings;
  std::string cadence_model;  // population model used, e.g. "bgnbd"
  // How the churn probability was made: the learned model's training (cuts,
  // accounts, fit) or why the hand weights were used instead.
  std::string churn_model_summary;
  // The learned model this portfolio was scored with (null with the hand
  // weights), for a later scoring of the same day to reuse (ScoreParams).
  std::shared_ptr<const LearnedState> learned;

  const AccountAssessment* Find(absl::string_view account_id) const {
    auto it = index.find(account_id);
    return it == index.end() ? nullptr : &accounts[it->second];
  }
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_ASSESSMENT_H_
