#include "tools/sim/mqtt_publisher.h"

#include <mosquitto.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace streamgate::sim {

struct MqttPublisher::Connection {
  mosquitto* mosq = nullptr;
  SimStats* stats = nullptr;
  absl::Mutex mu;
  // CONNACK: 0 = waiting, 1 = accepted, -1 = refused (reason in connack_rc).
  int connack ABSL_GUARDED_BY(mu) = 0;
  int connack_rc ABSL_GUARDED_BY(mu) = 0;
  // Records of each published, not yet acknowledged mid. libmosquitto may
  // report the ack before mosquitto_publish returns the mid to us: those
  // mids wait in `early` until the publisher registers them.
  absl::flat_hash_map<int, int> pending ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<int> early ABSL_GUARDED_BY(mu);

  void OnPublished(int mid) {
    int records = -1;
    {
      absl::MutexLock lock(&mu);
      auto it = pending.find(mid);
      if (it == pending.end()) {
        early.insert(mid);
        return;
      }
      records = it->second;
      pending.erase(it);
    }
    stats->Acked(1, records);
  }

  void Register(int mid, int records) {
    {
      absl::MutexLock lock(&mu);
      if (early.erase(mid) == 0) {
        pending[mid] = records;
        return;
      }
    }
    stats->Acked(1, records);
  }
};

namespace {

std::string MosqError(int rc) { return absl::StrCat("mqtt_", rc); }

}  // namespace

MqttPublisher::MqttPublisher(const SimOptions& options,
                             const MessageSource& source, SimStats& stats)
    : options_(options), source_(source), stats_(stats) {}

MqttPublisher::~MqttPublisher() { Disconnect(); }

absl::Status MqttPublisher::Connect() {
  const size_t colon = options_.target.rfind(':');
  const std::string host = options_.target.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(options_.target.substr(colon + 1), &port) || port <= 0) {
    return absl::InvalidArgumentError("--target: bad port");
  }
  const int n = options_.mqtt_auth_device_id ? options_.devices : 1;
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<Connection>();
    c->stats = &stats_;
    const std::string device = absl::StrCat(options_.first_device_id + i);
    const std::string client_id =
        options_.mqtt_auth_device_id
            ? absl::StrCat("sim-device-", device)
            : absl::StrCat("streamgate-sim-", getpid());
    c->mosq = mosquitto_new(client_id.c_str(), true, c.get());
    if (c->mosq == nullptr) return absl::ResourceExhaustedError("mosquitto_new");
    mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_max_inflight_messages_set(c->mosq, options_.window);
    if (options_.mqtt_auth_device_id) {
      mosquitto_username_pw_set(
          c->mosq, device.c_str(),
          options_.mqtt_password.empty() ? nullptr
                                         : options_.mqtt_password.c_str());
    }
    mosquitto_connect_callback_set(c->mosq, [](mosquitto*, void* obj, int rc) {
      auto* conn = static_cast<Connection*>(obj);
      absl::MutexLock lock(&conn->mu);
      conn->connack = rc == 0 ? 1 : -1;
      conn->connack_rc = rc;
    });
    mosquitto_publish_callback_set(c->mosq, [](mosquitto*, void* obj, int mid) {
      static_cast<Connection*>(obj)->OnPublished(mid);
    });
    const int rc = mosquitto_connect(c->mosq, host.c_str(), port, 60);
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::UnavailableError(absl::StrCat(
          "mqtt: connect to ", options_.target, ": ", mosquitto_strerror(rc)));
    }
    mosquitto_loop_start(raw->mosq);
    absl::MutexLock lock(&raw->mu);
    auto answered = [raw]() ABSL_SHARED_LOCKS_REQUIRED(raw->mu) {
      return raw->connack != 0;
    };
    if (!raw->mu.AwaitWithTimeout(absl::Condition(&answered),
                                  absl::Seconds(10))) {
      return absl::DeadlineExceededError(
          absl::StrCat("mqtt: no CONNACK from ", options_.target));
    }
    if (raw->connack < 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "mqtt: broker refused client ", client_id, ": ",
          mosquitto_connack_string(raw->connack_rc)));
    }
  }
  return absl::OkStatus();
}

void MqttPublisher::Disconnect() {
  for (auto& c : connections_) {
    mosquitto_disconnect(c->mosq);
    mosquitto_loop_stop(c->mosq, false);
    mosquitto_destroy(c->mosq);
  }
  connections_.clear();
}

absl::Status MqttPublisher::Run(Pacer& pacer) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  auto outstanding = [this] {
    return stats_.messages_sent() - stats_.messages_acked() -
           stats_.messages_failed();
  };
  absl::Status result;
  for (int64_t m; (m = pacer.Next()) >= 0;) {
    const int64_t device = source_.DeviceOf(source_.KindIndex(m));
    Connection& c = *connections_[options_.mqtt_auth_device_id
                                      ? device - options_.first_device_id
                                      : 0];
    const std::string topic = source_.Topic(m);
    const std::string payload = source_.Payload(m);
    const int records = source_.RecordsOf(m);
    // Bounded: libmosquitto would otherwise queue every message in memory.
    while (outstanding() >= options_.window) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    int mid = 0;
    int rc;
    while ((rc = mosquitto_publish(c.mosq, &mid, topic.c_str(),
                                   static_cast<int>(payload.size()),
                                   payload.data(), options_.qos, false)) ==
           MOSQ_ERR_NOMEM) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    stats_.Sent(1, records);
    if (rc != MOSQ_ERR_SUCCESS) {
      stats_.Failed(MosqError(rc), 1, records);
      if (rc != MOSQ_ERR_NO_CONN) {  // reconnecting: keep trying
        result = absl::UnavailableError(
            absl::StrCat("mqtt: publish: ", mosquitto_strerror(rc)));
        pacer.Stop();
      }
      continue;
    }
    c.Register(mid, records);
  }
  // Wait for the last acknowledgements; whatever is still missing counts as
  // failed ("unacked").
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (outstanding() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  for (auto& c : connections_) {
    absl::MutexLock lock(&c->mu);
    for (const auto& [mid, records] : c->pending) {
      stats_.Failed("unacked", 1, records);
    }
    c->pending.clear();
  }
  Disconnect();
  return result;
}

}  // namespace streamgate::sim
