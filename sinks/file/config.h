// Factory for `sink: {type: file, ...}`. Fields: path (required), fsync
// (default false), rotate_bytes (default 0 = never), rotate_keep (default 5),
// mode (octal string, default "0640": permissions of a file it creates).
#pragma once

#include <memory>

#include "gateway/api/sink.h"

namespace streamgate {

std::unique_ptr<SinkFactory> MakeFileSinkFactory();

}  // namespace streamgate
