// Helpers of the end-to-end tests of Pulse's HTML pages (coverage_test.cc,
// account_page_test.cc): the demo CRM with hostile names, the ports pulsed
// prints, Debian's headless Chromium, and the figures a page's chart marks
// carry.
#ifndef PULSE_TESTS_INTEGRATION_PAGE_TEST_UTIL_H_
#define PULSE_TESTS_INTEGRATION_PAGE_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sidecar/common/csv_reader.h"
#include "sidecar/common/csv_writer.h"
#include "tests/integration/child_process.h"

namespace pulse::testing {

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Debian's chromium on the PATH, or the browser $PULSE_CHROMIUM names; "" when there is none.
inline std::string FindChromium() {
  if (const char* env = std::getenv("PULSE_CHROMIUM"); env != nullptr && *env != '\0') return env;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path == nullptr ? "/usr/bin:/bin" : path, ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(dir, "/chromium");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Prefixes the `name` column of a CSV file with `prefix`, keeping everything else.
inline void PrefixNames(const std::filesystem::path& file, const std::string& prefix) {
  auto reader = CsvReader::Open(file.string());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::vector<std::string> header = (*reader)->header();
  std::string out = FormatCsvRecord(header);
  CsvRow row;
  std::string error;
  while ((*reader)->Next(&row, &error)) {
    std::vector<std::string> fields;
    for (const std::string& column : header) {
      fields.push_back(column == "name" ? absl::StrCat(prefix, row.Get(column)) : std::string(row.Get(column)));
    }
    out += FormatCsvRecord(fields);
  }
  ASSERT_TRUE(error.empty()) << error;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << out;
}

// The figures the page's chart marks (rect and circle elements with a
// data-metric) carry, by the values of `key_attributes` joined with '|'
// (a missing attribute is empty). Two marks with one key fail the test.
inline std::map<std::string, std::string> ChartMarks(const std::string& dom,
                                                     const std::vector<std::string>& key_attributes) {
  std::map<std::string, std::string> marks;
  const std::regex element(R"re(<(rect|circle)\b([^>]*)>)re");
  const std::regex attribute(R"re(([a-z-]+)="([^"]*)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), element); it != std::sregex_iterator(); ++it) {
    const std::string attributes = (*it)[2];
    std::map<std::string, std::string> a;
    for (auto at = std::sregex_iterator(attributes.begin(), attributes.end(), attribute);
         at != std::sregex_iterator(); ++at) {
      a[(*at)[1]] = (*at)[2];
    }
    if (a.count("data-metric") == 0) continue;
    std::vector<std::string> parts;
    for (const std::string& name : key_attributes) parts.push_back(a[name]);
    const std::string key = absl::StrJoin(parts, "|");
    EXPECT_EQ(marks.count(key), 0u) << "two marks for " << key;
    marks[key] = a["data-value"];
  }
  return marks;
}

// Checks that the marks carry exactly the expected figures, each reading back to the same double.
inline void ExpectMarksCarry(const std::map<std::string, std::string>& marks,
                             const std::map<std::string, double>& expected) {
  for (const auto& [key, value] : expected) {
    auto it = marks.find(key);
    if (it == marks.end()) {
      ADD_FAILURE() << "no chart mark for " << key;
      continue;
    }
    double drawn = 0;
    ASSERT_TRUE(absl::SimpleAtod(it->second, &drawn)) << key << ": " << it->second;
    EXPECT_DOUBLE_EQ(drawn, value) << key;
  }
  for (const auto& [key, value] : marks) EXPECT_EQ(expected.count(key), 1u) << "a mark for no figure: " << key;
}

// Reads the "<prefix> <port>" line pulsed prints; 0 (and a failure) when it does not come.
inline int ReadPort(ChildProcess& child, const std::string& prefix, const std::filesystem::path& log) {
  auto line = child.ReadLine(absl::Seconds(30));
  EXPECT_TRUE(line.has_value()) << "no '" << prefix << "' line; log:\n" << ReadFile(log);
  int port = 0;
  if (line.has_value()) {
    EXPECT_TRUE(absl::StartsWith(*line, prefix)) << *line;
    EXPECT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(' ') + 1), &port)) << *line;
  }
  return port;
}

// Runs headless Chromium on `url` with `args`, its profile and log in `dir`; returns its stdout.
inline std::string RunChromium(const std::string& chromium, const std::filesystem::path& dir,
                               const std::vector<std::string>& args, const std::string& url) {
  std::vector<std::string> argv = {chromium,         "--headless",         "--disable-gpu",
                                   "--no-sandbox",   "--no-first-run",     "--hide-scrollbars",
                                   absl::StrCat("--user-data-dir=", (dir / "chromium-profile").string())};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  auto [code, out] = RunCommand(argv, absl::Seconds(90), (dir / "chromium.log").string());
  EXPECT_EQ(code, 0) << absl::StrJoin(argv, " ") << "\n" << ReadFile(dir / "chromium.log");
  return out;
}

}  // namespace pulse::testing

#endif  // PULSE_TESTS_INTEGRATION_PAGE_TEST_UTIL_H_
