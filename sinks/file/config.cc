#include "sinks/file/config.h"

#include "gateway/common/status_macros.h"
#include "gateway/api/config_reader.h"
#include "sinks/file/file_sink.h"

namespace streamgate {
namespace {

class FileSinkFactory : public SinkFactory {
 public:
  std::string type() const override { return "file"; }

  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const YAML::Node& config, const SinkContext& context) const override {
    RETURN_IF_ERROR(CheckKnownKeys(
        config, {"type", "path", "fsync", "rotate_bytes", "rotate_keep"},
        "sink."));
    FileSinkOptions o;
    ASSIGN_OR_RETURN(auto path, ReadString(config, "path", "sink."));
    if (!path || path->empty()) {
      return FieldError(config, "sink.path", "required (the file to append to)");
    }
    o.path = *path;
    ASSIGN_OR_RETURN(auto fsync, ReadBool(config, "fsync", "sink."));
    o.fsync = fsync.value_or(false);
    ASSIGN_OR_RETURN(auto rb, ReadInt(config, "rotate_bytes", "sink.", 0,
                                      int64_t{1} << 50));
    o.rotate_bytes = rb.value_or(0);
    ASSIGN_OR_RETURN(auto keep, ReadInt(config, "rotate_keep", "sink.", 0, 1000));
    o.rotate_keep = static_cast<int>(keep.value_or(5));
    return std::unique_ptr<Sink>(
        std::make_unique<FileSink>(context.module_id, std::move(o)));
  }
};

}  // namespace

std::unique_ptr<SinkFactory> MakeFileSinkFactory() {
  return std::make_unique<FileSinkFactory>();
}

}  // namespace streamgate
