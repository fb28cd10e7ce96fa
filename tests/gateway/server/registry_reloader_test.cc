// RegistryReloader: Request never waits for a load; a good load is
// published, a failed one is not (the registry is kept) and is counted;
// requests during a load fold into one more load.
#include "gateway/server/registry_reloader.h"

#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

std::shared_ptr<const DeviceTable> OneDevice(int64_t home) {
  DeviceTableBuilder b;
  EXPECT_TRUE(b.Add(1, home, "", 1).ok());
  return *std::move(b).Build();
}

// A loader the test drives: each load blocks until released, then returns
// the next scripted result.
class ScriptedLoader {
 public:
  absl::StatusOr<std::shared_ptr<const DeviceTable>> Load() {
    absl::MutexLock lock(&mu_);
    ++started_;
    mu_.Await(absl::Condition(
        +[](ScriptedLoader* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
          return s->released_ >= s->started_;
        },
        this));
    const int64_t home = next_home_++;
    if (fail_) return absl::InvalidArgumentError("d.csv line 3: bad");
    return OneDevice(home);
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    ++released_;
  }
  void WaitStarted(int n) {
    absl::MutexLock lock(&mu_);
    std::pair<ScriptedLoader*, int> arg(this, n);
    mu_.Await(absl::Condition(
        +[](std::pair<ScriptedLoader*, int>* a) {
          return a->first->started_ >= a->second;
        },
        &arg));
  }
  void set_fail(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  int started() {
    absl::MutexLock lock(&mu_);
    return started_;
  }

 private:
  absl::Mutex mu_;
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  int released_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_home_ ABSL_GUARDED_BY(mu_) = 100;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
};

struct Published {
  absl::Mutex mu;
  std::vector<int64_t> homes ABSL_GUARDED_BY(mu);
};

TEST(RegistryReloaderTest, PublishesGoodLoadsAndKeepsTheOldOnFailure) {
  ScriptedLoader loader;
  Published published;
  RegistryReloader reloader([&] { return loader.Load(); },
                            [&](std::shared_ptr<const DeviceTable> t) {
                              absl::MutexLock lock(&published.mu);
                              published.homes.push_back(t->Find(1)->home_id);
                            });
  reloader.Request();  // returns while the load is still blocked
  loader.WaitStarted(1);
  loader.Release();
  reloader.WaitIdle();
  loader.set_fail(true);
  reloader.Request();
  loader.Release();
  reloader.WaitIdle();
  EXPECT_EQ(reloader.loads(), 2u);
  EXPECT_EQ(reloader.failures(), 1u);
  absl::MutexLock lock(&published.mu);
  EXPECT_EQ(published.homes, std::vector<int64_t>({100}));
}

TEST(RegistryReloaderTest, RequestsDuringALoadFoldIntoOneMore) {
  ScriptedLoader loader;
  Published published;
  RegistryReloader reloader([&] { return loader.Load(); },
                            [&](std::shared_ptr<const DeviceTable> t) {
                              absl::MutexLock lock(&published.mu);
                              published.homes.push_back(t->Find(1)->home_id);
                            });
  reloader.Request();
  loader.WaitStarted(1);
  for (int i = 0; i < 5; ++i) reloader.Request();  // during the first load
  loader.Release();
  loader.WaitStarted(2);
  loader.Release();
  reloader.WaitIdle();
  EXPECT_EQ(loader.started(), 2);
  EXPECT_EQ(reloader.loads(), 2u);
  absl::MutexLock lock(&published.mu);
  EXPECT_EQ(published.homes, std::vector<int64_t>({100, 101}));
}

TEST(RegistryReloaderTest, DestructorLetsALoadInProgressFinish) {
  ScriptedLoader loader;
  int published = 0;
  {
    RegistryReloader reloader(
        [&] { return loader.Load(); },
        [&](std::shared_ptr<const DeviceTable>) { ++published; });
    reloader.Request();
    loader.WaitStarted(1);
    loader.Release();
  }
  EXPECT_EQ(published, 1);
}

}  // namespace
}  // namespace streamgate
