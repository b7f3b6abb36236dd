// GoogleTest matchers for absl::Status and absl::StatusOr (Abseil 20220623
// ships none): EXPECT_THAT(s, IsOk()); EXPECT_THAT(s, StatusIs(code));
// EXPECT_THAT(s, StatusIs(code, HasSubstr("line 3"))).
#ifndef PULSE_TESTS_TESTING_STATUS_MATCHERS_H_
#define PULSE_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace pulse::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + absl::StatusCodeToString(code) + " and a matching message") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace pulse::testing

// Unwraps a StatusOr in a test, failing it when not OK.
#define PULSE_ASSERT_OK_AND_ASSIGN(lhs, expr)                         \
  PULSE_ASSERT_OK_AND_ASSIGN_IMPL(PULSE_CONCAT(_st_, __LINE__), lhs, expr)
#define PULSE_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();     \
  lhs = std::move(*tmp)
#define PULSE_CONCAT_INNER(a, b) a##b
#define PULSE_CONCAT(a, b) PULSE_CONCAT_INNER(a, b)

#endif  // PULSE_TESTS_TESTING_STATUS_MATCHERS_H_
