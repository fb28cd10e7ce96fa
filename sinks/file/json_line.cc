#include "sinks/file/json_line.h"

#include <openssl/evp.h>

#include "gateway/json_text.h"

namespace streamgate {

void AppendBase64(std::string& out, absl::string_view data) {
  const size_t old = out.size();
  const size_t encoded = 4 * ((data.size() + 2) / 3);
  out.resize(old + encoded + 1);  // EVP_EncodeBlock writes a trailing NUL
  const int n = EVP_EncodeBlock(
      reinterpret_cast<unsigned char*>(&out[old]),
      reinterpret_cast<const unsigned char*>(data.data()),
      static_cast<int>(data.size()));
  out.resize(old + static_cast<size_t>(n));
}

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
