// Runs sweeps on background threads so that no RPC handler ever waits for
// the CRM, and stops them cleanly on shutdown.
#ifndef PULSE_SIDECAR_SERVER_SWEEP_RUNNER_H_
#define PULSE_SIDECAR_SERVER_SWEEP_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/sweep/sweeper.h"

namespace pulse {

// Thread-safe.
class SweepRunner {
 public:
  using DoneCallback = std::function<void(const absl::StatusOr<pulse::v1::SweepReport>&)>;

  explicit SweepRunner(Sweeper* sweeper) : sweeper_(sweeper) {}
  SweepRunner(const SweepRunner&) = delete;
  SweepRunner& operator=(const SweepRunner&) = delete;
  ~SweepRunner() { Shutdown(); }

  // How much lower (in nice steps, capped at 19) a sweep thread's CPU priority
  // is than the process's: on a small machine a sweep's scoring and model fit
  // must not starve the gRPC threads that answer the API.
  static constexpr int kSweepNiceIncrement = 10;

  // Starts a sweep on a new thread, at the lower priority above; `progress`
  // and `done` are called on that thread. Returns false (and calls nothing)
  // after Shutdown().
  bool Start(const SweepRequest& request, SweepProgressCallback progress, DoneCallback done);

  // Sets a callback run after every sweep (e.g. to update health).
  void OnEverySweep(DoneCallback callback);

  // Cancels a running sweep and waits for all sweep threads to end.
  void Shutdown();

 private:
  Sweeper* sweeper_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::vector<Worker> workers_ ABSL_GUARDED_BY(mu_);
  DoneCallback every_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_SERVER_SWEEP_RUNNER_H_
