#include "sinks/aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace streamgate::aws {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

// Headers botocore never signs: hop-by-hop headers a proxy may rewrite, and
// the user agent / trace id that the HTTP stack or AWS may alter in flight.
constexpr const char* kUnsignedHeaders[] = {
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

std::string ToHex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

// HMAC-SHA256 of `data` keyed with `key`; returns the 32 raw bytes.
std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &out_size);
  std::string result(reinterpret_cast<const char*>(out), out_size);
  OPENSSL_cleanse(out, sizeof(out));
  return result;
}

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-encoding of every byte except the unreserved set (and
// '/' when `keep_slash`), upper-case hex as SigV4 requires.
std::string UriEncode(absl::string_view in, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX sequences; a '%' not followed by two hex digits stays literal
// (it is then encoded as %25). '+' is left alone: SigV4 treats it as a plus.
std::string UriDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
        HexValue(in[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Removes empty and "." segments and resolves ".." (RFC 3986 section 5.2.4
// style, as botocore's posixpath.normpath does), keeping a trailing slash.
std::string NormalizePath(absl::string_view path) {
  std::vector<absl::string_view> segments;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string out = absl::StrCat("/", absl::StrJoin(segments, "/"));
  if (!segments.empty() && !path.empty() && path.back() == '/') {
    out.push_back('/');
  }
  return out;
}

std::string CanonicalUri(absl::string_view path, bool normalize) {
  if (path.empty()) return "/";
  std::string p = normalize ? NormalizePath(path) : std::string(path);
  // Every byte outside the unreserved set is encoded, '%' included, so a
  // path sent percent-encoded is signed double-encoded, as AWS expects for
  // every service but S3.
  return UriEncode(p, /*keep_slash=*/true);
}

std::string CanonicalQuery(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    params.emplace_back(UriEncode(UriDecode(kv.first), false),
                        UriEncode(UriDecode(kv.second), false));
  }
  std::sort(params.begin(), params.end());
  return absl::StrJoin(params, "&", absl::PairFormatter("="));
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

// SigV4 "Trimall": strip leading/trailing whitespace and collapse each run
// of whitespace (line folds included) into one space.
std::string TrimAll(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool IsUnsignedHeader(absl::string_view lower_name) {
  for (const char* name : kUnsignedHeaders) {
    if (lower_name == name) return true;
  }
  return false;
}

bool IsValidHeaderName(absl::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= ' ' || c >= 0x7f || c == ':') return false;
  }
  return true;
}

}  // namespace

std::string HexSha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return ToHex(digest, size);
}

absl::StatusOr<SignedParts> SignRequest(const Credentials& credentials,
                                        const HttpRequest& request,
                                        const SigningParams& params) {
  if (credentials.access_key_id.empty() ||
      credentials.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        "sigv4: credentials lack an access key id or secret access key");
  }
  if (params.region.empty() || params.service.empty()) {
    return absl::InvalidArgumentError("sigv4: region and service are required");
  }
  if (request.method.empty()) {
    return absl::InvalidArgumentError("sigv4: request has no method");
  }

  const std::string amz_date =
      absl::FormatTime("%Y%m%dT%H%M%SZ", params.time, absl::UTCTimeZone());
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = absl::StrCat(date, "/", params.region, "/",
                                         params.service, "/aws4_request");
  const std::string payload_hash = HexSha256(request.body);
  const bool has_token = !credentials.session_token.empty();

  // Lower-case name -> trimmed values in request order; std::map keeps the
  // names sorted as the canonical form wants.
  std::map<std::string, std::vector<std::string>> signed_headers;
  for (const auto& [name, value] : request.headers) {
    if (!IsValidHeaderName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sigv4: invalid header name '", name, "'"));
    }
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "authorization" || lower == "x-amz-date" ||
        lower == "x-amz-security-token" ||
        (params.add_content_sha256_header && lower == "x-amz-content-sha256")) {
      // The signer owns these; a stale copy would be sent twice.
      return absl::InvalidArgumentError(
          absl::StrCat("sigv4: request already has a '", name, "' header"));
    }
    if (IsUnsignedHeader(lower)) continue;
    signed_headers[lower].push_back(TrimAll(value));
  }
  if (signed_headers.find("host") == signed_headers.end()) {
    return absl::InvalidArgumentError("sigv4: request has no Host header");
  }
  signed_headers["x-amz-date"].push_back(amz_date);
  if (has_token && !params.omit_session_token) {
    signed_headers["x-amz-security-token"].push_back(credentials.session_token);
  }
  if (params.add_content_sha256_header) {
    signed_headers["x-amz-content-sha256"].push_back(payload_hash);
  }

  std::string canonical_headers;
  std::vector<absl::string_view> names;
  names.reserve(signed_headers.size());
  for (const auto& [name, values] : signed_headers) {
    absl::StrAppend(&canonical_headers, name, ":", absl::StrJoin(values, ","),
                    "\n");
    names.push_back(name);
  }
  const std::string signed_header_list = absl::StrJoin(names, ";");

  SignedParts parts;
  parts.canonical_request = absl::StrCat(
      request.method, "\n", CanonicalUri(request.path, params.normalize_path),
      "\n", CanonicalQuery(request.query), "\n", canonical_headers, "\n",
      signed_header_list, "\n", payload_hash);
  parts.string_to_sign = absl::StrCat(kAlgorithm, "\n", amz_date, "\n", scope,
                                      "\n", HexSha256(parts.canonical_request));

  std::string key = absl::StrCat("AWS4", credentials.secret_access_key);
  std::string k_date = HmacSha256(key, date);
  std::string k_region = HmacSha256(k_date, params.region);
  std::string k_service = HmacSha256(k_region, params.service);
  std::string k_signing = HmacSha256(k_service, "aws4_request");
  std::string raw_signature = HmacSha256(k_signing, parts.string_to_sign);
  parts.signature =
      ToHex(reinterpret_cast<const unsigned char*>(raw_signature.data()),
            raw_signature.size());
  // The derived keys are as good as the secret for a day; do not leave them
  // in freed memory.
  for (std::string* s : {&key, &k_date, &k_region, &k_service, &k_signing}) {
    OPENSSL_cleanse(s->data(), s->size());
  }

  if (has_token) {
    parts.headers_to_add.emplace_back("X-Amz-Security-Token",
                                      credentials.session_token);
  }
  parts.headers_to_add.emplace_back("X-Amz-Date", amz_date);
  if (params.add_content_sha256_header) {
    parts.headers_to_add.emplace_back("x-amz-content-sha256", payload_hash);
  }
  parts.headers_to_add.emplace_back(
      "Authorization",
      absl::StrCat(kAlgorithm, " Credential=", credentials.access_key_id, "/",
                   scope, ", SignedHeaders=", signed_header_list,
                   ", Signature=", parts.signature));
  return parts;
}

}  // namespace streamgate::aws
