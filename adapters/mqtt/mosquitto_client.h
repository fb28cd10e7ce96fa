// MosquittoClient: owns one libmosquitto client handle configured from the
// `mqtt` section (protocol, threaded mode, credentials, TLS) and the CONNECT
// properties it sends (MQTT 5 Maximum Packet Size and Session Expiry
// Interval). It opens no connection: MqttSession does that with it.
//
// Threading: created and destroyed on one thread; the handle itself is
// used as libmosquitto's threaded mode allows (the session's loop thread
// drives it, mosquitto_disconnect may come from another thread).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "adapters/mqtt/config.h"

struct mosquitto;
typedef struct mqtt5__property mosquitto_property;

namespace streamgate {

class MosquittoClient {
 public:
  // `userdata` is what libmosquitto hands back to every callback. Errors
  // name the option that failed (never a secret).
  static absl::StatusOr<std::unique_ptr<MosquittoClient>> Create(
      const MqttConfig& config, void* userdata);
  ~MosquittoClient();
  MosquittoClient(const MosquittoClient&) = delete;
  MosquittoClient& operator=(const MosquittoClient&) = delete;

  mosquitto* get() const { return mosq_; }
  // For mosquitto_connect_bind_v5; null when there are none (MQTT 3.1.1).
  const mosquitto_property* connect_properties() const { return props_; }

 private:
  MosquittoClient() = default;
  absl::Status Configure(const MqttConfig& config);

  mosquitto* mosq_ = nullptr;
  mosquitto_property* props_ = nullptr;
};

}  // namespace streamgate
