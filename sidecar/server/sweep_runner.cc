#include "sidecar/server/sweep_runner.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sidecar/common/logging.h"

namespace pulse {
namespace {

// Lowers the calling thread's CPU priority by kSweepNiceIncrement (Linux nice
// values are per thread and inherited by the threads it starts, such as the
// model fit's). Best effort: a failure only means the sweep competes with the
// API on equal terms.
void LowerThisThreadsPriority() {
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  if (setpriority(PRIO_PROCESS, tid, std::min(19, current + SweepRunner::kSweepNiceIncrement)) != 0) {
    LogDebug("sweep", "cannot lower the sweep thread's priority: ", std::strerror(errno));
  }
}

}  // namespace

bool SweepRunner::Start(const SweepRequest& request, SweepProgressCallback progress, DoneCallback done) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return false;
  // Join the threads of sweeps that have ended.
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->finished->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  auto finished = std::make_shared<std::atomic<bool>>(false);
  Worker worker;
  worker.finished = finished;
  worker.thread = std::thread([this, finished, request, progress = std::move(progress), done = std::move(done)] {
    LowerThisThreadsPriority();
    absl::StatusOr<pulse::v1::SweepReport> result = sweeper_->Run(request, progress);
    DoneCallback every;
    {
      absl::MutexLock lock(&mu_);
      every = every_;
    }
    if (every) every(result);
    if (done) done(result);
    finished->store(true);
  });
  workers_.push_back(std::move(worker));
  return true;
}

void SweepRunner::OnEverySweep(DoneCallback callback) {
  absl::MutexLock lock(&mu_);
  every_ = std::move(callback);
}

void SweepRunner::Shutdown() {
  std::vector<Worker> workers;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    workers.swap(workers_);
  }
  if (!workers.empty()) sweeper_->Cancel();
  for (Worker& w : workers) {
    if (w.thread.joinable()) w.thread.join();
  }
}

}  // namespace pulse
