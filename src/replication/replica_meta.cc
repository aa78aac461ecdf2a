// replica_meta.cc: the 32-byte replica meta record and its file (replica_meta.h). Must
// not interpret the progress it stores.

#include "replication/replica_meta.h"

#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "libsql/error.h"

namespace libsql::replication {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kNothingCommitted = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kFrameNoOffset = 16;

}  // namespace

std::array<std::uint8_t, kReplicaMetaSize> encode_replica_meta(
    const ReplicaProgress& progress) noexcept {
  std::array<std::uint8_t, kReplicaMetaSize> bytes{};
  // A u128 stored little-endian whose value is the UUID read big-endian: reversed bytes.
  for (std::size_t i = 0; i < 16; ++i) bytes[i] = progress.log_id.bytes[15 - i];
  const std::uint64_t frame_no = progress.committed_frame_no.value_or(kNothingCommitted);
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[kFrameNoOffset + i] = static_cast<std::uint8_t>(frame_no >> (8 * i));
  }
  return bytes;
}

ReplicaProgress decode_replica_meta(
    const std::array<std::uint8_t, kReplicaMetaSize>& bytes) noexcept {
  ReplicaProgress progress;
  for (std::size_t i = 0; i < 16; ++i) progress.log_id.bytes[i] = bytes[15 - i];
  std::uint64_t frame_no = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    frame_no |= static_cast<std::uint64_t>(bytes[kFrameNoOffset + i]) << (8 * i);
  }
  if (frame_no != kNothingCommitted) progress.committed_frame_no = frame_no;
  return progress;
}

ReplicaMetaFile ReplicaMetaFile::open(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    try {
      DurableFile file = DurableFile::create_new(path);
      // The new name must outlive a crash, or the replica would forget its progress.
      file.sync_all();
      sync_directory(path.has_parent_path() ? path.parent_path() : fs::path("."));
      return ReplicaMetaFile(std::move(file), path);
    } catch (const Error&) {
      if (!fs::exists(path, ec)) throw;  // else another opener created it first
    }
  }
  return ReplicaMetaFile(DurableFile::open_existing(path), path);
}

std::optional<ReplicaProgress> ReplicaMetaFile::read() const {
  const std::uint64_t size = file_.size();
  if (size == 0) return std::nullopt;
  if (size != kReplicaMetaSize) {
    throw Error(PrimaryCode::kCorrupt, "replica meta file " + path_.string() + " has " +
                                           std::to_string(size) + " bytes, not " +
                                           std::to_string(kReplicaMetaSize));
  }
  std::array<std::uint8_t, kReplicaMetaSize> bytes;
  file_.read_at(0, bytes.data(), bytes.size());
  return decode_replica_meta(bytes);
}

void ReplicaMetaFile::write(const ReplicaProgress& progress) {
  const auto bytes = encode_replica_meta(progress);
  file_.write_at(0, bytes.data(), bytes.size());
  if (file_.size() != kReplicaMetaSize) {
    std::error_code ec;
    fs::resize_file(path_, kReplicaMetaSize, ec);
    if (ec) {
      throw Error(PrimaryCode::kIoErr, "cannot cut replica meta file " + path_.string() +
                                           " to 32 bytes: " + ec.message());
    }
  }
  file_.sync_data();
}

}  // namespace libsql::replication
