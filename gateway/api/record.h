// The value type that moves through the pipeline: an OutRecord, what one
// module's sink delivers (the rendered bytes, shared across the modules an
// input fans out to, and that module's partition key). Plain values; not
// thread-safe, moved between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace streamgate {

// Rendered bytes are immutable and shared by every module an input fans out
// to, so fan-out copies a pointer, never the data.
using RecordData = std::shared_ptr<const std::string>;

// What a sink delivers: the exact bytes and this module's partition key.
struct OutRecord {
  RecordData data;
  std::string partition_key;

  // Bytes counted against Kinesis' per-record limit (data + key).
  size_t size() const { return data->size() + partition_key.size(); }
};

using OutBatch = std::vector<OutRecord>;

}  // namespace streamgate
