#include "sidecar/common/logging.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pulse {
namespace {

TEST(Redact, ReplacesEveryRegisteredSecret) {
  RegisterSecret("s3cr3t-token-value");
  EXPECT_EQ(Redact("Authorization: Bearer s3cr3t-token-value, again s3cr3t-token-value"),
            "Authorization: Bearer ***, again ***");
  EXPECT_EQ(Redact("nothing here"), "nothing here");
}

TEST(Redact, IgnoresTooShortValues) {
  RegisterSecret("ab");
  EXPECT_EQ(Redact("abc"), "abc");
}

}  // namespace
}  // namespace pulse

namespace pulse {
namespace {

// Restores the text format after each test: the format is process-wide.
class JsonLogTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogFormat(LogFormat::kJson); }
  void TearDown() override { SetLogFormat(LogFormat::kText); }
  static nlohmann::json Parse(const std::string& line) {
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one object per line";
    return nlohmann::json::parse(line);  // throws on invalid JSON or invalid UTF-8
  }
};

const absl::Time kTime = absl::FromUnixMillis(1795593600123);  // 2026-11-25T08:00:00.123Z

TEST_F(JsonLogTest, OneObjectWithTimeLevelComponentMessage) {
  const nlohmann::json j = Parse(FormatLogLine(kTime, LogLevel::kWarning, "sweep", "reading cases failed"));
  EXPECT_EQ(j.size(), 4u);
  EXPECT_EQ(j["time"], "2026-11-25T08:00:00.123Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["component"], "sweep");
  EXPECT_EQ(j["message"], "reading cases failed");
  EXPECT_EQ(Parse(FormatLogLine(kTime, LogLevel::kDebug, "c", "m"))["level"], "debug");
  EXPECT_EQ(Parse(FormatLogLine(kTime, LogLevel::kInfo, "c", "m"))["level"], "info");
  EXPECT_EQ(Parse(FormatLogLine(kTime, LogLevel::kError, "c", "m"))["level"], "error");
}

TEST_F(JsonLogTest, EscapesControlCharactersQuotesAndBackslashes) {
  const std::string message = "a \"quoted\" C:\\path\nnext\tline\r\x01\x1f\x7f end";
  const std::string line = FormatLogLine(kTime, LogLevel::kInfo, "csv \"x\"", message);
  EXPECT_EQ(Parse(line)["message"], message);
  EXPECT_EQ(Parse(line)["component"], "csv \"x\"");
  EXPECT_NE(line.find("\\u0001"), std::string::npos) << line;
}

TEST_F(JsonLogTest, ReplacesInvalidUtf8AndKeepsValidUtf8) {
  const std::string message = "Hyvää päivää \xff\xfe, truncated \xc3, overlong \xc0\xaf, surrogate \xed\xa0\x80 €";
  const nlohmann::json j = Parse(FormatLogLine(kTime, LogLevel::kInfo, "csv", message));
  EXPECT_EQ(j["message"],
            "Hyvää päivää \uFFFD\uFFFD, truncated \uFFFD, overlong \uFFFD\uFFFD, surrogate \uFFFD\uFFFD\uFFFD €");
}

TEST_F(JsonLogTest, RedactsSecrets) {
  RegisterSecret("json-secret-value-42");
  const nlohmann::json j = Parse(FormatLogLine(kTime, LogLevel::kError, "crm", "token json-secret-value-42 refused"));
  EXPECT_EQ(j["message"], "token *** refused");
}

TEST(LogFormat, TextIsTheDefaultAndParses) {
  EXPECT_EQ(GetLogFormat(), LogFormat::kText);
  EXPECT_EQ(FormatLogLine(absl::FromUnixSeconds(1795593600), LogLevel::kInfo, "sweep", "done"),
            "2026-11-25T08:00:00Z I sweep: done\n");
  LogFormat f;
  EXPECT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml", &f));
}

}  // namespace
}  // namespace pulse
