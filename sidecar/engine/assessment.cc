#include "sidecar/engine/assessment.h"

namespace pulse {

absl::string_view ActionId(ActionKind a) {
  switch (a) {
    case ActionKind::kWinBack: return "win_back";
    case ActionKind::kServiceRecovery: return "service_recovery";
    case ActionKind::kCheckIn: return "check_in";
    case ActionKind::kReorderReminder: return "reorder_reminder";
    case ActionKind::kHealthCheck: return "health_check";
    case ActionKind::kOnboarding: return "onboarding";
    case ActionKind::kGrowth: return "growth";
    case ActionKind::kHandoverIntro: return "handover_intro";
    case ActionKind::kFeedbackRequest: return "feedback_request";
    case ActionKind::kRecognition: return "recognition";
    case ActionKind::kNone: break;
  }
  return "";
}

std::optional<ActionKind> ParseActionId(absl::string_view id) {
  for (ActionKind a : {ActionKind::kWinBack, ActionKind::kServiceRecovery, ActionKind::kCheckIn,
                       ActionKind::kReorderReminder, ActionKind::kHealthCheck, ActionKind::kOnboarding,
                       ActionKind::kGrowth, ActionKind::kHandoverIntro, ActionKind::kFeedbackRequest,
                       ActionKind::kRecognition}) {
    if (ActionId(a) == id) return a;
  }
  return std::nullopt;
}

}  // namespace pulse
