// TestPublisher: a device stand-in for MQTT adapter tests. A libmosquitto
// client (loop_start) that publishes and waits until the broker acknowledged
// every QoS 1 message. Also builds MessagePack bulk payloads (spec 1.2).
//
// Threading: call from one test thread; libmosquitto's thread runs callbacks.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct mosquitto;

namespace streamgate {
namespace testing {

struct PublisherTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class TestPublisher {
 public:
  static absl::StatusOr<std::unique_ptr<TestPublisher>> Connect(
      int port, const PublisherTls* tls = nullptr);
  ~TestPublisher();

  absl::Status Publish(const std::string& topic, const std::string& payload,
                       int qos = 1);
  // Waits until the broker acknowledged every QoS >= 1 publish so far.
  absl::Status WaitAcked(absl::Duration timeout = absl::Seconds(30));
  // Connections lost so far. libmosquitto reconnects by itself, re-sends the
  // QoS 1 messages in flight (duplicates at the broker) and drops queued
  // QoS 0 ones: a test counting exact deliveries cannot judge such a run.
  int disconnects() const { return disconnects_.load(); }

 private:
  TestPublisher() = default;
  static void OnPublish(mosquitto*, void* self, int mid);
  static void OnDisconnect(mosquitto*, void* self, int rc);

  mosquitto* mosq_ = nullptr;
  std::atomic<int> sent_{0};
  std::atomic<int> acked_{0};
  std::atomic<int> disconnects_{0};
};

// "1.0" followed by each record as a MessagePack bin (the reference encoding).
std::string MsgpackBulk(const std::vector<std::string>& records);

}  // namespace testing
}  // namespace streamgate
