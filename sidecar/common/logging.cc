#include "sidecar/common/logging.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "sidecar/common/time_util.h"

namespace pulse {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};

struct Secrets {
  absl::Mutex mu;
  std::vector<std::string> values ABSL_GUARDED_BY(mu);
};

Secrets& GetSecrets() {
  static Secrets* secrets = new Secrets();
  return *secrets;
}

absl::Mutex g_write_mu(absl::kConstInit);

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it
// is not one (stray continuation byte, truncated, overlong, surrogate, > U+10FFFF).
size_t Utf8SequenceLength(absl::string_view s) {
  const auto b = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
  else return 0;
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// A JSON string literal for `text`, quotes included.
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  while (!text.empty()) {
    const unsigned char c = static_cast<unsigned char>(text[0]);
    const size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out += "\\ufffd";
      text.remove_prefix(1);
      continue;
    }
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) out += absl::StrFormat("\\u%04x", c);
    else out.append(text.data(), n);
    text.remove_prefix(n);
  }
  out.push_back('"');
  return out;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void SetLogFormat(LogFormat format) { g_format.store(static_cast<int>(format)); }
LogFormat GetLogFormat() { return static_cast<LogFormat>(g_format.load()); }

bool ParseLogFormat(absl::string_view s, LogFormat* out) {
  if (s == "text") *out = LogFormat::kText;
  else if (s == "json") *out = LogFormat::kJson;
  else return false;
  return true;
}

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

std::string FormatLogLine(absl::Time time, LogLevel level, absl::string_view component, absl::string_view message) {
  const int l = static_cast<int>(level);
  if (GetLogFormat() == LogFormat::kJson) {
    static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
    return absl::StrCat("{\"time\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()),
                        "\",\"level\":\"", kNames[l], "\",\"component\":", JsonString(component),
                        ",\"message\":", JsonString(Redact(message)), "}\n");
  }
  static constexpr char kLetters[] = {'D', 'I', 'W', 'E'};
  return absl::StrCat(FormatIsoTime(time), " ", std::string(1, kLetters[l]), " ", component, ": ", Redact(message),
                      "\n");
}

void LogLine(LogLevel level, absl::string_view component, absl::string_view message) {
  const std::string line = FormatLogLine(absl::Now(), level, component, message);
  absl::MutexLock lock(&g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace pulse
