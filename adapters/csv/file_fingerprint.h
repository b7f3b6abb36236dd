// How the CSV adapter tells what changed in a file since the last sync without
// parsing it: a fingerprint (size, mtime, a 64-bit content hash) per file, an
// opaque watermark made of the fingerprints of the files behind one entity,
// and the check "the file is the earlier one with records appended".
//
// Internal to the CSV adapter; exposed in a header so that it can be tested.
#ifndef PULSE_ADAPTERS_CSV_FILE_FINGERPRINT_H_
#define PULSE_ADAPTERS_CSV_FILE_FINGERPRINT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pulse::csv_internal {

// XXH64 (seed 0), fed in pieces of any size. Digest() may be called at any
// point and gives the hash of the bytes fed so far, so the hash of a prefix
// comes out of the same pass that hashes the whole file.
class ContentHasher {
 public:
  ContentHasher();
  void Update(absl::string_view bytes);
  uint64_t Digest() const;
  uint64_t length() const { return total_; }

 private:
  void Stripe(const unsigned char* p);
  uint64_t acc_[4];
  uint64_t total_ = 0;
  unsigned char pending_[32];
  size_t pending_size_ = 0;
};

// XXH64 of `bytes` in one call.
uint64_t HashBytes(absl::string_view bytes);

// What a file looked like at one moment.
struct FileFingerprint {
  bool exists = false;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t hash = 0;
  bool operator==(const FileFingerprint& o) const {
    return exists == o.exists && size == o.size && mtime_ns == o.mtime_ns && hash == o.hash;
  }
  bool operator!=(const FileFingerprint& o) const { return !(*this == o); }
};

// Where the new records of an appended file start.
struct AppendPoint {
  int64_t offset = 0;        // the earlier size: new bytes start here
  int64_t end = 0;           // the size that was hashed: new bytes end here
  int64_t lines_before = 0;  // physical lines in [0, offset), as CsvReader counts them
};

struct FileScan {
  FileFingerprint now;
  // Set when the file holds exactly the earlier bytes followed by new ones,
  // and the earlier bytes ended with a complete record (a line end outside
  // quotes). With no new bytes (only the mtime moved) offset == end.
  std::optional<AppendPoint> append;
};

// Stats and hashes `path`. A missing file gives now.exists == false, not an
// error. `earlier` (may be null) is the fingerprint from the last sync; the
// append check is made against it. Fails with Unavailable/PermissionDenied
// when the file exists but cannot be read.
absl::StatusOr<FileScan> ScanFile(const std::string& path, const FileFingerprint* earlier);

// Size and mtime only (no hashing): to see whether a file moved while it was
// being read. A missing file has exists == false.
FileFingerprint StatFile(const std::string& path);

// Physical lines as CsvReader counts them: '\n', "\r\n" and a lone '\r' each
// end one line. `after_cr` carries a '\r' seen at the end of the previous piece.
int64_t CountLineEnds(absl::string_view bytes, bool* after_cr);

// The watermark of one entity: the fingerprints of its files by file name.
// A file whose fingerprint is std::nullopt changed while it was read, so the
// next read must not trust it (it gets a full snapshot).
using Watermark = std::map<std::string, std::optional<FileFingerprint>>;

// "v1;accounts.csv=1234@1700000000123456789#9f86d081884c7d65;owner_changes.csv=absent".
std::string EncodeWatermark(const Watermark& w);
// The inverse; an empty or foreign string gives an empty map (read everything).
Watermark DecodeWatermark(absl::string_view text);

}  // namespace pulse::csv_internal

#endif  // PULSE_ADAPTERS_CSV_FILE_FINGERPRINT_H_
