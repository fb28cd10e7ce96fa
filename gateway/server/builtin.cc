#include "gateway/server/builtin.h"

#include "adapters/grpc/factory.h"
#include "adapters/mqtt/factory.h"
#include "sinks/file/config.h"
#include "sinks/kinesis/config.h"
#include "sinks/stdout/config.h"

namespace streamgate {

void RegisterBuiltinSinks(SinkRegistry& registry) {
  registry.Register(MakeFileSinkFactory());
  registry.Register(MakeStdoutSinkFactory());
  registry.Register(MakeKinesisSinkFactory());
}

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  registry.Register(MakeGrpcAdapterFactory());
  registry.Register(MakeMqttAdapterFactory());
}

}  // namespace streamgate
