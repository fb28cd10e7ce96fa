#include "sinks/kinesis/request_sender.h"

#include <utility>

#include "sinks/kinesis/aggregation/aggregate_settlement.h"
#include "sinks/kinesis/codec.h"

namespace streamgate::kinesis {

RequestSender::RequestSender(std::string stream_name, const RequestSigner& signer,
                             const aws::HttpClient& http, RetryPolicy policy,
                             KinesisSinkMetrics& metrics)
    : stream_name_(std::move(stream_name)),
      signer_(signer),
      http_(http),
      metrics_(metrics),
      retrier_(policy) {}

void RequestSender::Send(PendingBatch batch, Done done) {
  std::string body = EncodePutRecords(stream_name_, batch);
  absl::StatusOr<aws::HttpRequest> request =
      signer_.Sign("PutRecords", std::move(body), absl::Now());
  if (!request.ok()) {
    const std::string message(request.status().message());
    done(Judge(std::move(batch), [&](Retrier& r, PendingBatch sent) {
      return r.OnLocalFailure(std::move(sent), "CredentialsError", message,
                              absl::Now());
    }));
    return;
  }
  ++metrics_.counters().requests_sent;
  const absl::Time sent_at = absl::Now();
  http_.Send(signer_.origin(), *std::move(request),
             [this, sent_at, batch = std::move(batch),
              done = std::move(done)](aws::HttpResponse response) mutable {
               metrics_.ObserveRequest(absl::Now() - sent_at);
               done(Judge(std::move(batch), [&](Retrier& r, PendingBatch sent) {
                 return r.OnResponse(std::move(sent), response, absl::Now());
               }));
             });
}

RequestSender::Result RequestSender::Judge(
    PendingBatch sent,
    const std::function<RetryOutcome(Retrier&, PendingBatch)>& judge) {
  Result result;
  // Every user record counts as delivered until the verdict says otherwise
  // (a KPL aggregate counts as the user records it carries).
  ForEachUserRecord(sent, [&](const PendingRecord& r) {
    ++TallyOf(result.tallies, r.ticket).delivered;
  });
  const UserRecordCount users = CountUserRecords(sent);
  {
    absl::MutexLock lock(&retrier_mu_);
    result.outcome = judge(retrier_, std::move(sent));
  }
  // From here on, dead records are user records; a retried aggregate stays
  // whole and counts a retry for each of its user records.
  ExpandAggregates(result.outcome, users);
  for (const PendingRecord& r : result.outcome.dead) {
    Tally& t = TallyOf(result.tallies, r.ticket);
    --t.delivered;
    ++t.dead_lettered;
  }
  ForEachUserRecord(result.outcome.retry, [&](const PendingRecord& r) {
    Tally& t = TallyOf(result.tallies, r.ticket);
    --t.delivered;
    ++t.retries;
  });
  return result;
}

}  // namespace streamgate::kinesis
