// One small logger for the whole sidecar (Abseil 20220623 has no absl/log).
// Lines go to stderr, by default as text for terminals:
//   2026-11-25T08:00:00Z I sweep: message
// or, with SetLogFormat(LogFormat::kJson), one JSON object per line for log
// collectors:
//   {"time":"2026-11-25T08:00:00Z","level":"info","component":"sweep","message":"..."}
// Thread-safe. Registered secrets are redacted from every message in both
// formats; still never pass secrets: use Redact() for anything that may hold one.
#ifndef PULSE_SIDECAR_COMMON_LOGGING_H_
#define PULSE_SIDECAR_COMMON_LOGGING_H_

#include <string>
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "absl/strings/str_cat.h"

namespace pulse {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning", "error".
bool ParseLogLevel(absl::string_view s, LogLevel* out);

enum class LogFormat { kText = 0, kJson = 1 };

void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();
// Parses "text", "json".
bool ParseLogFormat(absl::string_view s, LogFormat* out);

// The line LogLine writes (with its trailing newline), in the current format,
// at `time`. The message is redacted; in JSON, control characters, quotes and
// backslashes are escaped and bytes that are not valid UTF-8 become U+FFFD.
std::string FormatLogLine(absl::Time time, LogLevel level, absl::string_view component, absl::string_view message);

// Registers a secret value: every later log line has it replaced by "***".
void RegisterSecret(absl::string_view secret);
// Returns `text` with every registered secret replaced by "***".
std::string Redact(absl::string_view text);

void LogLine(LogLevel level, absl::string_view component, absl::string_view message);

template <typename... Args>
void LogInfo(absl::string_view component, const Args&... args) {
  if (GetLogLevel() <= LogLevel::kInfo) LogLine(LogLevel::kInfo, component, absl::StrCat(args...));
}
template <typename... Args>
void LogWarning(absl::string_view component, const Args&... args) {
  if (GetLogLevel() <= LogLevel::kWarning) LogLine(LogLevel::kWarning, component, absl::StrCat(args...));
}
template <typename... Args>
void LogError(absl::string_view component, const Args&... args) {
  LogLine(LogLevel::kError, component, absl::StrCat(args...));
}
template <typename... Args>
void LogDebug(absl::string_view component, const Args&... args) {
  if (GetLogLevel() <= LogLevel::kDebug) LogLine(LogLevel::kDebug, component, absl::StrCat(args...));
}

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_LOGGING_H_
