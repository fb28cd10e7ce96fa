#include "gateway/spool/checkpoint.h"

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

absl::Status FileError(const std::string& path, const absl::Status& st) {
  return absl::InternalError(absl::StrCat(path, ": ", st.message()));
}

}  // namespace

absl::StatusOr<absl::optional<Position>> ReadCheckpoint(
    SpoolEnv& env, const std::string& dir) {
  const std::string path = dir + "/checkpoint";
  auto file = env.NewReadableFile(path);
  if (absl::IsFailedPrecondition(file.status())) {
    return FileError(path, file.status());
  }
  if (!file.ok()) return absl::nullopt;
  char b[kBytes + 1];
  auto n = (*file)->Read(0, sizeof b, b);
  if (!n.ok() || *n != kBytes) return absl::nullopt;
  if (std::memcmp(b, kMagic, 8) != 0) return absl::nullopt;
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored |= static_cast<uint32_t>(static_cast<unsigned char>(b[24 + i]))
              << (8 * i);
  }
  if (Crc32c(b, 24) != stored) return absl::nullopt;
  return Position{GetU64(b + 8), GetU64(b + 16)};
}

absl::Status WriteCheckpoint(SpoolEnv& env, const std::string& dir,
                             const Position& pos, uint32_t permissions) {
  char b[kBytes];
  std::memcpy(b, kMagic, 8);
  PutU64(b + 8, pos.segment);
  PutU64(b + 16, pos.offset);
  const uint32_t crc = Crc32c(b, 24);
  for (int i = 0; i < 4; ++i) b[24 + i] = static_cast<char>(crc >> (8 * i));
  const std::string tmp = dir + "/checkpoint.tmp";
  {
    auto file = env.NewWritableFile(tmp, SpoolEnv::OpenMode::kCreateOrTruncate,
                                    permissions);
    if (!file.ok()) return FileError(tmp, file.status());
    absl::Status st = (*file)->Write(0, absl::string_view(b, kBytes));
    if (st.ok()) st = (*file)->Sync();
    if (!st.ok()) return FileError(tmp, st);
  }
  const std::string path = dir + "/checkpoint";
  if (absl::Status st = env.Rename(tmp, path); !st.ok()) {
    return FileError(path, st);
  }
  return absl::OkStatus();
}

}  // namespace spool
}  // namespace streamgate
