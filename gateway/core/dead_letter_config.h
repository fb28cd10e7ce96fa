// Parsing of a `dead_letter:` section into DeadLetterOptions:
//   dead_letter:
//     path: /var/lib/streamgate/dead_letters.jsonl   # required
//     max_bytes: 67108864                             # default 64 MiB, >= 4 KiB
//     keep: 3                                         # rotated files, 0..100
//     delivery_path: ...    # give-ups; default path + ".deliveries", != path
// Errors name the field and line ("dead_letter.keep (line 7): ..."); the
// caller adds the module when the section is a module's. Pure; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "gateway/common/dead_letter_options.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {

absl::StatusOr<DeadLetterOptions> ParseDeadLetterOptions(
    const YAML::Node& node);

// The options of the root section's delivery file: delivery_path with the
// root's max_bytes and keep.
DeadLetterOptions DeliveryDeadLetterOptions(const DeadLetterOptions& root);

}  // namespace streamgate
