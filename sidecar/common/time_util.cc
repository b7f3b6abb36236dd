#include "sidecar/common/time_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pulse {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

int ToInt(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

absl::Status Bad(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text, "' is not an ISO 8601 date or datetime (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z|+HH:MM])"));
}

}  // namespace

absl::StatusOr<absl::CivilDay> ParseIsoDay(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !AllDigits(text.substr(0, 4)) ||
      !AllDigits(text.substr(5, 2)) || !AllDigits(text.substr(8, 2))) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a date (expected YYYY-MM-DD)"));
  }
  const int y = ToInt(text.substr(0, 4));
  const int m = ToInt(text.substr(5, 2));
  const int d = ToInt(text.substr(8, 2));
  absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a valid calendar date"));
  }
  return day;
}

absl::StatusOr<absl::Time> ParseIsoTime(absl::string_view text) {
  const absl::string_view original = text;
  text = absl::StripAsciiWhitespace(text);
  if (text.size() < 10) return Bad(original);
  auto day = ParseIsoDay(text.substr(0, 10));
  if (!day.ok()) return Bad(original);
  if (text.size() == 10) return StartOfDay(*day);
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return Bad(original);
  absl::string_view rest = text.substr(11);
  // HH:MM[:SS[.fff]]
  if (rest.size() < 5 || rest[2] != ':' || !AllDigits(rest.substr(0, 2)) || !AllDigits(rest.substr(3, 2))) {
    return Bad(original);
  }
  const int hh = ToInt(rest.substr(0, 2));
  const int mm = ToInt(rest.substr(3, 2));
  int ss = 0;
  absl::Duration frac = absl::ZeroDuration();
  rest.remove_prefix(5);
  if (!rest.empty() && rest[0] == ':') {
    if (rest.size() < 3 || !AllDigits(rest.substr(1, 2))) return Bad(original);
    ss = ToInt(rest.substr(1, 2));
    rest.remove_prefix(3);
    if (!rest.empty() && (rest[0] == '.' || rest[0] == ',')) {
      size_t n = 1;
      while (n < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[n]))) ++n;
      if (n == 1) return Bad(original);
      absl::string_view digits = rest.substr(1, std::min<size_t>(n - 1, 9));
      int64_t nanos = 0;
      for (char c : digits) nanos = nanos * 10 + (c - '0');
      for (size_t i = digits.size(); i < 9; ++i) nanos *= 10;
      frac = absl::Nanoseconds(nanos);
      rest.remove_prefix(n);
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return Bad(original);
  absl::Duration offset = absl::ZeroDuration();
  if (!rest.empty()) {
    if (rest == "Z" || rest == "z") {
      // UTC.
    } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':' &&
               AllDigits(rest.substr(1, 2)) && AllDigits(rest.substr(4, 2))) {
      offset = absl::Hours(ToInt(rest.substr(1, 2))) + absl::Minutes(ToInt(rest.substr(4, 2)));
      if (rest[0] == '-') offset = -offset;
    } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 5 && AllDigits(rest.substr(1, 4))) {
      offset = absl::Hours(ToInt(rest.substr(1, 2))) + absl::Minutes(ToInt(rest.substr(3, 2)));
      if (rest[0] == '-') offset = -offset;
    } else {
      return Bad(original);
    }
  }
  const absl::CivilSecond cs(day->year(), day->month(), day->day(), hh, mm, ss);
  return absl::FromCivil(cs, absl::UTCTimeZone()) + frac - offset;
}

std::string FormatIsoTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string FormatIsoDay(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

std::string FormatIsoDay(absl::CivilDay d) { return absl::FormatCivilTime(d); }

absl::CivilDay UtcDay(absl::Time t) { return absl::ToCivilDay(t, absl::UTCTimeZone()); }

absl::Time StartOfDay(absl::CivilDay d) { return absl::FromCivil(d, absl::UTCTimeZone()); }

int64_t DaysBetween(absl::Time from, absl::Time to) { return UtcDay(to) - UtcDay(from); }

}  // namespace pulse
