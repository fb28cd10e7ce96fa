// MessageSource: what simulated message number m is — which device sends it,
// and its MQTT topic and payload or its gRPC form. Message kinds: with both
// event templates and a bulk label, even m are events and odd m bulk data;
// otherwise all are of the one configured kind. Event number e goes to device
// first + e % devices with template e % templates; bulk number b goes to device
// first + b % devices. Deterministic, so a test can predict what arrives.
//
// Immutable after Create(); every method is const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "streamgate/v1/gateway.pb.h"
#include "tools/sim/sim_options.h"

namespace streamgate::sim {

struct EventTemplate {
  std::string event_type;
  std::string event_data_json;            // compact JSON object text
  google::protobuf::Struct event_data;    // the same, for gRPC
};

class MessageSource {
 public:
  // Loads options.events_file (when set). Errors name the file and, for a
  // bad template, its index.
  static absl::StatusOr<std::unique_ptr<MessageSource>> Create(
      const SimOptions& options);

  // Parses the templates file's text (exposed for tests).
  static absl::StatusOr<std::vector<EventTemplate>> ParseTemplates(
      const std::string& json, const std::string& what);

  const std::vector<EventTemplate>& templates() const { return templates_; }

  bool IsBulk(int64_t m) const;
  // Event or bulk number of message m (its rank among messages of its kind).
  int64_t KindIndex(int64_t m) const;
  int64_t DeviceOf(int64_t kind_index) const;
  // Records message m turns into at the gateway (1, or bulk_records).
  int RecordsOf(int64_t m) const;

  // MQTT form of message m.
  std::string Topic(int64_t m) const;
  std::string Payload(int64_t m) const;

  // gRPC forms.
  void FillEvent(int64_t m, streamgate::v1::Event* event) const;
  void FillBulk(int64_t m, streamgate::v1::BulkData* bulk) const;

 private:
  MessageSource(const SimOptions& options, std::vector<EventTemplate> t)
      : options_(options), templates_(std::move(t)) {}

  // Record j of bulk number b: "device D bulk B record J " padded with '.'.
  std::string BulkRecord(int64_t b, int j) const;

  const SimOptions& options_;
  const std::vector<EventTemplate> templates_;
};

// MessagePack bulk payload (spec 1.2): the string "1.0", then each record as
// a bin object, back to back.
std::string EncodeBulkPayload(const std::vector<std::string>& records);

}  // namespace streamgate::sim
