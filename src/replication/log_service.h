// log_service.h: libSQL's ReplicationLog service (wal_log.proto) over one FrameLog, as
// sqld answers it (libsql-server/src/rpc/replication/replication_log.rs; research/
// replication.md §2.2): Hello, BatchLogEntries, Snapshot and LogEntries.
//
// Replies are gRPC-Web body bytes made piece by piece, so a batch or a snapshot of any
// size goes out without being encoded whole: the caller writes each piece as it comes.
//
// Must not: know HTTP, namespaces or authentication (server/grpc_route.cc does those
// first, in sqld's order), or write to the log. Reading the log is blocking file work:
// call everything but the encoders from a blocking-work thread. A LogService is
// immutable after construction and may be shared by every thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/metadata.pb.h"
#include "proto/replication_log.pb.h"
#include "replication/frame_format.h"
#include "replication/frame_log.h"
#include "replication/grpc_web.h"

namespace libsql::replication {

// sqld's MAX_FRAMES_PER_BATCH: a batch holds at least this many frames when the log has
// them, then runs on to the end of the transaction under way.
inline constexpr std::size_t kMaxFramesPerBatch = 1024;

// The size of a Frames message holding `frame_count` frames (each a repeated entry
// holding a Frame whose `data` is one kFrameSize-byte frame).
std::uint64_t frames_message_size(std::uint64_t frame_count) noexcept;
// Appends one Frames.frames entry: its protobuf key and length, then the Frame's `data`
// key, length and the frame's kFrameSize bytes.
void append_frames_entry(std::string& out, const std::uint8_t* frame);
// Appends one gRPC-Web message frame holding the Frame of `frame` (a server stream's
// item, for Snapshot and LogEntries).
void append_frame_message(std::string& out, const std::uint8_t* frame);

// The gRPC-Web body of one BatchLogEntries reply: the Frames message (its length known
// up front), then the OK trailers. The batch is whole transactions (a 12k-page one is
// 50 MB), so it is read from the log piece by piece as it is encoded: the reply never
// holds the batch, let alone a second, encoded copy of it.
class FramesReply {
 public:
  // `batch` may be null: no frames.
  explicit FramesReply(std::unique_ptr<FrameBatch> batch);

  std::size_t frame_count() const noexcept { return frame_count_; }
  // The gRPC-Web message frame: its 5-byte header and the Frames message.
  std::uint64_t message_size() const noexcept;
  // Every byte of the body: the message, then the trailers.
  std::uint64_t body_size() const noexcept;
  // Whether the next piece is the trailers (a writer may want them in a chunk of their own).
  bool at_trailers() const noexcept { return stage_ == Stage::kTrailers; }
  // Appends the body's next piece (the message header first, then up to `max_frames`
  // frames per call, the trailers last); false once everything was appended. Reads the
  // log: blocking; throws libsql::Error on a read failure.
  bool next_piece(std::string& out, std::size_t max_frames);

 private:
  std::unique_ptr<FrameBatch> batch_;
  std::size_t frame_count_;
  std::size_t frames_sent_ = 0;
  std::vector<std::uint8_t> buffer_;
  enum class Stage { kHeader, kFrames, kTrailers, kDone } stage_ = Stage::kHeader;
};

// LogEntries: the frames from an offset on, as they are committed, one message each.
class LogTail {
 public:
  LogTail(const FrameLog& log, std::uint64_t next_frame_no)
      : log_(log), next_frame_no_(next_frame_no) {}

  // Appends the messages of the next few committed frames (at most 16, possibly the
  // middle of a transaction: the client groups frames by their commit), waiting for a
  // commit until `deadline` when there are none yet. Returns how many frames it appended
  // (0: the deadline passed), or the Status that ends the stream (NEED_SNAPSHOT when the
  // frames were compacted away). Throws libsql::Error when the log cannot be read.
  std::variant<std::size_t, grpc_web::Status> next(std::string& out,
                                                   std::chrono::steady_clock::time_point deadline);

 private:
  const FrameLog& log_;
  std::uint64_t next_frame_no_;
  // The transaction(s) under way: one of 50 MB goes out a few frames per call.
  std::unique_ptr<FrameBatch> batch_;
  std::uint64_t batch_end_ = 0;  // one past the batch's last frame_no
  std::vector<std::uint8_t> buffer_;
};

class LogService {
 public:
  // A service with a random per-process secret: session tokens die with the process.
  LogService();
  // A fixed secret, for tests.
  explicit LogService(const LogId& secret);

  // The UUID text a client must send back as x-session-token: the process's secret
  // mixed with the log's id, so a new process or a rebuilt log (new id) sends every
  // replica back through Hello, where it learns the new id.
  std::string session_token(const FrameLog& log) const;

  // Hello. Checks no session token (sqld does not: this is where clients get one).
  // current_replication_index is absent for an empty log: a present index the log
  // cannot deliver makes the client loop forever (§2.5).
  wal_log::HelloResponse hello(const FrameLog& log, const metadata::DatabaseConfig& config) const;

  // LogOffset's wal_flavor: Libsql is INVALID_ARGUMENT "libsql wal not supported". sqld
  // checks it before anything else (even the namespace and the credential).
  static grpc_web::Status check_flavor(const wal_log::LogOffset& offset);
  // The x-session-token check of every call but Hello: FAILED_PRECONDITION NO_HELLO when
  // missing or not this log's current token (the client then says Hello again).
  grpc_web::Status check_session(const FrameLog& log,
                                 std::optional<std::string_view> session_token) const;

  // BatchLogEntries after check_session(): the frames from next_offset (at least
  // kMaxFramesPerBatch, ending on a commit; none when nothing is new), or
  // FAILED_PRECONDITION NEED_SNAPSHOT when they were compacted away, or INTERNAL.
  std::variant<FramesReply, grpc_web::Status> batch_log_entries(
      const FrameLog& log, const wal_log::LogOffset& offset) const;

  // Snapshot after check_session(): the snapshot holding next_offset, or UNAVAILABLE
  // "snapshot not found" (e.g. while its compaction still runs), or INTERNAL.
  std::variant<std::unique_ptr<SnapshotReader>, grpc_web::Status> open_snapshot(
      const FrameLog& log, const wal_log::LogOffset& offset) const;
  // Appends the messages of up to `max_frames` further frames of `snapshot`; returns how
  // many (0 at the end). Throws libsql::Error when the snapshot cannot be read.
  static std::size_t next_snapshot_piece(SnapshotReader& snapshot, std::size_t max_frames,
                                         std::string& out);

 private:
  LogId secret_;
  std::string generation_id_;  // deprecated in the protocol; a per-process UUID, as sqld
};

}  // namespace libsql::replication
