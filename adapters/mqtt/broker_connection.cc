#include "adapters/mqtt/broker_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/mqtt/tls_context.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

int MillisUntil(absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000 * 1000));
}

// A non-blocking socket connected to `ai`, or -1 with errno set.
int ConnectOne(const addrinfo& ai, absl::Time deadline) {
  const int fd =
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai.ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0 && errno != EINPROGRESS) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, MillisUntil(deadline));
  } while (rc < 0 && errno == EINTR);
  int error = 0;
  socklen_t len = sizeof(error);
  if (rc == 0) {
    error = ETIMEDOUT;
  } else if (rc < 0) {
    error = errno;
  } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) {
    error = errno;
  }
  if (error != 0) {
    ::close(fd);
    errno = error;
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr addr;
  return inet_pton(AF_INET, host.c_str(), &addr) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BrokerConnection>> BrokerConnection::Open(
    const std::string& host, int port, const TlsContext* tls,
    absl::Time deadline) {
  const std::string broker = absl::StrCat(host, ":", port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int gai =
      ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (gai != 0) {
    return absl::UnavailableError(
        absl::StrCat("mqtt: cannot resolve ", host, ": ", ::gai_strerror(gai)));
  }
  int fd = -1;
  int error = 0;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ConnectOne(*ai, deadline);
    if (fd < 0) error = errno;
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "mqtt: cannot connect to ", broker, ": ", std::strerror(error)));
  }
  std::unique_ptr<BrokerConnection> conn(new BrokerConnection(fd, broker));
  if (tls != nullptr) RETURN_IF_ERROR(conn->Handshake(*tls, host, deadline));
  return conn;
}

BrokerConnection::~BrokerConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // no close_notify: the socket goes
  ::close(fd_);
}

absl::Status BrokerConnection::Broken(absl::string_view what) const {
  return absl::UnavailableError(
      absl::StrCat("mqtt: connection to ", broker_, " ", what));
}

absl::Status BrokerConnection::Handshake(const TlsContext& tls,
                                         const std::string& host,
                                         absl::Time deadline) {
  ERR_clear_error();
  ssl_ = SSL_new(tls.get());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return absl::InternalError(absl::StrCat("mqtt: tls: ", TakeOpenSslError()));
  }
  if (!IsIpLiteral(host)) SSL_set_tlsext_host_name(ssl_, host.c_str());
  if (tls.verify()) {
    // The broker's certificate must name the host we dialled (DNS name or
    // IP address).
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = IsIpLiteral(host)
                       ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (ok != 1) {
      return absl::InternalError(
          absl::StrCat("mqtt: tls: ", TakeOpenSslError()));
    }
  }
  while (true) {
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return absl::OkStatus();
    const int why = SSL_get_error(ssl_, rc);
    short events;
    if (why == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (why == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      std::string text;
      if (why == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        text = "connection closed by the broker";
      } else {
        text = TakeOpenSslError();
      }
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        absl::StrAppend(&text, " (", X509_verify_cert_error_string(verify),
                        ")");
      }
      return absl::PermissionDeniedError(absl::StrCat(
          "mqtt: TLS handshake with ", broker_, " failed: ", text));
    }
    ASSIGN_OR_RETURN(bool ready, PollUntil(events, deadline));
    if (!ready) {
      return absl::UnavailableError(
          absl::StrCat("mqtt: TLS handshake with ", broker_, " timed out"));
    }
  }
}

absl::Status BrokerConnection::TlsWriteFailed() {
  // A broker that refuses our certificate after a TLS 1.3 handshake sends
  // an alert and closes, so the write fails with EPIPE while the alert
  // waits unread: read it, it names the reason.
  std::string why = TakeOpenSslError();
  char byte;
  const int n = SSL_read(ssl_, &byte, 1);
  if (n <= 0 && SSL_get_error(ssl_, n) == SSL_ERROR_SSL) {
    return absl::PermissionDeniedError(absl::StrCat(
        "mqtt: TLS with ", broker_, " failed: ", TakeOpenSslError()));
  }
  ERR_clear_error();
  return Broken(absl::StrCat(
      "lost: ", why == "unknown error" ? std::string(strerror(errno)) : why));
}

absl::StatusOr<bool> BrokerConnection::PollUntil(short events,
                                                 absl::Time deadline) {
  pollfd p{fd_, events, 0};
  while (true) {
    const int rc = ::poll(&p, 1, MillisUntil(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return Broken(absl::StrCat("poll: ", strerror(errno)));
  }
}

absl::StatusOr<BrokerConnection::Ready> BrokerConnection::WaitReadable(
    int wake_fd, absl::Duration timeout) {
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return Ready::kReadable;
  pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int count = wake_fd >= 0 ? 2 : 1;
  const int ms = static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 0, 1000 * 1000));
  int rc;
  do {
    rc = ::poll(p, count, ms);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Broken(absl::StrCat("poll: ", strerror(errno)));
  if (rc == 0) return Ready::kTimeout;
  if (count == 2 && (p[1].revents & POLLIN) != 0) return Ready::kWoken;
  return Ready::kReadable;  // readable, or an error/hang-up Read reports
}

absl::StatusOr<size_t> BrokerConnection::Read(char* dst, size_t capacity) {
  if (ssl_ == nullptr) {
    while (true) {
      const ssize_t n = ::recv(fd_, dst, capacity, 0);
      if (n > 0) {
        return static_cast<size_t>(n);
      }
      if (n == 0) return Broken("closed by the broker");
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return Broken(absl::StrCat("lost: ", strerror(errno)));
    }
  }
  // One SSL_read returns at most one TLS record: take every record already
  // there, so a burst is handled as one batch like over plain TCP.
  size_t total = 0;
  while (total < capacity) {
    ERR_clear_error();
    const int n =
        SSL_read(ssl_, dst + total,
                 static_cast<int>(std::min<size_t>(capacity - total, 1 << 30)));
    if (n > 0) {
      total += static_cast<size_t>(n);
      continue;
    }
    const int why = SSL_get_error(ssl_, n);
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) break;
    if (total > 0) break;  // report the failure at the next call
    if (why == SSL_ERROR_ZERO_RETURN) return Broken("closed by the broker");
    if (why == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return Broken(n == 0 ? std::string("closed by the broker")
                           : absl::StrCat("lost: ", strerror(errno)));
    }
    // A TLS alert (TLS 1.3 reports a refused client certificate only
    // now, after the handshake): a certificate problem, not the network.
    return absl::PermissionDeniedError(absl::StrCat(
        "mqtt: TLS with ", broker_, " failed: ", TakeOpenSslError()));
  }
  return total;
}

bool BrokerConnection::WaitForClose(absl::Time deadline) {
  char sink[4096];
  while (true) {
    auto ready = WaitReadable(-1, deadline - absl::Now());
    if (!ready.ok()) return true;
    if (*ready != Ready::kReadable) return false;  // deadline
    auto n = Read(sink, sizeof(sink));
    if (!n.ok()) return true;  // closed (or broken)
  }
}

absl::Status BrokerConnection::Write(absl::string_view data,
                                     absl::Time deadline) {
  while (!data.empty()) {
    ssize_t n;
    short want = POLLOUT;
    if (ssl_ == nullptr) {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return Broken(absl::StrCat("lost: ", strerror(errno)));
      }
    } else {
      ERR_clear_error();
      n = SSL_write(ssl_, data.data(),
                    static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n <= 0) {
        const int why = SSL_get_error(ssl_, static_cast<int>(n));
        if (why == SSL_ERROR_WANT_READ) {
          want = POLLIN;
        } else if (why != SSL_ERROR_WANT_WRITE) {
          return TlsWriteFailed();
        }
        n = -1;
      }
    }
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    ASSIGN_OR_RETURN(bool ready, PollUntil(want, deadline));
    if (!ready) return Broken("stalled: the broker takes no more bytes");
  }
  return absl::OkStatus();
}

}  // namespace streamgate
