// streamgate-ctl status's rendering of /status.json (tools/ctl/
// status_client.h): rates from two reads, the module and input tables, last
// errors, and bodies that are not the document.
#include "tools/ctl/status_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate::ctl {
namespace {

using ::testing::HasSubstr;

std::string Doc(int accepted, int delivered, const char* last_error) {
  return std::string(
             "{\"version\":\"1.2.3\",\"time\":\"2026-01-01T00:00:10Z\","
             "\"uptime_s\":10,\"ready\":true,\"modules\":[{\"id\":\"m\","
             "\"sink\":\"file\",\"target\":\"file /x\",\"state\":\"running\","
             "\"accepted\":") +
         std::to_string(accepted) +
         ",\"delivered\":" + std::to_string(delivered) +
         ",\"dead_lettered\":1,\"rejected_full\":2,\"queue_depth\":3,"
         "\"last_error\":" +
         last_error +
         "}],\"inputs\":[{\"name\":\"grpc\",\"address\":\"127.0.0.1:1\","
         "\"state\":\"serving\",\"detail\":\"plaintext\"}]}";
}

TEST(StatusClientTest, TablesWithRates) {
  auto out = FormatStatus(Doc(100, 50, "null"),
                          Doc(130, 60,
                              "{\"time\":\"2026-01-01T00:00:09Z\","
                              "\"message\":\"boom\"}"),
                          absl::Seconds(2));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "streamgate 1.2.3, up 10 s, ready, at 2026-01-01T00:00:10Z\n"
            "\n"
            "MODULE  STATE    IN/S  DELIVERED/S  QUEUED  ACCEPTED  DELIVERED  "
            "DEAD-LETTERED  REJECTED  SINK\n"
            "m       running  15.0  5.0          3       130       60         "
            "1              2         file /x\n"
            "\n"
            "INPUT  ADDRESS      STATE    DETAIL\n"
            "grpc   127.0.0.1:1  serving  plaintext\n"
            "\n"
            "m last error at 2026-01-01T00:00:09Z: boom\n");
}

TEST(StatusClientTest, OneReadHasNoRates) {
  auto out = FormatStatus("", Doc(1, 1, "null"), absl::ZeroDuration());
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(*out, HasSubstr("m       running  -     -  "));
  EXPECT_THAT(*out, HasSubstr("(rates need two reads"));
}

TEST(StatusClientTest, NotTheDocument) {
  for (const char* body : {"", "[]", "{\"modules\":1}", "<html>", "{\"a\":"}) {
    auto out = FormatStatus("", body, absl::ZeroDuration());
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
}

}  // namespace
}  // namespace streamgate::ctl
