#include "sidecar/common/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace pulse {

int ResolveThreadCount(int requested) {
  if (requested > 0) return std::min(requested, 64);
  const unsigned hw = std::thread::hardware_concurrency();
  return std::clamp(static_cast<int>(hw), 1, 64);
}

void ParallelFor(size_t n, int threads, size_t chunk, const std::function<void(size_t begin, size_t end)>& body) {
  if (n == 0) return;
  chunk = std::max<size_t>(chunk, 1);
  const size_t chunks = (n + chunk - 1) / chunk;
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), chunks);
  if (workers <= 1) {
    body(0, n);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t c = next++; c < chunks; c = next++) body(c * chunk, std::min(n, (c + 1) * chunk));
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t i = 1; i < workers; ++i) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace pulse
