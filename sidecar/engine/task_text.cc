#include "sidecar/engine/task_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

bool Finnish(const std::string& language) { return language == "fi"; }

}  // namespace

std::string ActionTitle(ActionKind action, const std::string& language) {
  return DefaultTaskTemplates().Get(language, std::string(ActionId(action))).title;
}

std::string TaskLanguage(const AccountAssessment& a, const ContactPolicy& policy) {
  auto it = policy.language_by_country.find(a.country);
  return it == policy.language_by_country.end() ? policy.language : it->second;
}

TaskType TaskTypeFor(ActionKind action) {
  switch (action) {
    case ActionKind::kHealthCheck: return TaskType::kMeeting;
    case ActionKind::kReorderReminder: return TaskType::kEmailDraft;
    case ActionKind::kFeedbackRequest: return TaskType::kEmailDraft;
    default: return TaskType::kCall;
  }
}

std::string TaskSubject(const AccountAssessment& a, ActionKind action, const std::string& language,
                        const TaskTemplates& templates) {
  const ActionTemplate& t = templates.Get(language, std::string(ActionId(action)));
  return FillSubject(t.subject, a.name, a.account_id, t.title);
}

std::string TaskDescription(const AccountAssessment& a, ActionKind action, absl::CivilDay as_of,
                            const std::string& key, const std::string& language, const TaskTemplates& templates) {
  const bool fi = Finnish(language);
  std::string out;
  absl::StrAppend(&out, fi ? "Miksi (Pulse, " : "Why (Pulse, ", FormatIsoDay(as_of), "; ",
                  fi ? "poistumariski " : "churn risk ", absl::StrFormat("%.0f %%", 100 * a.churn_probability), ", ",
                  fi ? "vuosiarvo " : "annual value ", FormatMoney(a.annual_value, ""), "):\n");
  for (const Signal& s : a.signals) absl::StrAppend(&out, "- ", s.evidence, "\n");
  if (!a.overdue_products.empty()) {
    absl::StrAppend(&out, fi ? "Säännöllisesti tilatut, nyt tilaamatta:\n" : "Ordered regularly, not reordered:\n");
    for (const OverdueProduct& p : a.overdue_products) {
      absl::StrAppend(&out, "- ", p.sku, p.sku.empty() || p.product.empty() ? "" : " ", p.product, ": ",
                      // One literal per call: absl checks a format at compile time only when it is a
                      // constant, and clang refuses a conditional one (the fuzz build).
                      fi ? absl::StrFormat("tilattu %d kertaa, yleensä %.0f päivän välein; viimeksi %d päivää sitten",
                                           p.times_ordered, p.usual_interval_days, p.days_since_last)
                         : absl::StrFormat("ordered %d times, usually every %.0f days; last %d days ago",
                                           p.times_ordered, p.usual_interval_days, p.days_since_last),
                      "\n");
    }
  }
  absl::StrAppend(&out, fi ? "Tee näin: " : "What to do: ", templates.Get(language, std::string(ActionId(action))).what_to_do,
                  "\n");
  absl::StrAppend(&out, "Pulse task key: ", key);
  return out;
}

std::string ProactiveTaskDescription(ActionKind action, absl::CivilDay as_of, const std::string& reason,
                                     const std::string& key, const std::string& language,
                                     const TaskTemplates& templates) {
  const bool fi = Finnish(language);
  std::string out;
  absl::StrAppend(&out, fi ? "Miksi (Pulse, " : "Why (Pulse, ", FormatIsoDay(as_of), "; ",
                  fi ? "ei riskitehtävä" : "not a risk task", "):\n- ", reason, "\n");
  absl::StrAppend(&out, fi ? "Tee näin: " : "What to do: ", templates.Get(language, std::string(ActionId(action))).what_to_do,
                  "\n");
  absl::StrAppend(&out, "Pulse task key: ", key);
  return out;
}

}  // namespace pulse
