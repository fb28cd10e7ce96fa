#include "gateway/common/give_up_line.h"

#include "gateway/common/json_text.h"

namespace streamgate {

std::string GiveUpLine(const GiveUp& g, absl::Time now) {
  std::string line;
  line.reserve(160 + g.reason.size() + g.partition_key.size() +
               4 * (g.data.size() + 2) / 3);
  line.append("{\"time\":");
  AppendRfc3339(line, now);
  line.append(",\"source\":");
  AppendJsonString(line, g.source);
  line.append(",\"module\":");
  AppendJsonString(line, g.module);
  line.append(",\"reason\":");
  AppendJsonString(line, g.reason);
  if (g.attempts) {
    line.append(",\"attempts\":");
    AppendInt(line, *g.attempts);
  }
  line.append(",\"partitionKey\":");
  AppendJsonString(line, g.partition_key);
  line.append(",\"bytes\":");
  AppendInt(line, static_cast<int64_t>(g.data.size()));
  line.append(",\"data\":\"");
  AppendBase64(line, g.data);
  line.append("\"}");
  return line;
}

}  // namespace streamgate
