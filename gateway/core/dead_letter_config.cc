#include "gateway/core/dead_letter_config.h"

#include "absl/strings/str_cat.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"

namespace streamgate {

absl::StatusOr<DeadLetterOptions> ParseDeadLetterOptions(
    const YAML::Node& node) {
  ASSIGN_OR_RETURN(ConfigReader r, ConfigReader::Open(node, "dead_letter"));
  RETURN_IF_ERROR(
      r.CheckKnownKeys({"path", "max_bytes", "keep", "delivery_path"}));
  DeadLetterOptions o;
  ASSIGN_OR_RETURN(auto path, r.String("path"));
  if (!path || path->empty()) {
    return FieldError(node, "dead_letter.path", "required (a file path)");
  }
  o.path = *path;
  RETURN_IF_ERROR(
      r.ReadBytes("max_bytes", o.max_bytes, 4096, int64_t{1} << 40));
  RETURN_IF_ERROR(r.Read("keep", o.keep, 0, 100));
  ASSIGN_OR_RETURN(auto delivery, r.String("delivery_path"));
  o.delivery_path = delivery && !delivery->empty()
                        ? *delivery
                        : absl::StrCat(o.path, ".deliveries");
  // One file each, or rejects would rotate give-ups away again.
  if (o.delivery_path == o.path) {
    return FieldError(node["delivery_path"], "dead_letter.delivery_path",
                      "must differ from dead_letter.path");
  }
  return o;
}

DeadLetterOptions DeliveryDeadLetterOptions(const DeadLetterOptions& root) {
  DeadLetterOptions o = root;
  o.path = root.delivery_path;
  o.delivery_path.clear();
  return o;
}

}  // namespace streamgate
