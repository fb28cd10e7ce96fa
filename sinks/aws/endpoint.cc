#include "sinks/aws/endpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate::kinesis {

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view url) {
  Endpoint ep;
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "https://")) {
    ep.https = true;
    rest.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(rest, "http://")) {
    ep.https = false;
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError("must be an http:// or https:// URL");
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  absl::string_view path =
      slash == absl::string_view::npos ? absl::string_view("/") : rest.substr(slash);
  if (authority.empty()) return absl::InvalidArgumentError("URL has no host");
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError("URL must not contain user info");
  }
  if (path.find_first_of("?#") != absl::string_view::npos) {
    return absl::InvalidArgumentError("URL must not contain a query or fragment");
  }
  // Split an optional port; a bracketed IPv6 literal may contain ':'.
  absl::string_view host = authority;
  absl::string_view port;
  bool has_port = false;
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != absl::string_view::npos &&
      (bracket == absl::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return absl::InvalidArgumentError("URL has no host");
  for (char c : host) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' ||
          c == '[' || c == ']' || c == ':')) {
      return absl::InvalidArgumentError("URL host has an invalid character");
    }
  }
  if (has_port) {
    int p = 0;
    if (!absl::SimpleAtoi(port, &p) || p <= 0 || p > 65535) {
      return absl::InvalidArgumentError("URL port must be 1-65535");
    }
    bool default_port = (ep.https && p == 443) || (!ep.https && p == 80);
    ep.host = default_port ? std::string(host) : absl::StrCat(host, ":", p);
  } else {
    ep.host = std::string(host);
  }
  ep.host = absl::AsciiStrToLower(ep.host);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  ep.path = std::string(path);
  ep.url = absl::StrCat(ep.https ? "https://" : "http://", authority,
                        ep.path == "/" ? "" : ep.path);
  return ep;
}

}  // namespace streamgate::kinesis
