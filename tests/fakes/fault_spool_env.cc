#include "tests/fakes/fault_spool_env.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace streamgate {
namespace testing {
namespace {

absl::Status Dead() { return absl::UnavailableError("Input/output error"); }

absl::Status Symlink() {
  return absl::FailedPreconditionError(spool::kSymlinkRefused);
}

absl::Status Missing() {
  return absl::NotFoundError("No such file or directory");
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

}  // namespace

// --- Handles. Each is made under the env's lock and counts as an open
// handle of its file until destroyed.

class FaultSpoolEnv::Writable : public spool::WritableFile {
 public:
  Writable(FaultSpoolEnv* env, std::shared_ptr<Node> node, uint64_t gen)
      : env_(env), node_(std::move(node)), gen_(gen) {
    ++node_->opens;
  }
  ~Writable() override {
    absl::MutexLock lock(&env_->mu_);
    --node_->opens;
  }

  absl::Status Write(uint64_t offset, absl::string_view data) override {
    absl::MutexLock lock(&env_->mu_);
    ++env_->writes_;
    if (!env_->Alive(gen_)) return Dead();
    const size_t fits = env_->FitLocked(*node_, offset, data.size());
    Record(*node_, Op{false, offset, std::string(data.substr(0, fits))});
    if (fits < data.size()) {
      return absl::ResourceExhaustedError("No space left on device");
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    absl::MutexLock lock(&env_->mu_);
    if (!env_->Alive(gen_)) return Dead();
    Record(*node_, Op{true, size, ""});
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    absl::MutexLock lock(&env_->mu_);
    ++env_->syncs_;
    if (env_->hold_syncs_) {
      ++env_->held_syncs_;
      env_->mu_.Await(absl::Condition(
          +[](bool* hold) { return !*hold; }, &env_->hold_syncs_));
      --env_->held_syncs_;
    }
    if (!env_->Alive(gen_)) return Dead();
    absl::Status fault = env_->TakeSyncFaultLocked();
    if (fault.ok()) {
      for (const Op& op : node_->pending) Apply(op, node_->durable);
    }
    node_->pending.clear();  // made durable, or dropped by the failure
    return fault;
  }

 private:
  FaultSpoolEnv* const env_;
  const std::shared_ptr<Node> node_;
  const uint64_t gen_;
};

class FaultSpoolEnv::Readable : public spool::ReadableFile {
 public:
  Readable(FaultSpoolEnv* env, std::shared_ptr<Node> node, uint64_t gen)
      : env_(env), node_(std::move(node)), gen_(gen) {
    ++node_->opens;
  }
  ~Readable() override {
    absl::MutexLock lock(&env_->mu_);
    --node_->opens;
  }

  absl::StatusOr<size_t> Read(uint64_t offset, size_t n,
                              char* scratch) const override {
    absl::MutexLock lock(&env_->mu_);
    if (!env_->Alive(gen_)) return Dead();
    const std::string& d = node_->data;
    if (offset >= d.size()) return size_t{0};
    n = std::min<size_t>(n, d.size() - offset);
    d.copy(scratch, n, offset);
    return n;
  }

  absl::StatusOr<uint64_t> Size() const override {
    absl::MutexLock lock(&env_->mu_);
    if (!env_->Alive(gen_)) return Dead();
    return uint64_t{node_->data.size()};
  }

 private:
  FaultSpoolEnv* const env_;
  const std::shared_ptr<Node> node_;
  const uint64_t gen_;
};

class FaultSpoolEnv::Dir : public spool::Directory {
 public:
  Dir(FaultSpoolEnv* env, std::string path, uint64_t gen)
      : env_(env), path_(std::move(path)), gen_(gen) {}

  absl::Status Sync() override {
    absl::MutexLock lock(&env_->mu_);
    if (!env_->Alive(gen_)) return Dead();
    auto& durable = env_->durable_files_;
    for (auto it = durable.begin(); it != durable.end();) {
      it = Parent(it->first) == path_ ? durable.erase(it) : std::next(it);
    }
    for (const auto& [name, node] : env_->files_) {
      if (Parent(name) == path_) durable[name] = node;
    }
    return absl::OkStatus();
  }

 private:
  FaultSpoolEnv* const env_;
  const std::string path_;
  const uint64_t gen_;
};

class FaultSpoolEnv::Lock : public spool::FileLock {
 public:
  Lock(FaultSpoolEnv* env, std::string path, uint64_t gen)
      : env_(env), path_(std::move(path)), gen_(gen) {}
  ~Lock() override {
    absl::MutexLock lock(&env_->mu_);
    if (gen_ == env_->generation_) env_->locked_.erase(path_);
  }

 private:
  FaultSpoolEnv* const env_;
  const std::string path_;
  const uint64_t gen_;
};

// --- Faults and inspection.

void FaultSpoolEnv::FailSyncs(absl::Status error, int count) {
  absl::MutexLock lock(&mu_);
  sync_fault_ = Fault{std::move(error), count};
}

void FaultSpoolEnv::ClearFaults() {
  absl::MutexLock lock(&mu_);
  sync_fault_ = Fault{};
}

void FaultSpoolEnv::HoldSyncs() {
  absl::MutexLock lock(&mu_);
  hold_syncs_ = true;
}

void FaultSpoolEnv::ReleaseSyncs() {
  absl::MutexLock lock(&mu_);
  hold_syncs_ = false;
}

int FaultSpoolEnv::held_syncs() {
  absl::MutexLock lock(&mu_);
  return held_syncs_;
}

int FaultSpoolEnv::writes() {
  absl::MutexLock lock(&mu_);
  return writes_;
}

int FaultSpoolEnv::syncs() {
  absl::MutexLock lock(&mu_);
  return syncs_;
}

void FaultSpoolEnv::MakeSymlink(const std::string& path) {
  absl::MutexLock lock(&mu_);
  symlinks_.insert(path);
}

uint32_t FaultSpoolEnv::FileMode(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto it = files_.find(path);
  return it == files_.end() ? 0 : it->second->mode;
}

void FaultSpoolEnv::SetDiskBytes(uint64_t limit) {
  absl::MutexLock lock(&mu_);
  disk_bytes_ = limit;
}

void FaultSpoolEnv::PowerLoss(bool torn) {
  absl::MutexLock lock(&mu_);
  dead_ = true;
  ++generation_;
  locked_.clear();
  for (auto& [name, node] : durable_files_) {
    std::string kept = node->durable;
    if (torn) {
      std::string all = node->durable;
      for (const Op& op : node->pending) Apply(op, all);
      if (all.size() > kept.size() && all.compare(0, kept.size(), kept) == 0) {
        kept = all.substr(0, kept.size() + (all.size() - kept.size()) / 2);
      }
    }
    node->data = node->durable = kept;
    node->pending.clear();
  }
  for (auto& [name, node] : files_) --node->links;
  files_ = durable_files_;
  for (auto& [name, node] : files_) ++node->links;
}

void FaultSpoolEnv::Restart() {
  absl::MutexLock lock(&mu_);
  dead_ = false;
}

std::vector<std::string> FaultSpoolEnv::Files(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> paths;
  for (const auto& [name, node] : files_) {
    if (Parent(name) == dir) paths.push_back(name);
  }
  return paths;  // sorted: std::map
}

std::vector<std::string> FaultSpoolEnv::SegmentFiles(const std::string& dir) {
  std::vector<std::string> segments;
  for (const std::string& path : Files(dir)) {
    if (path.compare(dir.size() + 1, 4, "seg-") == 0) segments.push_back(path);
  }
  return segments;
}

uint64_t FaultSpoolEnv::FileSize(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto it = files_.find(path);
  return it == files_.end() ? 0 : it->second->data.size();
}

uint64_t FaultSpoolEnv::UsedBytes() {
  absl::MutexLock lock(&mu_);
  return UsedLocked();
}

uint64_t FaultSpoolEnv::UnsyncedBytes() {
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [name, node] : files_) {
    for (const Op& op : node->pending) n += op.bytes.size();
  }
  return n;
}

int FaultSpoolEnv::failed_syncs() {
  absl::MutexLock lock(&mu_);
  return failed_syncs_;
}

void FaultSpoolEnv::FlipByte(const std::string& path, uint64_t offset) {
  absl::MutexLock lock(&mu_);
  Node& node = *files_.at(path);
  node.data.at(offset) ^= 0x5A;
  node.durable.at(offset) ^= 0x5A;
}

// --- SpoolEnv.

absl::Status FaultSpoolEnv::CreateDir(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  for (std::string p = path; !p.empty() && p != "/"; p = Parent(p)) {
    if (files_.count(p) > 0) return absl::UnavailableError("Not a directory");
    dirs_.insert(p);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<spool::Directory>> FaultSpoolEnv::OpenDirectory(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  if (dirs_.count(path) == 0) return Missing();
  return std::unique_ptr<spool::Directory>(new Dir(this, path, generation_));
}

absl::StatusOr<std::vector<std::string>> FaultSpoolEnv::ListDir(
    const std::string& dir) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  if (dirs_.count(dir) == 0) return Missing();
  std::vector<std::string> names;
  for (const auto& [name, node] : files_) {
    if (Parent(name) == dir) names.push_back(name.substr(dir.size() + 1));
  }
  for (const std::string& name : symlinks_) {
    if (Parent(name) == dir) names.push_back(name.substr(dir.size() + 1));
  }
  return names;
}

absl::StatusOr<std::unique_ptr<spool::WritableFile>>
FaultSpoolEnv::NewWritableFile(const std::string& path, OpenMode mode,
                               uint32_t permissions) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  if (symlinks_.count(path) > 0) return Symlink();
  if (dirs_.count(Parent(path)) == 0) return Missing();
  auto it = files_.find(path);
  std::shared_ptr<Node> node;
  if (it == files_.end()) {
    if (mode == OpenMode::kExisting) return Missing();
    node = NewNodeLocked(permissions);
    Link(path, node);
  } else {
    if (mode == OpenMode::kCreateNew) {
      return absl::AlreadyExistsError("File exists");
    }
    node = it->second;
    if (mode == OpenMode::kCreateOrTruncate) Record(*node, Op{true, 0, ""});
  }
  return std::unique_ptr<spool::WritableFile>(
      new Writable(this, std::move(node), generation_));
}

absl::StatusOr<std::unique_ptr<spool::ReadableFile>>
FaultSpoolEnv::NewReadableFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  if (symlinks_.count(path) > 0) return Symlink();
  auto it = files_.find(path);
  if (it == files_.end()) return Missing();
  return std::unique_ptr<spool::ReadableFile>(
      new Readable(this, it->second, generation_));
}

absl::Status FaultSpoolEnv::Rename(const std::string& from,
                                   const std::string& to) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  auto it = files_.find(from);
  if (it == files_.end()) return Missing();
  std::shared_ptr<Node> node = it->second;
  Unlink(from);
  symlinks_.erase(to);  // rename replaces the link, not its target
  Link(to, std::move(node));
  return absl::OkStatus();
}

absl::Status FaultSpoolEnv::Remove(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  if (symlinks_.erase(path) > 0) return absl::OkStatus();
  if (files_.count(path) == 0) return Missing();
  Unlink(path);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<spool::FileLock>> FaultSpoolEnv::LockFile(
    const std::string& path, uint32_t permissions) {
  absl::MutexLock lock(&mu_);
  if (dead_) return Dead();
  if (dirs_.count(Parent(path)) == 0) return Missing();
  if (symlinks_.count(path) > 0) return Symlink();
  if (files_.count(path) == 0) Link(path, NewNodeLocked(permissions));
  if (!locked_.insert(path).second) {
    return absl::FailedPreconditionError("Resource temporarily unavailable");
  }
  return std::unique_ptr<spool::FileLock>(new Lock(this, path, generation_));
}

// --- Internals.

void FaultSpoolEnv::Apply(const Op& op, std::string& s) {
  if (op.truncate) {
    s.resize(op.offset);
    return;
  }
  if (s.size() < op.offset + op.bytes.size()) {
    s.resize(op.offset + op.bytes.size());  // a hole reads as zeros
  }
  s.replace(op.offset, op.bytes.size(), op.bytes);
}

void FaultSpoolEnv::Record(Node& node, Op op) {
  Apply(op, node.data);
  node.pending.push_back(std::move(op));
}

std::shared_ptr<FaultSpoolEnv::Node> FaultSpoolEnv::NewNodeLocked(
    uint32_t mode) {
  auto node = std::make_shared<Node>();
  node->mode = mode;
  nodes_.push_back(node);
  return node;
}

void FaultSpoolEnv::Link(const std::string& path, std::shared_ptr<Node> node) {
  if (files_.count(path) > 0) Unlink(path);
  ++node->links;
  files_[path] = std::move(node);
}

void FaultSpoolEnv::Unlink(const std::string& path) {
  --files_.at(path)->links;
  files_.erase(path);
}

uint64_t FaultSpoolEnv::UsedLocked() {
  uint64_t used = 0;
  for (const std::weak_ptr<Node>& weak : nodes_) {
    std::shared_ptr<Node> node = weak.lock();
    if (node && (node->links > 0 || node->opens > 0)) used += node->data.size();
  }
  return used;
}

size_t FaultSpoolEnv::FitLocked(const Node& node, uint64_t offset, size_t n) {
  const uint64_t size = node.data.size();
  if (offset + n <= size) return n;  // overwrites only
  const uint64_t used = UsedLocked();
  const uint64_t free = disk_bytes_ > used ? disk_bytes_ - used : 0;
  const uint64_t end = std::min<uint64_t>(offset + n, size + free);
  return end > offset ? static_cast<size_t>(end - offset) : 0;
}

absl::Status FaultSpoolEnv::TakeSyncFaultLocked() {
  Fault& f = sync_fault_;
  if (f.error.ok() || f.count == 0) return absl::OkStatus();
  if (f.count > 0) --f.count;
  ++failed_syncs_;
  return f.error;
}

}  // namespace testing
}  // namespace streamgate
