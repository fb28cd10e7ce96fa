// Pipeline::ReplaceModules: SIGHUP's module swap (see pipeline.h for the
// steps and why they come in that order).
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/common/logging.h"
#include "gateway/core/pipeline.h"

namespace streamgate {
namespace {

// True when `fresh` must wait for `old` to close: it reuses its id (the
// same file or stream, the same logger name) or its spool folder.
bool TakesOver(const ModuleConfig& fresh, const ModuleConfig& old) {
  if (fresh.id == old.id) return true;
  return fresh.spool && old.spool && fresh.spool->dir == old.spool->dir;
}

// Blocks until `p` is the only reference to its object, or `deadline`.
template <typename T>
bool WaitSoleOwner(const std::shared_ptr<T>& p, absl::Time deadline) {
  while (p.use_count() > 1) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Microseconds(200));
  }
  return true;
}

}  // namespace

absl::Status Pipeline::ReplaceModules(const std::vector<ModuleConfig>& configs,
                                      const std::set<std::string>& keep,
                                      const SinkRegistry& sinks,
                                      absl::Time deadline,
                                      std::vector<std::string>* not_started) {
  absl::MutexLock reload(&reload_mu_);
  if (stopping()) return absl::UnavailableError("the gateway is stopping");
  absl::flat_hash_map<std::string, std::shared_ptr<Module>> running;
  for (auto& m : modules()) running[m->id()] = m;
  for (const std::string& id : keep) {
    if (running.find(id) == running.end()) {
      return absl::InternalError(absl::StrCat("no running module '", id, "'"));
    }
  }
  std::vector<std::shared_ptr<Module>> retiring;
  for (const auto& [id, m] : running) {
    if (keep.count(id) == 0) retiring.push_back(m);
  }

  // 1. Build every new module before anything changes.
  std::vector<std::shared_ptr<Module>> next;
  std::vector<std::shared_ptr<Module>> fresh;
  for (const ModuleConfig& c : configs) {
    if (keep.count(c.id) > 0) {
      next.push_back(running[c.id]);
      continue;
    }
    auto m = Module::Create(c, sinks, delivery_dead_letters_.get());
    if (!m.ok()) return m.status();
    next.push_back(*std::move(m));
    fresh.push_back(next.back());
  }
  std::vector<std::shared_ptr<Module>> waiting;
  std::vector<std::shared_ptr<Module>> started;
  std::set<const Module*> taken_over;
  for (auto& m : fresh) {
    bool takes_over = false;
    for (const auto& old : retiring) {
      if (TakesOver(m->config(), old->config())) {
        takes_over = true;
        taken_over.insert(old.get());
      }
    }
    if (takes_over) {
      waiting.push_back(m);
      continue;
    }
    if (absl::Status st = m->Start(); !st.ok()) {
      for (auto& s : started) s->Stop(deadline);
      return absl::Status(
          st.code(), absl::StrCat("module '", m->id(), "': ", st.message()));
    }
    started.push_back(m);
  }

  // 2. Switch ingest, then retire the old modules once nothing routes to
  // them any more.
  std::shared_ptr<Router> old = routes_->Replace(BuildRouter(configs, next));
  {
    absl::MutexLock lock(&mu_);
    modules_ = next;
  }
  if (!RouteTable::WaitUnused(old, deadline)) {
    // That input finds the queue closed and is refused (not acknowledged).
    spdlog::warn("SIGHUP: an input still held the old module table");
  }
  old.reset();
  // Taken-over modules first, so their successors wait no longer than
  // needed; then the successors; then the removed ones.
  auto retire = [&](std::shared_ptr<Module>& m) {
    // A spool leaves what it holds on disk when stopped: let it drain
    // into its sink first, as a memory queue does.
    while (m->queue().durable() && m->queue().depth() > 0 &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (!m->Stop(deadline)) {
      stuck_.push_back(m);  // its worker still runs: never destroyed
      spdlog::error("SIGHUP: module '{}' not drained by the deadline", m->id());
      m.reset();
      return;
    }
    spdlog::info("SIGHUP: module '{}' drained and closed", m->id());
    running.erase(m->id());
    // Destroyed before its successor starts: a spool closes its files and
    // unlocks its folder only then. A status scrape may hold it a moment.
    if (!WaitSoleOwner(m, deadline)) {
      spdlog::warn("SIGHUP: module '{}' still referenced", m->id());
    }
    m.reset();
  };
  for (auto& m : retiring) {
    if (m && taken_over.count(m.get()) > 0) retire(m);
  }

  // 3. The modules that took over a retired one's id or spool folder.
  for (auto& m : waiting) {
    if (absl::Status st = m->Start(); !st.ok()) {
      // Refuse inputs from now on; what it took meanwhile is reported by
      // its Stop.
      m->queue().Close();
      not_started->push_back(
          absl::StrCat("module '", m->id(), "' did not start: ", st.message()));
    }
  }
  for (auto& m : retiring) {
    if (m) retire(m);
  }
  return absl::OkStatus();
}

}  // namespace streamgate
