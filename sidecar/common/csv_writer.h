// Writing CSV records with RFC 4180 quoting: the counterpart of CsvReader.
#ifndef PULSE_SIDECAR_COMMON_CSV_WRITER_H_
#define PULSE_SIDECAR_COMMON_CSV_WRITER_H_

#include <string>
#include <vector>

namespace pulse {

// One CSV record: fields joined by ',', a field quoted (with "" for a quote)
// when it holds a comma, a quote or a line break; ends in '\n'.
std::string FormatCsvRecord(const std::vector<std::string>& fields);

}  // namespace pulse

#endif  // PULSE_SIDECAR_COMMON_CSV_WRITER_H_
