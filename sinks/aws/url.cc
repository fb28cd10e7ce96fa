#include "sinks/aws/url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate::aws {
namespace {

bool HasSpaceOrControl(absl::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Splits "host[:port]" into the Url's host and authority.
absl::Status ParseAuthority(absl::string_view authority, Url& url) {
  if (authority.empty()) return absl::InvalidArgumentError("URL has no host");
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError("URL must not contain user info");
  }
  // Split an optional port; a bracketed IPv6 literal may contain ':'.
  absl::string_view host = authority;
  absl::string_view port;
  bool has_port = false;
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.rfind(']');
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
  const std::string lower_host = absl::AsciiStrToLower(host);
  url.authority = lower_host;
  if (has_port) {
    int p = 0;
    if (!absl::SimpleAtoi(port, &p) || p <= 0 || p > 65535) {
      return absl::InvalidArgumentError("URL port must be 1-65535");
    }
    const bool default_port = (url.https && p == 443) || (!url.https && p == 80);
    if (!default_port) absl::StrAppend(&url.authority, ":", p);
  }
  url.host = lower_host;
  if (url.host.size() >= 2 && url.host.front() == '[' && url.host.back() == ']') {
    url.host = url.host.substr(1, url.host.size() - 2);
  }
  return absl::OkStatus();
}

absl::StatusOr<Url> Parse(absl::string_view text, bool endpoint) {
  Url url;
  absl::string_view rest = text;
  if (absl::StartsWithIgnoreCase(rest, "https://")) {
    url.https = true;
    rest.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(rest, "http://")) {
    url.https = false;
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError("must be an http:// or https:// URL");
  }
  const size_t end = rest.find_first_of("/?#");
  if (absl::Status st = ParseAuthority(rest.substr(0, end), url); !st.ok()) {
    return st;
  }
  absl::string_view tail =
      end == absl::string_view::npos ? absl::string_view() : rest.substr(end);
  const size_t special = tail.find_first_of("?#");
  if (endpoint && special != absl::string_view::npos) {
    return absl::InvalidArgumentError("URL must not contain a query or fragment");
  }
  tail = tail.substr(0, tail.find('#'));
  absl::string_view path = tail.substr(0, tail.find('?'));
  if (tail.size() > path.size()) url.query = std::string(tail.substr(path.size() + 1));
  if (HasSpaceOrControl(path) || HasSpaceOrControl(url.query)) {
    return absl::InvalidArgumentError("URL path has an invalid character");
  }
  if (path.empty()) path = "/";
  if (endpoint) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  }
  url.path = std::string(path);
  return url;
}

}  // namespace

absl::StatusOr<Url> ParseUrl(absl::string_view url) {
  return Parse(url, /*endpoint=*/false);
}

absl::StatusOr<Url> ParseEndpoint(absl::string_view url) {
  return Parse(url, /*endpoint=*/true);
}

}  // namespace streamgate::aws
