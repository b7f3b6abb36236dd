// Dates and times as Pulse reads and prints them: ISO 8601, UTC by default.
#ifndef PULSE_SIDECAR_COMMON_TIME_UTIL_H_
#define PULSE_SIDECAR_COMMON_TIME_UTIL_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pulse {

// Parses an ISO 8601 date ("2026-03-01", midnight UTC) or datetime
// ("2026-03-01T14:05:00", "2026-03-01 14:05:00", optional fractional seconds,
// optional "Z" or "+02:00" offset; no offset means UTC).
// Fails with InvalidArgument naming the text when it is neither.
absl::StatusOr<absl::Time> ParseIsoTime(absl::string_view text);

// Parses "YYYY-MM-DD" only.
absl::StatusOr<absl::CivilDay> ParseIsoDay(absl::string_view text);

// "2026-03-01T14:05:00Z".
std::string FormatIsoTime(absl::Time t);
// "2026-03-01" (UTC).
std::string FormatIsoDay(absl::Time t);
std::string FormatIsoDay(absl::CivilDay d);

// The UTC day an instant falls on.
absl::CivilDay UtcDay(absl::Time t);
// Midnight UTC at the start of `d`.
absl::Time StartOfDay(absl::CivilDay d);

// Whole days from `from` to `to` (may be negative), by UTC calendar day.
int64_t DaysBetween(absl::Time from, absl::Time to);

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_TIME_UTIL_H_
