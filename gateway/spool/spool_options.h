// SpoolOptions: a module's `spool:` section, validated by the config loader
// (gateway/core/config.cc). Plain value; not shared between threads.
#pragma once

#include <cstdint>
#include <string>

namespace streamgate {

struct SpoolOptions {
  std::string dir;
  int64_t max_bytes = int64_t{1} << 30;
  // fsync: always → every Commit returns after an fdatasync covering it
  // (concurrent commits share one). Otherwise a background thread
  // fdatasyncs every fsync_interval_ms.
  bool fsync_always = false;
  int64_t fsync_interval_ms = 10;
  // A full spool always refuses the input (gRPC RESOURCE_EXHAUSTED; MQTT
  // stops reading and retries): `when_full: reject` is the only value.
  int64_t segment_bytes = int64_t{64} << 20;
  // Permission bits of the files the spool creates (segments, checkpoint,
  // LOCK), less the umask: records may hold personal data.
  uint32_t file_mode = 0640;
  int line = 0;  // YAML line of the section, 0 if unknown
};

}  // namespace streamgate
