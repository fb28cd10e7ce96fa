// RecordScanner: what the null Kinesis endpoint learns from a PutRecords
// body without a full JSON parse. It counts records (one `"Data":"` key per
// record, as the Kinesis sink's codec writes them; base64 data and escaped
// partition keys cannot contain that text), and for every Nth record decodes
// the data and, when it is a MODE event, reads the gateway-stamped
// `timestamp` to sample the latency "gateway receive -> PutRecords arrives
// here". A record whose data is a KPL aggregate (the sink's aggregation) is
// decoded and its user records counted too. Not thread-safe: the server's
// single event-loop thread owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/grpc_load/latency_histogram.h"

namespace streamgate::bench {

class RecordScanner {
 public:
  // sample_every: decode one record in this many (0 = never).
  explicit RecordScanner(int sample_every) : sample_every_(sample_every) {}

  // Returns the number of records in `body`; samples latencies against
  // `arrival_unix_nanos` (CLOCK_REALTIME).
  int64_t Scan(std::string_view body, int64_t arrival_unix_nanos);

  // User records seen so far: a plain record counts one, a KPL aggregate
  // its user records (one if it does not decode).
  int64_t user_records() const { return user_records_; }

  const LatencyHistogram& latency() const { return latency_; }
  // Sampled records whose data had no parsable RFC 3339 `timestamp`.
  int64_t unstamped_samples() const { return unstamped_; }

  // Exposed for tests of the scanner: RFC 3339 UTC (`...Z`) to Unix nanos.
  static std::optional<int64_t> ParseRfc3339Utc(std::string_view s);
  static bool Base64Decode(std::string_view in, std::string& out);

 private:
  void Sample(std::string_view base64_data, int64_t arrival_unix_nanos);
  // User records in one record's base64 data.
  int64_t CountUsers(std::string_view base64_data);

  const int sample_every_;
  int64_t seen_ = 0;
  int64_t unstamped_ = 0;
  int64_t user_records_ = 0;
  std::string scratch_;
  std::string aggregate_;
  LatencyHistogram latency_;
};

}  // namespace streamgate::bench
