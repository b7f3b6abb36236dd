// `pulsectl handoff ...`: the manager's side of a seller's departure
// (docs/HANDOFF.md). Returns the process exit code: 0 success, 1 the server
// said no, 2 bad usage, 3 unreachable.
#ifndef PULSE_SIDECAR_CLI_HANDOFF_COMMANDS_H_
#define PULSE_SIDECAR_CLI_HANDOFF_COMMANDS_H_

#include <string>
#include <vector>

#include "pulse/v1/retention.grpc.pb.h"

namespace pulse {

// The usage lines of the handoff commands, for pulsectl's help.
extern const char kHandoffUsage[];

// `args` are the words after "handoff". The requester recorded in the audit
// log is --by, else $PULSE_USER, else $USER. `authorization` ("Bearer
// <token>", or empty) is sent with every call.
int RunHandoffCommand(pulse::v1::RetentionService::Stub& stub, const std::vector<std::string>& args, bool json,
                      const std::string& server, const std::string& authorization = "");

// The plan as text: the recipients' loads before and after, then every
// account with its recipient and why, then the delivery state and audit log.
std::string RenderHandoffPlan(const pulse::v1::HandoffPlan& plan);
std::string RenderHandoffs(const pulse::v1::ListHandoffsResponse& list);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_HANDOFF_COMMANDS_H_
