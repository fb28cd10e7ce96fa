// Options of a dead-letter file (`dead_letter:` in the config): where it is
// and how much disk it may take. Plain values.
#pragma once

#include <cstdint>
#include <string>

namespace streamgate {

struct DeadLetterOptions {
  // Empty: no file; rejects are only logged and counted.
  std::string path;
  // One file's size bound; the next line that would pass it rotates first.
  int64_t max_bytes = 64 << 20;
  // Rotated files kept (path.1 = newest .. path.keep); 0 keeps none. The disk
  // taken is at most max_bytes * (keep + 1).
  int64_t keep = 3;
  // The root section only: the file of delivery give-ups (acknowledged
  // records a sink could not deliver), kept apart from door rejects with a
  // budget of its own (the same max_bytes and keep), so a flood of rejects
  // never rotates them away. The parser fills in `path` + ".deliveries"
  // when the config does not name one.
  std::string delivery_path;
};

}  // namespace streamgate
