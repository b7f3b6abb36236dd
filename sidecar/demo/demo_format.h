// Fast text for the demo data set's timestamps, amounts and CSV fields: a
// million-account data set has well over a hundred million of them, too many
// for absl::FormatTime.
#ifndef PULSE_SIDECAR_DEMO_DEMO_FORMAT_H_
#define PULSE_SIDECAR_DEMO_DEMO_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace pulse::demo_internal {

// "2026-03-01" for days since 1970-01-01.
void AppendIsoDay(int64_t days_since_epoch, std::string* out);
// "2026-03-01T14:05:00Z" for seconds since 1970-01-01T00:00:00Z.
void AppendIsoTime(int64_t unix_seconds, std::string* out);
// "1234.50", "-12.00" for an amount in cents.
void AppendCents(int64_t cents, std::string* out);
// The field as RFC 4180 wants it: quoted, with quotes doubled, when it holds
// a comma, a quote or a line break; as it is otherwise.
void AppendCsvField(absl::string_view field, std::string* out);

}  // namespace pulse::demo_internal

#endif  // PULSE_SIDECAR_DEMO_DEMO_FORMAT_H_
