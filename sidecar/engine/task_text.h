// The words of a task: subject and description in English or Finnish, built
// from the account's own evidence so the person who gets it knows why.
#ifndef PULSE_SIDECAR_ENGINE_TASK_TEXT_H_
#define PULSE_SIDECAR_ENGINE_TASK_TEXT_H_

#include <string>

#include "absl/time/civil_time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/engine_config.h"
#include "sidecar/engine/task_templates.h"

namespace pulse {

// The language of an account's tasks: contact.language_by_country for its
// country, else contact.language.
std::string TaskLanguage(const AccountAssessment& a, const ContactPolicy& policy);

// "Win-back call: Kuopion Konepaja Oy" / "Palautuspuhelu: Kuopion Konepaja Oy".
std::string TaskSubject(const AccountAssessment& a, ActionKind action, const std::string& language,
                        const TaskTemplates& templates = DefaultTaskTemplates());

// Why, the evidence, the products to mention, and what to do; ends with the
// line "Pulse task key: <key>" so the task can be matched in any CRM.
std::string TaskDescription(const AccountAssessment& a, ActionKind action, absl::CivilDay as_of,
                            const std::string& key, const std::string& language,
                            const TaskTemplates& templates = DefaultTaskTemplates());

// A proactive task's text (feedback request, recognition): says plainly that
// it is not a risk task, gives `reason` (why this account), what to do, and
// ends with the task key line like TaskDescription.
std::string ProactiveTaskDescription(ActionKind action, absl::CivilDay as_of, const std::string& reason,
                                     const std::string& key, const std::string& language,
                                     const TaskTemplates& templates = DefaultTaskTemplates());

// The CRM record type an action becomes.
TaskType TaskTypeFor(ActionKind action);

// A readable action name: "Win-back call".
std::string ActionTitle(ActionKind action, const std::string& language);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_TASK_TEXT_H_
