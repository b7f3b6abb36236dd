// The analysis subcommands of pulsed: `backtest` (how well the churn ranking
// would have found the customers who left, against the usual baselines) and
// `fit` (a cadence model fitted to an RFM summary file). Both print to
// stdout and return the process exit code: 0 success, 1 the work failed,
// 2 bad usage.
#ifndef PULSE_SIDECAR_CLI_ANALYSIS_COMMANDS_H_
#define PULSE_SIDECAR_CLI_ANALYSIS_COMMANDS_H_

#include <string>
#include <vector>

namespace pulse {

// pulsed backtest (--data DIR | --cdnow FILE) --as-of YYYY-MM-DD --horizon-days N
//                 [--capacity K] [--config FILE] [--json]
// --data reads a CSV folder through the CSV adapter; --cdnow reads
// CDNOW_master.txt's whitespace layout (customer_id yyyymmdd cds dollars;
// same-day purchases are merged like any orders).
int RunBacktestCommand(const std::vector<std::string>& args);

// pulsed fit --model bgnbd|paretonbd --summary FILE: one JSON object with the
// parameters by their usual names and the log-likelihood.
int RunFitCommand(const std::vector<std::string>& args);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_ANALYSIS_COMMANDS_H_
