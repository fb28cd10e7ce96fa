// Factory for `sink: {type: stdout}` (no other fields).
#pragma once

#include <memory>

#include "gateway/api/sink.h"

namespace streamgate {

std::unique_ptr<SinkFactory> MakeStdoutSinkFactory();

}  // namespace streamgate
