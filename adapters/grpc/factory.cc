#include "adapters/grpc/factory.h"

#include <string>
#include <vector>

#include "adapters/grpc/grpc_adapter.h"
#include "adapters/grpc/grpc_config.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

class GrpcAdapterFactory : public AdapterFactory {
 public:
  std::string name() const override { return "grpc"; }
  std::vector<std::string> sections() const override {
    return {"grpc", "api_keys"};
  }
  absl::StatusOr<std::unique_ptr<Adapter>> Create(
      const ConfigReader& root, const AdapterContext& context) const override {
    ASSIGN_OR_RETURN(GrpcAdapterConfig config, ParseGrpcAdapterConfig(root));
    return std::unique_ptr<Adapter>(
        std::make_unique<GrpcAdapter>(std::move(config), context));
  }
};

}  // namespace

std::unique_ptr<AdapterFactory> MakeGrpcAdapterFactory() {
  return std::make_unique<GrpcAdapterFactory>();
}

}  // namespace streamgate
