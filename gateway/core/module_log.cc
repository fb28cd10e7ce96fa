#include "gateway/core/module_log.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

// Keeps each line in the module's ring and hands it, prefixed with the
// module's name, to the default logger's sinks (stderr, tests' capture).
// The shared sinks keep their own formatters: setting a pattern on this
// logger would replace theirs.
class ModuleSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ModuleSink(std::string prefix, ModuleLog& log)
      : prefix_(std::move(prefix)), log_(log) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = prefix_;
    text.append(msg.payload.data(), msg.payload.size());
    log_.Add(LogEntry{absl::FromChrono(msg.time), msg.level, text});
    spdlog::details::log_msg out = msg;
    out.payload = text;
    auto root = spdlog::default_logger();
    if (root == nullptr) return;
    for (const spdlog::sink_ptr& s : root->sinks()) {
      if (s->should_log(out.level)) s->log(out);
    }
  }
  void flush_() override {
    if (auto root = spdlog::default_logger()) root->flush();
  }

 private:
  const std::string prefix_;
  ModuleLog& log_;
};

}  // namespace

ModuleLog::ModuleLog(const std::string& module_id, size_t capacity)
    : capacity_(capacity) {
  auto sink = std::make_shared<ModuleSink>(
      absl::StrCat("module '", module_id, "': "), *this);
  logger_ = std::make_shared<spdlog::logger>(module_id, std::move(sink));
  if (auto root = spdlog::default_logger()) logger_->set_level(root->level());
}

void ModuleLog::Add(LogEntry entry) {
  absl::MutexLock lock(&mu_);
  if (entry.level >= spdlog::level::err && entry.level != spdlog::level::off) {
    ++errors_total_;
    last_error_ = entry;
  }
  entries_.push_back(std::move(entry));
  while (entries_.size() > capacity_) entries_.pop_front();
}

std::vector<LogEntry> ModuleLog::Recent(spdlog::level::level_enum min_level,
                                        size_t limit) const {
  absl::MutexLock lock(&mu_);
  std::vector<LogEntry> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < limit;
       ++it) {
    if (it->level >= min_level) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

absl::optional<LogEntry> ModuleLog::LastError() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

uint64_t ModuleLog::errors_total() const {
  absl::MutexLock lock(&mu_);
  return errors_total_;
}

}  // namespace streamgate
