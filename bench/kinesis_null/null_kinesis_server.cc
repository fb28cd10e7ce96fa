#include "bench/kinesis_null/null_kinesis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <string>

namespace streamgate::bench {
namespace {

constexpr std::string_view kPutRecords = "Kinesis_20131202.PutRecords";
constexpr std::string_view kListShards = "Kinesis_20131202.ListShards";
constexpr std::string_view kDescribeSummary = "Kinesis_20131202.DescribeStreamSummary";
constexpr std::string_view kRecordOk =
    "{\"SequenceNumber\":\"1\",\"ShardId\":\"shardId-000000000000\"}";

int64_t NowNanos(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(what + ": " + std::strerror(errno));
}

void AppendResponse(std::string& out, int code, std::string_view reason,
                    std::string_view body, bool keep_alive) {
  out.append("HTTP/1.1 ").append(std::to_string(code)).append(" ").append(reason);
  out.append(
      "\r\nContent-Type: application/x-amz-json-1.1\r\n"
      "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n"
      "Content-Length: ");
  out.append(std::to_string(body.size()));
  out.append(keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  out.append(body);
}

double Seconds(int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

}  // namespace

absl::StatusOr<std::unique_ptr<NullKinesisServer>> NullKinesisServer::Create(
    const NullKinesisOptions& options) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status s = Errno("bind 127.0.0.1:" + std::to_string(options.port));
    close(fd);
    return s;
  }
  if (listen(fd, 128) != 0) {
    absl::Status s = Errno("listen");
    close(fd);
    return s;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  const int efd = epoll_create1(EPOLL_CLOEXEC);
  if (sfd < 0 || tfd < 0 || efd < 0) {
    absl::Status s = Errno("signalfd/timerfd/epoll");
    for (int x : {fd, sfd, tfd, efd}) {
      if (x >= 0) close(x);
    }
    return s;
  }
  if (options.stats_interval_s > 0) {
    itimerspec spec{};
    const double secs = options.stats_interval_s;
    spec.it_interval.tv_sec = static_cast<time_t>(secs);
    spec.it_interval.tv_nsec =
        static_cast<long>((secs - std::floor(secs)) * 1e9);  // NOLINT(runtime/int)
    spec.it_value = spec.it_interval;
    timerfd_settime(tfd, 0, &spec, nullptr);
  }
  for (int x : {fd, sfd, tfd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = x;
    epoll_ctl(efd, EPOLL_CTL_ADD, x, &ev);
  }
  return std::unique_ptr<NullKinesisServer>(
      new NullKinesisServer(options, fd, port, sfd, tfd, efd));
}

NullKinesisServer::NullKinesisServer(const NullKinesisOptions& options, int listen_fd,
                                     int port, int signal_fd, int timer_fd, int epoll_fd)
    : options_(options),
      listen_fd_(listen_fd),
      port_(port),
      signal_fd_(signal_fd),
      timer_fd_(timer_fd),
      epoll_fd_(epoll_fd),
      scanner_(options.sample_every) {}

NullKinesisServer::~NullKinesisServer() {
  for (auto& [fd, c] : connections_) close(fd);
  for (int x : {listen_fd_, signal_fd_, timer_fd_, epoll_fd_}) close(x);
}

absl::Status NullKinesisServer::Run() {
  epoll_event events[64];
  while (true) {
    const int n = epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd_) {
        PrintFinal();
        return absl::OkStatus();
      }
      if (fd == timer_fd_) {
        uint64_t expirations;
        while (read(timer_fd_, &expirations, sizeof(expirations)) > 0) {
        }
        PrintInterval();
        continue;
      }
      if (fd == listen_fd_) {
        Accept();
        continue;
      }
      auto it = connections_.find(fd);
      if (it == connections_.end()) continue;
      Connection& c = *it->second;
      bool keep = true;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) keep = false;
      if (keep && (events[i].events & EPOLLOUT)) keep = Flush(c);
      if (keep && (events[i].events & EPOLLIN)) keep = OnReadable(c);
      if (!keep) Close(fd);
    }
  }
}

void NullKinesisServer::Accept() {
  while (true) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: epoll tells us again
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    connections_[fd] = std::move(c);
    ++totals_.connections;
  }
}

bool NullKinesisServer::OnReadable(Connection& c) {
  char buf[256 * 1024];
  while (true) {
    const ssize_t n = read(c.fd, buf, sizeof(buf));
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof(buf)) break;
      continue;
    }
    if (n == 0) return false;  // peer closed
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    return false;
  }
  return ProcessRequests(c);
}

bool NullKinesisServer::ProcessRequests(Connection& c) {
  while (!c.close_after_write) {
    HttpRequestView request;
    std::string_view error;
    std::string_view pending(c.in.data() + c.in_offset, c.in.size() - c.in_offset);
    ParseResult r = ParseHttpRequest(pending, request, error);
    if (r == ParseResult::kNeedMore) break;
    if (r == ParseResult::kBad) {
      ++totals_.bad_requests;
      AppendResponse(c.out, 400, "Bad Request",
                     "{\"__type\":\"SerializationException\",\"message\":\"" +
                         std::string(error) + "\"}",
                     false);
      c.close_after_write = true;
      break;
    }
    Answer(c, request);
    c.in_offset += request.total_bytes;
  }
  // Drop consumed input; keep a partial request's bytes.
  if (c.in_offset == c.in.size()) {
    c.in.clear();
    c.in_offset = 0;
  } else if (c.in_offset > 64 * 1024) {
    c.in.erase(0, c.in_offset);
    c.in_offset = 0;
  }
  return Flush(c);
}

void NullKinesisServer::Answer(Connection& c, const HttpRequestView& request) {
  if (!request.keep_alive) c.close_after_write = true;
  const bool keep_alive = request.keep_alive;
  if (request.method != "POST" || request.path != "/") {
    ++totals_.bad_requests;
    AppendResponse(c.out, 404, "Not Found",
                   "{\"__type\":\"UnknownOperationException\"}", keep_alive);
    return;
  }
  if (request.target == kPutRecords) {
    const int64_t now = NowNanos(CLOCK_MONOTONIC);
    const int64_t records = scanner_.Scan(request.body, NowNanos(CLOCK_REALTIME));
    if (totals_.first_record_ns == 0) totals_.first_record_ns = now;
    totals_.last_record_ns = now;
    ++totals_.put_requests;
    totals_.records += records;
    totals_.body_bytes += static_cast<int64_t>(request.body.size());
    std::string body;
    body.reserve(40 + static_cast<size_t>(records) * (kRecordOk.size() + 1));
    body.append("{\"FailedRecordCount\":0,\"Records\":[");
    for (int64_t i = 0; i < records; ++i) {
      if (i > 0) body.push_back(',');
      body.append(kRecordOk);
    }
    body.append("]}");
    AppendResponse(c.out, 200, "OK", body, keep_alive);
    return;
  }
  ++totals_.other_requests;
  if (request.target == kListShards) {
    AppendResponse(c.out, 200, "OK",
                   "{\"Shards\":[{\"ShardId\":\"shardId-000000000000\","
                   "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":"
                   "\"340282366920938463463374607431768211455\"},"
                   "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"1\"}}]}",
                   keep_alive);
  } else if (request.target == kDescribeSummary) {
    AppendResponse(c.out, 200, "OK",
                   "{\"StreamDescriptionSummary\":{\"StreamName\":\"null\","
                   "\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/null\","
                   "\"StreamStatus\":\"ACTIVE\",\"OpenShardCount\":1,"
                   "\"RetentionPeriodHours\":24,\"StreamCreationTimestamp\":0,"
                   "\"EnhancedMonitoring\":[],\"EncryptionType\":\"NONE\"}}",
                   keep_alive);
  } else {
    AppendResponse(c.out, 400, "Bad Request",
                   "{\"__type\":\"UnknownOperationException\"}", keep_alive);
  }
}

bool NullKinesisServer::Flush(Connection& c) {
  while (c.out_offset < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset,
                           MSG_NOSIGNAL);
    if (n > 0) {
      c.out_offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c.want_write) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.fd = c.fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
        c.want_write = true;
      }
      return true;
    }
    return false;
  }
  c.out.clear();
  c.out_offset = 0;
  if (c.want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = c.fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_write = false;
  }
  return !c.close_after_write;
}

void NullKinesisServer::Close(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  connections_.erase(fd);
}

void NullKinesisServer::PrintInterval() {
  const double secs = options_.stats_interval_s;
  std::fprintf(stdout,
               "interval total_records=%lld records=%lld requests=%lld records_per_s=%.0f "
               "total_user_records=%lld\n",
               static_cast<long long>(totals_.records),
               static_cast<long long>(totals_.records - last_interval_.records),
               static_cast<long long>(totals_.put_requests - last_interval_.put_requests),
               static_cast<double>(totals_.records - last_interval_.records) / secs,
               static_cast<long long>(scanner_.user_records()));
  std::fflush(stdout);
  last_interval_ = totals_;
}

void NullKinesisServer::PrintFinal() {
  const NullKinesisTotals& t = totals_;
  const int64_t span = t.last_record_ns - t.first_record_ns;
  const LatencyHistogram& lat = scanner_.latency();
  std::fprintf(
      stdout,
      "NULL_KINESIS put_requests=%lld records=%lld body_bytes=%lld other_requests=%lld "
      "bad_requests=%lld connections=%lld active_s=%.3f records_per_s_active=%.0f "
      "records_per_request=%.1f latency_samples=%lld unstamped_samples=%lld "
      "latency_p50_us=%.0f latency_p99_us=%.0f latency_max_us=%.0f user_records=%lld\n",
      static_cast<long long>(t.put_requests), static_cast<long long>(t.records),
      static_cast<long long>(t.body_bytes), static_cast<long long>(t.other_requests),
      static_cast<long long>(t.bad_requests), static_cast<long long>(t.connections),
      Seconds(span), span > 0 ? static_cast<double>(t.records) / Seconds(span) : 0.0,
      t.put_requests > 0 ? static_cast<double>(t.records) / t.put_requests : 0.0,
      static_cast<long long>(lat.count()),
      static_cast<long long>(scanner_.unstamped_samples()),
      lat.QuantileNanos(0.5) / 1e3, lat.QuantileNanos(0.99) / 1e3, lat.max_nanos() / 1e3,
      static_cast<long long>(scanner_.user_records()));
  std::fflush(stdout);
}

}  // namespace streamgate::bench
