#include "sidecar/demo/demo_format.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace pulse::demo_internal {
namespace {

void AppendDigits(int64_t value, int width, std::string* out) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

}  // namespace

void AppendIsoDay(int64_t days_since_epoch, std::string* out) {
  // Howard Hinnant's civil_from_days: exact for the proleptic Gregorian
  // calendar, no tables, no time zone database.
  const int64_t z = days_since_epoch + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
}

void AppendIsoTime(int64_t unix_seconds, std::string* out) {
  int64_t days = unix_seconds / 86400;
  int64_t second_of_day = unix_seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  AppendIsoDay(days, out);
  out->push_back('T');
  AppendDigits(second_of_day / 3600, 2, out);
  out->push_back(':');
  AppendDigits(second_of_day / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(second_of_day % 60, 2, out);
  out->push_back('Z');
}

void AppendCents(int64_t cents, std::string* out) {
  if (cents < 0) out->push_back('-');
  const int64_t magnitude = std::llabs(cents);
  AppendDigits(magnitude / 100, 1, out);
  out->push_back('.');
  AppendDigits(magnitude % 100, 2, out);
}

void AppendCsvField(absl::string_view field, std::string* out) {
  bool plain = true;
  for (char c : field) {
    // A plain loop: absl::string_view::find_first_of builds a table per call.
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace pulse::demo_internal
