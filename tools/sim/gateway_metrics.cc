#include "tools/sim/gateway_metrics.h"

#include <curl/curl.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace streamgate::sim {
namespace {

constexpr size_t kMaxBody = 16 << 20;

size_t Append(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxBody) return 0;
  body->append(data, size * n);
  return size * n;
}

// The value of label `key` in a sample line's {...}, or "".
std::string Label(absl::string_view line, absl::string_view key) {
  const std::string needle = absl::StrCat(key, "=\"");
  const size_t at = line.find(needle);
  if (at == absl::string_view::npos) return "";
  const size_t begin = at + needle.size();
  const size_t end = line.find('"', begin);
  return end == absl::string_view::npos
             ? ""
             : std::string(line.substr(begin, end - begin));
}

}  // namespace

double MqttIntake::rejected_total() const {
  double total = 0;
  for (const auto& [reason, n] : rejected) total += n;
  return total;
}

MqttIntake MqttIntake::Minus(const MqttIntake& before) const {
  MqttIntake d;
  d.received = received - before.received;
  d.accepted = accepted - before.accepted;
  for (const auto& [reason, n] : rejected) {
    auto it = before.rejected.find(reason);
    const double delta = n - (it == before.rejected.end() ? 0 : it->second);
    if (delta != 0) d.rejected[reason] = delta;
  }
  return d;
}

absl::StatusOr<MqttIntake> ParseMqttIntake(absl::string_view exposition) {
  MqttIntake in;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtod(line.substr(space + 1), &value)) {
      continue;
    }
    if (absl::StartsWith(line, "streamgate_mqtt_messages_received_total")) {
      in.received += value;
      found = true;
    } else if (absl::StartsWith(line,
                                "streamgate_mqtt_messages_accepted_total")) {
      in.accepted += value;
    } else if (absl::StartsWith(line,
                                "streamgate_mqtt_messages_rejected_total")) {
      in.rejected[Label(line, "reason")] += value;
    }
  }
  if (!found) {
    return absl::NotFoundError(
        "no streamgate_mqtt_messages_received_total: the gateway has no MQTT "
        "input");
  }
  return in;
}

absl::StatusOr<MqttIntake> ScrapeMqttIntake(const std::string& target,
                                            absl::Duration timeout) {
  std::string url = target;
  if (!absl::StartsWith(url, "http://")) url = absl::StrCat("http://", url);
  if (!absl::EndsWith(url, "/metrics")) absl::StrAppend(&url, "/metrics");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK || code != 200) {
    return absl::UnavailableError(absl::StrCat(
        "--gateway-metrics: cannot scrape ", url, ": ",
        rc != CURLE_OK ? curl_easy_strerror(rc) : absl::StrCat("HTTP ", code)));
  }
  auto intake = ParseMqttIntake(body);
  if (!intake.ok()) {
    return absl::Status(intake.status().code(),
                        absl::StrCat("--gateway-metrics ", url, ": ",
                                     intake.status().message()));
  }
  return intake;
}

}  // namespace streamgate::sim
