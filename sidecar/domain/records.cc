#include "sidecar/domain/records.h"

#include "absl/strings/ascii.h"

namespace pulse {
namespace {

std::string Lower(absl::string_view s) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s));
}

}  // namespace

absl::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kKey: return "key";
    case Tier::kMid: return "mid";
    case Tier::kTail: return "tail";
    case Tier::kUnspecified: break;
  }
  return "";
}

std::optional<Tier> ParseTier(absl::string_view s) {
  const std::string v = Lower(s);
  if (v == "key") return Tier::kKey;
  if (v == "mid") return Tier::kMid;
  if (v == "tail") return Tier::kTail;
  if (v.empty()) return Tier::kUnspecified;
  return std::nullopt;
}

bool Case::IsOpen() const {
  if (closed_at.has_value()) return false;
  const std::string v = Lower(status);
  return !(v == "closed" || v == "resolved" || v == "done" || v == "rejected" ||
           v == "cancelled" || v == "canceled" || v == "duplicate");
}

absl::string_view ActivityTypeName(ActivityType type) {
  switch (type) {
    case ActivityType::kCall: return "call";
    case ActivityType::kMeeting: return "meeting";
    case ActivityType::kEmail: return "email";
    case ActivityType::kNote: return "note";
  }
  return "note";
}

std::optional<ActivityType> ParseActivityType(absl::string_view s) {
  const std::string v = Lower(s);
  if (v == "call") return ActivityType::kCall;
  if (v == "meeting") return ActivityType::kMeeting;
  if (v == "email") return ActivityType::kEmail;
  if (v == "note") return ActivityType::kNote;
  return std::nullopt;
}

absl::string_view DirectionName(Direction d) {
  switch (d) {
    case Direction::kInbound: return "inbound";
    case Direction::kOutbound: return "outbound";
    case Direction::kUnknown: break;
  }
  return "";
}

std::optional<Direction> ParseDirection(absl::string_view s) {
  const std::string v = Lower(s);
  if (v.empty()) return Direction::kUnknown;
  if (v == "inbound" || v == "in") return Direction::kInbound;
  if (v == "outbound" || v == "out") return Direction::kOutbound;
  return std::nullopt;
}

bool Activity::IsTwoWay() const {
  switch (type) {
    case ActivityType::kCall:
    case ActivityType::kMeeting: return true;
    case ActivityType::kEmail: return direction == Direction::kInbound;
    case ActivityType::kNote: return false;
  }
  return false;
}

absl::string_view FeedbackScaleName(FeedbackScale s) {
  return s == FeedbackScale::kCsat ? "csat" : "nps";
}

std::optional<FeedbackScale> ParseFeedbackScale(absl::string_view s) {
  const std::string v = Lower(s);
  if (v == "nps") return FeedbackScale::kNps;
  if (v == "csat") return FeedbackScale::kCsat;
  return std::nullopt;
}

absl::string_view TaskTypeName(TaskType t) {
  switch (t) {
    case TaskType::kCall: return "call";
    case TaskType::kMeeting: return "meeting";
    case TaskType::kEmailDraft: return "email_draft";
    case TaskType::kTodo: return "todo";
  }
  return "todo";
}

std::optional<TaskType> ParseTaskType(absl::string_view s) {
  const std::string v = Lower(s);
  if (v == "call") return TaskType::kCall;
  if (v == "meeting") return TaskType::kMeeting;
  if (v == "email_draft") return TaskType::kEmailDraft;
  if (v == "todo") return TaskType::kTodo;
  return std::nullopt;
}

}  // namespace pulse
