// The reference the encoder is checked against: a text-format
// AggregatedRecord encoded by `protoc --encode` with the KPL messages in
// sinks/kinesis/aggregation/proto, and its MD5 by `openssl dgst -md5`. Both
// run as separate processes on a temporary file, so the expected bytes come
// from neither the encoder nor the OpenSSL calls it makes.
// Test-only helpers; not thread-safe (one temporary folder per call).
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace streamgate::kinesis::testing {

// A protobuf text-format string literal for any bytes ("\ooo" escapes).
inline std::string TextBytes(absl::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\%03o", c);
    }
  }
  out.push_back('"');
  return out;
}

// Runs `command` with the shell; its stdout, or "<failed: ...>" when it
// exits non-zero (which then never equals any expected bytes).
inline std::string RunCommand(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "<failed: popen>";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int rc = pclose(pipe);
  if (rc != 0) return absl::StrCat("<failed: exit ", rc, ": ", command, ">");
  return out;
}

// magic + protoc's encoding of `text` (an AggregatedRecord in text format)
// + openssl's MD5 of that encoding.
inline std::string ReferenceAggregate(const std::string& text) {
  char dir_template[] = "/tmp/kpl_reference_XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return "<failed: mkdtemp>";
  const std::string dir = dir_template;
  std::ofstream(dir + "/record.txtpb") << text;
  const std::string proto_dir =
      std::string(STREAMGATE_SOURCE_DIR) + "/sinks/kinesis/aggregation/proto";
  std::string encoded = RunCommand(absl::StrCat(
      PROTOC_BIN, " --encode=streamgate.kpl.AggregatedRecord -I ", proto_dir,
      " kpl_aggregated_record.proto < ", dir, "/record.txtpb > ", dir,
      "/record.bin && cat ", dir, "/record.bin"));
  std::string md5 = RunCommand(
      absl::StrCat("openssl dgst -md5 -binary ", dir, "/record.bin"));
  RunCommand(absl::StrCat("rm -rf ", dir));
  return absl::StrCat("\xF3\x89\x9A\xC2", encoded, md5);
}

}  // namespace streamgate::kinesis::testing
