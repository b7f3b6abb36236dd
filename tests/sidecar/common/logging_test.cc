#include "sidecar/common/logging.h"

#include "gtest/gtest.h"

namespace pulse {
namespace {

TEST(Redact, ReplacesEveryRegisteredSecret) {
  RegisterSecret("s3cr3t-token-value");
  EXPECT_EQ(Redact("Authorization: Bearer s3cr3t-token-value, again s3cr3t-token-value"),
            "Authorization: Bearer ***, again ***");
  EXPECT_EQ(Redact("nothing here"), "nothing here");
}

TEST(Redact, IgnoresTooShortValues) {
  RegisterSecret("ab");
  EXPECT_EQ(Redact("abc"), "abc");
}

}  // namespace
}  // namespace pulse
