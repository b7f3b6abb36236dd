#include "adapters/csv/file_fingerprint.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/csv/csv_folder.h"
#include "tests/testing/status_matchers.h"

namespace pulse::csv_internal {
namespace {

using ::pulse::testing::CsvFolder;
using ::pulse::testing::IsOk;
using ::testing::Optional;

// The reference values of XXH64 with seed 0; the last input is longer than
// one 32-byte stripe.
TEST(ContentHasherTest, MatchesXxh64ReferenceVectors) {
  EXPECT_EQ(HashBytes(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(HashBytes("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(HashBytes("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(HashBytes("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
}

TEST(ContentHasherTest, PiecesOfAnySizeGiveTheSameHashAndPrefixDigests) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + (i * 7) % 26);
  for (size_t split = 0; split <= text.size(); split += 13) {
    ContentHasher hasher;
    hasher.Update(absl::string_view(text).substr(0, split));
    EXPECT_EQ(hasher.Digest(), HashBytes(absl::string_view(text).substr(0, split))) << split;
    hasher.Update(absl::string_view(text).substr(split));
    EXPECT_EQ(hasher.Digest(), HashBytes(text)) << split;
  }
}

TEST(CountLineEndsTest, CountsLfCrlfAndLoneCrOnceEach) {
  bool after_cr = false;
  EXPECT_EQ(CountLineEnds("a\nb\r\nc\rd", &after_cr), 3);
  EXPECT_FALSE(after_cr);
  // A '\r' at the end of one piece and '\n' at the start of the next is one line end.
  after_cr = false;
  EXPECT_EQ(CountLineEnds("a\r", &after_cr) + CountLineEnds("\nb", &after_cr), 1);
  after_cr = false;
  EXPECT_EQ(CountLineEnds("a\r", &after_cr) + CountLineEnds("b", &after_cr), 1);
}

TEST(WatermarkTest, RoundTripsAndRejectsForeignText) {
  FileFingerprint f;
  f.exists = true;
  f.size = 1234;
  f.mtime_ns = 1700000000123456789;
  f.hash = 0x9f86d081884c7d65ULL;
  const Watermark w{{"accounts.csv", f}, {"owner_changes.csv", FileFingerprint{}}, {"x.csv", std::nullopt}};
  const std::string text = EncodeWatermark(w);
  EXPECT_EQ(text, "v1;accounts.csv=1234@1700000000123456789#9f86d081884c7d65;owner_changes.csv=absent;x.csv=changing");
  EXPECT_EQ(DecodeWatermark(text), w);
  EXPECT_TRUE(DecodeWatermark("").empty());
  EXPECT_TRUE(DecodeWatermark("2026-01-01T00:00:00Z").empty());
  EXPECT_TRUE(DecodeWatermark("v1;a.csv=12@x#00").empty());
}

TEST(ScanFileTest, MissingFileIsNotAnError) {
  CsvFolder dir;
  absl::StatusOr<FileScan> scan = ScanFile(dir.File("none.csv"), nullptr);
  ASSERT_THAT(scan, IsOk());
  EXPECT_FALSE(scan->now.exists);
}

TEST(ScanFileTest, AppendAfterCompleteLineGivesTheAppendPoint) {
  CsvFolder dir;
  const std::string before = "id,note\r\n1,\"two\nlines\"\n";
  dir.Write("a.csv", before);
  absl::StatusOr<FileScan> first = ScanFile(dir.File("a.csv"), nullptr);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->now.size, static_cast<int64_t>(before.size()));
  EXPECT_EQ(first->now.hash, HashBytes(before));
  EXPECT_FALSE(first->append.has_value());

  dir.Append("a.csv", "2,x\n");
  absl::StatusOr<FileScan> second = ScanFile(dir.File("a.csv"), &first->now);
  ASSERT_THAT(second, IsOk());
  ASSERT_TRUE(second->append.has_value());
  EXPECT_EQ(second->append->offset, static_cast<int64_t>(before.size()));
  EXPECT_EQ(second->append->end, static_cast<int64_t>(before.size()) + 4);
  EXPECT_EQ(second->append->lines_before, 3);
}

TEST(ScanFileTest, RewriteOrTornOrOpenQuoteIsNotAnAppend) {
  CsvFolder dir;
  dir.Write("a.csv", "id\n1\n");
  absl::StatusOr<FileScan> first = ScanFile(dir.File("a.csv"), nullptr);
  ASSERT_THAT(first, IsOk());
  dir.Write("a.csv", "id\n9\n2\n");  // the earlier bytes changed
  absl::StatusOr<FileScan> rewritten = ScanFile(dir.File("a.csv"), &first->now);
  ASSERT_THAT(rewritten, IsOk());
  EXPECT_FALSE(rewritten->append.has_value());

  dir.Write("a.csv", "id\n1");  // the earlier last line had no line end
  absl::StatusOr<FileScan> torn = ScanFile(dir.File("a.csv"), nullptr);
  ASSERT_THAT(torn, IsOk());
  dir.Append("a.csv", "2\n");
  absl::StatusOr<FileScan> after_torn = ScanFile(dir.File("a.csv"), &torn->now);
  ASSERT_THAT(after_torn, IsOk());
  EXPECT_FALSE(after_torn->append.has_value());

  dir.Write("a.csv", "id,note\n1,\"open\n");  // the earlier bytes end inside quotes
  absl::StatusOr<FileScan> open = ScanFile(dir.File("a.csv"), nullptr);
  ASSERT_THAT(open, IsOk());
  dir.Append("a.csv", "quote\"\n");
  absl::StatusOr<FileScan> after_open = ScanFile(dir.File("a.csv"), &open->now);
  ASSERT_THAT(after_open, IsOk());
  EXPECT_FALSE(after_open->append.has_value());
}

TEST(ScanFileTest, SameBytesWithANewMtimeIsAnEmptyAppend) {
  CsvFolder dir;
  dir.Write("a.csv", "id\n1\n");
  absl::StatusOr<FileScan> first = ScanFile(dir.File("a.csv"), nullptr);
  ASSERT_THAT(first, IsOk());
  dir.SetMtime("a.csv", {1000, 0});
  absl::StatusOr<FileScan> touched = ScanFile(dir.File("a.csv"), &first->now);
  ASSERT_THAT(touched, IsOk());
  EXPECT_NE(touched->now, first->now);
  ASSERT_TRUE(touched->append.has_value());
  EXPECT_EQ(touched->append->offset, touched->append->end);
}

TEST(ScanFileTest, SameSizeAndMtimeButOtherBytesDiffersByHash) {
  CsvFolder dir;
  dir.Write("a.csv", "id\n1\n");
  const struct timespec mtime = dir.Mtime("a.csv");
  absl::StatusOr<FileScan> first = ScanFile(dir.File("a.csv"), nullptr);
  ASSERT_THAT(first, IsOk());
  dir.Write("a.csv", "id\n2\n");
  dir.SetMtime("a.csv", mtime);
  absl::StatusOr<FileScan> second = ScanFile(dir.File("a.csv"), &first->now);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->now.size, first->now.size);
  EXPECT_EQ(second->now.mtime_ns, first->now.mtime_ns);
  EXPECT_NE(second->now.hash, first->now.hash);
  EXPECT_FALSE(second->append.has_value());
}

}  // namespace
}  // namespace pulse::csv_internal
