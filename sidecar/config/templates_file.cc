#include "sidecar/config/templates_file.h"

#include "absl/strings/str_cat.h"
#include "sidecar/engine/assessment.h"
#include "yaml-cpp/yaml.h"

namespace pulse {
namespace {

// The first "{name}" in `text` whose name is not a placeholder, or "".
std::string UnknownPlaceholder(const std::string& text) {
  size_t at = 0;
  while ((at = text.find('{', at)) != std::string::npos) {
    const size_t end = text.find('}', at);
    if (end == std::string::npos) return text.substr(at);
    const std::string name = text.substr(at + 1, end - at - 1);
    if (!IsSubjectPlaceholder(name)) return absl::StrCat("{", name, "}");
    at = end + 1;
  }
  return "";
}

}  // namespace

absl::StatusOr<TaskTemplates> ApplyTemplateOverrides(const TaskTemplates& base, const std::string& yaml_text,
                                                     const std::string& source) {
  auto fail = [&](const std::string& path, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, path.empty() ? "" : ": ", what));
  };
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return fail("", absl::StrCat("not valid YAML: line ", e.mark.line + 1, ": ", e.msg));
  }
  TaskTemplates out = base;
  if (!root || root.IsNull()) return out;
  if (!root.IsMap()) return fail("", "must map languages (en, fi) to actions");
  // YAML also allows a list, a mapping or null as a key ("~: x"); it has no
  // text to read.
  constexpr char kNotAName[] = "has a key that is not a name (a list, a mapping or null)";
  for (const auto& lang : root) {
    if (!lang.first.IsScalar()) return fail("", kNotAName);
    const std::string language = lang.first.as<std::string>();
    if (!IsTemplateLanguage(language)) return fail(language, "unknown language (known: en, fi)");
    if (!lang.second.IsMap()) return fail(language, "must map action ids to templates");
    for (const auto& act : lang.second) {
      if (!act.first.IsScalar()) return fail(language, kNotAName);
      const std::string action = act.first.as<std::string>();
      const std::string path = absl::StrCat(language, ".", action);
      if (!ParseActionId(action).has_value() || action == "none") return fail(path, "unknown action id");
      if (!act.second.IsMap()) return fail(path, "must map title, subject and what_to_do to text");
      ActionTemplate& t = out.by_language[language][action];
      for (const auto& field : act.second) {
        if (!field.first.IsScalar()) return fail(path, kNotAName);
        const std::string name = field.first.as<std::string>();
        const std::string fpath = absl::StrCat(path, ".", name);
        if (!field.second.IsScalar()) return fail(fpath, "must be text");
        const std::string text = field.second.as<std::string>();
        if (name == "title") {
          if (text.empty()) return fail(fpath, "must not be empty");
          t.title = text;
        } else if (name == "subject") {
          if (text.empty()) return fail(fpath, "must not be empty");
          if (std::string bad = UnknownPlaceholder(text); !bad.empty()) {
            return fail(fpath, absl::StrCat("unknown placeholder ", bad, " (known: {account}, {account_id}, {action})"));
          }
          t.subject = text;
        } else if (name == "what_to_do") {
          t.what_to_do = text;
        } else {
          return fail(fpath, "unknown field (known: title, subject, what_to_do)");
        }
      }
    }
  }
  return out;
}

std::string RenderTemplatesYaml(const TaskTemplates& templates) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& [language, actions] : templates.by_language) {
    out << YAML::Key << language << YAML::Value << YAML::BeginMap;
    for (const auto& [action, t] : actions) {
      out << YAML::Key << action << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "title" << YAML::Value << t.title;
      out << YAML::Key << "subject" << YAML::Value << YAML::DoubleQuoted << t.subject;
      out << YAML::Key << "what_to_do" << YAML::Value << t.what_to_do;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return absl::StrCat(
      "# Pulse's task texts (contact.templates_file). Keep only what you change; the rest stays as shown.\n"
      "# Subjects may use {account}, {account_id} and {action} (the title).\n",
      out.c_str(), "\n");
}

}  // namespace pulse
