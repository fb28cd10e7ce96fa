// RawSubscriber: the MQTT benchmark's ceiling subscriber. It speaks MQTT 5
// over a plain blocking socket with the gateway's own packet codec
// (adapters/mqtt/protocol): one recv(2) of up to 256 KiB, every complete
// PUBLISH in it counted, all their PUBACKs in one send(2). It does nothing
// with the messages, so its rate is what the broker can relay to a
// subscriber that batches as the gateway does.
//
// Threading: single-threaded.
#pragma once

namespace streamgate {
namespace bench {

// Subscribes to /devices/+/event at `qos` on 127.0.0.1:`port`, prints
// READY once the SUBACK is in, counts messages until `messages` arrived or
// none for `idle_ms`, and prints one `RESULT mode=rawsub ...` line (rate
// from the first to the last message, CPU per message). Returns the exit
// code.
int RunRawSubscriber(int port, int qos, long messages, long idle_ms);

}  // namespace bench
}  // namespace streamgate
