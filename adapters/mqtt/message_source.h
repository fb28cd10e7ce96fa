// MessageSource: one MQTT message (topic + payload) as the source of
// template values — the InputSource partition keys read (gateway/api/
// ingest.h) and the TemplateScope of mapping templates (device_id,
// event_type). The payload is parsed as JSON at most once per message, and
// only when something asks: a mapped record whose templates read no field
// is never parsed. For `as: event` mappings it also checks that the payload
// is a JSON object and gives its compact text (whitespace removed, strings
// and number spellings kept), the event's eventData.
//
// Threading: one per thread (it reuses its buffers across messages); the
// views it returns stay valid until the next Reset.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/mqtt/event_payload.h"
#include "gateway/api/ingest.h"
#include "gateway/common/template.h"
#include "simdjson.h"

namespace streamgate {

class MessageSource : public InputSource, public TemplateScope {
 public:
  MessageSource() = default;
  MessageSource(const MessageSource&) = delete;
  MessageSource& operator=(const MessageSource&) = delete;

  // Starts a message; both views must outlive its use.
  void Reset(absl::string_view topic, absl::string_view payload);

  // InputSource.
  absl::string_view topic() const override { return topic_; }
  bool AppendPayloadField(absl::string_view name,
                          std::string& out) const override;

  // TemplateScope: ${topic()}, ${topic(N)}, ${payload.FIELD}.
  bool Append(const TemplateSegment& segment, std::string& out) const override;

  // The payload as compact JSON object text; INVALID_ARGUMENT with the
  // reason, and `*rejection` (kInvalidJson or kNotObject) when it is not.
  absl::StatusOr<absl::string_view> ObjectText(EventRejection* rejection);

 private:
  enum class State { kUnparsed, kObject, kNotObject, kInvalid };
  // Parses the payload once; the state says what it is.
  State Parse() const;

  absl::string_view topic_;
  absl::string_view payload_;
  // Lazily filled by the const look-ups (one thread; see above).
  mutable State state_ = State::kUnparsed;
  mutable const char* parse_error_ = "";
  mutable std::unique_ptr<char[]> buffer_;  // payload + simdjson padding
  mutable size_t capacity_ = 0;
  mutable simdjson::dom::parser parser_;
  mutable simdjson::dom::object object_;
  std::string compact_;  // ObjectText's result
};

}  // namespace streamgate
