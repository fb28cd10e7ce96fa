// ContextProbeSinkFactory: a SinkFactory for core tests that need to see
// what the gateway hands a sink (SinkContext): it remembers the last
// context's dead-letter file, and its sinks deliver every batch at once.
// Register it under the type a test config names. Test-only; one thread
// builds, as the gateway does.
#pragma once

#include <memory>
#include <string>

#include "gateway/api/config_reader.h"
#include "gateway/api/sink.h"
#include "tests/fakes/null_sink.h"

namespace streamgate {
namespace testing {

class ContextProbeSinkFactory : public SinkFactory {
 public:
  // `dead_letters` receives SinkContext::dead_letters of each sink built.
  ContextProbeSinkFactory(std::string type, DeadLetterFile** dead_letters)
      : type_(std::move(type)), dead_letters_(dead_letters) {}
  std::string type() const override { return type_; }
  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader&, const SinkContext& context) const override {
    *dead_letters_ = context.dead_letters;
    return std::unique_ptr<Sink>(new NullSink());
  }

 private:
  std::string type_;
  DeadLetterFile** const dead_letters_;
};

}  // namespace testing
}  // namespace streamgate
