// Retrier: by-index matching, only failed records retried, backoff bounds,
// TTL, non-retryable errors dead-lettered, possible duplicates.
#include "sinks/kinesis/retrier.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace streamgate::kinesis {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

PendingBatch Batch(int n) {
  PendingBatch b;
  for (int i = 0; i < n; ++i) {
    PendingRecord r;
    r.record.data = std::make_shared<const std::string>(absl::StrCat("d", i));
    r.record.partition_key = absl::StrCat("k", i);
    r.accepted = kT0;
    r.not_before = kT0;
    b.push_back(std::move(r));
  }
  return b;
}

aws::HttpResponse Ok(std::string body) {
  aws::HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

RetryPolicy Policy() {
  return RetryPolicy{absl::Milliseconds(100), absl::Seconds(2), absl::Seconds(60)};
}

TEST(RetrierTest, MatchesRecordsByIndexAndRetriesOnlyFailed) {
  Retrier retrier(Policy(), [] { return 0.5; });
  RetryOutcome out = retrier.OnResponse(Batch(4), Ok(R"({"FailedRecordCount":2,"Records":[
      {"SequenceNumber":"1","ShardId":"s0"},
      {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow"},
      {"SequenceNumber":"2","ShardId":"s1"},
      {"ErrorCode":"AccessDeniedException","ErrorMessage":"no"}]})"), kT0);
  EXPECT_EQ(out.request, RequestOutcome::kPartial);
  EXPECT_EQ(out.delivered, 2u);
  EXPECT_EQ(out.delivered_bytes, 8u);  // "d0"+"k0" and "d2"+"k2"
  ASSERT_EQ(out.retry.size(), 1u);
  EXPECT_EQ(*out.retry[0].record.data, "d1");
  EXPECT_EQ(out.retry[0].attempts, 1);
  EXPECT_EQ(out.retry[0].last_error, "ProvisionedThroughputExceededException: slow");
  // attempts=1: cap is the initial backoff; u=0.5 -> half of it.
  EXPECT_EQ(out.retry[0].not_before, kT0 + absl::Milliseconds(50));
  ASSERT_EQ(out.dead.size(), 1u);
  EXPECT_EQ(*out.dead[0].record.data, "d3");
  EXPECT_EQ(out.dead[0].last_error, "AccessDeniedException: no");
  EXPECT_EQ(out.record_errors.at("ProvisionedThroughputExceededException"), 1u);
  EXPECT_EQ(out.newly_possible_duplicates, 0u);
}

TEST(RetrierTest, AllSucceeded) {
  Retrier retrier(Policy());
  RetryOutcome out = retrier.OnResponse(
      Batch(2),
      Ok(R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"a"},{"SequenceNumber":"2","ShardId":"b"}]})"),
      kT0);
  EXPECT_EQ(out.request, RequestOutcome::kOk);
  EXPECT_EQ(out.delivered, 2u);
  EXPECT_TRUE(out.retry.empty());
  EXPECT_TRUE(out.dead.empty());
}

TEST(RetrierTest, BackoffIsExponentialFullJitterAndCapped) {
  double u = 0.999999;
  Retrier retrier(Policy(), [&] { return u; });
  // Upper bounds: 100, 200, 400, 800, 1600, 2000 (cap), 2000 ms.
  const int64_t caps[] = {100, 200, 400, 800, 1600, 2000, 2000};
  for (int a = 1; a <= 7; ++a) {
    u = 0.999999;
    absl::Duration hi = retrier.Backoff(a);
    EXPECT_LE(hi, absl::Milliseconds(caps[a - 1])) << a;
    EXPECT_GT(hi, absl::Milliseconds(caps[a - 1]) * 0.99) << a;
    u = 0.0;
    EXPECT_EQ(retrier.Backoff(a), absl::ZeroDuration()) << a;
  }
  Retrier random(Policy());
  for (int i = 0; i < 1000; ++i) {
    absl::Duration d = random.Backoff(3);
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LE(d, absl::Milliseconds(400));
  }
}

TEST(RetrierTest, WholeRequestThrottlingAnd5xxRetryEveryRecord) {
  Retrier retrier(Policy(), [] { return 1.0; });
  aws::HttpResponse throttled;
  throttled.status = 400;
  throttled.body = R"({"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"})";
  RetryOutcome out = retrier.OnResponse(Batch(3), throttled, kT0);
  EXPECT_EQ(out.request, RequestOutcome::kRetryableFailure);
  EXPECT_EQ(out.request_error, "ProvisionedThroughputExceededException");
  EXPECT_EQ(out.retry.size(), 3u);
  EXPECT_TRUE(out.dead.empty());

  for (long status : {500L, 503L}) {
    aws::HttpResponse r;
    r.status = status;
    r.body = "<html>oops</html>";
    out = retrier.OnResponse(Batch(2), r, kT0);
    EXPECT_EQ(out.request, RequestOutcome::kRetryableFailure) << status;
    EXPECT_EQ(out.request_error, absl::StrCat("HTTP ", status));
    EXPECT_EQ(out.retry.size(), 2u);
  }
}

TEST(RetrierTest, NonRetryableErrorsGoToDeadLetterAtOnce) {
  Retrier retrier(Policy());
  for (const char* code : {"ResourceNotFoundException", "AccessDeniedException",
                           "ValidationException", "KMSDisabledException",
                           "KMSAccessDeniedException", "UnrecognizedClientException"}) {
    aws::HttpResponse r;
    r.status = 400;
    r.body = absl::StrCat(R"({"__type":")", code, R"(","message":"m"})");
    RetryOutcome out = retrier.OnResponse(Batch(2), r, kT0);
    EXPECT_EQ(out.request, RequestOutcome::kFatalFailure) << code;
    EXPECT_TRUE(out.retry.empty()) << code;
    ASSERT_EQ(out.dead.size(), 2u) << code;
    EXPECT_EQ(out.dead[0].last_error, absl::StrCat(code, ": m"));
    EXPECT_EQ(out.dead[0].attempts, 1);
  }
  EXPECT_TRUE(IsRetryableError("KMSThrottlingException", 400));
  EXPECT_TRUE(IsRetryableError("ThrottlingException", 400));
  EXPECT_TRUE(IsRetryableError("LimitExceededException", 400));
  EXPECT_FALSE(IsRetryableError("SomethingNew", 400));
  EXPECT_TRUE(IsRetryableError("SomethingNew", 502));
  EXPECT_TRUE(IsRetryableError("InternalFailure", 0));
}

TEST(RetrierTest, TimeoutAfterSendMarksPossibleDuplicates) {
  Retrier retrier(Policy(), [] { return 0.0; });
  aws::HttpResponse timeout;
  timeout.error = aws::TransportError::kTimeout;
  timeout.request_sent = true;
  RetryOutcome out = retrier.OnResponse(Batch(3), timeout, kT0);
  EXPECT_EQ(out.request, RequestOutcome::kTransportError);
  EXPECT_EQ(out.newly_possible_duplicates, 3u);
  ASSERT_EQ(out.retry.size(), 3u);
  EXPECT_TRUE(out.retry[0].possible_duplicate);

  aws::HttpResponse refused;
  refused.error = aws::TransportError::kConnectFailed;
  refused.request_sent = false;
  out = retrier.OnResponse(Batch(2), refused, kT0);
  EXPECT_EQ(out.newly_possible_duplicates, 0u);
  ASSERT_EQ(out.retry.size(), 2u);
  EXPECT_FALSE(out.retry[0].possible_duplicate);
}

TEST(RetrierTest, RecordsPastTtlGoToDeadLetter) {
  Retrier retrier(Policy(), [] { return 0.0; });
  aws::HttpResponse r;
  r.status = 500;
  // 59.99 s after acceptance with a 60 s TTL: a zero backoff still fits.
  RetryOutcome out = retrier.OnResponse(Batch(1), r, kT0 + absl::Milliseconds(59990));
  EXPECT_EQ(out.retry.size(), 1u);
  out = retrier.OnResponse(Batch(1), r, kT0 + absl::Seconds(60));
  ASSERT_EQ(out.dead.size(), 1u);
  EXPECT_NE(out.dead[0].last_error.find("record_ttl_s exceeded"), std::string::npos);
  EXPECT_NE(out.dead[0].last_error.find("HTTP 500"), std::string::npos);
}

TEST(RetrierTest, UnmatchableSuccessIsRetriedAsPossibleDuplicate) {
  Retrier retrier(Policy());
  RetryOutcome out = retrier.OnResponse(
      Batch(2), Ok(R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"a"}]})"),
      kT0);
  EXPECT_EQ(out.delivered, 0u);
  EXPECT_EQ(out.retry.size(), 2u);
  EXPECT_EQ(out.newly_possible_duplicates, 2u);
}

TEST(RetrierTest, AllSucceededLargeBatchCountsEveryRecordAndItsBytes) {
  Retrier retrier(Policy());
  std::string body = R"({"FailedRecordCount":0,"Records":[)";
  for (int i = 0; i < 500; ++i) {
    absl::StrAppend(&body, i ? "," : "", R"({"SequenceNumber":")", i,
                    R"(","ShardId":"shardId-000000000000"})");
  }
  body += "]}";
  PendingBatch batch = Batch(500);
  size_t bytes = 0;
  for (const auto& r : batch) bytes += r.size();
  RetryOutcome out = retrier.OnResponse(std::move(batch), Ok(body), kT0);
  EXPECT_EQ(out.request, RequestOutcome::kOk);
  EXPECT_EQ(out.delivered, 500u);
  EXPECT_EQ(out.delivered_bytes, bytes);
  EXPECT_TRUE(out.retry.empty());
  EXPECT_TRUE(out.dead.empty());
  EXPECT_TRUE(out.record_errors.empty());
}

TEST(RetrierTest, SuccessAnswerWithAnInvalidEntryIsRetriedAsPossibleDuplicate) {
  Retrier retrier(Policy());
  RetryOutcome out = retrier.OnResponse(
      Batch(2), Ok(R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1"},{"ShardId":"a"}]})"),
      kT0);
  EXPECT_EQ(out.request, RequestOutcome::kRetryableFailure);
  EXPECT_EQ(out.request_error, "MalformedResponse");
  EXPECT_EQ(out.delivered, 0u);
  EXPECT_EQ(out.retry.size(), 2u);
  EXPECT_EQ(out.newly_possible_duplicates, 2u);
}

TEST(RetrierTest, AttemptsAccumulateAcrossRetries) {
  Retrier retrier(Policy(), [] { return 0.0; });
  aws::HttpResponse r;
  r.status = 503;
  PendingBatch b = Batch(1);
  for (int i = 1; i <= 3; ++i) {
    RetryOutcome out = retrier.OnResponse(std::move(b), r, kT0);
    ASSERT_EQ(out.retry.size(), 1u);
    EXPECT_EQ(out.retry[0].attempts, i);
    b = std::move(out.retry);
  }
}

}  // namespace
}  // namespace streamgate::kinesis
