#include "adapters/csv/file_fingerprint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pulse::csv_internal {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian loads, whatever the host order.
uint64_t Load64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint32_t Load32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  acc = Rotl(acc, 31);
  return acc * kPrime1;
}

uint64_t MergeRound(uint64_t acc, uint64_t val) {
  acc ^= Round(0, val);
  return acc * kPrime1 + kPrime4;
}

absl::Status ErrnoStatus(const std::string& path, absl::string_view what, int err) {
  const std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

int64_t MtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Reads up to `size` bytes at `offset`, retrying short reads. Returns the
// number read (less at the end of the file) or -1 with errno set.
int64_t ReadAt(int fd, char* out, int64_t size, int64_t offset) {
  int64_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out + done, static_cast<size_t>(size - done), offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += n;
  }
  return done;
}

constexpr int64_t kChunk = 1 << 20;

}  // namespace

ContentHasher::ContentHasher() {
  acc_[0] = kPrime1 + kPrime2;
  acc_[1] = kPrime2;
  acc_[2] = 0;
  acc_[3] = 0 - kPrime1;
}

void ContentHasher::Stripe(const unsigned char* p) {
  acc_[0] = Round(acc_[0], Load64(p));
  acc_[1] = Round(acc_[1], Load64(p + 8));
  acc_[2] = Round(acc_[2], Load64(p + 16));
  acc_[3] = Round(acc_[3], Load64(p + 24));
}

void ContentHasher::Update(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  total_ += n;
  if (pending_size_ > 0) {
    const size_t take = std::min(n, sizeof(pending_) - pending_size_);
    std::memcpy(pending_ + pending_size_, p, take);
    pending_size_ += take;
    p += take;
    n -= take;
    if (pending_size_ < sizeof(pending_)) return;
    Stripe(pending_);
    pending_size_ = 0;
  }
  while (n >= 32) {
    Stripe(p);
    p += 32;
    n -= 32;
  }
  std::memcpy(pending_, p, n);
  pending_size_ = n;
}

uint64_t ContentHasher::Digest() const {
  uint64_t h;
  if (total_ >= 32) {
    h = Rotl(acc_[0], 1) + Rotl(acc_[1], 7) + Rotl(acc_[2], 12) + Rotl(acc_[3], 18);
    for (uint64_t v : acc_) h = MergeRound(h, v);
  } else {
    h = kPrime5;
  }
  h += total_;
  const unsigned char* p = pending_;
  size_t n = pending_size_;
  while (n >= 8) {
    h ^= Round(0, Load64(p));
    h = Rotl(h, 27) * kPrime1 + kPrime4;
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    h ^= static_cast<uint64_t>(Load32(p)) * kPrime1;
    h = Rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    h ^= (*p) * kPrime5;
    h = Rotl(h, 11) * kPrime1;
    ++p;
    --n;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

uint64_t HashBytes(absl::string_view bytes) {
  ContentHasher hasher;
  hasher.Update(bytes);
  return hasher.Digest();
}

int64_t CountLineEnds(absl::string_view bytes, bool* after_cr) {
  int64_t n = 0;
  for (char c : bytes) {
    if (*after_cr && c != '\n') ++n;  // the '\r' before was a line end on its own
    if (c == '\n') ++n;
    *after_cr = (c == '\r');
  }
  return n;
}

FileFingerprint StatFile(const std::string& path) {
  FileFingerprint f;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return f;
  f.exists = true;
  f.size = st.st_size;
  f.mtime_ns = MtimeNanos(st);
  return f;
}

absl::StatusOr<FileScan> ScanFile(const std::string& path, const FileFingerprint* earlier) {
  FileScan scan;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return scan;
    return ErrnoStatus(path, "cannot open", errno);
  }
  absl::Cleanup close_fd = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": is not a regular file"));
  }
  scan.now.exists = true;
  scan.now.mtime_ns = MtimeNanos(st);
  const int64_t size = st.st_size;
  const int64_t prefix_size =
      earlier != nullptr && earlier->exists && earlier->size > 0 && earlier->size <= size ? earlier->size : -1;

  ContentHasher hasher;
  std::optional<uint64_t> prefix_hash;
  char prefix_last = 0;
  std::vector<char> buffer(kChunk);
  int64_t pos = 0;
  while (pos < size) {
    const int64_t n = ReadAt(fd, buffer.data(), std::min<int64_t>(kChunk, size - pos), pos);
    if (n < 0) return ErrnoStatus(path, "cannot read", errno);
    if (n == 0) break;  // the file shrank under us; what was read is what we fingerprint
    absl::string_view piece(buffer.data(), static_cast<size_t>(n));
    if (prefix_size > 0 && !prefix_hash.has_value() && pos + n >= prefix_size) {
      const size_t k = static_cast<size_t>(prefix_size - pos);  // >= 1: pos < prefix_size here
      hasher.Update(piece.substr(0, k));
      prefix_hash = hasher.Digest();
      prefix_last = piece[k - 1];
      hasher.Update(piece.substr(k));
    } else {
      hasher.Update(piece);
    }
    pos += n;
  }
  scan.now.size = pos;
  scan.now.hash = hasher.Digest();

  if (!prefix_hash.has_value() || *prefix_hash != earlier->hash) return scan;
  AppendPoint append;
  append.offset = prefix_size;
  append.end = pos;
  if (prefix_size == pos) {  // same bytes, the mtime moved: nothing to read
    scan.append = append;
    return scan;
  }
  if (prefix_last != '\n') return scan;  // the earlier last line was cut short
  // The earlier bytes must end outside a quoted field: an even number of '"'
  // (every quoted field opens and closes, "" escapes come in pairs).
  int64_t quotes = 0;
  int64_t lines = 0;
  bool after_cr = false;
  for (int64_t at = 0; at < prefix_size;) {
    const int64_t n = ReadAt(fd, buffer.data(), std::min<int64_t>(kChunk, prefix_size - at), at);
    if (n < 0) return ErrnoStatus(path, "cannot read", errno);
    if (n == 0) return scan;  // truncated meanwhile: not an append
    absl::string_view piece(buffer.data(), static_cast<size_t>(n));
    quotes += std::count(piece.begin(), piece.end(), '"');
    lines += CountLineEnds(piece, &after_cr);
    at += n;
  }
  if (quotes % 2 != 0) return scan;
  append.lines_before = lines;
  scan.append = append;
  return scan;
}

std::string EncodeWatermark(const Watermark& w) {
  std::string out = "v1";
  for (const auto& [name, f] : w) {
    absl::StrAppend(&out, ";", name, "=");
    if (!f.has_value()) {
      out += "changing";
    } else if (!f->exists) {
      out += "absent";
    } else {
      absl::StrAppend(&out, f->size, "@", f->mtime_ns, "#", absl::Hex(f->hash, absl::kZeroPad16));
    }
  }
  return out;
}

Watermark DecodeWatermark(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ';');
  if (parts.empty() || parts[0] != "v1") return {};
  Watermark w;
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    if (eq == absl::string_view::npos || eq == 0) return {};
    const std::string name(parts[i].substr(0, eq));
    const absl::string_view value = parts[i].substr(eq + 1);
    if (value == "changing") {
      w[name] = std::nullopt;
      continue;
    }
    FileFingerprint f;
    if (value == "absent") {
      w[name] = f;
      continue;
    }
    const size_t at = value.find('@');
    const size_t hash = value.find('#');
    if (at == absl::string_view::npos || hash == absl::string_view::npos || hash < at) return {};
    if (!absl::SimpleAtoi(value.substr(0, at), &f.size) ||
        !absl::SimpleAtoi(value.substr(at + 1, hash - at - 1), &f.mtime_ns) ||
        !absl::SimpleHexAtoi(value.substr(hash + 1), &f.hash) || f.size < 0) {
      return {};
    }
    f.exists = true;
    w[name] = f;
  }
  return w;
}

}  // namespace pulse::csv_internal
