// The engine's knobs: tiers, signal thresholds, the churn combination, and the
// contact policy. Defaults are sensible for a B2B wholesaler; the YAML config
// (sidecar/config) overrides any of them.
#ifndef PULSE_SIDECAR_ENGINE_ENGINE_CONFIG_H_
#define PULSE_SIDECAR_ENGINE_ENGINE_CONFIG_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "sidecar/domain/records.h"
#include "sidecar/engine/task_templates.h"

namespace pulse {

// One value per account tier. Built from one value (every tier the same) or
// three; For() reads the account's tier's value (an unspecified tier reads
// the long tail's, as the scorer treats it).
template <typename T>
struct PerTier {
  T key{};
  T mid{};
  T tail{};
  PerTier() = default;
  PerTier(T all) : key(all), mid(all), tail(all) {}  // NOLINT: implicit on purpose, `= 2.0` reads well
  PerTier(T key_value, T mid_value, T tail_value) : key(key_value), mid(mid_value), tail(tail_value) {}
  const T& For(Tier tier) const { return tier == Tier::kKey ? key : tier == Tier::kMid ? mid : tail; }
  bool operator==(const PerTier& o) const { return key == o.key && mid == o.mid && tail == o.tail; }
  bool operator!=(const PerTier& o) const { return !(*this == o); }
};

struct TierPolicy {
  // Key accounts: the largest accounts that together hold this share of the
  // trailing-year revenue...
  double key_revenue_share = 0.40;
  // ...but never more than this share of the accounts.
  double key_max_account_share = 0.05;
  // Mid accounts: the next largest accounts, this share of all accounts.
  double mid_account_share = 0.20;
  // Use the CRM's own tier field when an account has one.
  bool use_crm_tier = true;
};

// Every threshold and window is per tier (PerTier: one value for all tiers
// or one per tier); min_orders_for_cadence and price_terms are not, as the
// cadence is estimated before tiers are assigned and the words are the
// customers' language, not a tier's.
struct SignalPolicy {
  // Stopped ordering: the days since the last order exceed this many typical
  // gaps (the median of the account's own gaps between orders)...
  PerTier<double> overdue_ratio = 2.0;
  // ...and at least this many days.
  PerTier<int> overdue_min_days = 21;
  // Fewest orders before an account has a cadence of its own.
  int min_orders_for_cadence = 3;
  // Volume falling: revenue in the last `volume_window_days` vs the account's
  // baseline (the year before, scaled; or the same window last year when
  // there are two years of history) dropped by at least this share.
  PerTier<int> volume_window_days = 180;
  PerTier<double> volume_drop_share = 0.35;
  // Complaints rising: at least this many cases in the window, and more than
  // `complaint_rise_ratio` times the account's own baseline rate.
  PerTier<int> complaint_window_days = 90;
  PerTier<int> complaint_min_cases = 2;
  PerTier<double> complaint_rise_ratio = 2.0;
  // Contact gap: no two-way contact (call, meeting, inbound email) for
  // longer than the tier's norm, in days.
  PerTier<int> contact_gap_days{60, 120, 365};

  // Slow first responses: in the window, at least `slow_response_min_cases`
  // cases first answered later than the tier's SLA (hours), or much later
  // than the account's own usual.
  PerTier<int> slow_response_window_days = 90;
  PerTier<int> slow_response_min_cases = 2;
  PerTier<double> first_response_sla_hours{4, 8, 24};
  // Contact frequency falling: two-way contacts in the window vs the year
  // before (scaled), dropped by at least this share, from a baseline of at
  // least `contact_frequency_min_baseline` contacts.
  PerTier<int> contact_frequency_window_days = 180;
  PerTier<double> contact_frequency_drop_share = 0.5;
  PerTier<int> contact_frequency_min_baseline = 3;
  // Key contact gone: a contact deactivated within this many days with no
  // two-way contact with the account since.
  PerTier<int> key_contact_window_days = 180;
  // Engagement falling: newsletter open rate in the window vs the account's
  // earlier rate, dropped by at least this share (at least `engagement_min_sent`
  // newsletters in each).
  PerTier<int> engagement_window_days = 90;
  PerTier<double> engagement_drop_share = 0.5;
  PerTier<int> engagement_min_sent = 4;
  // Talk turning to price: at least `price_talk_min_mentions` recent cases,
  // activities or feedback comments containing one of these terms.
  PerTier<int> price_talk_window_days = 90;
  PerTier<int> price_talk_min_mentions = 2;
  std::vector<std::string> price_terms = {
      "price", "pricing", "discount", "cheaper", "expensive", "competitor", "quote", "rebate",
      "hinta", "hinnan", "hinnat", "alennus", "alennu", "halvempi", "halvemma", "kallis", "kilpailija", "tarjous"};
  // Growth potential: revenue in the volume window up this share on the same
  // period last year (or the time before, scaled).
  PerTier<double> growth_rise_share = 0.3;
  // Key accounts: a relationship health check (a meeting) every this many days.
  PerTier<int> health_check_interval_days = 365;
  // New customers: first order within this many days, no two-way contact since.
  PerTier<int> onboarding_days = 90;
  // Negative feedback within the window: NPS at most / CSAT at most.
  PerTier<int> negative_feedback_window_days = 180;
  PerTier<double> nps_detractor_max = 6;
  PerTier<double> csat_negative_max = 2;
};

// How signals shift the cadence model's probability of no order: log-odds
// added per unit of signal strength. Learned from history in later versions;
// these priors are deliberately modest.
struct ChurnWeights {
  double volume_falling = 0.8;
  double complaints_rising = 0.6;
  double contact_gap = 0.3;
  double no_owner = 0.2;
  double owner_inactive = 0.4;
  double slow_first_response = 0.3;
  double contact_frequency_falling = 0.3;
  double key_contact_gone = 0.4;
  double engagement_falling = 0.2;
  double price_talk = 0.3;
  // Satisfaction alone predicts loyalty poorly: a modest weight.
  double negative_feedback = 0.2;
};

// The learned churn model: a regularised logistic regression over the
// features in features.h, trained on each sweep by replaying earlier cuts of
// the same data (labels end on or before the as-of: no look-ahead). When the
// history is too short to train, the hand weights in ChurnWeights are used.
struct ChurnModelPolicy {
  // Learn the combination from history when there is enough of it.
  bool learn = true;
  // Training cuts at as-of minus k label windows, k = 1..max_training_cuts.
  int max_training_cuts = 4;
  // Fewer labelled accounts than this (over all cuts), or one class only:
  // fall back to the hand weights.
  int min_training_accounts = 200;
  // Accounts sampled per training cut (deterministically, by id).
  int max_accounts_per_cut = 25000;
  // Accounts the population BG/NBD fit reads (a systematic sample beyond).
  int max_fit_accounts = 20000;
  // L2 penalty on the standardised coefficients (in units of log-likelihood).
  double l2 = 1.0;
  // When whole horizons do not fit into the history, shorter label windows
  // (horizon / 2, / 3, / 4) are tried down to this many days.
  int min_label_window_days = 14;
};

struct ContactPolicy {
  // Horizon of the churn probability: P(no order within this many days).
  int horizon_days = 90;
  // An account is "at risk" from this churn probability on.
  double at_risk_probability = 0.5;
  // Risk actions are only planned from this churn probability on.
  double min_churn_probability = 0.35;
  // Tasks per owner per week when the CRM does not say.
  int default_weekly_capacity = 15;
  // Users who take tasks for accounts without an active owner (never key
  // accounts), by load.
  std::vector<std::string> pool_user_ids;
  // Key accounts without an active owner go to these users (e.g. the sales
  // manager); empty = they stay unassigned and show in the queue.
  std::vector<std::string> key_account_user_ids;
  // Proactive tasks (feedback requests, recognition) take at most this share
  // of each person's weekly capacity, and only what the risk tasks left.
  double proactive_capacity_share = 0.2;
  // No new task for the same account and action within this many days.
  int same_reason_cooldown_days = 30;
  // No new task of any kind for an account within this many days of the last.
  int account_cooldown_days = 14;
  // "en" or "fi": the tasks' language unless language_by_country says
  // otherwise for the account's country (e.g. {FI: fi}).
  std::string language = "en";
  std::map<std::string, std::string> language_by_country;
  // The words of the tasks: the defaults, with contact.templates_file
  // (absolute after loading) applied over them.
  std::string templates_file;
  TaskTemplates templates = DefaultTaskTemplates();
  // Prior effectiveness of each action (share of at-risk value it keeps),
  // by action id ("win_back", ...). Missing ids use 0.2.
  std::map<std::string, double> effectiveness = {
      {"win_back", 0.30},       {"service_recovery", 0.35}, {"check_in", 0.20},
      {"reorder_reminder", 0.10}, {"health_check", 0.15},   {"onboarding", 0.25},
      {"growth", 0.10},         {"handover_intro", 0.25},   {"feedback_request", 0.03},
      {"recognition", 0.05}};
  // Share of each tier's accounts ("key", "mid", "tail") held out: they get
  // no tasks, so that the tasks' effect can be measured against them.
  // Assigned by a salted hash on first sight and recorded; 0 disables.
  std::map<std::string, double> holdout_share = {{"key", 0.10}, {"mid", 0.10}, {"tail", 0.10}};
  // Actions never withheld from a holdout account. Feedback requests and
  // recognition are not saves and are planned for low-risk accounts; see
  // docs/CONTACT_POLICY.md ("The holdout").
  std::vector<std::string> holdout_exempt_actions = {"handover_intro", "feedback_request", "recognition"};
  // The measured effect replaces the prior once both arms of an action have
  // this many matured decisions...
  int effect_min_per_arm = 30;
  // ...weighted n / (n + this) against the prior, n the smaller arm.
  double effect_prior_weight = 100;
};

// Handing over a departing seller's accounts (handoff: in the config;
// docs/HANDOFF.md).
struct HandoffPolicy {
  // How much each part weighs in an account's load. Each part is relative to
  // the team's average account, so an average account weighs 1 in total.
  double value_weight = 1.0;    // annual value
  double account_weight = 1.0;  // one account is one account
  double risk_weight = 1.0;     // churn probability
  // A recipient's capacity, in load units, is its weekly capacity times the
  // team's load per weekly task after the handoff, times (1 + headroom).
  // So no one ends more than `capacity_headroom` above a perfectly level team.
  double capacity_headroom = 0.2;
  // Users who may take key accounts; empty = recipients who already hold one.
  std::vector<std::string> key_account_holders;
  // "none", "country" or "industry": prefer recipients whose book has
  // accounts alike, by up to `affinity_bonus` of relative load.
  std::string affinity = "country";
  double affinity_bonus = 0.05;
  // Days a handed-over account is watched: its risk tasks are planned from
  // contact.min_churn_probability x watch_threshold_factor.
  int watch_days = 90;
  double watch_threshold_factor = 0.5;
};

// Feedback requests (docs/CONTACT_POLICY.md, "Feedback requests"): a short
// survey invitation for mid and tail accounts not asked recently, sampled, in
// the capacity the risk tasks leave. Key accounts are asked before their
// yearly health check (its task says so) instead.
struct FeedbackPolicy {
  bool enabled = true;
  // An account counts as asked when it had a Pulse feedback_request task or
  // sent a feedback answer within this many days; it is not asked again
  // before that.
  int ask_interval_days = 365;
  // At most this share of each tier's accounts ("mid", "tail") is asked per
  // calendar month (Pulse's requests this month count), and at most a
  // quarter of that in one week. 0 = the tier is never asked.
  std::map<std::string, double> monthly_share = {{"mid", 0.10}, {"tail", 0.05}};
  // A request counts as answered when feedback arrives within this many days.
  int answer_window_days = 30;
};

// Recognition (docs/CONTACT_POLICY.md, "Recognition"): a thank-you from the
// owner to a long-standing, steadily ordering, valuable account we have not
// reached out to for a long time. Planned only in the capacity the risk tasks
// leave.
struct RecognitionPolicy {
  bool enabled = true;
  // Tiers eligible ("key", "mid", "tail").
  std::vector<std::string> tiers = {"key", "mid"};
  // Customer (first order) for at least this many days.
  int min_tenure_days = 730;
  // No contact from us (an outbound call or a meeting; the customer's own
  // calls and emails do not count) for at least this many days.
  int quiet_days = 180;
  // Only for accounts at or below this churn probability.
  double max_churn_probability = 0.2;
  // At most this many recognition tasks per owner per week.
  int max_per_owner_per_week = 2;
  // No second recognition for an account within this many days.
  int interval_days = 365;
};

struct EngineConfig {
  TierPolicy tiers;
  SignalPolicy signals;
  ChurnWeights weights;
  ChurnModelPolicy churn_model;
  ContactPolicy contact;
  HandoffPolicy handoff;
  FeedbackPolicy feedback;
  RecognitionPolicy recognition;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_ENGINE_CONFIG_H_
