#include "gateway/spool/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "gateway/spool/crc32c.h"

namespace streamgate {
namespace spool {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kBytes = 8 + 8 + 8 + 4;

void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::optional<Position> ReadCheckpoint(const std::string& dir) {
  const std::string path = dir + "/checkpoint";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::nullopt;
  char b[kBytes + 1];
  const ssize_t n = read(fd, b, sizeof b);
  close(fd);
  if (n != static_cast<ssize_t>(kBytes)) return absl::nullopt;
  if (std::memcmp(b, kMagic, 8) != 0) return absl::nullopt;
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored |= static_cast<uint32_t>(static_cast<unsigned char>(b[24 + i]))
              << (8 * i);
  }
  if (Crc32c(b, 24) != stored) return absl::nullopt;
  return Position{GetU64(b + 8), GetU64(b + 16)};
}

absl::Status WriteCheckpoint(const std::string& dir, const Position& pos) {
  char b[kBytes];
  std::memcpy(b, kMagic, 8);
  PutU64(b + 8, pos.segment);
  PutU64(b + 16, pos.offset);
  const uint32_t crc = Crc32c(b, 24);
  for (int i = 0; i < 4; ++i) b[24 + i] = static_cast<char>(crc >> (8 * i));
  const std::string tmp = dir + "/checkpoint.tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0644);
  if (fd < 0) return Errno(tmp);
  const bool ok = write(fd, b, kBytes) == static_cast<ssize_t>(kBytes) &&
                  fdatasync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok) {
    errno = err;
    return Errno(tmp);
  }
  if (rename(tmp.c_str(), (dir + "/checkpoint").c_str()) != 0) {
    return Errno(dir + "/checkpoint");
  }
  return absl::OkStatus();
}

}  // namespace spool
}  // namespace streamgate
