// NullKinesisServer: a Kinesis endpoint that accepts everything, for
// benchmarking the gateway's Kinesis sink without a real stream. It answers
// every PutRecords with HTTP 200 and one success entry per request record,
// answers ListShards / DescribeStreamSummary with a one-shard ACTIVE stream,
// and counts requests, records and bytes. HTTP/1.1 keep-alive on plain
// sockets with one epoll loop; SIGTERM/SIGINT (through a signalfd) end Run().
//
// Threading: Run() is the only thread touching the sockets and the counters;
// it prints its per-second and final reports itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/kinesis_null/http_request_parser.h"
#include "bench/kinesis_null/record_scanner.h"

namespace streamgate::bench {

struct NullKinesisOptions {
  int port = 0;                 // 127.0.0.1:port; 0 = any free port
  double stats_interval_s = 0;  // 0 = only the final report
  int sample_every = 64;        // latency sample: one record in N
};

struct NullKinesisTotals {
  int64_t put_requests = 0;
  int64_t records = 0;
  int64_t body_bytes = 0;
  int64_t other_requests = 0;  // ListShards, DescribeStreamSummary, unknown
  int64_t bad_requests = 0;
  int64_t connections = 0;
  int64_t first_record_ns = 0;  // CLOCK_MONOTONIC of the first/last PutRecords
  int64_t last_record_ns = 0;
};

class NullKinesisServer {
 public:
  // Binds and listens; blocks SIGTERM/SIGINT for the calling thread (they are
  // read from a signalfd). Call from main before starting other threads.
  static absl::StatusOr<std::unique_ptr<NullKinesisServer>> Create(
      const NullKinesisOptions& options);
  ~NullKinesisServer();

  int port() const { return port_; }
  // Serves until SIGTERM or SIGINT; then prints the final report.
  absl::Status Run();

  const NullKinesisTotals& totals() const { return totals_; }
  const RecordScanner& scanner() const { return scanner_; }

 private:
  struct Connection {
    int fd = -1;
    std::string in;
    size_t in_offset = 0;
    std::string out;
    size_t out_offset = 0;
    bool close_after_write = false;
    bool want_write = false;
  };

  NullKinesisServer(const NullKinesisOptions& options, int listen_fd, int port,
                    int signal_fd, int timer_fd, int epoll_fd);

  void Accept();
  // Returns false when the connection must be closed.
  bool OnReadable(Connection& c);
  bool ProcessRequests(Connection& c);
  void Answer(Connection& c, const HttpRequestView& request);
  bool Flush(Connection& c);
  void Close(int fd);
  void PrintInterval();
  void PrintFinal();

  const NullKinesisOptions options_;
  const int listen_fd_;
  const int port_;
  const int signal_fd_;
  const int timer_fd_;
  const int epoll_fd_;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  NullKinesisTotals totals_;
  NullKinesisTotals last_interval_;
  RecordScanner scanner_;
};

}  // namespace streamgate::bench
