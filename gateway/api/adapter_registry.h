// AdapterRegistry: the adapter factories the gateway knows, in the order
// their adapters start. Filled once at start-up by RegisterBuiltinAdapters
// (gateway/server/builtin.h, one explicit list). Read-only afterwards, so
// safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/api/adapter.h"

namespace streamgate {

class AdapterRegistry {
 public:
  void Register(std::unique_ptr<AdapterFactory> factory);
  const std::vector<std::unique_ptr<AdapterFactory>>& factories() const {
    return factories_;
  }
  // Every top-level config key some adapter owns.
  std::vector<std::string> Sections() const;

 private:
  std::vector<std::unique_ptr<AdapterFactory>> factories_;
};

}  // namespace streamgate
