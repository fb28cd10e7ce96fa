// The one explicit list of built-in sink types.
#include "sinks/file/config.h"
#include "sinks/sink_registry.h"
#include "sinks/stdout/config.h"
#ifdef STREAMGATE_HAVE_KINESIS
#include "sinks/kinesis/config.h"
#endif

namespace streamgate {

void RegisterBuiltinSinks(SinkRegistry& registry) {
  registry.Register(MakeFileSinkFactory());
  registry.Register(MakeStdoutSinkFactory());
#ifdef STREAMGATE_HAVE_KINESIS
  registry.Register(MakeKinesisSinkFactory());
#endif
}

}  // namespace streamgate
