#include "gateway/api/adapter_registry.h"

namespace streamgate {

void AdapterRegistry::Register(std::unique_ptr<AdapterFactory> factory) {
  factories_.push_back(std::move(factory));
}

std::vector<std::string> AdapterRegistry::Sections() const {
  std::vector<std::string> out;
  for (const auto& f : factories_) {
    for (std::string& s : f->sections()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace streamgate
