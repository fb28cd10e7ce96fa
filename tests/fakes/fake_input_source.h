// FakeInputSource: an InputSource (gateway/api/ingest.h) with a fixed topic
// and fixed top-level payload field texts, for partition-key tests that need
// no MQTT. Counts field look-ups. Test-only; one thread.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "gateway/api/ingest.h"

namespace streamgate {

class FakeInputSource : public InputSource {
 public:
  FakeInputSource(std::string topic, std::map<std::string, std::string> fields)
      : topic_(std::move(topic)), fields_(std::move(fields)) {}

  absl::string_view topic() const override { return topic_; }
  bool AppendPayloadField(absl::string_view name,
                          std::string& out) const override {
    ++lookups_;
    auto it = fields_.find(std::string(name));
    if (it == fields_.end()) return false;
    out.append(it->second);
    return true;
  }
  int lookups() const { return lookups_; }

 private:
  std::string topic_;
  std::map<std::string, std::string> fields_;
  mutable int lookups_ = 0;
};

}  // namespace streamgate
