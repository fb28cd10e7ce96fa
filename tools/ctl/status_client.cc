#include "tools/ctl/status_client.h"

#include <curl/curl.h>

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rapidjson/document.h"

namespace streamgate::ctl {
namespace {

constexpr size_t kMaxBody = 8 << 20;  // a hostile peer gets a bounded read

size_t Append(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxBody) return 0;  // aborts the transfer
  body->append(data, size * n);
  return size * n;
}

absl::StatusOr<std::string> Get(const StatusOptions& o) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  std::string body;
  const std::string url = absl::StrCat("http://", o.metrics, "/status.json");
  curl_slist* headers = nullptr;
  if (!o.api_key.empty()) {
    headers = curl_slist_append(
        headers, absl::StrCat("Authorization: Bearer ", o.api_key).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(o.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot read ", url, ": ", curl_easy_strerror(rc),
                     " (is metrics.listen ", o.metrics,
                     "? set it with --metrics HOST:PORT)"));
  }
  if (code == 401) {
    return absl::UnauthenticatedError(absl::StrCat(
        url, ": 401, an API key is needed (--key or STREAMGATE_API_KEY)"));
  }
  if (code != 200) {
    return absl::UnavailableError(absl::StrCat(
        url, ": HTTP ", code, " (not a streamgate metrics port, or too old)"));
  }
  return body;
}

struct Doc {
  rapidjson::Document json;
  const rapidjson::Value* modules = nullptr;
  const rapidjson::Value* inputs = nullptr;
};

absl::Status Parse(const std::string& text, Doc& doc) {
  doc.json.Parse(text.c_str(), text.size());
  if (doc.json.HasParseError() || !doc.json.IsObject() ||
      !doc.json.HasMember("modules") || !doc.json["modules"].IsArray() ||
      !doc.json.HasMember("inputs") || !doc.json["inputs"].IsArray()) {
    return absl::InvalidArgumentError(
        "the answer is not a streamgate /status.json document");
  }
  doc.modules = &doc.json["modules"];
  doc.inputs = &doc.json["inputs"];
  return absl::OkStatus();
}

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "";
  return std::string(v[key].GetString(), v[key].GetStringLength());
}

uint64_t Num(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsUint64()) return 0;
  return v[key].GetUint64();
}

// Columns two or more spaces apart, each as wide as its widest cell.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> FormatStatus(const std::string& before,
                                         const std::string& after,
                                         absl::Duration interval) {
  Doc now;
  if (auto st = Parse(after, now); !st.ok()) return st;
  std::map<std::string, std::pair<uint64_t, uint64_t>> earlier;
  const double seconds = absl::ToDoubleSeconds(interval);
  const bool rates = !before.empty() && seconds > 0;
  if (rates) {
    Doc then;
    if (auto st = Parse(before, then); !st.ok()) return st;
    for (const auto& m : then.modules->GetArray()) {
      earlier[Str(m, "id")] = {Num(m, "accepted"), Num(m, "delivered")};
    }
  }
  const rapidjson::Value& j = now.json;
  const bool ready =
      j.HasMember("ready") && j["ready"].IsBool() && j["ready"].GetBool();
  std::string out = absl::StrCat(
      "streamgate ", Str(j, "version"), ", up ", Num(j, "uptime_s"), " s, ",
      ready ? "ready" : "NOT READY", ", at ", Str(j, "time"), "\n\n");
  auto rate = [&](const std::string& id, uint64_t value, bool accepted) {
    auto it = earlier.find(id);
    if (!rates || it == earlier.end()) return std::string("-");
    const uint64_t old = accepted ? it->second.first : it->second.second;
    return absl::StrFormat("%.1f",
                           value >= old ? (value - old) / seconds : 0.0);
  };
  std::vector<std::vector<std::string>> rows = {
      {"MODULE", "STATE", "IN/S", "DELIVERED/S", "QUEUED", "ACCEPTED",
       "DELIVERED", "DEAD-LETTERED", "REJECTED", "SINK"}};
  std::string errors;
  for (const auto& m : now.modules->GetArray()) {
    const std::string id = Str(m, "id");
    rows.push_back({id, Str(m, "state"), rate(id, Num(m, "accepted"), true),
                    rate(id, Num(m, "delivered"), false),
                    absl::StrCat(Num(m, "queue_depth")),
                    absl::StrCat(Num(m, "accepted")),
                    absl::StrCat(Num(m, "delivered")),
                    absl::StrCat(Num(m, "dead_lettered")),
                    absl::StrCat(Num(m, "rejected_full")), Str(m, "target")});
    if (m.HasMember("last_error") && m["last_error"].IsObject()) {
      absl::StrAppend(&errors, id, " last error at ",
                      Str(m["last_error"], "time"), ": ",
                      Str(m["last_error"], "message"), "\n");
    }
  }
  out += Table(rows);
  std::vector<std::vector<std::string>> inputs = {
      {"INPUT", "ADDRESS", "STATE", "DETAIL"}};
  for (const auto& i : now.inputs->GetArray()) {
    inputs.push_back(
        {Str(i, "name"), Str(i, "address"), Str(i, "state"), Str(i, "detail")});
  }
  out += "\n" + Table(inputs);
  if (!errors.empty()) out += "\n" + errors;
  if (!rates) out += "\n(rates need two reads: --interval S, S > 0)\n";
  return out;
}

absl::StatusOr<std::string> FetchStatus(const StatusOptions& options) {
  std::string before;
  absl::Time first_read = absl::Now();
  if (options.interval > absl::ZeroDuration()) {
    auto first = Get(options);
    if (!first.ok()) return first.status();
    first_read = absl::Now();
    before = *std::move(first);
    absl::SleepFor(options.interval);
  }
  auto after = Get(options);
  if (!after.ok()) return after.status();
  return FormatStatus(before, *after, absl::Now() - first_read);
}

}  // namespace streamgate::ctl
