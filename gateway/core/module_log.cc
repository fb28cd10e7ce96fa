#include "gateway/core/module_log.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-';
}

// Reads an id at the start of `s` (optionally quoted), ending at ':', ' ',
// a closing quote or the end; "" if `s` does not start with one.
absl::string_view IdAt(absl::string_view s, bool require_quotes) {
  const bool quoted = !s.empty() && s[0] == '\'';
  if (require_quotes && !quoted) return "";
  if (quoted) s.remove_prefix(1);
  size_t n = 0;
  while (n < s.size() && n < 65 && IsIdChar(s[n])) ++n;
  if (n == 0 || n > 64) return "";
  if (quoted) return n < s.size() && s[n] == '\'' ? s.substr(0, n) : "";
  if (n == s.size() || s[n] == ':' || s[n] == ' ') return s.substr(0, n);
  return "";
}

// Hands every message of the default logger to the live ModuleLogs. One per
// process, installed once: changing a logger's sinks is not thread-safe, so
// gateways come and go through the registry below instead.
class DispatchSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  static DispatchSink& Get() {
    static DispatchSink* sink = [] {
      auto s = std::make_shared<DispatchSink>();
      spdlog::default_logger()->sinks().push_back(s);
      return s.get();  // kept alive by the logger (and leaked at exit)
    }();
    return *sink;
  }

  void Register(ModuleLogs* logs) {
    absl::MutexLock lock(&mu_);
    live_.push_back(logs);
  }
  void Unregister(ModuleLogs* logs) {
    absl::MutexLock lock(&mu_);
    live_.erase(std::remove(live_.begin(), live_.end(), logs), live_.end());
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const absl::string_view text(msg.payload.data(), msg.payload.size());
    const absl::Time time = absl::FromChrono(msg.time);
    absl::MutexLock lock(&mu_);
    for (ModuleLogs* logs : live_) logs->Route(time, msg.level, text);
  }
  void flush_() override {}

 private:
  absl::Mutex mu_;
  std::vector<ModuleLogs*> live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void ModuleLogRing::Add(ModuleLogEntry entry) {
  absl::MutexLock lock(&mu_);
  if (entry.level >= spdlog::level::err) {
    ++errors_total_;
    last_error_ = entry;
  }
  entries_.push_back(std::move(entry));
  while (entries_.size() > capacity_) entries_.pop_front();
}

std::vector<ModuleLogEntry> ModuleLogRing::Recent(
    spdlog::level::level_enum min_level, size_t limit) const {
  absl::MutexLock lock(&mu_);
  std::vector<ModuleLogEntry> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < limit;
       ++it) {
    if (it->level >= min_level) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

absl::optional<ModuleLogEntry> ModuleLogRing::LastError() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

uint64_t ModuleLogRing::errors_total() const {
  absl::MutexLock lock(&mu_);
  return errors_total_;
}

ModuleLogs::ModuleLogs(const std::vector<std::string>& module_ids,
                       size_t capacity) {
  for (const std::string& id : module_ids) {
    rings_.emplace(id, std::make_unique<ModuleLogRing>(capacity));
  }
  DispatchSink::Get().Register(this);
}

ModuleLogs::~ModuleLogs() { DispatchSink::Get().Unregister(this); }

const ModuleLogRing* ModuleLogs::Find(absl::string_view module_id) const {
  auto it = rings_.find(module_id);
  return it == rings_.end() ? nullptr : it->second.get();
}

void ModuleLogs::Route(absl::Time time, spdlog::level::level_enum level,
                       absl::string_view message) {
  const absl::string_view id = ModuleNamed(message);
  if (id.empty()) return;
  auto it = rings_.find(id);
  if (it == rings_.end()) return;
  it->second->Add(ModuleLogEntry{time, level, std::string(message)});
}

absl::string_view ModuleLogs::ModuleNamed(absl::string_view message) {
  constexpr absl::string_view kPrefix = "module ";
  if (absl::StartsWith(message, kPrefix)) {
    absl::string_view id = IdAt(message.substr(kPrefix.size()), false);
    if (!id.empty()) return id;
  }
  for (size_t pos = message.find("module '"); pos != absl::string_view::npos;
       pos = message.find("module '", pos + 1)) {
    absl::string_view id = IdAt(message.substr(pos + kPrefix.size()), true);
    if (!id.empty()) return id;
  }
  return "";
}

absl::optional<spdlog::level::level_enum> ParseLogLevel(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "trace") return spdlog::level::trace;
  if (t == "debug") return spdlog::level::debug;
  if (t.empty()) return spdlog::level::trace;  // no minimum
  if (t == "info") return spdlog::level::info;
  if (t == "warn" || t == "warning") return spdlog::level::warn;
  if (t == "error") return spdlog::level::err;
  if (t == "critical") return spdlog::level::critical;
  return absl::nullopt;
}

}  // namespace streamgate
