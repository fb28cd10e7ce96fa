// The one explicit list of built-in sink types and adapters (static
// self-registration is silently dropped by static libraries). The only code,
// with server.cc and main.cc, that names concrete sinks and adapters.
// Threading: call once at start-up, before the registries are shared.
#pragma once

#include "gateway/api/adapter_registry.h"
#include "gateway/api/sink_registry.h"

namespace streamgate {

// file, stdout, kinesis.
void RegisterBuiltinSinks(SinkRegistry& registry);
// grpc, mqtt (started in this order).
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace streamgate
