#include "gateway/common/log_limiter.h"

namespace streamgate::kinesis {

bool LogLimiter::Allow(absl::string_view key, absl::Time now, uint64_t& suppressed) {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(key);
  if (it == states_.end()) it = states_.emplace(std::string(key), State{}).first;
  State& s = it->second;
  if (now - s.last < interval_) {
    ++s.suppressed;
    return false;
  }
  suppressed = s.suppressed;
  s.suppressed = 0;
  s.last = now;
  return true;
}

}  // namespace streamgate::kinesis
