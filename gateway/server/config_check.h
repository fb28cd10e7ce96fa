// --check-config: every error a start would meet, not only the first —
// the config's own rules (parsing goes on past an error), each module's
// sink (unknown types included) and each adapter, and whether the paths a
// start creates (file-sink files, spool folders, the dead-letter file) can
// be created — each as "config FILE: ... (line N): ...". On success, the
// start-up summary.
//
// Threading: a pure function of the file and the registries (it reads the
// file system, writes nothing).
#pragma once

#include <string>
#include <vector>

#include "gateway/api/adapter_registry.h"
#include "gateway/api/sink_registry.h"
#include "gateway/core/config.h"

namespace streamgate {

struct ConfigCheck {
  std::vector<std::string> errors;   // empty: valid
  std::vector<std::string> summary;  // when valid (StartupSummary)
};

ConfigCheck CheckConfigFile(const std::string& path, const SinkRegistry& sinks,
                            const AdapterRegistry& adapters);

// The path checks alone: one error per path that cannot be created.
std::vector<std::string> CheckCreatablePaths(const GatewayConfig& config);

}  // namespace streamgate
