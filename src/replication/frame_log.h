// frame_log.h: a primary database's durable log of libSQL replication frames, with the
// snapshots old parts of it are compacted into.
//
// On disk, in the database's directory (sqld's layout, research/replication.md §3.3,
// §3.4, §4):
//   wallog                               64-byte header (log_format.h), then frames
//   snapshots/<log_id>-<start>-<end>.snap  48-byte header (snapshot_format.h), then one
//                                        frame per page, newest first
//   to_compact/, tmp/                    compaction in progress
//
// The writer appends whole transactions and calls commit(), which fsyncs before the new
// last frame number is published: a reader never sees a frame that a crash could take
// back. When the live log passes its size limit, commit() swaps in an empty log that
// continues the numbering and the chained checksum, and the old one is compacted into a
// snapshot (deduplicated pages, newest version of each) on a background thread. Once
// that snapshot exists, frames below the live log's start are served from snapshots only.
//
// Must not: read SQLite's WAL or know of HTTP or gRPC. The capture (engine/wal_capture.h)
// feeds it; replication/log_service.h serves it.
//
// Thread-safety: one writer at a time calls append/commit/rollback (the capture
// serialises them). Every const member function may be called from any thread at any
// time, concurrently with the writer. At most one FrameLog per directory at a time.
// Destroying it wakes every wait_for() and waits for those calls to return; no other
// call may be under way then. A SnapshotReader may outlive its FrameLog.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "replication/frame_format.h"

namespace libsql::replication {

struct FrameLogOptions {
  // The database's directory; wallog, snapshots/, to_compact/ and tmp/ live in it.
  std::filesystem::path directory;
  // Compact once the live log holds more committed frames than this (sqld's default
  // --max-log-size of 200 MB is 48543 frames).
  std::uint64_t max_live_frames = 48543;
  // Called on the writer's thread after each commit is published, for waiters that
  // cannot block on wait_for() (a network coroutine). Must not block or call the log.
  std::function<void()> on_commit;
};

// Frames streamed out of a snapshot, newest first, for wal_log.Snapshot.
class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  // The highest frame_no the snapshot covers: the replica's position once applied.
  virtual std::uint64_t end_frame_no() const = 0;
  // Appends up to `max_frames` frames (kFrameSize bytes each) to `out`; returns how many
  // (0 at the end). Frames come in strictly descending frame_no, only those with
  // frame_no >= the offset asked for; each has size_after 0 except the very last frame
  // the reader yields, which carries the database size after end_frame_no(). Throws
  // libsql::Error on a read failure.
  virtual std::size_t read(std::size_t max_frames, std::vector<std::uint8_t>& out) = 0;
};

// Committed frames of one log, from a starting frame to the end of a transaction,
// located but read on demand: a transaction of any size is streamed, never held whole.
// It holds its log file open, so it stays readable after a rotation or a compaction,
// and may outlive its FrameLog. One thread at a time.
class FrameBatch {
 public:
  virtual ~FrameBatch() = default;
  virtual std::uint64_t frame_count() const = 0;
  // Appends up to `max_frames` further frames (kFrameSize bytes each) to `out`; returns
  // how many (0 at the end). Throws libsql::Error on a read failure.
  virtual std::size_t read(std::size_t max_frames, std::vector<std::uint8_t>& out) = 0;
};

class FrameLog {
 public:
  // Opens `directory`/wallog, or creates an empty log with a new random id when there is
  // none. A log that is unreadable, of another version, or whose header does not match
  // its size is not opened: throws libsql::Error (the caller then calls recreate()).
  // So is a history with a gap (frames in neither a snapshot nor a log). Finishes
  // compactions a crash interrupted, on the background thread: it returns at once.
  static std::unique_ptr<FrameLog> open(FrameLogOptions options);
  // Replaces whatever history is there (log, snapshots, pending compactions) with a new
  // log under a new random id whose first transaction is `page_count` pages read from
  // `page(pgno)` (1..page_count, each kPageSize bytes): what sqld does after an unclean
  // shutdown, so every replica starts over. Durable when it returns.
  static std::unique_ptr<FrameLog> recreate(
      FrameLogOptions options, std::uint32_t page_count,
      const std::function<const std::uint8_t*(std::uint32_t page_no)>& page);

  virtual ~FrameLog() = default;

  // --- the writer ---
  // Adds one frame, not yet committed. `size_after` is nonzero on a transaction's last
  // frame only. A write failure here is reported by the next commit(); throws
  // libsql::Error (SQLITE_MISUSE) only for page 0.
  virtual void append(std::uint32_t page_no, const std::uint8_t* page,
                      std::uint32_t size_after) = 0;
  // Makes every appended frame durable (fsync) and then visible to readers. Appended
  // frames must end with a transaction's last frame. Throws libsql::Error on I/O failure
  // (the appended frames are then dropped).
  virtual void commit() = 0;
  // Drops the frames appended since the last commit.
  virtual void rollback() noexcept = 0;

  // --- readers ---
  virtual LogId log_id() const = 0;
  // The last committed frame_no; nullopt while nothing was ever committed.
  virtual std::optional<std::uint64_t> last_frame_no() const = 0;

  enum class ReadResult { kFrames, kNeedSnapshot };
  // Appends committed frames from `next_frame_no` on to `out` (kFrameSize bytes each):
  // at least `min_frames` if there are that many, then on to the end of the transaction
  // under way, so the batch always ends on a commit (sqld's BatchLogEntries: 1024).
  // Nothing if `next_frame_no` is past the end. kNeedSnapshot, and nothing, when
  // `next_frame_no` is below the live log's first frame (compacted away). A log being
  // compacted keeps serving its frames until its snapshot exists, so after kNeedSnapshot
  // open_snapshot() finds one. Throws libsql::Error on a read failure.
  ReadResult read(std::uint64_t next_frame_no, std::size_t min_frames,
                  std::vector<std::uint8_t>& out) const;
  // The frames read() would append, located but not read: on kFrames, `batch` is set
  // (holding no frame when `next_frame_no` is past the end). Throws libsql::Error on a
  // read failure.
  virtual ReadResult open_batch(std::uint64_t next_frame_no, std::size_t min_frames,
                                std::unique_ptr<FrameBatch>& batch) const = 0;
  // The snapshot holding `frame_no` (start <= frame_no <= end), positioned at it;
  // nullptr if there is none (e.g. its compaction is still running).
  virtual std::unique_ptr<SnapshotReader> open_snapshot(std::uint64_t frame_no) const = 0;
  // Blocks until the last committed frame_no is at least `frame_no`, the deadline
  // passes, or the log closes; returns whether the frame is there.
  virtual bool wait_for(std::uint64_t frame_no,
                        std::chrono::steady_clock::time_point deadline) const = 0;
};

}  // namespace libsql::replication
