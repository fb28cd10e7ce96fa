// Partition keys of spec 3: a random UUIDv4 per record when the module sets
// use_uuid, else the device id (device events, bulk data) or the home id
// (home events) in decimal. Thread-safe (per-thread random generator).
#pragma once

#include <cstdint>
#include <string>

namespace streamgate {

// A fresh random UUIDv4 in lower-case canonical form (36 characters).
std::string RandomUuidV4();

// The decimal id key.
std::string IdKey(int64_t id);

}  // namespace streamgate
