// A link-time fake of fdatasync(2) for test executables: a test binary that
// links failing_fdatasync.cc replaces libc's fdatasync for every object in
// it (the gateway's static libraries included), so a test can make the next
// calls fail with EIO, as a dying disk would, and count the calls. Without
// a failure armed it does what libc does (the raw system call).
//
// Threading: the counters are atomics; arm failures before the code under
// test runs.
#pragma once

#include <atomic>

namespace streamgate::testing {

// fdatasync calls still to fail with EIO.
extern std::atomic<int> fdatasync_failures_left;
// Every fdatasync call, failed or not.
extern std::atomic<int> fdatasync_calls;

}  // namespace streamgate::testing
