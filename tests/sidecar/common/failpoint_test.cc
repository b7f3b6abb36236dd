#include "sidecar/common/failpoint.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace pulse {
namespace {

TEST(Failpoint, ParsesKillAndKillAtN) {
  EXPECT_TRUE(SetFailpointsForTesting("a.b=kill, c=kill@3"));
  Failpoint("c");
  Failpoint("c");
  EXPECT_EQ(FailpointHits("c"), 2);
  EXPECT_EQ(FailpointHits("a.b"), 0);
  EXPECT_EQ(FailpointHits("unknown"), 0);
  Failpoint("unknown");  // harmless
  EXPECT_TRUE(SetFailpointsForTesting(""));
}

TEST(Failpoint, MalformedEntriesAreRefusedAndTheRestKept) {
  EXPECT_FALSE(SetFailpointsForTesting("x=explode,y=kill@0,=kill,z=kill@two,ok=kill@2"));
  Failpoint("x");
  Failpoint("y");
  Failpoint("ok");
  EXPECT_EQ(FailpointHits("x"), 0);
  EXPECT_EQ(FailpointHits("ok"), 1);
  EXPECT_TRUE(SetFailpointsForTesting(""));
}

TEST(FailpointDeathTest, KillsWithSigkillAtTheNthHit) {
  EXPECT_EXIT(
      {
        SetFailpointsForTesting("deliver.after_crm_write=kill@2");
        Failpoint("deliver.after_crm_write");
        Failpoint("deliver.after_crm_write");
        _exit(0);  // not reached
      },
      ::testing::KilledBySignal(SIGKILL), "");
  EXPECT_EXIT(
      {
        SetFailpointsForTesting("");
        Failpoint("deliver.after_crm_write");
        _exit(7);
      },
      ::testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace pulse
