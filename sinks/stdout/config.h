// Factory for `sink: {type: stdout}` (no other fields).
#pragma once

#include <memory>

#include "sinks/sink.h"

namespace streamgate {

std::unique_ptr<SinkFactory> MakeStdoutSinkFactory();

}  // namespace streamgate
