// GiveUpLine: the JSON line a delivery give-up leaves in a dead-letter file
// (README "Dead letters"): an acknowledged record a sink could not deliver,
// or one a module that never started could not hand to its sink. One format
// for every writer, so readers of `dead_letter.delivery_path` parse one shape.
//
// Threading: a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace streamgate {

struct GiveUp {
  absl::string_view source;  // "kinesis", "gateway"
  absl::string_view module;
  absl::string_view reason;
  absl::optional<int64_t> attempts;  // unset: the record was never sent
  absl::string_view partition_key;
  absl::string_view data;  // the record's bytes (base64 in the line)
};

// {"time":..,"source":..,"module":..,"reason":..[,"attempts":..],
//  "partitionKey":..,"bytes":..,"data":"<base64>"}
std::string GiveUpLine(const GiveUp& g, absl::Time now);

}  // namespace streamgate
