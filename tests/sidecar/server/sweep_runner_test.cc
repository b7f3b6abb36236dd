// Sweeps run on their own threads at a lower CPU priority than the rest of the
// process, so that on a small machine they do not starve the API's threads.
#include "sidecar/server/sweep_runner.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "sidecar/store/store.h"
#include "tests/testing/memory_crm.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::IsOk;
using ::pulse::testing::MemoryCrm;
using ::pulse::testing::MemoryCrmState;

int ThisThreadsNice() {
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  EXPECT_EQ(errno, 0);
  return nice;
}

TEST(SweepRunner, RunsSweepsAtALowerPriorityThanTheCaller) {
  auto state = std::make_shared<MemoryCrmState>();
  StoreOptions options;
  options.path = ":memory:";
  auto store = Store::Open(options);
  ASSERT_THAT(store, IsOk());
  PulseConfig config;
  config.store_path = ":memory:";
  Sweeper sweeper(std::make_unique<MemoryCrm>(state), store->get(), config);
  SweepRunner runner(&sweeper);
  const int caller_nice = ThisThreadsNice();
  std::atomic<int> progress_nice{-100};
  std::atomic<int> done_nice{-100};
  absl::Notification done;
  ASSERT_TRUE(runner.Start(
      SweepRequest(), [&](const pulse::v1::SweepProgress&) { progress_nice = ThisThreadsNice(); },
      [&](const absl::StatusOr<pulse::v1::SweepReport>& report) {
        EXPECT_THAT(report.status(), IsOk());
        done_nice = ThisThreadsNice();
        done.Notify();
      }));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(60)));
  const int want = std::min(19, caller_nice + SweepRunner::kSweepNiceIncrement);
  EXPECT_EQ(progress_nice.load(), want) << "the sweep thread's nice value";
  EXPECT_EQ(done_nice.load(), want);
  EXPECT_EQ(ThisThreadsNice(), caller_nice) << "the caller's own priority is unchanged";
}

}  // namespace
}  // namespace pulse
