// The line format shared by the file and stdout sinks: one compact JSON
// object per record, `{"module":ID,"partitionKey":KEY,"data":BASE64}\n`,
// with the record's exact bytes in standard base64. Pure, thread-safe.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "gateway/api/record.h"

namespace streamgate {

// Appends one complete line for `record` to `out`.
void AppendJsonLine(std::string& out, absl::string_view module_id,
                    const OutRecord& record);

}  // namespace streamgate
