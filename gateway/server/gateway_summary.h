// What the gateway tells an operator about itself: the start-up summary
// (version, config path, inputs with their addresses, each module with its
// subscriptions and sink target, device count), printed by --check-config
// and logged at start; and the per-module totals lines logged every
// interval and at shutdown. The inputs are described from the adapters'
// own config parsers, the sink targets from the sink sections.
//
// Threading: pure functions over values; call from any thread.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/api/gateway_status.h"
#include "gateway/core/config.h"
#include "gateway/server/status_page.h"

namespace streamgate {

// The gateway's version ("0.1.0"), from the project version in CMake.
const char* GatewayVersion();

// Where a module's sink writes: "file PATH", "kinesis stream S (region R)",
// "stdout"; the type alone for a type it does not know.
std::string SinkTarget(const ModuleConfig& module);

// The inputs `config` enables (gRPC always, MQTT with an `mqtt` section),
// with addresses; state empty. The config must have passed Server::Create.
std::vector<InputStatus> DescribeInputs(const GatewayConfig& config);

// The summary, one line per element (no trailing newlines).
std::vector<std::string> StartupSummary(const GatewayConfig& config,
                                        const std::vector<InputStatus>& inputs);

// "module 'ID': totals in=N delivered=N dead_lettered=N queued=N
// in_rate=R/s delivered_rate=R/s" — rates over `interval` from `before`
// (omitted when `before` is null or the interval is zero). `label` is
// "totals" or "final totals".
std::string ModuleTotalsLine(absl::string_view label, const ModuleStatus& now,
                             const ModuleStatus* before,
                             absl::Duration interval);

}  // namespace streamgate
