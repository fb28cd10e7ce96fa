// GrpcAdapterFactory: builds the gRPC adapter (adapters/grpc/grpc_adapter.h)
// from the top-level config sections it owns, `grpc` and `api_keys`. gRPC
// is always enabled: without a `grpc` section the adapter listens on the
// default 127.0.0.1:50051. Create only parses and builds (no network), so
// --check-config can call it.
//
// Threading: the factory is immutable; use it from the main thread.
#pragma once

#include <memory>

#include "gateway/api/adapter.h"

namespace streamgate {

std::unique_ptr<AdapterFactory> MakeGrpcAdapterFactory();

}  // namespace streamgate
