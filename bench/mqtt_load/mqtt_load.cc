// mqtt_load: a libmosquitto load tool for the MQTT benchmarks (issue 4).
//
//   mqtt_load pub --port P [--qos 0|1] [--messages N] [--devices D]
//                 [--size BYTES] [--inflight K] [--rate R]
//     Publishes N events of exactly BYTES bytes of JSON round-robin from D
//     simulated device ids (/devices/{id}/event). QoS 1: at most K
//     unacknowledged. --rate R paces the publisher to R msg/s (0: as fast as
//     the broker takes them). Prints one `RESULT ...` line.
//   mqtt_load sub --port P [--qos 0|1] --messages N [--idle-ms 2000]
//     A plain subscriber used as libmosquitto's header says (loop_start,
//     i.e. threaded mode with max_packets 1): counts messages on
//     /devices/+/event until N arrived or none for --idle-ms, and prints the
//     rate from the first to the last message — the broker's own relay
//     ceiling, to compare with publisher → broker → gateway side by side.
//     Prints `READY` once the SUBACK is in, then one `RESULT ...` line.
//   mqtt_load rawsub --port P [--qos 0|1] --messages N [--idle-ms 2000]
//     The same count with RawSubscriber (raw_subscriber.h): batched reads
//     and PUBACKs over the gateway's packet codec, no libmosquitto.
//
// Threading: the main thread publishes or waits; libmosquitto's network
// thread (loop_start) runs the callbacks; they share only atomics.
#include <mosquitto.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "bench/mqtt_load/raw_subscriber.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  int port = 1883;
  int qos = 0;
  long messages = 100000;
  int devices = 1000;
  int size = 150;
  int inflight = 100;
  double rate = 0;  // msg/s; 0 = unpaced
  long idle_ms = 2000;
};

std::atomic<long> g_acked{0};
std::atomic<long> g_received{0};
std::atomic<bool> g_subscribed{false};
// Receive time of the first and the latest message (ns since Clock epoch),
// written by the network thread.
std::atomic<int64_t> g_first_ns{0};
std::atomic<int64_t> g_last_ns{0};

bool ParseArgs(int argc, char** argv, Options* o) {
  if (argc < 2 || (argc % 2) != 0) return false;
  o->mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port") o->port = std::atoi(v);
    else if (k == "--qos") o->qos = std::atoi(v);
    else if (k == "--messages") o->messages = std::atol(v);
    else if (k == "--devices") o->devices = std::atoi(v);
    else if (k == "--size") o->size = std::atoi(v);
    else if (k == "--inflight") o->inflight = std::atoi(v);
    else if (k == "--rate") o->rate = std::atof(v);
    else if (k == "--idle-ms") o->idle_ms = std::atol(v);
    else return false;
  }
  return (o->mode == "pub" || o->mode == "sub" || o->mode == "rawsub") && o->qos >= 0 && o->qos <= 1 &&
         o->devices > 0 && o->messages > 0 && o->inflight > 0 && o->rate >= 0;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// This process's user+system CPU seconds.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
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

// {"eventType":"load","eventData":{"i":N,"pad":"xx..."}} of exactly `size`
// bytes (at least the unpadded form).
void MakePayload(long i, int size, std::string* out) {
  *out = "{\"eventType\":\"load\",\"eventData\":{\"i\":";
  *out += std::to_string(i);
  *out += ",\"pad\":\"";
  const size_t tail = 3;  // "}}
  if (out->size() + tail < static_cast<size_t>(size)) {
    out->append(size - out->size() - tail, 'x');
  }
  *out += "\"}}";
}

int Publish(const Options& o) {
  mosquitto* m = Connect(o, false);
  mosquitto_publish_callback_set(m, [](mosquitto*, void*, int) { ++g_acked; });
  mosquitto_loop_start(m);
  const auto start = Clock::now();
  const double cpu0 = CpuSeconds();
  char topic[64];
  std::string payload;
  for (long i = 0; i < o.messages; ++i) {
    if (o.rate > 0 && (i % 64) == 0) {
      // Paced: message i is due at start + i/rate; sleep when ahead.
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(i / o.rate));
      if (due > Clock::now()) std::this_thread::sleep_until(due);
    }
    std::snprintf(topic, sizeof(topic), "/devices/%d/event",
                  1 + static_cast<int>(i % o.devices));
    MakePayload(i, o.size, &payload);
    // QoS 1: keep at most `inflight` unacknowledged (libmosquitto would
    // otherwise queue everything in memory).
    while (o.qos == 1 && i - g_acked.load() >= o.inflight) {
      std::this_thread::yield();
    }
    int rc;
    while ((rc = mosquitto_publish(m, nullptr, topic,
                                   static_cast<int>(payload.size()),
                                   payload.data(), o.qos, false)) ==
           MOSQ_ERR_NOMEM) {
      std::this_thread::yield();
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      std::fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc));
      return 1;
    }
  }
  // QoS 0: on_publish fires once the message is written to the socket.
  while (g_acked.load() < o.messages) std::this_thread::yield();
  const double s = Seconds(start);
  std::printf(
      "RESULT mode=pub qos=%d published=%ld size=%zu seconds=%.3f rate=%.0f "
      "target_rate=%.0f cpu_us_per_msg=%.2f\n",
      o.qos, o.messages, payload.size(), s, o.messages / s, o.rate,
      (CpuSeconds() - cpu0) * 1e6 / o.messages);
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, false);
  mosquitto_destroy(m);
  return 0;
}

int Subscribe(const Options& o) {
  mosquitto* m = Connect(o, true);
  mosquitto_message_callback_set(
      m, [](mosquitto*, void*, const mosquitto_message*) {
        const int64_t now = NowNs();
        if (g_received.fetch_add(1, std::memory_order_relaxed) == 0) {
          g_first_ns.store(now);
        }
        g_last_ns.store(now, std::memory_order_relaxed);
      });
  mosquitto_subscribe_callback_set(
      m, [](mosquitto*, void*, int, int, const int*) { g_subscribed = true; });
  mosquitto_subscribe(m, nullptr, "/devices/+/event", o.qos);
  mosquitto_loop_start(m);
  while (!g_subscribed.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::printf("READY\n");
  std::fflush(stdout);
  while (g_received.load() == 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const double cpu0 = CpuSeconds();
  // Stop at N, or after idle_ms without traffic (the broker may drop QoS 0
  // messages for a slow subscriber): the rate counts what arrived.
  while (g_received.load() < o.messages) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if ((NowNs() - g_last_ns.load()) / 1000000 > o.idle_ms) break;
  }
  const double cpu = CpuSeconds() - cpu0;
  const long got = g_received.load();
  const double s = (g_last_ns.load() - g_first_ns.load()) / 1e9;
  std::printf(
      "RESULT mode=sub qos=%d received=%ld expected=%ld seconds=%.3f rate=%.0f "
      "cpu_us_per_msg=%.2f\n",
      o.qos, got, o.messages, s, s > 0 ? (got - 1) / s : 0.0,
      got > 0 ? cpu * 1e6 / got : 0.0);
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
                 "usage: mqtt_load pub|sub|rawsub --port P [--qos 0|1] [--messages N] "
                 "[--devices D] [--size BYTES] [--inflight K] [--rate MSG_PER_S] "
                 "[--idle-ms MS]\n");
    return 2;
  }
  if (o.mode == "rawsub") {
    return streamgate::bench::RunRawSubscriber(o.port, o.qos, o.messages,
                                               o.idle_ms);
  }
  mosquitto_lib_init();
  const int rc = o.mode == "pub" ? Publish(o) : Subscribe(o);
  mosquitto_lib_cleanup();
  return rc;
}
