#include "gateway/core/dead_letter_config.h"

#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"

namespace streamgate {

absl::StatusOr<DeadLetterOptions> ParseDeadLetterOptions(const YAML::Node& node) {
  ASSIGN_OR_RETURN(ConfigReader r, ConfigReader::Open(node, "dead_letter"));
  RETURN_IF_ERROR(r.CheckKnownKeys({"path", "max_bytes", "keep"}));
  DeadLetterOptions o;
  ASSIGN_OR_RETURN(auto path, r.String("path"));
  if (!path || path->empty()) {
    return FieldError(node, "dead_letter.path", "required (a file path)");
  }
  o.path = *path;
  RETURN_IF_ERROR(r.ReadBytes("max_bytes", o.max_bytes, 4096, int64_t{1} << 40));
  RETURN_IF_ERROR(r.Read("keep", o.keep, 0, 100));
  return o;
}

}  // namespace streamgate
