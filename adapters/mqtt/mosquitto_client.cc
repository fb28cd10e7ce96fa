#include "adapters/mqtt/mosquitto_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

absl::Status OptionError(absl::string_view what, int rc) {
  return absl::InvalidArgumentError(
      absl::StrCat("mqtt: ", what, ": ", mosquitto_strerror(rc)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MosquittoClient>> MosquittoClient::Create(
    const MqttConfig& config, void* userdata) {
  InitLibraryOnce();
  std::unique_ptr<MosquittoClient> client(new MosquittoClient());
  client->mosq_ = mosquitto_new(
      config.client_id.empty() ? nullptr : config.client_id.c_str(),
      config.clean_session, userdata);
  if (client->mosq_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("mqtt: mosquitto_new failed: ", std::strerror(errno)));
  }
  RETURN_IF_ERROR(client->Configure(config));
  return client;
}

MosquittoClient::~MosquittoClient() {
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
  mosquitto_property_free_all(&props_);
}

absl::Status MosquittoClient::Configure(const MqttConfig& config) {
  int rc = mosquitto_int_option(
      mosq_, MOSQ_OPT_PROTOCOL_VERSION,
      config.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  if (rc != MOSQ_ERR_SUCCESS) return OptionError("protocol", rc);
  // Threaded mode: the PUBACK is written after on_message returns.
  mosquitto_threaded_set(mosq_, true);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (!config.username.empty()) {
    rc = mosquitto_username_pw_set(
        mosq_, config.username.c_str(),
        config.password.empty() ? nullptr : config.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return OptionError("username", rc);
  }
  if (config.tls) {
    const MqttTlsConfig& tls = *config.tls;
    rc = mosquitto_tls_set(
        mosq_, tls.ca_file.c_str(), nullptr,
        tls.cert_file.empty() ? nullptr : tls.cert_file.c_str(),
        tls.key_file.empty() ? nullptr : tls.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return OptionError("tls", rc);
    rc = mosquitto_tls_opts_set(mosq_, tls.verify ? 1 : 0, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return OptionError("tls", rc);
    if (!tls.verify) mosquitto_tls_insecure_set(mosq_, true);
  }
  if (config.protocol == 5) {
    mosquitto_property_add_int32(&props_, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                 config.max_packet_bytes);
  }
  if (config.protocol == 5 && !config.clean_session) {
    // Without a Session Expiry Interval an MQTT 5 broker ends the session at
    // disconnect and the messages queued for us are lost.
    mosquitto_property_add_int32(&props_, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                 config.session_expiry_s);
  }
  return absl::OkStatus();
}

}  // namespace streamgate
