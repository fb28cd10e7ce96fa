// mqtt_load: a libmosquitto load tool for the MQTT benchmarks (issue 4).
//
//   mqtt_load pub --port P [--qos 0|1] [--messages N] [--devices D]
//                 [--size BYTES] [--inflight K]
//     Publishes N events of ~BYTES bytes round-robin from D simulated device
//     ids (/devices/{id}/event), as fast as the broker takes them (QoS 1:
//     at most K unacknowledged), then prints the publish rate.
//   mqtt_load sub --port P [--qos 0|1] --messages N
//     A plain subscriber (loop_start, max_packets 1): counts N messages on
//     /devices/+/event and prints the receive rate — the broker's own relay
//     ceiling, to compare with publisher → broker → gateway side by side.
//
// Single-threaded apart from libmosquitto's own network thread.
#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

struct Options {
  std::string mode;
  int port = 1883;
  int qos = 0;
  long messages = 100000;
  int devices = 1000;
  int size = 150;
  int inflight = 100;
};

std::atomic<long> g_acked{0};
std::atomic<long> g_received{0};

bool ParseArgs(int argc, char** argv, Options* o) {
  if (argc < 2) return false;
  o->mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (k == "--port") o->port = static_cast<int>(v);
    else if (k == "--qos") o->qos = static_cast<int>(v);
    else if (k == "--messages") o->messages = v;
    else if (k == "--devices") o->devices = static_cast<int>(v);
    else if (k == "--size") o->size = static_cast<int>(v);
    else if (k == "--inflight") o->inflight = static_cast<int>(v);
    else return false;
  }
  return (o->mode == "pub" || o->mode == "sub") && o->qos >= 0 && o->qos <= 1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

mosquitto* Connect(const Options& o, bool subscriber) {
  mosquitto* m = mosquitto_new(nullptr, true, nullptr);
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  if (!subscriber) mosquitto_max_inflight_messages_set(m, o.inflight);
  const int rc = mosquitto_connect(m, "127.0.0.1", o.port, 60);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "connect: %s\n", mosquitto_strerror(rc));
    std::exit(1);
  }
  return m;
}

int Publish(const Options& o) {
  mosquitto* m = Connect(o, false);
  mosquitto_publish_callback_set(m, [](mosquitto*, void*, int) { ++g_acked; });
  mosquitto_loop_start(m);
  // ~size bytes of JSON: {"eventType":"load","eventData":{"i":N,"pad":"xx.."}}
  const std::string pad(o.size > 60 ? o.size - 60 : 1, 'x');
  const auto start = std::chrono::steady_clock::now();
  char topic[64];
  std::string payload;
  for (long i = 0; i < o.messages; ++i) {
    std::snprintf(topic, sizeof(topic), "/devices/%d/event", 1 + static_cast<int>(i % o.devices));
    payload = "{\"eventType\":\"load\",\"eventData\":{\"i\":" + std::to_string(i) +
              ",\"pad\":\"" + pad + "\"}}";
    // QoS 1: keep at most `inflight` unacknowledged (libmosquitto would
    // otherwise queue everything in memory).
    while (o.qos == 1 && i - g_acked.load() >= o.inflight) {
      std::this_thread::yield();
    }
    int rc;
    while ((rc = mosquitto_publish(m, nullptr, topic, static_cast<int>(payload.size()),
                                   payload.data(), o.qos, false)) == MOSQ_ERR_NOMEM) {
      std::this_thread::yield();
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      std::fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc));
      return 1;
    }
  }
  while (g_acked.load() < o.messages) std::this_thread::yield();
  const double s = Seconds(start);
  std::printf("pub qos=%d messages=%ld size=%zu seconds=%.3f rate=%.0f/s\n", o.qos,
              o.messages, payload.size(), s, o.messages / s);
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, false);
  mosquitto_destroy(m);
  return 0;
}

int Subscribe(const Options& o) {
  mosquitto* m = Connect(o, true);
  mosquitto_message_callback_set(
      m, [](mosquitto*, void*, const mosquitto_message*) { ++g_received; });
  mosquitto_subscribe(m, nullptr, "/devices/+/event", o.qos);
  mosquitto_loop_start(m);
  std::printf("ready\n");
  std::fflush(stdout);
  while (g_received.load() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  const auto start = std::chrono::steady_clock::now();
  // Stop at N, or after 2 s without traffic (the broker may drop QoS 0
  // messages for a slow subscriber): the rate counts what arrived.
  auto last_time = std::chrono::steady_clock::now();
  long last = 0;
  while (g_received.load() < o.messages) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const long now = g_received.load();
    if (now != last) {
      last = now;
      last_time = std::chrono::steady_clock::now();
    } else if (Seconds(last_time) > 2.0) {
      break;
    }
  }
  const long got = g_received.load();
  const double s =
      std::chrono::duration<double>(last_time - start).count();
  std::printf("sub qos=%d received=%ld of %ld seconds=%.3f rate=%.0f/s\n", o.qos, got,
              o.messages, s, (got - 1) / s);
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, false);
  mosquitto_destroy(m);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: mqtt_load pub|sub --port P [--qos 0|1] [--messages N] "
                 "[--devices D] [--size BYTES] [--inflight K]\n");
    return 2;
  }
  mosquitto_lib_init();
  const int rc = o.mode == "pub" ? Publish(o) : Subscribe(o);
  mosquitto_lib_cleanup();
  return rc;
}
