#include "sinks/file/config.h"

#include <utility>

#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"
#include "sinks/file/file_sink.h"

namespace streamgate {
namespace {

class FileSinkFactory : public SinkFactory {
 public:
  std::string type() const override { return "file"; }

  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader& config, const SinkContext& context) const override {
    RETURN_IF_ERROR(config.CheckKnownKeys(
        {"type", "path", "fsync", "rotate_bytes", "rotate_keep"}));
    FileSinkOptions o;
    ASSIGN_OR_RETURN(auto path, config.String("path"));
    if (!path || path->empty()) {
      return FieldError(config.node(), config.Field("path"),
                        "required (the file to append to)");
    }
    o.path = *std::move(path);
    RETURN_IF_ERROR(config.Read("fsync", o.fsync));
    RETURN_IF_ERROR(config.Read("rotate_bytes", o.rotate_bytes, 0, int64_t{1} << 50));
    int64_t keep = o.rotate_keep;
    RETURN_IF_ERROR(config.Read("rotate_keep", keep, 0, 1000));
    o.rotate_keep = static_cast<int>(keep);
    return std::unique_ptr<Sink>(
        std::make_unique<FileSink>(context.module_id, std::move(o), context.logger));
  }
};

}  // namespace

std::unique_ptr<SinkFactory> MakeFileSinkFactory() {
  return std::make_unique<FileSinkFactory>();
}

}  // namespace streamgate
