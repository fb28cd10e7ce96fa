#include "gateway/core/partition_key.h"

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {

// Values of one input for Template::Expand.
class KeyScope : public TemplateScope {
 public:
  explicit KeyScope(const KeyInput& in) : in_(in) {}

  bool Append(const TemplateSegment& s, std::string& out) const override {
    switch (s.var) {
      case TemplateVar::kNewUuid:
        AppendRandomUuidV4(out);
        return true;
      case TemplateVar::kDeviceId:
        if (!in_.device_id || *in_.device_id <= 0) return false;
        absl::StrAppend(&out, *in_.device_id);
        return true;
      case TemplateVar::kHomeId:
        if (!in_.home_id || *in_.home_id <= 0) return false;
        absl::StrAppend(&out, *in_.home_id);
        return true;
      case TemplateVar::kLabel:
        if (in_.label.empty()) return false;
        out.append(in_.label.data(), in_.label.size());
        return true;
      case TemplateVar::kEventType:
        if (in_.event_type.empty()) return false;
        out.append(in_.event_type.data(), in_.event_type.size());
        return true;
      case TemplateVar::kTopic:
        if (in_.source == nullptr) return false;
        out.append(in_.source->topic().data(), in_.source->topic().size());
        return true;
      case TemplateVar::kTopicLevel: {
        absl::string_view level;
        if (in_.source == nullptr ||
            !TopicLevel(in_.source->topic(), s.level, level)) {
          return false;
        }
        out.append(level.data(), level.size());
        return true;
      }
      case TemplateVar::kPayloadField:
        return in_.source != nullptr &&
               in_.source->AppendPayloadField(s.text, out);
      case TemplateVar::kLiteral:
        out.append(s.text);
        return true;
    }
    return false;
  }

 private:
  const KeyInput& in_;
};

}  // namespace

void AppendRandomUuidV4(std::string& out) {
  // absl::BitGen is seeded from OS entropy; partition keys need spread and
  // uniqueness, not secrecy.
  thread_local absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen);
  uint64_t lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t base = out.size();
  out.resize(base + 36, '-');
  char* p = &out[base];
  int pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      p[pos++] = kHex[(v >> (4 * i)) & 0xf];
    }
  };
  put(hi, 16);
  put(lo, 16);
}

std::string RandomUuidV4() {
  std::string out;
  AppendRandomUuidV4(out);
  return out;
}

std::string IdKey(int64_t id) { return absl::StrCat(id); }

absl::StatusOr<Template> ParsePartitionKey(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("must not be empty");
  return Template::Parse(
      text,
      {TemplateVar::kDeviceId, TemplateVar::kHomeId, TemplateVar::kLabel,
       TemplateVar::kEventType, TemplateVar::kNewUuid, TemplateVar::kTopic,
       TemplateVar::kTopicLevel, TemplateVar::kPayloadField});
}

absl::Status ExpandPartitionKey(const Template& key, const KeyInput& in,
                                std::string& out) {
  out.clear();
  const TemplateSegment* missing = nullptr;
  if (!key.Expand(KeyScope(in), out, &missing)) {
    return absl::InvalidArgumentError(Template::MissingReason(*missing));
  }
  // Characters <= bytes: only a long key needs counting.
  const size_t chars =
      out.size() <= kMaxPartitionKeyChars ? out.size() : Utf8Length(out);
  if (chars < 1 || chars > kMaxPartitionKeyChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        key.text(), " gave ", chars, " characters; a partition key has 1..",
        kMaxPartitionKeyChars));
  }
  return absl::OkStatus();
}

}  // namespace streamgate
