#include "sidecar/common/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace pulse {
namespace {

struct Armed {
  int kill_at = 1;
  int hits = 0;
};

struct Registry {
  absl::Mutex mu;
  bool any ABSL_GUARDED_BY(mu) = false;
  absl::flat_hash_map<std::string, Armed> armed ABSL_GUARDED_BY(mu);
};

bool Parse(absl::string_view spec, absl::flat_hash_map<std::string, Armed>* out) {
  bool ok = true;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    Armed a;
    absl::string_view action = kv.second;
    const bool valid = !kv.first.empty() && absl::ConsumePrefix(&action, "kill") &&
                       (action.empty() || (absl::ConsumePrefix(&action, "@") && absl::SimpleAtoi(action, &a.kill_at) &&
                                           a.kill_at >= 1));
    if (!valid) {
      ok = false;
      continue;
    }
    (*out)[std::string(kv.first)] = a;
  }
  return ok;
}

// Read once, at the first failpoint; never destroyed (a failpoint may be hit
// while static objects are being torn down).
Registry& Init() {
  static Registry* registry = [] {
    Registry* r = new Registry;
    const char* env = std::getenv("PULSE_FAILPOINTS");
    if (env != nullptr && *env != '\0') {
      absl::MutexLock lock(&r->mu);
      if (!Parse(env, &r->armed)) {
        std::cerr << "pulse: PULSE_FAILPOINTS has a malformed entry (use NAME=kill or NAME=kill@N); "
                     "it is ignored\n";
      }
      r->any = !r->armed.empty();
    }
    return r;
  }();
  return *registry;
}

}  // namespace

void Failpoint(absl::string_view name) {
  Registry& r = Init();
  absl::MutexLock lock(&r.mu);
  if (!r.any) return;
  auto it = r.armed.find(name);
  if (it == r.armed.end()) return;
  if (++it->second.hits == it->second.kill_at) {
    // No cleanup, no flush: exactly what a crash leaves behind.
    kill(getpid(), SIGKILL);
  }
}

bool SetFailpointsForTesting(absl::string_view spec) {
  Registry& r = Init();
  absl::flat_hash_map<std::string, Armed> armed;
  const bool ok = Parse(spec, &armed);
  absl::MutexLock lock(&r.mu);
  r.armed = std::move(armed);
  r.any = !r.armed.empty();
  return ok;
}

int FailpointHits(absl::string_view name) {
  Registry& r = Init();
  absl::MutexLock lock(&r.mu);
  auto it = r.armed.find(name);
  return it == r.armed.end() ? 0 : it->second.hits;
}

}  // namespace pulse
