// The editable words of Pulse's tasks: per language ("en", "fi") and action,
// the action's title, the subject line and what the person should do. The
// evidence lines come from the signals and are not templated.
//
// Subjects may use {account} (the account's name, or its id when it has
// none), {account_id} and {action} (the title). Admins override any of them
// with contact.templates_file (sidecar/config/templates_file.h); `pulsed
// templates` prints the defaults in that file's format.
#ifndef PULSE_SIDECAR_ENGINE_TASK_TEMPLATES_H_
#define PULSE_SIDECAR_ENGINE_TASK_TEMPLATES_H_

#include <map>
#include <string>

namespace pulse {

struct ActionTemplate {
  std::string title;       // "Win-back call"
  std::string subject;     // "{action}: {account}"
  std::string what_to_do;  // one or two sentences
};

struct TaskTemplates {
  // language -> action id -> template. Always holds every action in "en"
  // and "fi".
  std::map<std::string, std::map<std::string, ActionTemplate>> by_language;
  // The template for `language` and `action_id`; English when either is
  // unknown.
  const ActionTemplate& Get(const std::string& language, const std::string& action_id) const;
};

// The built-in English and Finnish texts.
const TaskTemplates& DefaultTaskTemplates();

// The supported languages: "en", "fi".
bool IsTemplateLanguage(const std::string& language);
// The placeholders a subject may use.
bool IsSubjectPlaceholder(const std::string& name);  // "account", "account_id", "action"

// `subject` with its placeholders filled.
std::string FillSubject(const std::string& subject, const std::string& account_name, const std::string& account_id,
                        const std::string& action_title);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_TASK_TEMPLATES_H_
