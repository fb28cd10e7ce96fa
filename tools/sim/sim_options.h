// Command-line options of streamgate-sim, the device simulator. Parsed once
// on the main thread (absl flags); read-only afterwards, safe to share.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace streamgate::sim {

enum class Transport { kMqtt, kGrpc };
enum class GrpcMode { kStream, kUnary };

struct SimOptions {
  Transport transport = Transport::kMqtt;
  std::string target = "127.0.0.1:1883";  // HOST:PORT of the broker / gateway
  int devices = 10;                        // device ids first..first+devices-1
  int64_t first_device_id = 1;
  std::string events_file;                 // JSON list of {eventType, eventData}
  std::string bulk_label;                  // non-empty: also publish bulk data
  int bulk_records = 4;                    // records per bulk payload
  int bulk_record_bytes = 32;              // bytes per bulk record
  double rate = 0;                         // messages/s over all devices; 0 = max
  absl::Duration duration = absl::Seconds(10);  // used when count == 0
  int64_t count = 0;                       // messages to send; 0 = for duration
  // MQTT
  int qos = 1;
  bool mqtt_auth_device_id = false;  // username = device id, one connection each
  std::string mqtt_password;         // with mqtt_auth_device_id
  // gRPC
  GrpcMode grpc_mode = GrpcMode::kStream;
  int batch = 1;          // stream: events per PublishRequest (EventBatch if > 1)
  int window = 256;       // messages (MQTT) / requests (gRPC) unanswered at most
  int inflight = 8;       // unary: concurrent calls
  int64_t home_id = 0;    // gRPC home_id; 0 = the gateway's registry decides
  std::string api_key;    // gRPC: sent as "authorization: Bearer <key>"
  bool quiet = false;     // no per-second lines
  // The gateway's config: MQTT runs report what it refuses (GatewayView).
  std::string gateway_config;
  // The gateway's metrics.listen: MQTT runs report its own counters.
  std::string gateway_metrics;
};

// Reads the absl flags (after absl::ParseCommandLine) into SimOptions;
// INVALID_ARGUMENT naming the flag when a value is out of range.
absl::StatusOr<SimOptions> SimOptionsFromFlags();

const char* TransportName(Transport t);

}  // namespace streamgate::sim
