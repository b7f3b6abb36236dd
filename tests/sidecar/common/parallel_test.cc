#include "sidecar/common/parallel.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace pulse {
namespace {

TEST(ParallelForTest, VisitsEveryIndexExactlyOnceForAnyThreadCountAndChunk) {
  for (int threads : {1, 2, 3, 8}) {
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{1000}, size_t{5000}}) {
      for (size_t n : {size_t{0}, size_t{1}, size_t{999}, size_t{4096}}) {
        std::vector<std::atomic<int>> hits(n);
        ParallelFor(n, threads, chunk, [&](size_t begin, size_t end) {
          ASSERT_LE(begin, end);
          ASSERT_LE(end, n);
          for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
        });
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " chunk " << chunk << " n " << n << " i " << i;
        }
      }
    }
  }
}

TEST(ParallelForTest, UsesSeveralThreadsWhenThereAreSeveralChunks) {
  std::mutex mu;
  std::set<std::thread::id> seen;
  ParallelFor(64, 4, 1, [&](size_t, size_t) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.insert(std::this_thread::get_id());
    }
    // Long enough that one thread cannot take every chunk before the others start.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  EXPECT_GT(seen.size(), 1u);
  EXPECT_LE(seen.size(), 4u);
}

TEST(ParallelForTest, RunsInlineWithOneThread) {
  const std::thread::id caller = std::this_thread::get_id();
  bool other_thread = false;
  ParallelFor(100, 1, 10, [&](size_t, size_t) { other_thread |= std::this_thread::get_id() != caller; });
  EXPECT_FALSE(other_thread);
}

TEST(ParallelForTest, ResolvesThreadCounts) {
  EXPECT_EQ(ResolveThreadCount(3), 3);
  EXPECT_EQ(ResolveThreadCount(1000), 64);
  EXPECT_GE(ResolveThreadCount(0), 1);
}

}  // namespace
}  // namespace pulse
