// ShardMapRefresher: keeps a Kinesis sink's shard map fresh on a thread of
// its own: loads it every `interval`, after a failure again after 1 s, 2 s,
// 4 s ... (at most `interval`; the old map stays meanwhile), and soon
// (at most once a second) when asked with RefreshSoon (a record's hash fell
// outside every known range: a reshard half seen). What to load and what
// to do with a new map are callbacks (StreamMetadata::LoadShardMap, the
// sink's install), so the loop knows nothing of HTTP or of the sink.
//
// Threading: Start and Stop from one thread (the sink's Start and Close);
// RefreshSoon from any thread, also with the caller's own locks held (it
// only takes this object's lock). `load` and `install` run on the
// refresher's thread with no lock of this object held. Stop waits for a
// load under way: make it return first (shut its HTTP client down).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sinks/kinesis/shard_map.h"
#include "spdlog/logger.h"

namespace streamgate::kinesis {

class ShardMapRefresher {
 public:
  using Load = std::function<absl::StatusOr<ShardMap>()>;
  using Install = std::function<void(ShardMap)>;

  static constexpr absl::Duration kFirstBackoff = absl::Seconds(1);
  static constexpr absl::Duration kMinGap = absl::Seconds(1);

  ShardMapRefresher(std::string stream_name, absl::Duration interval, Load load,
                    Install install, std::shared_ptr<spdlog::logger> logger);
  ~ShardMapRefresher() { Stop(); }

  // `have_map`: the caller already loaded one (the first refresh is then
  // `interval` away, else kFirstBackoff).
  void Start(bool have_map);
  void RefreshSoon();
  void Stop();

 private:
  void Loop(bool have_map);

  const std::string stream_name_;
  const absl::Duration interval_;
  const Load load_;
  const Install install_;
  const std::shared_ptr<spdlog::logger> logger_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  bool soon_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace streamgate::kinesis
