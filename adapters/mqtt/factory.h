// The MQTT adapter's factory: owns the top-level `mqtt` config section and
// builds an MqttAdapter from it (no network I/O until Start, so
// --check-config can use it). A config without an `mqtt` section, or with
// `mqtt:` null, has no MQTT input: Create returns nullptr.
// Stateless; thread-safe.
#pragma once

#include <memory>

#include "gateway/api/adapter.h"

namespace streamgate {

std::unique_ptr<AdapterFactory> MakeMqttAdapterFactory();

}  // namespace streamgate
