// Building, loading and checking recency-frequency summaries.
#include "sidecar/stats/rfm.h"

#include <cmath>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sidecar/common/csv_reader.h"

namespace pulse::stats {

absl::StatusOr<RfmSummary> RfmFromPurchaseTimes(absl::Span<const double> purchase_times,
                                                double end_time) {
  if (purchase_times.empty()) {
    return absl::InvalidArgumentError("no purchase times: a summary needs a first purchase");
  }
  for (size_t i = 0; i < purchase_times.size(); ++i) {
    if (!std::isfinite(purchase_times[i])) {
      return absl::InvalidArgumentError(absl::StrCat("purchase time ", i, " is not finite"));
    }
    if (i > 0 && !(purchase_times[i] > purchase_times[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "purchase times must be distinct and increasing; time ", i, " (", purchase_times[i],
          ") is not after time ", i - 1, " (", purchase_times[i - 1], ")"));
    }
  }
  if (!std::isfinite(end_time) || end_time < purchase_times.back()) {
    return absl::InvalidArgumentError(absl::StrCat("end time ", end_time,
                                                   " is before the last purchase ",
                                                   purchase_times.back()));
  }
  RfmSummary s;
  s.x = static_cast<double>(purchase_times.size() - 1);
  s.t_x = purchase_times.back() - purchase_times.front();
  s.T = end_time - purchase_times.front();
  return s;
}

absl::Status ValidateRfm(const RfmSummary& s) {
  if (!std::isfinite(s.x) || !std::isfinite(s.t_x) || !std::isfinite(s.T) ||
      !std::isfinite(s.weight)) {
    return absl::InvalidArgumentError("a value is not a finite number");
  }
  if (s.x < 0) return absl::InvalidArgumentError(absl::StrCat("x ", s.x, " is negative"));
  if (s.x != std::floor(s.x)) {
    return absl::InvalidArgumentError(absl::StrCat("x ", s.x, " is not a whole number of purchases"));
  }
  if (s.t_x < 0) return absl::InvalidArgumentError(absl::StrCat("t_x ", s.t_x, " is negative"));
  if (s.t_x > s.T) {
    return absl::InvalidArgumentError(
        absl::StrCat("t_x ", s.t_x, " (last purchase) is after T ", s.T));
  }
  if (s.x == 0 && s.t_x != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("t_x ", s.t_x, " is not 0 although x is 0 (no repeat purchase)"));
  }
  if (s.x > 0 && s.t_x == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("t_x is 0 although x is ", s.x, " (repeat purchases take time)"));
  }
  if (s.weight < 0) {
    return absl::InvalidArgumentError(absl::StrCat("weight ", s.weight, " is negative"));
  }
  return absl::OkStatus();
}

namespace {

// Parses a finite number, allowing surrounding blanks.
bool ParseNumber(absl::string_view text, double* out) {
  text = absl::StripAsciiWhitespace(text);
  return !text.empty() && absl::SimpleAtod(text, out) && std::isfinite(*out);
}

}  // namespace

absl::StatusOr<std::vector<RfmSummary>> LoadRfmSummaryCsv(const std::string& path) {
  absl::StatusOr<std::unique_ptr<CsvReader>> opened = CsvReader::Open(path);
  if (!opened.ok()) return opened.status();
  CsvReader& reader = **opened;
  const std::string& name = reader.name();

  // The two layouts in use: lifetimes' names and the models' own names.
  absl::string_view x_col, t_x_col;
  if (reader.HasColumn("frequency") && reader.HasColumn("recency")) {
    x_col = "frequency";
    t_x_col = "recency";
  } else if (reader.HasColumn("x") && reader.HasColumn("t_x")) {
    x_col = "x";
    t_x_col = "t_x";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": header needs columns frequency,recency,T or x,t_x,T"));
  }
  if (absl::Status s = reader.RequireColumns({"t"}); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": header needs a T column"));
  }
  const bool has_id = reader.HasColumn("id");

  std::vector<RfmSummary> out;
  CsvRow row;
  std::string error;
  while (reader.Next(&row, &error)) {
    if (!error.empty()) {
      // The reader says "line N: why"; report it as "file:N: why".
      absl::string_view e = error;
      if (absl::ConsumePrefix(&e, "line ")) return absl::InvalidArgumentError(absl::StrCat(name, ":", e));
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", error));
    }
    const std::string where = absl::StrCat(name, ":", row.line(), ": ");
    RfmSummary s;
    struct Field {
      absl::string_view column;
      double* value;
    };
    for (const Field& f : {Field{x_col, &s.x}, Field{t_x_col, &s.t_x}, Field{"t", &s.T}}) {
      absl::string_view text = row.Get(f.column);
      if (!ParseNumber(text, f.value)) {
        const absl::string_view shown = f.column == "t" ? "T" : f.column;
        if (absl::StripAsciiWhitespace(text).empty()) {
          return absl::InvalidArgumentError(absl::StrCat(where, shown, " is empty"));
        }
        return absl::InvalidArgumentError(
            absl::StrCat(where, shown, " '", text, "' is not a number"));
      }
    }
    if (absl::Status v = ValidateRfm(s); !v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, v.message()));
    }
    if (has_id) s.id = std::string(absl::StripAsciiWhitespace(row.Get("id")));
    out.push_back(std::move(s));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no data rows"));
  }
  return out;
}

}  // namespace pulse::stats
