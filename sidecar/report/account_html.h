// One account's page (pulse.v1.AccountView) as a self-contained HTML page,
// like the coverage report: the header (who, tier, owner, value, risk, the
// recommended action and why), owner history, the order timeline and the
// churn probability over time as inline SVG, then cadence, cases with
// first-response times, contacts made and by whom, contact persons,
// feedback, signals with evidence, and Pulse's tasks and decisions. No
// script, font or other external resource, a Content-Security-Policy that
// forbids them, and every string from the CRM escaped.
//
// Chart marks carry their figure for machines: data-metric (the AccountView
// field: "amount" / "orders" of an OrderMonth, "churn_probability" of a
// ScorePoint), data-month or data-date (which one) and data-value (printed
// so that it reads back to the same double).
#ifndef PULSE_SIDECAR_REPORT_ACCOUNT_HTML_H_
#define PULSE_SIDECAR_REPORT_ACCOUNT_HTML_H_

#include <string>

#include "pulse/v1/retention.pb.h"

namespace pulse {

// The whole page (UTF-8). Deterministic: the same view gives the same bytes.
std::string RenderAccountHtml(const pulse::v1::AccountView& view);

}  // namespace pulse

#endif  // PULSE_SIDECAR_REPORT_ACCOUNT_HTML_H_
