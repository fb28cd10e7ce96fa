// Checkpoint: the oldest undelivered position of a spool (segment number and
// offset), so a restart does not replay what was already delivered. Written
// atomically (temporary file, fdatasync, rename); a missing or damaged
// checkpoint reads as "replay everything", which is at-least-once. The
// rename is not followed by a directory sync: after a power loss an older
// checkpoint may come back, which again only replays more. Functions over
// one directory through a SpoolEnv; the caller serializes writes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "gateway/spool/spool_env.h"

namespace streamgate {
namespace spool {

struct Position {
  uint64_t segment = 0;
  uint64_t offset = 0;

  friend bool operator==(const Position& a, const Position& b) {
    return a.segment == b.segment && a.offset == b.offset;
  }
  friend bool operator!=(const Position& a, const Position& b) {
    return !(a == b);
  }
};

// nullopt when the file is absent or does not check out; an error when it
// cannot be opened otherwise (a symbolic link in its place), reading
// "<file>: <system text>".
absl::StatusOr<absl::optional<Position>> ReadCheckpoint(SpoolEnv& env,
                                                        const std::string& dir);
// Creates the file with `permissions`. Errors read "<file>: <system text>".
absl::Status WriteCheckpoint(SpoolEnv& env, const std::string& dir,
                             const Position& pos, uint32_t permissions);

}  // namespace spool
}  // namespace streamgate
