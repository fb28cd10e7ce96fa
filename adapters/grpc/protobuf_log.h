// Routes libprotobuf's own log output into spdlog. protobuf prints to
// stderr, in its own format, one line per request it refuses ("String field
// 'streamgate.v1.Event.event_type' contains invalid UTF-8 data ..."), so a
// client could fill stderr with unformatted lines. The adapter already logs
// such a request once, rate-limited, with the reason (RejectLog), so
// protobuf's lines go to spdlog's default logger at DEBUG (FATAL, which
// aborts, at CRITICAL), escaped.
//
// Threading: protobuf's handler is one process-wide pointer that protobuf
// reads without a lock, so it is installed once (std::call_once) by
// GrpcAdapter::Start, on the main thread, before the gRPC server exists and
// so before any request is parsed.
#pragma once

namespace streamgate {

// Installs the handler; later calls do nothing.
void RouteProtobufLogToSpdlog();

}  // namespace streamgate
