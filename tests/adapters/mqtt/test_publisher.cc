#include "tests/adapters/mqtt/test_publisher.h"

#include <mosquitto.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace streamgate {
namespace testing {

absl::StatusOr<std::unique_ptr<TestPublisher>> TestPublisher::Connect(
    int port, const PublisherTls* tls) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  std::unique_ptr<TestPublisher> p(new TestPublisher());
  p->mosq_ = mosquitto_new(nullptr, true, p.get());
  if (p->mosq_ == nullptr) return absl::InternalError("mosquitto_new");
  mosquitto_int_option(p->mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_publish_callback_set(p->mosq_, &OnPublish);
  mosquitto_disconnect_callback_set(p->mosq_, &OnDisconnect);
  if (tls != nullptr) {
    int rc = mosquitto_tls_set(p->mosq_, tls->ca_file.c_str(), nullptr,
                               tls->cert_file.c_str(), tls->key_file.c_str(),
                               nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InternalError(absl::StrCat("tls_set: ", mosquitto_strerror(rc)));
    }
  }
  int rc = mosquitto_connect(p->mosq_, "127.0.0.1", port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(
        absl::StrCat("publisher connect: ", mosquitto_strerror(rc)));
  }
  rc = mosquitto_loop_start(p->mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::InternalError(absl::StrCat("loop_start: ", mosquitto_strerror(rc)));
  }
  return p;
}

TestPublisher::~TestPublisher() {
  if (mosq_ == nullptr) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

void TestPublisher::OnDisconnect(mosquitto*, void* self, int rc) {
  if (rc != 0) static_cast<TestPublisher*>(self)->disconnects_.fetch_add(1);
}

void TestPublisher::OnPublish(mosquitto*, void* self, int) {
  static_cast<TestPublisher*>(self)->acked_.fetch_add(1);
}

absl::Status TestPublisher::Publish(const std::string& topic,
                                    const std::string& payload, int qos) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(),
                                   static_cast<int>(payload.size()),
                                   payload.data(), qos, false);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("publish: ", mosquitto_strerror(rc)));
  }
  sent_.fetch_add(1);
  return absl::OkStatus();
}

absl::Status TestPublisher::WaitAcked(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // on_publish fires for QoS 0 too (once written), so all sends count.
  while (acked_.load() < sent_.load()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "publisher: ", acked_.load(), " of ", sent_.load(), " acknowledged"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::OkStatus();
}

std::string MsgpackBulk(const std::vector<std::string>& records) {
  std::string out = "\xa3" "1.0";
  for (const std::string& r : records) {
    if (r.size() < 256) {
      out += '\xc4';
      out += static_cast<char>(r.size());
    } else {
      out += '\xc5';
      out += static_cast<char>((r.size() >> 8) & 0xff);
      out += static_cast<char>(r.size() & 0xff);
    }
    out += r;
  }
  return out;
}

}  // namespace testing
}  // namespace streamgate
