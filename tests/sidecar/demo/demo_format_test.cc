#include "sidecar/demo/demo_format.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace pulse::demo_internal {
namespace {

TEST(DemoFormatTest, IsoDayMatchesAbseilOverCenturies) {
  const absl::CivilDay epoch(1970, 1, 1);
  for (absl::CivilDay d(1899, 12, 25); d < absl::CivilDay(2101, 3, 5); d += 1) {
    std::string text;
    AppendIsoDay(d - epoch, &text);
    ASSERT_EQ(text, absl::FormatCivilTime(d));
  }
}

TEST(DemoFormatTest, IsoTimeMatchesAbseil) {
  for (int64_t s : {int64_t{0}, int64_t{59}, int64_t{86399}, int64_t{951782400}, int64_t{1764083696},
                    int64_t{-1}, int64_t{4102444799}}) {
    std::string text;
    AppendIsoTime(s, &text);
    EXPECT_EQ(text, absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(s), absl::UTCTimeZone()));
  }
}

TEST(DemoFormatTest, CentsHaveTwoDecimals) {
  auto cents = [](int64_t c) {
    std::string s;
    AppendCents(c, &s);
    return s;
  };
  EXPECT_EQ(cents(0), "0.00");
  EXPECT_EQ(cents(5), "0.05");
  EXPECT_EQ(cents(123450), "1234.50");
  EXPECT_EQ(cents(-7), "-0.07");
  EXPECT_EQ(cents(-1890), "-18.90");
}

TEST(DemoFormatTest, QuotesOnlyWhenNeeded) {
  auto field = [](absl::string_view f) {
    std::string s;
    AppendCsvField(f, &s);
    return s;
  };
  EXPECT_EQ(field("Kuopion Konepaja Oy"), "Kuopion Konepaja Oy");
  EXPECT_EQ(field(""), "");
  EXPECT_EQ(field("Laine, Lehtonen & Co Oy"), "\"Laine, Lehtonen & Co Oy\"");
  EXPECT_EQ(field("Socket set 1/2\" 24 pcs"), "\"Socket set 1/2\"\" 24 pcs\"");
  EXPECT_EQ(field("two\nlines"), "\"two\nlines\"");
}

}  // namespace
}  // namespace pulse::demo_internal
