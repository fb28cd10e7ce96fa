#include "sinks/file/json_line.h"

#include <cstdint>

#include "gateway/common/json_text.h"

namespace streamgate {

void AppendJsonLine(std::string& out, absl::string_view module_id,
                    const OutRecord& record) {
  out.append("{\"module\":");
  AppendJsonString(out, module_id);
  out.append(",\"partitionKey\":");
  AppendJsonString(out, record.partition_key);
  out.append(",\"data\":\"");
  AppendBase64(out, *record.data);
  out.append("\"}\n");
}

}  // namespace streamgate
