// ApiKeyAuthProcessor's path rule: which calls the header check lets
// through without a key. The check itself on real calls (plaintext, 4 MB
// bodies never held) is tests/e2e/auth_before_body_test.py; with TLS,
// tests/e2e/auth_tls_test.py.
#include "adapters/grpc/auth_processor.h"

#include "gtest/gtest.h"

namespace streamgate {
namespace {

TEST(ApiKeyAuthProcessorTest, HealthAndReflectionNeedNoKey) {
  EXPECT_FALSE(ApiKeyAuthProcessor::NeedsKey("/grpc.health.v1.Health/Check"));
  EXPECT_FALSE(ApiKeyAuthProcessor::NeedsKey("/grpc.health.v1.Health/Watch"));
  EXPECT_FALSE(ApiKeyAuthProcessor::NeedsKey(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
}

TEST(ApiKeyAuthProcessorTest, EverythingElseNeedsAKey) {
  EXPECT_TRUE(
      ApiKeyAuthProcessor::NeedsKey("/streamgate.v1.Gateway/PublishEvent"));
  EXPECT_TRUE(
      ApiKeyAuthProcessor::NeedsKey("/streamgate.v1.Admin/ListModules"));
  EXPECT_TRUE(ApiKeyAuthProcessor::NeedsKey("/grpc.health.v1.HealthX/Check"));
  EXPECT_TRUE(ApiKeyAuthProcessor::NeedsKey(""));  // no path: no exemption
}

}  // namespace
}  // namespace streamgate
