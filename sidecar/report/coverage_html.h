// The coverage report as one self-contained HTML page: the summary sentence
// at the top, four inline SVG charts (tier breakdown, churn by tier, value at
// risk by owner, trend over time) and the figures as tables. No script, font
// or any other external resource, and a Content-Security-Policy that forbids
// them; every string that came from the CRM is escaped.
//
// Each chart mark carries its figure for machines: data-metric (the
// CoverageSegment / CoverageFigures / OwnerCoverage field it shows),
// data-segment, data-owner or data-as-of (which one), and data-value (the
// field's value, printed so that it reads back to the same double).
#ifndef PULSE_SIDECAR_REPORT_COVERAGE_HTML_H_
#define PULSE_SIDECAR_REPORT_COVERAGE_HTML_H_

#include <string>

#include "absl/strings/string_view.h"
#include "pulse/v1/retention.pb.h"

namespace pulse {

// The Content-Security-Policy of Pulse's pages (this one and the account
// page): no script, font, image or connection; only the inline style.
inline constexpr char kReportContentSecurityPolicy[] = "default-src 'none'; style-src 'unsafe-inline'";

// The whole page (UTF-8). Deterministic: the same report gives the same bytes.
std::string RenderCoverageHtml(const pulse::v1::CoverageReport& report);

// `text` with & < > " ' replaced by character references: safe in HTML text
// and in quoted attribute values.
std::string HtmlEscape(absl::string_view text);

}  // namespace pulse

#endif  // PULSE_SIDECAR_REPORT_COVERAGE_HTML_H_
