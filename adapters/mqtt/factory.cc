#include "adapters/mqtt/factory.h"

#include <string>
#include <utility>
#include <vector>

#include "adapters/mqtt/config.h"
#include "adapters/mqtt/mqtt_adapter.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

constexpr char kSection[] = "mqtt";

class MqttAdapterFactory : public AdapterFactory {
 public:
  std::string name() const override { return "mqtt"; }
  std::vector<std::string> sections() const override { return {kSection}; }

  absl::StatusOr<std::unique_ptr<Adapter>> Create(
      const ConfigReader& root, const AdapterContext& context) const override {
    if (!root.Has(kSection)) return std::unique_ptr<Adapter>();
    ASSIGN_OR_RETURN(ConfigReader section,
                     root.Section(kSection, /*optional=*/false));
    ASSIGN_OR_RETURN(MqttConfig config, ParseMqttConfig(section));
    return std::unique_ptr<Adapter>(std::make_unique<MqttAdapter>(
        std::move(config), context.ingest, context.rejects));
  }
};

}  // namespace

std::unique_ptr<AdapterFactory> MakeMqttAdapterFactory() {
  return std::make_unique<MqttAdapterFactory>();
}

}  // namespace streamgate
