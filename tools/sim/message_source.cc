#include "tools/sim/message_source.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace streamgate::sim {
namespace {

std::string CompactJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void AppendBin(const std::string& data, std::string* out) {
  const size_t n = data.size();
  if (n <= 0xff) {
    out->push_back(static_cast<char>(0xc4));
    out->push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(0xc5));
    out->push_back(static_cast<char>(n >> 8));
    out->push_back(static_cast<char>(n));
  } else {
    out->push_back(static_cast<char>(0xc6));
    for (int shift = 24; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>(n >> shift));
    }
  }
  out->append(data);
}

}  // namespace

std::string EncodeBulkPayload(const std::vector<std::string>& records) {
  std::string out = "\xa3" "1.0";
  for (const std::string& r : records) AppendBin(r, &out);
  return out;
}

absl::StatusOr<std::vector<EventTemplate>> MessageSource::ParseTemplates(
    const std::string& json, const std::string& what) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not valid JSON at offset ", doc.GetErrorOffset(),
                     ": ", rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsArray() || doc.Empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": must be a non-empty JSON list of {eventType, eventData}"));
  }
  std::vector<EventTemplate> out;
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& t = doc[i];
    const std::string where = absl::StrCat(what, "[", i, "]");
    if (!t.IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": not an object"));
    }
    auto type = t.FindMember("eventType");
    if (type == t.MemberEnd() || !type->value.IsString() ||
        type->value.GetStringLength() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".eventType: must be a non-empty string"));
    }
    EventTemplate e;
    e.event_type.assign(type->value.GetString(), type->value.GetStringLength());
    auto data = t.FindMember("eventData");
    if (data == t.MemberEnd()) {
      e.event_data_json = "{}";
    } else if (!data->value.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".eventData: must be an object"));
    } else {
      e.event_data_json = CompactJson(data->value);
    }
    auto parsed =
        google::protobuf::util::JsonStringToMessage(e.event_data_json,
                                                    &e.event_data);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".eventData: ", std::string(parsed.message())));
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<MessageSource>> MessageSource::Create(
    const SimOptions& options) {
  std::vector<EventTemplate> templates;
  if (!options.events_file.empty()) {
    std::ifstream in(options.events_file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("--events: cannot read ", options.events_file));
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = ParseTemplates(text.str(), options.events_file);
    if (!parsed.ok()) return parsed.status();
    templates = std::move(*parsed);
  }
  return std::unique_ptr<MessageSource>(
      new MessageSource(options, std::move(templates)));
}

bool MessageSource::IsBulk(int64_t m) const {
  if (options_.bulk_label.empty()) return false;
  if (templates_.empty()) return true;
  return (m % 2) == 1;
}

int64_t MessageSource::KindIndex(int64_t m) const {
  const bool both = !options_.bulk_label.empty() && !templates_.empty();
  return both ? m / 2 : m;
}

int64_t MessageSource::DeviceOf(int64_t kind_index) const {
  return options_.first_device_id + kind_index % options_.devices;
}

int MessageSource::RecordsOf(int64_t m) const {
  return IsBulk(m) ? options_.bulk_records : 1;
}

std::string MessageSource::Topic(int64_t m) const {
  const int64_t device = DeviceOf(KindIndex(m));
  if (IsBulk(m)) {
    return absl::StrCat("/devices/", device, "/bulkData/", options_.bulk_label);
  }
  return absl::StrCat("/devices/", device, "/event");
}

std::string MessageSource::BulkRecord(int64_t b, int j) const {
  std::string r = absl::StrCat("device ", DeviceOf(b), " bulk ", b, " record ",
                               j, " ");
  r.resize(static_cast<size_t>(options_.bulk_record_bytes), '.');
  return r;
}

std::string MessageSource::Payload(int64_t m) const {
  const int64_t k = KindIndex(m);
  if (IsBulk(m)) {
    std::vector<std::string> records;
    for (int j = 0; j < options_.bulk_records; ++j) {
      records.push_back(BulkRecord(k, j));
    }
    return EncodeBulkPayload(records);
  }
  const EventTemplate& t = templates_[k % templates_.size()];
  rapidjson::StringBuffer type;
  rapidjson::Writer<rapidjson::StringBuffer> writer(type);
  writer.String(t.event_type.data(),
                static_cast<rapidjson::SizeType>(t.event_type.size()));
  return absl::StrCat("{\"eventType\":", type.GetString(),
                      ",\"eventData\":", t.event_data_json, "}");
}

void MessageSource::FillEvent(int64_t m, streamgate::v1::Event* event) const {
  const int64_t e = KindIndex(m);
  const EventTemplate& t = templates_[e % templates_.size()];
  event->set_event_type(t.event_type);
  *event->mutable_event_data() = t.event_data;
  event->set_home_id(options_.home_id);
  event->set_origin_device_id(DeviceOf(e));
}

void MessageSource::FillBulk(int64_t m, streamgate::v1::BulkData* bulk) const {
  const int64_t b = KindIndex(m);
  bulk->set_device_id(DeviceOf(b));
  bulk->set_label(options_.bulk_label);
  for (int j = 0; j < options_.bulk_records; ++j) {
    bulk->add_records(BulkRecord(b, j));
  }
}

}  // namespace streamgate::sim
