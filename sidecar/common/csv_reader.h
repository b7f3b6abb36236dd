// Reading RFC 4180 CSV files with a header row, row by row, with the line
// number of every row so that a bad row can be reported as "file:line: why".
#ifndef PULSE_SIDECAR_COMMON_CSV_READER_H_
#define PULSE_SIDECAR_COMMON_CSV_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pulse {

// One data row. Fields are looked up by header name.
class CsvRow {
 public:
  // The physical line on which the row starts (1-based; the header is line 1).
  int64_t line() const { return line_; }
  // The field under `column`, or an empty view when the column is absent from
  // the header or the row is short.
  absl::string_view Get(absl::string_view column) const;
  // True when the header has `column`.
  bool Has(absl::string_view column) const;
  size_t size() const { return fields_.size(); }

 private:
  friend class CsvReader;
  int64_t line_ = 0;
  std::vector<std::string> fields_;
  const absl::flat_hash_map<std::string, size_t>* index_ = nullptr;
};

// Streams a CSV file: UTF-8 (a leading BOM is skipped), comma separated,
// double-quoted fields with "" escapes and embedded newlines, CRLF or LF line
// ends. Header names are trimmed and lower-cased. Blank lines are skipped.
// Not thread-safe; one reader per file.
class CsvReader {
 public:
  // Opens `path` and reads its header. NotFound when the file does not exist;
  // InvalidArgument when the header is empty or names a column twice.
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path);
  // The same over an in-memory text; `name` is used in messages.
  static absl::StatusOr<std::unique_ptr<CsvReader>> FromString(std::string name, std::string text);

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;
  ~CsvReader();

  const std::vector<std::string>& header() const { return header_; }
  bool HasColumn(absl::string_view column) const;
  // InvalidArgument "<name>: missing required column 'x'" for the first
  // column of `columns` the header lacks.
  absl::Status RequireColumns(const std::vector<absl::string_view>& columns) const;

  // Reads the next row into `row`. Returns true on a row, false at the end.
  // A syntax error (an unterminated quote, a stray quote inside an unquoted
  // field, a row with more fields than the header) sets `*error` to
  // "line N: what is wrong", skips to the next record and returns true with
  // row->size() == 0; the caller reports it and carries on.
  bool Next(CsvRow* row, std::string* error);

  const std::string& name() const { return name_; }

 private:
  CsvReader() = default;
  absl::Status ReadHeader();
  std::string name_;
  std::vector<std::string> header_;
  absl::flat_hash_map<std::string, size_t> index_;
  struct Source;
  std::unique_ptr<Source> source_;
  int64_t line_ = 0;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_CSV_READER_H_
