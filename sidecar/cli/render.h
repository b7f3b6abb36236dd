// How the binaries show API results to people: plain-text tables and
// one-line progress. (`--json` output uses the protobuf JSON mapping.)
#ifndef PULSE_SIDECAR_CLI_RENDER_H_
#define PULSE_SIDECAR_CLI_RENDER_H_

#include <string>

#include "google/protobuf/message.h"
#include "pulse/v1/retention.pb.h"

namespace pulse {

std::string RenderQueue(const pulse::v1::ListContactQueueResponse& queue);
std::string RenderAccountHealth(const pulse::v1::AccountHealth& health);
std::string RenderProgressLine(const pulse::v1::SweepProgress& progress);
std::string RenderSweeps(const pulse::v1::ListSweepsResponse& sweeps);
std::string RenderUplift(const pulse::v1::UpliftReport& report);
// The coverage report as text: the summary sentence, then tables by segment,
// by owner, the largest accounts outside any care model, and the trend.
std::string RenderCoverage(const pulse::v1::CoverageReport& report);
// Proto3 JSON with the .proto field names, pretty-printed.
std::string ToJson(const google::protobuf::Message& message);

// "win_back" for ACTION_WIN_BACK, "key" for TIER_KEY, ...
std::string ActionName(pulse::v1::Action action);
std::string TierLabel(pulse::v1::Tier tier);
std::string QueueStatusName(pulse::v1::QueueStatus status);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CLI_RENDER_H_
