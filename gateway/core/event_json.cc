#include "gateway/core/event_json.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "gateway/common/status_macros.h"
#include "google/protobuf/struct.pb.h"

namespace streamgate {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// The path is only built when an error is found, so the happy path pays
// nothing for it.
struct PathError {
  std::string reason;
  std::vector<std::string> reversed_path;
};

absl::Status AppendValue(const Value& v, std::string& out, PathError& err);

absl::Status AppendStruct(const Struct& s, std::string& out, PathError& err) {
  using Entry = const google::protobuf::MapPair<std::string, Value>*;
  absl::InlinedVector<Entry, 16> entries;
  entries.reserve(s.fields_size());
  for (const auto& kv : s.fields()) entries.push_back(&kv);
  std::sort(entries.begin(), entries.end(),
            [](Entry a, Entry b) { return a->first < b->first; });
  out.push_back('{');
  bool first = true;
  for (Entry e : entries) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, e->first);
    out.push_back(':');
    absl::Status st = AppendValue(e->second, out, err);
    if (!st.ok()) {
      err.reversed_path.push_back(absl::StrCat(".", e->first));
      return st;
    }
  }
  out.push_back('}');
  return absl::OkStatus();
}

absl::Status AppendList(const ListValue& l, std::string& out, PathError& err) {
  out.push_back('[');
  for (int i = 0; i < l.values_size(); ++i) {
    if (i) out.push_back(',');
    absl::Status st = AppendValue(l.values(i), out, err);
    if (!st.ok()) {
      err.reversed_path.push_back(absl::StrCat("[", i, "]"));
      return st;
    }
  }
  out.push_back(']');
  return absl::OkStatus();
}

absl::Status AppendValue(const Value& v, std::string& out, PathError& err) {
  switch (v.kind_case()) {
    case Value::kNumberValue: {
      const double d = v.number_value();
      if (!std::isfinite(d)) {
        err.reason = std::isnan(d) ? "NaN is not valid JSON"
                                   : "Infinity is not valid JSON";
        return absl::InvalidArgumentError(err.reason);
      }
      AppendJsNumber(out, d);
      return absl::OkStatus();
    }
    case Value::kStringValue:
      AppendJsonString(out, v.string_value());
      return absl::OkStatus();
    case Value::kBoolValue:
      out.append(v.bool_value() ? "true" : "false");
      return absl::OkStatus();
    case Value::kStructValue:
      return AppendStruct(v.struct_value(), out, err);
    case Value::kListValue:
      return AppendList(v.list_value(), out, err);
    case Value::kNullValue:
    case Value::KIND_NOT_SET:  // protobuf's JSON mapping also reads unset as null
      out.append("null");
      return absl::OkStatus();
  }
  out.append("null");
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendStructJson(const Struct& s, std::string& out) {
  PathError err;
  absl::Status st = AppendStruct(s, out, err);
  if (st.ok()) return st;
  std::string path = "event_data";
  for (auto it = err.reversed_path.rbegin(); it != err.reversed_path.rend();
       ++it) {
    path += *it;
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", err.reason));
}

absl::Status RenderEvent(const ResolvedEvent& e, std::string& out) {
  out.append("{\"eventType\":");
  AppendJsonString(out, e.event_type);
  out.append(",\"eventData\":");
  if (e.data_struct != nullptr) {
    RETURN_IF_ERROR(AppendStructJson(*e.data_struct, out));
  } else if (e.data_json.empty()) {
    out.append("{}");
  } else {
    out.append(e.data_json.data(), e.data_json.size());
  }
  out.append(",\"timestamp\":");
  AppendRfc3339(out, e.timestamp);
  out.append(",\"homeId\":");
  AppendInt(out, e.home_id);
  if (e.origin_device_id) {
    out.append(",\"originDeviceId\":");
    AppendInt(out, *e.origin_device_id);
  }
  if (!e.origin_device_class.empty()) {
    out.append(",\"originDeviceClass\":");
    AppendJsonString(out, e.origin_device_class);
  }
  if (!e.origin_device_ip.empty()) {
    out.append(",\"originDeviceIp\":");
    AppendJsonString(out, e.origin_device_ip);
  }
  if (!e.origin_project_key_id.empty()) {
    out.append(",\"originProjectKeyId\":");
    AppendJsonString(out, e.origin_project_key_id);
    out.append(",\"originProjectKeyName\":");
    AppendJsonString(out, e.origin_project_key_name);
  }
  out.push_back('}');
  return absl::OkStatus();
}

}  // namespace streamgate
