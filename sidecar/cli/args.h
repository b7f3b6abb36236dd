// Command-line arguments of the binaries: a subcommand, then --name value,
// --name=value or --flag options, and positional words. Unknown options are
// errors that name the option.
#ifndef PULSE_SIDECAR_CLI_ARGS_H_
#define PULSE_SIDECAR_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pulse {

class Args {
 public:
  // `valued` lists the options that take a value, `flags` those that do not.
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv, const std::set<std::string>& valued,
                                    const std::set<std::string>& flags);

  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }
  // The option as an integer in [min, max]; InvalidArgument naming it otherwise.
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_ARGS_H_
