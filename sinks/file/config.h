// Factory for `sink: {type: file, ...}`. Fields: path (required), fsync
// (default false), rotate_bytes (default 0 = never), rotate_keep (default 5).
#pragma once

#include <memory>

#include "gateway/api/sink.h"

namespace streamgate {

std::unique_ptr<SinkFactory> MakeFileSinkFactory();

}  // namespace streamgate
