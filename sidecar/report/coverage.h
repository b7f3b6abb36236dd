// The coverage and portfolio report: how much of the customer base, and of
// its revenue, sits outside any care model; for each tier and for the
// accounts without an active owner, how they churn, how often they are
// talked to and what is at risk; each owner's book and workload; and the
// same figures for earlier periods. docs/COVERAGE.md explains every figure.
//
// The care model: a key account with an account team, or a mid account with
// a named seller, is looked after by a person. The CRM has no team field, so
// an account counts as covered exactly when it is a key or mid account AND
// its owner is an active CRM user. The long tail, and any account whose
// owner is empty, unknown or inactive, is outside any care model.
//
// Pure: no I/O, no clock. The RPC, pulsectl and the HTML page all show the
// one CoverageReport computed here, so their figures agree.
#ifndef PULSE_SIDECAR_REPORT_COVERAGE_H_
#define PULSE_SIDECAR_REPORT_COVERAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"
#include "sidecar/engine/planner.h"

namespace pulse {

// Segment ids, in the order reports list them.
inline constexpr char kSegmentKey[] = "key";
inline constexpr char kSegmentMid[] = "mid";
inline constexpr char kSegmentTail[] = "tail";
inline constexpr char kSegmentUnowned[] = "unowned";  // no active owner, any tier
inline constexpr char kSegmentAll[] = "all";

// True when the account is inside a care model: a key or mid account whose
// owner is an active CRM user.
bool InCareModel(const AccountAssessment& account);

// One group of accounts at one as-of day.
struct SegmentFigures {
  std::string segment;  // kSegment...
  int64_t accounts = 0;
  // Revenue of the 365 days ending on the as-of day: per account the sum of
  // its orders (credits netted), floored at 0.
  double revenue = 0;
  double revenue_share = 0;  // of all accounts' revenue; 0 when that is 0
  int64_t accounts_without_active_owner = 0;
  double without_active_owner_share = 0;  // of `accounts`
  // Churn over the last period: of the accounts that ordered in the 365
  // days before the period began (churn_base), those with no order in it.
  // Only orders with a positive amount count here (a credit is not ordering).
  int64_t churn_base = 0;
  int64_t churned = 0;
  double churn_rate = 0;  // churned / churn_base; 0 when churn_base is 0
  // Accounts whose last two-way contact falls in the contact window (the
  // `contact_window_days` days ending on the as-of day).
  int64_t contacted = 0;
  double contacted_share = 0;  // of `accounts`
  // Median of the days since the last two-way contact over the accounts
  // that have one on record; 0 when none has.
  int64_t accounts_with_two_way_contact = 0;
  double median_days_since_two_way_contact = 0;
  int64_t open_complaints = 0;  // cases open as of the as-of day
  // At risk: churn probability at least the at-risk threshold.
  int64_t accounts_at_risk = 0;
  double value_at_risk = 0;  // sum of the at-risk accounts' value at risk
  int64_t accounts_outside_care = 0;
  double revenue_outside_care = 0;
};

// The whole customer base at one as-of day.
struct CoverageFigures {
  absl::CivilDay as_of;
  int64_t accounts = 0;
  double revenue = 0;
  int64_t accounts_outside_care = 0;
  double accounts_outside_care_share = 0;
  double revenue_outside_care = 0;
  double revenue_outside_care_share = 0;  // 0 when there is no revenue
  // key, mid, tail, unowned, all; always all five, in that order.
  std::vector<SegmentFigures> segments;

  const SegmentFigures* Segment(absl::string_view id) const;
};

// One person's book and workload.
struct OwnerFigures {
  std::string user_id;
  std::string name;
  bool active = false;  // a known, active CRM user
  bool pool = false;    // in contact.pool_users: takes accounts without an active owner
  int64_t accounts = 0;  // book size: accounts the CRM says they own
  double revenue = 0;
  int64_t accounts_at_risk = 0;
  double value_at_risk = 0;
  // Pulse's tasks assigned to them, not failed, created within the open-task
  // window before the as-of, plus those planned by this sweep.
  int64_t open_tasks = 0;
  int weekly_capacity = 0;
  int tasks_this_week = 0;     // counted against the capacity (the as-of's ISO week)
  double capacity_used = 0;    // tasks_this_week / weekly_capacity; 0 without capacity
};

// An account outside any care model, among the largest by revenue.
struct UncoveredAccount {
  std::string account_id;
  std::string name;
  Tier tier = Tier::kTail;
  std::string owner_id;
  bool owner_active = false;
  double revenue = 0;
  double churn_probability = 0;
  double value_at_risk = 0;
};

// Survey coverage of one tier ("key", "mid", "tail") or of "all" accounts.
// An account counts as asked when it sent a feedback answer (any feedback
// record) or Pulse created a feedback_request task for it (the task ledger)
// within the ask interval ending on the as-of day.
struct SurveyFigures {
  std::string segment;
  int64_t accounts = 0;
  double revenue = 0;  // 365-day revenue, as in SegmentFigures
  int64_t asked = 0;
  double asked_share = 0;  // of `accounts`
  double revenue_asked = 0;
  double revenue_asked_share = 0;  // of `revenue`; 0 when that is 0
  // Pulse's feedback requests created within the ask interval and at least
  // the answer window before the as-of (so each had its full window), and of
  // them those followed by a feedback answer within the answer window.
  int64_t requests = 0;
  int64_t answered = 0;
  double answer_rate = 0;  // answered / requests; 0 when there are none
};

struct CoverageReport {
  CoverageFigures current;
  // key, mid, tail, all; always all four, in that order.
  std::vector<SurveyFigures> survey;
  int ask_interval_days = 0;
  int answer_window_days = 0;
  std::vector<OwnerFigures> owners;  // by value at risk, then user id
  // Earlier as-of days replayed with the same engine, oldest first, ending
  // with `current`.
  std::vector<CoverageFigures> trend;
  // How many trend points were replayed for this report (the rest were kept
  // from earlier ones: CoverageWork::trend_cache).
  int trend_replayed = 0;
  std::vector<UncoveredAccount> largest_outside_care;  // by revenue, largest first
  std::string currency;  // of most orders in the year; "" when none
  std::string summary;   // the one sentence at the top
  bool activities_available = false;  // the CRM has activities at all
  int period_days = 0;
  int contact_window_days = 0;
  double at_risk_probability = 0;
};

struct CoverageParams {
  // The churn period and the step between trend points.
  int period_days = 90;
  // "Contacted": a two-way contact within this many days.
  int contact_window_days = 90;
  // Earlier points in the trend (each `period_days` before the next).
  int trend_periods = 4;
  // How many of the largest accounts outside any care model to list.
  int largest_outside_care = 10;
  // A task counts as open this many days after it was created (the planner's
  // same-reason cooldown: within it, Pulse treats the task as still open).
  int open_task_days = 30;
  // From the engine's FeedbackPolicy: survey coverage.
  int ask_interval_days = 365;
  int answer_window_days = 30;
  // From the engine's ContactPolicy.
  double at_risk_probability = 0.5;
  int default_weekly_capacity = 15;
  std::vector<std::string> pool_user_ids;
};

// The parameters a sweep uses: the period is the churn horizon, the rest
// from the contact policy.
CoverageParams CoverageParamsFrom(const EngineConfig& config);

// The figures of `portfolio` (scored as of portfolio.as_of from `data`).
// Revenue and churn are read from data.orders dated on or before the as-of.
CoverageFigures ComputeCoverageFigures(const CustomerData& data, const Portfolio& portfolio,
                                       const CoverageParams& params);

// What the sweep knows about Pulse's own work, for the owners' table.
struct CoverageWork {
  const ContactPlan* plan = nullptr;  // this sweep's plan; null = none
  std::vector<LedgerTask> recent_tasks;  // from the task ledger
  // Trend points already replayed, by day: a point found here is used as it
  // is, a point replayed now is added. The caller drops the points that
  // records it has since stored may change (Sweeper). Null = replay all.
  std::map<absl::CivilDay, CoverageFigures>* trend_cache = nullptr;
};

// The full report: `portfolio` is `data` scored as of portfolio.as_of with
// `config`; each trend point re-scores `data` as of the end of an earlier
// day with the same config (only records dated on or before it are seen).
CoverageReport BuildCoverageReport(const CustomerData& data, const EngineConfig& config, const Portfolio& portfolio,
                                   const CoverageWork& work, const CoverageParams& params);

// The sentence at the top of the report, e.g. "EUR 1,200 of EUR 10,000
// revenue in the last 365 days (12.0 %) comes from 7 of 10 accounts (70.0 %)
// outside any care model: the long tail and accounts without an active owner."
std::string CoverageSentence(const CoverageFigures& figures, absl::string_view currency);

}  // namespace pulse

#endif  // PULSE_SIDECAR_REPORT_COVERAGE_H_
