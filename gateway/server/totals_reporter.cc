#include "gateway/server/totals_reporter.h"

#include "gateway/common/logging.h"
#include "gateway/server/gateway_summary.h"

namespace streamgate {

TotalsReporter::TotalsReporter(const GatewayStatus& status,
                               absl::Duration interval)
    : status_(status), interval_(interval) {}

TotalsReporter::~TotalsReporter() { Stop(); }

void TotalsReporter::Start() {
  if (interval_ <= absl::ZeroDuration() || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void TotalsReporter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TotalsReporter::Final() {
  Report("final totals", absl::Now() - started_, nullptr, nullptr);
}

void TotalsReporter::Report(absl::string_view label, absl::Duration since,
                            const std::vector<ModuleStatus>* before,
                            std::vector<ModuleStatus>* now_out) const {
  std::vector<ModuleStatus> now = status_.Modules();
  // Final lines rate over the whole run: compare against all zeros.
  const ModuleStatus zero;
  for (size_t i = 0; i < now.size(); ++i) {
    const ModuleStatus* prev = &zero;
    if (before != nullptr) {
      prev = i < before->size() && (*before)[i].id == now[i].id ? &(*before)[i]
                                                                : nullptr;
      // A module replaced by a reload starts its counters again: no rate.
      if (prev != nullptr &&
          (prev->records_accepted > now[i].records_accepted ||
           prev->records_delivered > now[i].records_delivered)) {
        prev = nullptr;
      }
    }
    spdlog::info("{}", ModuleTotalsLine(label, now[i], prev, since));
  }
  if (now_out != nullptr) *now_out = std::move(now);
}

void TotalsReporter::Run() {
  std::vector<ModuleStatus> before = status_.Modules();
  absl::Time last = absl::Now();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time until = last + interval_;
      while (!stop_ && absl::Now() < until) {
        mu_.AwaitWithDeadline(absl::Condition(&stop_), until);
      }
      if (stop_) return;
    }
    const absl::Time now = absl::Now();
    std::vector<ModuleStatus> current;
    Report("totals", now - last, &before, &current);
    before = std::move(current);
    last = now;
  }
}

}  // namespace streamgate
