#include "bench/mqtt_load/raw_subscriber.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "adapters/mqtt/protocol/packet_reader.h"
#include "adapters/mqtt/protocol/packet_writer.h"

namespace streamgate {
namespace bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBuffer = 256 * 1024;

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

bool SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n =
        ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int RunRawSubscriber(int port, int qos, long messages, long idle_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("connect");
    return 1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string out;
  mqtt::ConnectOptions o;
  o.protocol = mqtt::kProtocol5;
  o.client_id = "bench-rawsub";
  o.clean_start = true;
  o.keepalive_s = 60;
  mqtt::PacketWriter::Connect(o, out);
  mqtt::PacketWriter::Subscribe(mqtt::kProtocol5, 1, {"/devices/+/event"},
                                static_cast<uint8_t>(qos), out);
  if (!SendAll(fd, out)) return 1;
  const mqtt::PacketReader reader(mqtt::kProtocol5, kBuffer);
  std::string buffer(kBuffer, '\0');
  size_t used = 0;
  long received = 0;
  bool ready = false;
  Clock::time_point first, last = Clock::now();
  double cpu0 = 0;
  while (received < messages) {
    pollfd p{fd, POLLIN, 0};
    const int wait = ready && received > 0 ? static_cast<int>(idle_ms) : 30000;
    if (::poll(&p, 1, wait) <= 0) break;  // idle: the broker dropped some
    const ssize_t n = ::recv(fd, &buffer[used], buffer.size() - used, 0);
    if (n <= 0) break;
    used += static_cast<size_t>(n);
    out.clear();
    size_t pos = 0;
    while (true) {
      mqtt::Packet packet;
      auto next = reader.Next(
          absl::string_view(buffer.data() + pos, used - pos), &packet);
      if (!next.ok()) {
        std::fprintf(stderr, "rawsub: %s\n",
                     std::string(next.status().message()).c_str());
        return 1;
      }
      if (*next == 0) break;
      pos += *next;
      if (packet.type == mqtt::PacketType::kSuback && !ready) {
        ready = true;
        std::printf("READY\n");
        std::fflush(stdout);
      } else if (packet.type == mqtt::PacketType::kPublish) {
        if (received++ == 0) {
          first = Clock::now();
          cpu0 = CpuSeconds();
        }
        if (packet.qos == 1) {
          mqtt::PacketWriter::Ack(mqtt::PacketType::kPuback, packet.packet_id,
                                  out);
        }
      }
    }
    if (!out.empty() && !SendAll(fd, out)) return 1;
    std::memmove(&buffer[0], &buffer[pos], used - pos);
    used -= pos;
    last = Clock::now();
  }
  const double cpu = CpuSeconds() - cpu0;
  const double s = std::chrono::duration<double>(last - first).count();
  std::printf(
      "RESULT mode=rawsub qos=%d received=%ld expected=%ld seconds=%.3f "
      "rate=%.0f cpu_us_per_msg=%.2f\n",
      qos, received, messages, s, s > 0 ? (received - 1) / s : 0.0,
      received > 0 ? cpu * 1e6 / received : 0.0);
  ::close(fd);
  return 0;
}

}  // namespace bench
}  // namespace streamgate
