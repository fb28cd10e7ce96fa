// Parsing of a module's `spool:` section into SpoolOptions:
//   spool:
//     dir: /var/lib/streamgate/kinesis   # required
//     max_bytes: 1073741824              # default 1 GiB
//     fsync: always                      # or an interval in ms: 10, or
//                                        # {interval_ms: 10}; default always
//     when_full: reject                  # the only value (see spool_options.h)
//     segment_bytes: 67108864            # default min(64 MiB, max_bytes/4)
// Read with ConfigReader (gateway/api/config_reader.h): errors name the
// field and line ("spool.fsync (line 12): ..."); the caller adds the module.
// Pure function; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "gateway/spool/spool_options.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {

absl::StatusOr<SpoolOptions> ParseSpoolOptions(const YAML::Node& node);

}  // namespace streamgate
