#include "gateway/core/dead_letter_config.h"

#include "gateway/common/status_macros.h"
#include "gateway/api/config_reader.h"

namespace streamgate {

absl::StatusOr<DeadLetterOptions> ParseDeadLetterOptions(const YAML::Node& node) {
  RETURN_IF_ERROR(RequireMap(node, "dead_letter"));
  RETURN_IF_ERROR(
      CheckKnownKeys(node, {"path", "max_bytes", "keep"}, "dead_letter."));
  DeadLetterOptions o;
  ASSIGN_OR_RETURN(auto path, ReadString(node, "path", "dead_letter."));
  if (!path || path->empty()) {
    return FieldError(node, "dead_letter.path", "required (a file path)");
  }
  o.path = *path;
  ASSIGN_OR_RETURN(auto max_bytes, ReadInt(node, "max_bytes", "dead_letter.",
                                           4096, int64_t{1} << 40));
  o.max_bytes = max_bytes.value_or(o.max_bytes);
  ASSIGN_OR_RETURN(auto keep, ReadInt(node, "keep", "dead_letter.", 0, 100));
  o.keep = keep.value_or(o.keep);
  return o;
}

}  // namespace streamgate
