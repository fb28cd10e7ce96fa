// The one explicit list of built-in sink types.
#include "sinks/file/config.h"
#include "gateway/api/sink_registry.h"
#include "sinks/stdout/config.h"
#include "sinks/kinesis/config.h"

namespace streamgate {

void RegisterBuiltinSinks(SinkRegistry& registry) {
  registry.Register(MakeFileSinkFactory());
  registry.Register(MakeStdoutSinkFactory());
  registry.Register(MakeKinesisSinkFactory());
}

}  // namespace streamgate
