// One account's whole relationship in one message (pulse.v1.AccountView):
// the latest sweep's assessment (signals with evidence, churn probability,
// cadence, recommended action) joined with the account's own records from
// the store (orders by month, cases with first-response times, contacts
// made and by whom, contact persons, feedback, engagement), its owner
// history, its sparse score history, and Pulse's tasks and decisions.
//
// Reads only the one account's rows (by the store's account indexes), never
// the whole customer base. What GetAccountView answers and the account page
// (account_html.h) shows. docs/ACCOUNT_VIEW.md says where each part comes
// from.
#ifndef PULSE_SIDECAR_REPORT_ACCOUNT_VIEW_H_
#define PULSE_SIDECAR_REPORT_ACCOUNT_VIEW_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pulse/v1/retention.pb.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"
#include "sidecar/store/store.h"

namespace pulse {

struct AccountViewParams {
  // The sweep the portfolio comes from; records dated later are not shown.
  int64_t sweep_id = 0;
  absl::Time as_of;
  int queue_rank = 0;  // 0 when not in the queue
  // The first-response SLA by tier (engine's SignalPolicy).
  PerTier<double> first_response_sla_hours{4, 8, 24};
  // Cases, contacts made and engagement: the days before the as-of.
  int window_days = 365;
  // Longest list of each kind (newest first); the totals say how many more.
  int list_limit = 50;
  // Months in the order timeline, ending with the as-of's month.
  int order_months = 24;
};

// OK when `account_id` may name an account: not empty, at most 256 bytes,
// valid UTF-8 without control characters. Otherwise InvalidArgument naming
// the field ("account_id ...").
absl::Status ValidateAccountId(absl::string_view account_id);

// Fills `out` for `account_id` from `portfolio` (the latest sweep's) and
// `store`. NotFound when the portfolio did not score the account; the
// store's error when a read fails. Deterministic for its inputs.
absl::Status BuildAccountView(Store& store, const Portfolio& portfolio, absl::string_view account_id,
                              const AccountViewParams& params, pulse::v1::AccountView* out);

}  // namespace pulse

#endif  // PULSE_SIDECAR_REPORT_ACCOUNT_VIEW_H_
