// ConfigDiff: what a SIGHUP reload may change and what it changes. A
// config is reduced to a fingerprint (canonical text, so key order and
// YAML style do not matter) kept by the server without the YAML document;
// PlanReload compares the running fingerprint with a fresh one and either
// refuses the reload, naming every field that cannot change live, or says
// which modules (by id) are added, removed, changed or kept.
//
// Live: modules, devices, devices_file, default_home_id, log_level. Every
// other top-level section (grpc, mqtt, api_keys, metrics, limits,
// dead_letter, shutdown_timeout_ms, ...) must be unchanged: a listener, a
// TLS mode or the dead-letter file the sinks hold cannot be swapped under
// open connections.
//
// Threading: pure functions over values; call from any thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/core/config.h"

namespace streamgate {

struct ConfigFingerprint {
  // Each leaf outside the live sections, by path ("grpc.listen",
  // "limits.max_rss_bytes"); a list is one leaf ("grpc.api_keys").
  std::map<std::string, std::string> fixed;
  // Each module's whole `modules:` entry, by id, in config order.
  std::vector<std::pair<std::string, std::string>> modules;
};

// `config.root` must be set (before the server drops it).
ConfigFingerprint FingerprintConfig(const GatewayConfig& config);

struct ReloadPlan {
  std::vector<std::string> added;    // in the fresh config only
  std::vector<std::string> removed;  // in the running config only
  std::vector<std::string> changed;  // same id, different entry
  std::vector<std::string> kept;     // same id, same entry
};

// FAILED_PRECONDITION "F1, F2 cannot change live (restart needed)" when a
// fixed field differs (added, removed or changed).
absl::StatusOr<ReloadPlan> PlanReload(const ConfigFingerprint& running,
                                      const ConfigFingerprint& fresh);

// "added [c], changed [b], removed [a], kept [d]" (empty lists left out).
std::string DescribePlan(const ReloadPlan& plan);

}  // namespace streamgate
