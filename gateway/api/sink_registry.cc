#include "gateway/api/sink_registry.h"

namespace streamgate {

void SinkRegistry::Register(std::unique_ptr<SinkFactory> factory) {
  std::string type = factory->type();
  factories_[type] = std::move(factory);
}

const SinkFactory* SinkRegistry::Find(const std::string& type) const {
  auto it = factories_.find(type);
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<std::string> SinkRegistry::Types() const {
  std::vector<std::string> out;
  for (const auto& kv : factories_) out.push_back(kv.first);
  return out;
}

}  // namespace streamgate
