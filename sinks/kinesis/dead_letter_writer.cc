#include "sinks/kinesis/dead_letter_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sinks/kinesis/codec.h"
#include "spdlog/spdlog.h"

namespace streamgate::kinesis {

DeadLetterWriter::DeadLetterWriter(std::string module_id, std::string path)
    : module_id_(std::move(module_id)), path_(std::move(path)) {}

DeadLetterWriter::~DeadLetterWriter() {
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status DeadLetterWriter::Open() {
  if (path_.empty()) return absl::OkStatus();
  std::filesystem::path p(path_);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "sink.dead_letter_path: cannot create ", p.parent_path().string(), ": ",
          ec.message()));
    }
  }
  std::FILE* f = std::fopen(path_.c_str(), "ab");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "sink.dead_letter_path: cannot open ", path_, ": ", std::strerror(errno)));
  }
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = f;
  return absl::OkStatus();
}

size_t DeadLetterWriter::Write(const PendingBatch& records) {
  if (records.empty()) return 0;
  const std::string& first_error = records.front().last_error;
  absl::MutexLock lock(&mu_);
  if (file_ == nullptr) {
    spdlog::error("module {}: {} record(s) undeliverable and no sink.dead_letter_path "
                  "is set; first error: {}",
                  module_id_, records.size(), first_error);
    return 0;
  }
  std::string line;
  std::string b64;
  for (const auto& r : records) {
    line.clear();
    line.append("{\"module\":");
    AppendJsonString(module_id_, line);
    line.append(",\"partitionKey\":");
    AppendJsonString(r.record.partition_key, line);
    absl::Base64Escape(*r.record.data, &b64);
    line.append(",\"data\":\"");
    line.append(b64);
    line.append("\",\"error\":");
    AppendJsonString(r.last_error, line);
    absl::StrAppend(&line, ",\"attempts\":", r.attempts, "}\n");
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      spdlog::error("module {}: writing dead letters to {} failed ({}); {} record(s) "
                    "lost, first error: {}",
                    module_id_, path_, std::strerror(errno), records.size(),
                    first_error);
      return 0;
    }
  }
  if (std::fflush(file_) != 0) {
    spdlog::error("module {}: flushing dead letters to {} failed ({})", module_id_,
                  path_, std::strerror(errno));
  }
  return records.size();
}

}  // namespace streamgate::kinesis
