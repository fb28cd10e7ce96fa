// FUZZ_CHECK: an invariant check for the fuzz targets. A failed check prints
// what broke and aborts, which libFuzzer reports as a crash (and saves the
// input) and the replay test reports as a failure. Always on, whatever the
// build type, because the targets exist to check these.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                            \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, \
                   __LINE__, #cond, what);                                \
      std::abort();                                                       \
    }                                                                     \
  } while (0)
