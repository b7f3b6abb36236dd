#include "sidecar/common/csv_reader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pulse {

absl::string_view CsvRow::Get(absl::string_view column) const {
  if (index_ == nullptr) return {};
  auto it = index_->find(column);
  if (it == index_->end() || it->second >= fields_.size()) return {};
  return fields_[it->second];
}

bool CsvRow::Has(absl::string_view column) const { return index_ != nullptr && index_->contains(column); }

// The bytes being read: a file stream or an in-memory string, read in chunks.
struct CsvReader::Source {
  std::unique_ptr<std::istream> stream;
  std::string buffer;
  size_t pos = 0;
  bool eof = false;

  // The next byte, or -1 at the end.
  int Peek() {
    if (pos < buffer.size()) return static_cast<unsigned char>(buffer[pos]);
    if (eof) return -1;
    Refill();
    if (pos < buffer.size()) return static_cast<unsigned char>(buffer[pos]);
    return -1;
  }
  int Get() {
    int c = Peek();
    if (c >= 0) ++pos;
    return c;
  }
  void Refill() {
    buffer.resize(1 << 16);
    stream->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    buffer.resize(static_cast<size_t>(stream->gcount()));
    pos = 0;
    if (buffer.empty()) eof = true;
  }
};

CsvReader::~CsvReader() = default;

namespace {

// Reads one record into `fields`. Returns false at the end of input (no
// record). `*line` is advanced past every newline consumed. On a syntax
// error `*error` is set and the rest of the record is skipped.
template <typename Src>
bool ReadRecord(Src& src, std::vector<std::string>* fields, int64_t* line, std::string* error) {
  fields->clear();
  error->clear();
  if (src.Peek() < 0) return false;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  bool after_quote = false;  // just closed a quoted field
  const int64_t start_line = *line;
  while (true) {
    int c = src.Get();
    if (c < 0) {
      if (in_quotes && error->empty()) {
        *error = absl::StrCat("line ", start_line, ": unterminated quoted field");
      }
      fields->push_back(std::move(field));
      return true;
    }
    if (in_quotes) {
      if (c == '"') {
        if (src.Peek() == '"') {
          src.Get();
          field.push_back('"');
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        // A line end inside quotes counts as outside: '\n', "\r\n" or a lone '\r'.
        if (c == '\n' || (c == '\r' && src.Peek() != '\n')) ++*line;
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      field_was_quoted = false;
      after_quote = false;
      continue;
    }
    if (c == '\r') {
      if (src.Peek() == '\n') src.Get();
      ++*line;
      fields->push_back(std::move(field));
      return true;
    }
    if (c == '\n') {
      ++*line;
      fields->push_back(std::move(field));
      return true;
    }
    if (c == '"') {
      if (field.empty() && !field_was_quoted) {
        in_quotes = true;
        field_was_quoted = true;
        continue;
      }
      if (error->empty()) *error = absl::StrCat("line ", start_line, ": stray quote inside a field");
      field.push_back('"');
      continue;
    }
    if (after_quote && c != ' ' && c != '\t') {
      if (error->empty()) *error = absl::StrCat("line ", start_line, ": text after a closing quote");
    }
    field.push_back(static_cast<char>(c));
  }
}

bool IsBlank(const std::vector<std::string>& fields) {
  return fields.size() == 1 && absl::StripAsciiWhitespace(fields[0]).empty();
}

}  // namespace

absl::Status CsvReader::ReadHeader() {
  line_ = 1;
  Source& src = *source_;
  // Skip a UTF-8 byte order mark.
  if (src.Peek() == 0xEF) {
    src.Get();
    if (src.Peek() == 0xBB) src.Get();
    if (src.Peek() == 0xBF) src.Get();
  }
  std::vector<std::string> fields;
  std::string error;
  while (true) {
    if (!ReadRecord(src, &fields, &line_, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": file is empty (no header row)"));
    }
    if (!IsBlank(fields)) break;
  }
  if (!error.empty()) return absl::InvalidArgumentError(absl::StrCat(name_, ": header ", error));
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string col = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[i]));
    header_.push_back(col);
    if (col.empty()) continue;
    if (!index_.emplace(col, i).second) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": header names column '", col, "' twice"));
    }
  }
  if (index_.empty()) return absl::InvalidArgumentError(absl::StrCat(name_, ": header row is empty"));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  auto stream = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!stream->is_open()) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::unique_ptr<CsvReader> reader(new CsvReader());
  // Keep just the file name in messages: "orders.csv:12: ...".
  const auto slash = path.find_last_of('/');
  reader->name_ = slash == std::string::npos ? path : path.substr(slash + 1);
  reader->source_ = std::make_unique<Source>();
  reader->source_->stream = std::move(stream);
  if (absl::Status s = reader->ReadHeader(); !s.ok()) return s;
  return reader;
}

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::FromString(std::string name, std::string text) {
  std::unique_ptr<CsvReader> reader(new CsvReader());
  reader->name_ = std::move(name);
  reader->source_ = std::make_unique<Source>();
  reader->source_->stream = std::make_unique<std::istringstream>(std::move(text));
  if (absl::Status s = reader->ReadHeader(); !s.ok()) return s;
  return reader;
}

bool CsvReader::HasColumn(absl::string_view column) const { return index_.contains(column); }

absl::Status CsvReader::RequireColumns(const std::vector<absl::string_view>& columns) const {
  for (absl::string_view c : columns) {
    if (!HasColumn(c)) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": missing required column '", c, "'"));
    }
  }
  return absl::OkStatus();
}

bool CsvReader::Next(CsvRow* row, std::string* error) {
  error->clear();
  row->index_ = &index_;
  while (true) {
    row->line_ = line_;
    if (!ReadRecord(*source_, &row->fields_, &line_, error)) return false;
    if (!error->empty()) {
      row->fields_.clear();
      return true;
    }
    if (IsBlank(row->fields_)) continue;
    if (row->fields_.size() > header_.size()) {
      *error = absl::StrCat("line ", row->line_, ": ", row->fields_.size(), " fields but the header has ",
                            header_.size());
      row->fields_.clear();
      return true;
    }
    return true;
  }
}

}  // namespace pulse
