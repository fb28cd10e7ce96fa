#include "adapters/grpc/api_key_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gateway/common/logging.h"

namespace streamgate {
namespace {

constexpr absl::string_view kScheme = "Bearer ";

std::array<unsigned char, 32> Sha256(absl::string_view data) {
  std::array<unsigned char, 32> out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out.data());
  return out;
}

}  // namespace

absl::Status ApiKeyAuthenticator::Reject(absl::string_view peer,
                                         absl::string_view reason) const {
  log_->Unauthenticated(peer, reason);
  return absl::UnauthenticatedError(reason);
}

ApiKeyAuthenticator::ApiKeyAuthenticator(std::vector<ApiKeyConfig> keys)
    : log_(std::make_unique<RejectLog>()) {
  for (ApiKeyConfig& k : keys) {
    Key key{std::move(k.id), std::move(k.name), {}};
    const std::string bytes =
        absl::HexStringToBytes(absl::AsciiStrToLower(k.key_sha256));
    if (bytes.size() == key.digest.size()) {
      std::copy(bytes.begin(), bytes.end(), key.digest.begin());
      keys_.push_back(std::move(key));
    }
  }
}

std::string ApiKeyAuthenticator::HashKey(absl::string_view key) {
  const auto d = Sha256(key);
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(d.data()), d.size()));
}

absl::StatusOr<AuthenticatedCaller> ApiKeyAuthenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  if (!enabled()) return AuthenticatedCaller{};
  const auto& md = context.client_metadata();
  const auto [begin, end] = md.equal_range("authorization");
  if (begin == end) return AuthenticateHeader(nullptr, context.peer());
  if (std::next(begin) != end) {
    return Reject(context.peer(), "more than one authorization header");
  }
  const absl::string_view value(begin->second.data(), begin->second.size());
  return AuthenticateHeader(&value, context.peer());
}

absl::StatusOr<AuthenticatedCaller> ApiKeyAuthenticator::AuthenticateHeader(
    const absl::string_view* authorization, absl::string_view peer) const {
  if (!enabled()) return AuthenticatedCaller{};
  if (authorization == nullptr) {
    return Reject(peer, "missing API key (authorization: Bearer <key>)");
  }
  if (!absl::StartsWithIgnoreCase(*authorization, kScheme)) {
    return Reject(peer, "authorization must use the Bearer scheme");
  }
  const absl::string_view key = authorization->substr(kScheme.size());
  if (key.empty()) return Reject(peer, "empty API key");
  // Hashing first makes every comparison the same length; comparing against
  // every key (no early exit) keeps the time independent of which matched.
  const auto digest = Sha256(key);
  const Key* match = nullptr;
  for (const Key& k : keys_) {
    const bool equal =
        CRYPTO_memcmp(digest.data(), k.digest.data(), digest.size()) == 0;
    if (equal && match == nullptr) match = &k;
  }
  if (match == nullptr) return Reject(peer, "unknown API key");
  return AuthenticatedCaller{match->id, match->name};
}

}  // namespace streamgate
