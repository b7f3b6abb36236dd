// Fuzzes the YAML configuration loader (ParseConfig, with its strict
// validation) and the task templates file (ApplyTemplateOverrides). The first
// byte chooses which one reads the rest. Bad input must come back as an
// InvalidArgument naming the field, never a crash or an escaped exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "sidecar/config/config.h"
#include "sidecar/config/templates_file.h"
#include "sidecar/engine/task_templates.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool templates = (data[0] & 1) != 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (templates) {
    (void)pulse::ApplyTemplateOverrides(pulse::DefaultTaskTemplates(), text, "fuzz-templates.yaml");
  } else {
    // A base directory that does not exist: relative paths in the config
    // resolve against it and files it names are not there.
    (void)pulse::ParseConfig(text, "/nonexistent-pulse-fuzz");
  }
  return 0;
}
