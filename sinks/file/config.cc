#include "sinks/file/config.h"

#include <string>
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
        {"type", "path", "fsync", "rotate_bytes", "rotate_keep", "mode"}));
    FileSinkOptions o;
    ASSIGN_OR_RETURN(auto path, config.String("path"));
    if (!path || path->empty()) {
      return FieldError(config.node(), config.Field("path"),
                        "required (the file to append to)");
    }
    o.path = *std::move(path);
    RETURN_IF_ERROR(config.Read("fsync", o.fsync));
    RETURN_IF_ERROR(
        config.Read("rotate_bytes", o.rotate_bytes, 0, int64_t{1} << 50));
    int64_t keep = o.rotate_keep;
    RETURN_IF_ERROR(config.Read("rotate_keep", keep, 0, 1000));
    o.rotate_keep = static_cast<int>(keep);
    ASSIGN_OR_RETURN(auto mode, config.String("mode"));
    if (mode) {
      // Octal, as chmod takes it; the owner must be able to write.
      if (mode->size() < 3 || mode->size() > 4 ||
          mode->find_first_not_of("01234567") != std::string::npos ||
          (std::stoi(*mode, nullptr, 8) & 0200) == 0) {
        return FieldError(config.node(), config.Field("mode"),
                          "must be an octal mode with owner write, like "
                          "\"0640\"");
      }
      o.mode = static_cast<mode_t>(std::stoi(*mode, nullptr, 8));
    }
    return std::unique_ptr<Sink>(std::make_unique<FileSink>(
        context.module_id, std::move(o), context.logger));
  }
};

}  // namespace

std::unique_ptr<SinkFactory> MakeFileSinkFactory() {
  return std::make_unique<FileSinkFactory>();
}

}  // namespace streamgate
