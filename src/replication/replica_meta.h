// replica_meta.h: a replica's record of how far it has applied a primary's log, in the
// 32-byte file libSQL replicas keep beside the database (`<db>-client_wal_index`; sqld
// replicas use `<dbdir>/client_wal_index`), research/replication.md §3.5:
//
//   offset size field
//   0      16   log_id              the log's id as a little-endian u128: the UUID's
//                                   16 bytes in reverse order
//   16     8    committed_frame_no  u64 LE, the last frame applied and committed;
//                                   u64::MAX when nothing is yet
//   24     8    padding             zeros
//
// The record is rewritten in place after each replica commit and, unlike libSQL's,
// fdatasynced: with commits that are durable first (engine/page_injector.h), it is at
// most one transaction behind the database, and re-applying that transaction's page
// images is harmless.
//
// Must not: touch the database, or know how frames are fetched or applied.
//
// Thread-safety: a ReplicaMetaFile belongs to one thread at a time (the replicator's).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>

#include "replication/durable_file.h"
#include "replication/frame_format.h"

namespace libsql::replication {

inline constexpr std::size_t kReplicaMetaSize = 32;
// The meta file of an embedded replica is the database's name with this appended.
inline constexpr const char* kReplicaMetaSuffix = "-client_wal_index";

struct ReplicaProgress {
  LogId log_id;
  // The last frame_no committed to the replica; nullopt before the first commit.
  std::optional<std::uint64_t> committed_frame_no;

  friend bool operator==(const ReplicaProgress&, const ReplicaProgress&) = default;
};

std::array<std::uint8_t, kReplicaMetaSize> encode_replica_meta(
    const ReplicaProgress& progress) noexcept;
ReplicaProgress decode_replica_meta(
    const std::array<std::uint8_t, kReplicaMetaSize>& bytes) noexcept;

class ReplicaMetaFile {
 public:
  // Opens the meta file at `path`, creating it empty (and durably so) when missing.
  // Throws libsql::Error: SQLITE_CANTOPEN when it can neither open nor create it.
  static ReplicaMetaFile open(const std::filesystem::path& path);

  // The progress recorded; nullopt when the file is empty (nothing recorded yet).
  // Throws libsql::Error: SQLITE_CORRUPT for a file of any size but 0 or 32 bytes,
  // SQLITE_IOERR when reading fails.
  std::optional<ReplicaProgress> read() const;
  // Records `progress` over the previous record (a file of the wrong size is cut to 32
  // bytes), durable when it returns. Throws libsql::Error (SQLITE_IOERR).
  void write(const ReplicaProgress& progress);

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  ReplicaMetaFile(DurableFile file, std::filesystem::path path)
      : file_(std::move(file)), path_(std::move(path)) {}

  DurableFile file_;
  std::filesystem::path path_;
};

}  // namespace libsql::replication
