// FaultSpoolEnv: an in-memory SpoolEnv (gateway/spool/spool_env.h) that
// knows what a power loss would keep, for the spool's fault tests.
//
// Each file has what reads see and what is durable. A write or truncate is
// pending until a Sync of its file applies it to the durable bytes; a
// failed Sync drops the pending changes (as Linux may drop dirty pages
// after a failed writeback), so a later Sync cannot make them durable.
// Directory entries (create, rename, remove) become durable at a Sync of
// their directory; directories themselves are durable at once.
//
// Faults: FailSyncs makes the next `count` Syncs (or every one) fail with a
// given status. SetDiskBytes makes a disk of that size: a write that does
// not fit writes what fits and fails with "No space left on device"
// (RESOURCE_EXHAUSTED); a file's bytes count while it has a name or an
// open handle, as on a real disk. PowerLoss() kills the "process": every
// call fails from then on (handles opened before it stay dead) and the
// files become what was durable, optionally with half of each file's
// unsynced tail (a torn write). Restart() lets a new spool open the same
// files. HoldSyncs parks every file Sync until ReleaseSyncs (a slow disk),
// so a test can line committers up behind a sync in progress; a parked
// Sync takes its fault, if any, when it resumes. MakeSymlink puts a
// symbolic link at a path: opening it is refused as the POSIX env refuses
// it (O_NOFOLLOW). Each file keeps the permission bits it was created with.
//
// Threading: thread-safe (one lock for everything).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/spool/spool_env.h"

namespace streamgate {
namespace testing {

class FaultSpoolEnv : public spool::SpoolEnv {
 public:
  static constexpr int kAlways = -1;

  // The next `count` Syncs of files fail with `error` (kAlways: until
  // ClearFaults); what they would have made durable is dropped.
  void FailSyncs(absl::Status error, int count = kAlways);
  void ClearFaults();
  void HoldSyncs();
  void ReleaseSyncs();
  // File Syncs parked by HoldSyncs now.
  int held_syncs();
  // A symbolic link (to anywhere) at `path`, durably.
  void MakeSymlink(const std::string& path);
  // The permission bits `path` was created with; 0 when there is no file.
  uint32_t FileMode(const std::string& path);
  // The disk holds `limit` bytes of file data from now on.
  void SetDiskBytes(uint64_t limit);

  // The power goes: see the header comment. `torn` keeps the first half of
  // the bytes each file had written past its durable end.
  void PowerLoss(bool torn = false);
  void Restart();

  // Inspection, for assertions.
  // Paths of the files in `dir`, sorted; SegmentFiles only seg-*.
  std::vector<std::string> Files(const std::string& dir);
  std::vector<std::string> SegmentFiles(const std::string& dir);
  uint64_t FileSize(const std::string& path);
  // Bytes the files take on the disk now.
  uint64_t UsedBytes();
  // Bytes written to files and not yet made durable.
  uint64_t UnsyncedBytes();
  int failed_syncs();
  // File Writes and Syncs called so far (failed ones included).
  int writes();
  int syncs();
  // Changes the byte at `offset`, durably (damage on the medium).
  void FlipByte(const std::string& path, uint64_t offset);

  // SpoolEnv.
  absl::Status CreateDir(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<spool::Directory>> OpenDirectory(
      const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<spool::WritableFile>> NewWritableFile(
      const std::string& path, OpenMode mode, uint32_t permissions) override;
  absl::StatusOr<std::unique_ptr<spool::ReadableFile>> NewReadableFile(
      const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Remove(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<spool::FileLock>> LockFile(
      const std::string& path, uint32_t permissions) override;

 private:
  struct Op {
    bool truncate = false;
    uint64_t offset = 0;  // where a write goes; a truncate's new size
    std::string bytes;
  };
  struct Node {
    std::string data;         // what reads see
    std::string durable;      // what a power loss keeps
    std::vector<Op> pending;  // changes since the last Sync, in order
    int links = 0;            // names in files_
    int opens = 0;            // open handles
    uint32_t mode = 0;        // permission bits at creation
  };
  struct Fault {
    absl::Status error;
    int count = 0;  // calls left to fail; kAlways: every call
  };
  class Writable;
  class Readable;
  class Dir;
  class Lock;

  static void Apply(const Op& op, std::string& s);
  // Applies `op` to what reads see and keeps it pending.
  static void Record(Node& node, Op op);
  bool Alive(uint64_t generation) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !dead_ && generation == generation_;
  }
  std::shared_ptr<Node> NewNodeLocked(uint32_t mode)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Link(const std::string& path, std::shared_ptr<Node> node)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unlink(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t UsedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How many of `n` bytes written at `offset` of `node` fit on the disk.
  size_t FitLocked(const Node& node, uint64_t offset, size_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers a Sync: the fault's error (consuming one of its count) or OK.
  absl::Status TakeSyncFaultLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> dirs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Node>> files_ ABSL_GUARDED_BY(mu_);
  // The entries as of each directory's last Sync.
  std::map<std::string, std::shared_ptr<Node>> durable_files_
      ABSL_GUARDED_BY(mu_);
  std::set<std::string> locked_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> symlinks_ ABSL_GUARDED_BY(mu_);
  // Every file ever made, to count the bytes of those still on the disk.
  std::vector<std::weak_ptr<Node>> nodes_ ABSL_GUARDED_BY(mu_);
  uint64_t disk_bytes_ ABSL_GUARDED_BY(mu_) =
      std::numeric_limits<uint64_t>::max();
  Fault sync_fault_ ABSL_GUARDED_BY(mu_);
  int failed_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  bool hold_syncs_ ABSL_GUARDED_BY(mu_) = false;
  int held_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing
}  // namespace streamgate
