// Builds the benchmark's events: ~event_bytes of rendered MODE Event JSON,
// device events from the registered range 1..devices plus every Nth a home
// event. Stateless after construction; Make() is const and thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "bench/grpc_load/load_options.h"
#include "streamgate/v1/gateway.pb.h"

namespace streamgate::bench {

class EventFactory {
 public:
  explicit EventFactory(const LoadOptions& options);

  // Event number `index`: device (index % devices) + 1, or a home event when
  // home_every divides index + 1. Padded so its JSON is ~event_bytes long.
  streamgate::v1::Event Make(int64_t index) const;

  // The gateway's JSON rendering of Make(index), as far as this side can
  // tell (the gateway stamps the time; assumed 30 characters). Used to size
  // the padding, and printed so a run says what it sent.
  std::string EstimateJson(const streamgate::v1::Event& event) const;

  // Home id the gateway's registry should give `device_id` (the bench config
  // registers devices that way: ten devices per home).
  static int64_t HomeOf(int64_t device_id) { return (device_id - 1) / 10 + 1; }

 private:
  streamgate::v1::Event MakeUnpadded(int64_t index) const;

  const LoadOptions& options_;
};

}  // namespace streamgate::bench
