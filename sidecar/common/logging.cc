#include "sidecar/common/logging.h"

#include <atomic>
#include <cstdio>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "sidecar/common/time_util.h"

namespace pulse {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

struct Secrets {
  absl::Mutex mu;
  std::vector<std::string> values ABSL_GUARDED_BY(mu);
};

Secrets& GetSecrets() {
  static Secrets* secrets = new Secrets();
  return *secrets;
}

absl::Mutex g_write_mu(absl::kConstInit);

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

bool ParseLogLevel(absl::string_view s, LogLevel* out) {
  if (s == "debug") *out = LogLevel::kDebug;
  else if (s == "info") *out = LogLevel::kInfo;
  else if (s == "warning" || s == "warn") *out = LogLevel::kWarning;
  else if (s == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

void RegisterSecret(absl::string_view secret) {
  // Very short values would redact ordinary words; they are not real secrets.
  if (secret.size() < 4) return;
  Secrets& s = GetSecrets();
  absl::MutexLock lock(&s.mu);
  for (const auto& v : s.values) {
    if (v == secret) return;
  }
  s.values.emplace_back(secret);
}

std::string Redact(absl::string_view text) {
  Secrets& s = GetSecrets();
  absl::MutexLock lock(&s.mu);
  std::string out(text);
  for (const auto& v : s.values) out = absl::StrReplaceAll(out, {{v, "***"}});
  return out;
}

void LogLine(LogLevel level, absl::string_view component, absl::string_view message) {
  static constexpr char kLetters[] = {'D', 'I', 'W', 'E'};
  const std::string line = absl::StrCat(FormatIsoTime(absl::Now()), " ", std::string(1, kLetters[static_cast<int>(level)]),
                                        " ", component, ": ", Redact(message), "\n");
  absl::MutexLock lock(&g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace pulse
