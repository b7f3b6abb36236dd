// contact.templates_file: the admin's task texts, as YAML:
//
//   fi:
//     win_back:
//       title: Palautuspuhelu
//       subject: "{action}: {account} – tilaukset loppuneet"
//       what_to_do: Soita tänään ja kysy, mikä muuttui.
//
// Languages en and fi; action ids as in docs/CONTACT_POLICY.md; fields
// title, subject and what_to_do. A field left out keeps its default.
#ifndef PULSE_SIDECAR_CONFIG_TEMPLATES_FILE_H_
#define PULSE_SIDECAR_CONFIG_TEMPLATES_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "sidecar/engine/task_templates.h"

namespace pulse {

// Applies the file's YAML text over `base`. InvalidArgument
// "<source>: <lang>.<action>.<field>: <what is wrong>" for an unknown
// language, action, field or subject placeholder, or text that is not YAML.
absl::StatusOr<TaskTemplates> ApplyTemplateOverrides(const TaskTemplates& base, const std::string& yaml_text,
                                                     const std::string& source);

// The templates in the file's format (`pulsed templates` prints the defaults).
std::string RenderTemplatesYaml(const TaskTemplates& templates);

}  // namespace pulse

#endif  // PULSE_SIDECAR_CONFIG_TEMPLATES_FILE_H_
