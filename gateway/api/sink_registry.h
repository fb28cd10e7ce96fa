// SinkRegistry maps a `sink.type` to its factory. Filled once at start-up by
// RegisterBuiltinSinks (gateway/server/builtin.h: one explicit list, since
// static self-registration is silently dropped by static libraries). Read-only afterwards, so safe to
// share between threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/api/sink.h"

namespace streamgate {

class SinkRegistry {
 public:
  void Register(std::unique_ptr<SinkFactory> factory);
  // nullptr when no factory handles `type`.
  const SinkFactory* Find(const std::string& type) const;
  std::vector<std::string> Types() const;

 private:
  std::map<std::string, std::unique_ptr<SinkFactory>> factories_;
};

}  // namespace streamgate
