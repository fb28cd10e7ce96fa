// The one URL parser (sinks/aws/url.h): endpoints as the signer sees them
// (Host header without the default port, path without trailing '/'), whole
// URLs with a query (credential providers), and what both refuse.
#include "sinks/aws/url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate::aws {
namespace {

using ::testing::HasSubstr;

TEST(ParseEndpointTest, SplitsWhatASignedRequestNeeds) {
  auto e = ParseEndpoint("https://kinesis.eu-west-1.amazonaws.com");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->https);
  EXPECT_EQ(e->authority, "kinesis.eu-west-1.amazonaws.com");
  EXPECT_EQ(e->path, "/");
  EXPECT_EQ(e->origin(), "https://kinesis.eu-west-1.amazonaws.com");
  e = ParseEndpoint("http://127.0.0.1:4567/");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->https);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->authority, "127.0.0.1:4567");
  EXPECT_EQ(e->origin(), "http://127.0.0.1:4567");
  e = ParseEndpoint("HTTPS://Example.com:443/prefix/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->authority, "example.com");  // default port left out, as signed
  EXPECT_EQ(e->path, "/prefix");
  e = ParseEndpoint("http://[::1]:8080");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->authority, "[::1]:8080");
  EXPECT_EQ(e->host, "::1");  // without brackets, for address checks
}

TEST(ParseEndpointTest, RefusesWhatIsNotAnEndpoint) {
  for (const char* bad : {"ftp://x", "kinesis.amazonaws.com", "http://", "http://:80",
                          "http://u:p@host", "http://host:0", "http://host:99999",
                          "http://host:", "http://host/?a=b", "http://host#frag",
                          "http://ho st", "http://host/a b"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
  // The messages --check-config shows after "sink.endpoint (line N): ".
  EXPECT_EQ(ParseEndpoint("ftp://x").status().message(),
            "must be an http:// or https:// URL");
  EXPECT_EQ(ParseEndpoint("http://u:p@host").status().message(),
            "URL must not contain user info");
  EXPECT_EQ(ParseEndpoint("http://host/?a=b").status().message(),
            "URL must not contain a query or fragment");
  EXPECT_EQ(ParseEndpoint("http://host:0").status().message(),
            "URL port must be 1-65535");
  EXPECT_EQ(ParseEndpoint("http://ho st").status().message(),
            "URL host has an invalid character");
  EXPECT_EQ(ParseEndpoint("http://").status().message(), "URL has no host");
}

TEST(ParseUrlTest, KeepsPathAndQueryAndDropsTheFragment) {
  auto u = ParseUrl("http://169.254.170.2/v2/credentials/abc?x=1&y=2#top");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->origin(), "http://169.254.170.2");
  EXPECT_EQ(u->path, "/v2/credentials/abc");
  EXPECT_EQ(u->query, "x=1&y=2");
  // A trailing '/' is part of the resource (the IMDS role listing).
  u = ParseUrl("http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path, "/latest/meta-data/iam/security-credentials/");
  u = ParseUrl("https://sts.amazonaws.com:8443");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->query, "");
  EXPECT_EQ(u->authority, "sts.amazonaws.com:8443");
  EXPECT_THAT(ParseUrl("http://host/a\nb").status().message(),
              HasSubstr("invalid character"));
  EXPECT_FALSE(ParseUrl("file:///etc/passwd").ok());
}

}  // namespace
}  // namespace streamgate::aws
