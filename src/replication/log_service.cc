// log_service.cc: implements log_service.h. Frames and Frame are encoded by hand (their
// layout is fixed: one bytes field each), so a reply never holds a protobuf copy of
// the frames; log_service_test.cc checks the bytes against protobuf's own encoding.

#include "replication/log_service.h"

#include <limits>

#include "libsql/error.h"

namespace libsql::replication {

namespace {

using grpc_web::Status;
using grpc_web::StatusCode;

// Protobuf key of field 1 with wire type 2 (length-delimited): Frames.frames and
// Frame.data.
constexpr char kField1Bytes = 0x0a;

std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// LogEntries frames per piece: a transaction of any size goes out a few frames at a time.
constexpr std::size_t kTailPieceFrames = 16;

// A Frame holding only `data`: key, length, the frame.
constexpr std::uint64_t kFrameMessageSize = 1 + 2 + kFrameSize;
static_assert(kFrameSize >= 0x80 && kFrameSize < 0x4000, "the data length is a 2-byte varint");

void append_frame(std::string& out, const std::uint8_t* frame) {
  out.push_back(kField1Bytes);
  append_varint(out, kFrameSize);
  out.append(reinterpret_cast<const char*>(frame), kFrameSize);
}

Status need_snapshot() {
  return {StatusCode::kFailedPrecondition, std::string(grpc_web::kNeedSnapshot)};
}

}  // namespace

std::uint64_t frames_message_size(std::uint64_t frame_count) noexcept {
  return frame_count * (1 + varint_size(kFrameMessageSize) + kFrameMessageSize);
}

void append_frames_entry(std::string& out, const std::uint8_t* frame) {
  out.push_back(kField1Bytes);
  append_varint(out, kFrameMessageSize);
  append_frame(out, frame);
}

void append_frame_message(std::string& out, const std::uint8_t* frame) {
  grpc_web::append_message_header(out, static_cast<std::uint32_t>(kFrameMessageSize));
  append_frame(out, frame);
}

FramesReply::FramesReply(std::unique_ptr<FrameBatch> batch)
    : batch_(std::move(batch)), frame_count_(batch_ ? batch_->frame_count() : 0) {}

std::uint64_t FramesReply::message_size() const noexcept {
  return grpc_web::kFrameHeaderSize + frames_message_size(frame_count());
}

std::uint64_t FramesReply::body_size() const noexcept {
  std::string trailers;
  grpc_web::append_trailers(trailers, {});
  return message_size() + trailers.size();
}

bool FramesReply::next_piece(std::string& out, std::size_t max_frames) {
  switch (stage_) {
    case Stage::kHeader:
      grpc_web::append_message_header(
          out, static_cast<std::uint32_t>(frames_message_size(frame_count())));
      stage_ = frame_count() == 0 ? Stage::kTrailers : Stage::kFrames;
      return true;
    case Stage::kFrames: {
      buffer_.clear();
      const std::size_t count = batch_->read(std::max<std::size_t>(1, max_frames), buffer_);
      if (count == 0) {
        // The log file holds fewer frames than it announced: the body cannot be finished.
        throw Error(PrimaryCode::kCorrupt, "a replication log batch ended early");
      }
      for (std::size_t i = 0; i < count; ++i)
        append_frames_entry(out, buffer_.data() + i * kFrameSize);
      frames_sent_ += count;
      if (frames_sent_ == frame_count_) stage_ = Stage::kTrailers;
      return true;
    }
    case Stage::kTrailers:
      grpc_web::append_trailers(out, {});
      stage_ = Stage::kDone;
      batch_.reset();  // the log file goes back as soon as the last frame is out
      buffer_ = {};
      return true;
    case Stage::kDone:
      return false;
  }
  return false;
}

std::variant<std::size_t, Status> LogTail::next(std::string& out,
                                                std::chrono::steady_clock::time_point deadline) {
  for (bool waited = false;; waited = true) {
    if (next_frame_no_ >= batch_end_) {
      // sqld's LogEntries sends frames as they are committed, in transactions of any
      // size: a batch here is at least a few frames, then on to a commit.
      batch_.reset();
      if (log_.open_batch(next_frame_no_, kTailPieceFrames, batch_) ==
          FrameLog::ReadResult::kNeedSnapshot) {
        return need_snapshot();
      }
      batch_end_ = next_frame_no_ + batch_->frame_count();
    }
    if (next_frame_no_ < batch_end_) {
      buffer_.clear();
      const std::size_t count = batch_->read(kTailPieceFrames, buffer_);
      if (count == 0) throw Error(PrimaryCode::kCorrupt, "a replication log batch ended early");
      for (std::size_t i = 0; i < count; ++i)
        append_frame_message(out, buffer_.data() + i * kFrameSize);
      next_frame_no_ += count;
      return count;
    }
    if (waited || !log_.wait_for(next_frame_no_, deadline)) return std::size_t{0};
  }
}

LogService::LogService() : LogService(LogId::random()) {}

LogService::LogService(const LogId& secret)
    : secret_(secret), generation_id_(LogId::random().to_string()) {}

std::string LogService::session_token(const FrameLog& log) const {
  LogId token;
  const LogId id = log.log_id();
  for (std::size_t i = 0; i < token.bytes.size(); ++i)
    token.bytes[i] = secret_.bytes[i] ^ id.bytes[i];
  // A well-formed version 4 UUID, as a client may check more than the syntax.
  token.bytes[6] = static_cast<std::uint8_t>((token.bytes[6] & 0x0f) | 0x40);
  token.bytes[8] = static_cast<std::uint8_t>((token.bytes[8] & 0x3f) | 0x80);
  return token.to_string();
}

wal_log::HelloResponse LogService::hello(const FrameLog& log,
                                         const metadata::DatabaseConfig& config) const {
  wal_log::HelloResponse response;
  response.set_generation_id(generation_id_);
  response.set_generation_start_index(0);
  response.set_log_id(log.log_id().to_string());
  response.set_session_token(session_token(log));
  if (const auto last = log.last_frame_no()) response.set_current_replication_index(*last);
  *response.mutable_config() = config;
  return response;
}

Status LogService::check_flavor(const wal_log::LogOffset& offset) {
  if (offset.has_wal_flavor() && offset.wal_flavor() == wal_log::LogOffset::Libsql) {
    return {StatusCode::kInvalidArgument, "libsql wal not supported"};
  }
  return {};
}

Status LogService::check_session(const FrameLog& log,
                                 std::optional<std::string_view> session_token) const {
  // sqld would look a tokenless call up among the legacy (handshake_version-less)
  // Hellos by socket address; every client of today sends a token, so none passes here.
  if (!session_token || *session_token != this->session_token(log)) {
    return {StatusCode::kFailedPrecondition, std::string(grpc_web::kNoHello)};
  }
  return {};
}

std::variant<FramesReply, Status> LogService::batch_log_entries(
    const FrameLog& log, const wal_log::LogOffset& offset) const {
  std::unique_ptr<FrameBatch> batch;
  try {
    if (log.open_batch(offset.next_offset(), kMaxFramesPerBatch, batch) ==
        FrameLog::ReadResult::kNeedSnapshot) {
      return need_snapshot();
    }
  } catch (const Error& e) {
    return Status{StatusCode::kInternal, e.what()};
  }
  const std::uint64_t count = batch->frame_count();
  if (frames_message_size(count) > std::numeric_limits<std::uint32_t>::max()) {
    // A gRPC-Web length is 32 bits: a 4 GiB transaction cannot travel in one batch.
    return Status{StatusCode::kResourceExhausted,
                  "a transaction of " + std::to_string(count) +
                      " frames is too large for one gRPC-Web message"};
  }
  return FramesReply(std::move(batch));
}

std::variant<std::unique_ptr<SnapshotReader>, Status> LogService::open_snapshot(
    const FrameLog& log, const wal_log::LogOffset& offset) const {
  try {
    std::unique_ptr<SnapshotReader> snapshot = log.open_snapshot(offset.next_offset());
    if (!snapshot) return Status{StatusCode::kUnavailable, "snapshot not found"};
    return snapshot;
  } catch (const Error& e) {
    return Status{StatusCode::kInternal, e.what()};
  }
}

std::size_t LogService::next_snapshot_piece(SnapshotReader& snapshot, std::size_t max_frames,
                                            std::string& out) {
  std::vector<std::uint8_t> frames;
  const std::size_t count = snapshot.read(max_frames, frames);
  for (std::size_t i = 0; i < count; ++i) append_frame_message(out, frames.data() + i * kFrameSize);
  return count;
}

}  // namespace libsql::replication
