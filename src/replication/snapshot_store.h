// snapshot_store.h: snapshot files (snapshot_format.h) on disk: opening and checking
// one, streaming it to a replica from a frame on, and building one from frames given
// newest first.
//
// An open snapshot is shared (shared_ptr) by the log's index and every reader streaming
// it. A merge may unlink the file meanwhile: the open descriptor keeps the bytes readable
// until the last reader lets go.
//
// Must not: decide when to compact or merge (compactor.h and frame_log.cc do).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "replication/durable_file.h"
#include "replication/frame_log.h"
#include "replication/snapshot_format.h"

namespace libsql::replication {

struct SnapshotFile {
  DurableFile file;
  SnapshotHeader header;
  std::filesystem::path path;
};

// Opens `path` and checks it against its name, `log_id` and its size. Throws
// libsql::Error (SQLITE_CORRUPT) naming what is wrong.
std::shared_ptr<const SnapshotFile> open_snapshot_file(const std::filesystem::path& path,
                                                       const LogId& log_id);

// Streams the frames of `snapshot` with frame_no >= `frame_no` (frame_log.h's contract).
std::unique_ptr<SnapshotReader> make_snapshot_reader(std::shared_ptr<const SnapshotFile> snapshot,
                                                     std::uint64_t frame_no);

// Writes a snapshot into a temporary file, then moves it into place in one rename.
class SnapshotBuilder {
 public:
  SnapshotBuilder(const std::filesystem::path& tmp_directory, const LogId& log_id);
  // Removes the temporary file unless finish() moved it into place.
  ~SnapshotBuilder();
  SnapshotBuilder(const SnapshotBuilder&) = delete;
  SnapshotBuilder& operator=(const SnapshotBuilder&) = delete;

  // Offers one frame (kFrameSize bytes); frames must come in strictly descending
  // frame_no (SQLITE_CORRUPT otherwise). Kept, with size_after cleared, unless a newer
  // frame of its page was kept already.
  void offer(const std::uint8_t* frame);
  std::uint64_t frame_count() const noexcept { return frame_count_; }

  // Writes the header, syncs, renames the file to its name in `snapshots_directory` and
  // syncs that directory: the snapshot is durable when this returns.
  std::shared_ptr<const SnapshotFile> finish(const std::filesystem::path& snapshots_directory,
                                             std::uint64_t start_frame_no,
                                             std::uint64_t end_frame_no, std::uint32_t size_after);

 private:
  void flush();

  std::filesystem::path tmp_path_;
  DurableFile file_;
  LogId log_id_;
  std::unordered_set<std::uint32_t> pages_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t frame_count_ = 0;
  std::uint64_t flushed_frames_ = 0;
  std::optional<std::uint64_t> last_frame_no_;
  bool finished_ = false;
};

}  // namespace libsql::replication
