#include "sinks/stdout/config.h"

#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"
#include "sinks/stdout/stdout_sink.h"

namespace streamgate {
namespace {

class StdoutSinkFactory : public SinkFactory {
 public:
  std::string type() const override { return "stdout"; }

  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader& config, const SinkContext& context) const override {
    RETURN_IF_ERROR(config.CheckKnownKeys({"type"}));
    return std::unique_ptr<Sink>(
        std::make_unique<StdoutSink>(context.module_id, context.logger));
  }
};

}  // namespace

std::unique_ptr<SinkFactory> MakeStdoutSinkFactory() {
  return std::make_unique<StdoutSinkFactory>();
}

}  // namespace streamgate
