#include "adapters/grpc/wire_diagnosis.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace streamgate {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

constexpr uint64_t kMaxFieldNumber = (1u << 29) - 1;

enum WireType : int {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Reads `data` front to back; every read is bounds-checked against `end`.
class Walker {
 public:
  Walker(absl::string_view data, int depth_limit)
      : data_(data), depth_limit_(depth_limit) {}

  // Walks the fields of one message (`type`, or an unknown group when
  // null) from the current position. `group` is the field number of the
  // group being walked, which ends at its end-group tag (reaching `end`
  // first is a fault); 0 for a length-delimited message, which ends at
  // `end`. Returns the first fault, or "".
  std::string Message(const Descriptor* type, size_t end, int depth,
                      const std::string& path, uint64_t group) {
    std::map<int, int> seen;  // repeated field number -> next index
    while (pos_ < end) {
      const size_t at = pos_;
      uint64_t tag = 0;
      if (!Varint(end, tag) || tag > UINT32_MAX) return Malformed(at);
      const uint64_t number = tag >> 3;
      const int wire = static_cast<int>(tag & 7);
      if (number == 0 || number > kMaxFieldNumber) return Malformed(at);
      if (wire == kEndGroup) {
        if (group == number) return "";
        return Malformed(at);
      }
      const FieldDescriptor* field =
          type == nullptr ? nullptr
                          : type->FindFieldByNumber(static_cast<int>(number));
      std::string field_path;
      if (field != nullptr) {
        field_path = path.empty() ? field->name()
                                  : absl::StrCat(path, ".", field->name());
        if (field->is_repeated()) {
          absl::StrAppend(&field_path, "[", seen[field->number()]++, "]");
        }
      } else {
        field_path = path;
      }
      std::string fault;
      switch (wire) {
        case kVarint: {
          uint64_t ignored = 0;
          if (!Varint(end, ignored)) return Malformed(at);
          break;
        }
        case kFixed64:
          if (!Skip(end, 8)) return Malformed(at);
          break;
        case kFixed32:
          if (!Skip(end, 4)) return Malformed(at);
          break;
        case kLengthDelimited:
          fault = LengthDelimited(field, end, depth, field_path, at);
          break;
        case kStartGroup:
          // proto3 has no groups; protobuf keeps one as an unknown field,
          // and it counts against the recursion limit like a message.
          if (depth + 1 > depth_limit_) return TooDeep(field_path);
          fault = Message(nullptr, end, depth + 1, field_path, number);
          break;
        default:
          return Malformed(at);
      }
      if (!fault.empty()) return fault;
    }
    // Every read stops at `end`, so the walk ends exactly there.
    return group != 0 ? Malformed(pos_) : "";
  }

 private:
  std::string LengthDelimited(const FieldDescriptor* field, size_t end,
                              int depth, const std::string& path, size_t at) {
    uint64_t length = 0;
    if (!Varint(end, length) || length > end - pos_) return Malformed(at);
    const size_t body_end = pos_ + static_cast<size_t>(length);
    if (field == nullptr) {
      pos_ = body_end;  // unknown field: kept as bytes, never checked
      return "";
    }
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      const bool checked =
          field->file()->syntax() == FileDescriptor::SYNTAX_PROTO3;
      const absl::string_view text = data_.substr(pos_, body_end - pos_);
      pos_ = body_end;
      if (checked && !IsValidUtf8(text)) {
        return absl::StrCat("invalid UTF-8 in string field ", path);
      }
      return "";
    }
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (depth + 1 > depth_limit_) return TooDeep(path);
      std::string fault =
          Message(field->message_type(), body_end, depth + 1, path, 0);
      pos_ = body_end;
      return fault;
    }
    pos_ = body_end;  // bytes, or a packed repeated scalar
    return "";
  }

  bool Varint(size_t end, uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && pos_ < end; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  bool Skip(size_t end, size_t n) {
    if (end - pos_ < n) return false;
    pos_ += n;
    return true;
  }

  std::string Malformed(size_t at) const {
    return absl::StrCat("malformed protobuf bytes (at byte ", at, ")");
  }

  std::string TooDeep(const std::string& path) const {
    // The path of a deep chain is as long as the chain: name its root only.
    const std::string root = path.substr(0, path.find_first_of(".["));
    return absl::StrCat("nesting deeper than ", depth_limit_, " levels",
                        root.empty() ? "" : absl::StrCat(" (in ", root, ")"));
  }

  const absl::string_view data_;
  const int depth_limit_;
  size_t pos_ = 0;
};

}  // namespace

std::string DiagnoseWireBytes(const Descriptor& type, absl::string_view bytes,
                              int depth_limit) {
  Walker walker(bytes, depth_limit);
  return walker.Message(&type, bytes.size(), 0, "", 0);
}

absl::optional<uint64_t> TopLevelVarint(absl::string_view bytes, int number) {
  absl::optional<uint64_t> found;
  size_t pos = 0;
  auto varint = [&](uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && pos < bytes.size(); shift += 7) {
      const uint8_t b = static_cast<uint8_t>(bytes[pos++]);
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  while (pos < bytes.size()) {
    uint64_t tag = 0;
    if (!varint(tag)) break;
    const int wire = static_cast<int>(tag & 7);
    uint64_t value = 0;
    if (wire == kVarint) {
      if (!varint(value)) break;
      if ((tag >> 3) == static_cast<uint64_t>(number)) found = value;
    } else if (wire == kFixed64 || wire == kFixed32) {
      const size_t n = wire == kFixed64 ? 8 : 4;
      if (bytes.size() - pos < n) break;
      pos += n;
    } else if (wire == kLengthDelimited) {
      if (!varint(value) || value > bytes.size() - pos) break;
      pos += static_cast<size_t>(value);
    } else {
      break;  // groups and garbage: stop at what could be read
    }
  }
  return found;
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t cc = static_cast<uint8_t>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace streamgate
