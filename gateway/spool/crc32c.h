// CRC32C (Castagnoli), the checksum of every spool frame. Uses the SSE4.2
// crc32 instruction when the CPU has it, else a table (Debian 12 ships no
// C/C++ CRC32C library and this Abseil predates absl/crc). Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace streamgate {

// Extends `crc` (0 for a fresh checksum) over `n` bytes at `data`.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);

inline uint32_t Crc32c(const void* data, size_t n) {
  return Crc32cExtend(0, data, n);
}

}  // namespace streamgate
