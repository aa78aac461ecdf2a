// replicator.cc: implements replicator.h.

#include "replication/replicator.h"

#include <algorithm>
#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

#include "libsql/error.h"
#include "proto/replication_log.pb.h"

namespace libsql::replication {

using grpc_web::StatusCode;

namespace {

constexpr std::string_view kHelloPath = "/wal_log.ReplicationLog/Hello";
constexpr std::string_view kLogEntriesPath = "/wal_log.ReplicationLog/LogEntries";
constexpr std::string_view kBatchLogEntriesPath = "/wal_log.ReplicationLog/BatchLogEntries";
constexpr std::string_view kSnapshotPath = "/wal_log.ReplicationLog/Snapshot";

// NO_HELLO right after a Hello means the primary keeps forgetting us (a restart loop):
// after this many in a row the pull fails instead of spinning.
constexpr int kMaxConsecutiveHellos = 3;
// sync_once(): an empty batch while the Hello promised more gets one more Hello; a
// second one in a row means the primary advertises frames it does not serve.
constexpr int kMaxEmptyBatches = 2;

[[noreturn]] void protocol_error(const std::string& message) {
  throw ReplicationError(ReplicationError::Kind::kProtocol, "replication: " + message);
}

std::string frame_size_message(std::size_t size) {
  return "the primary sent a frame of " + std::to_string(size) + " bytes; a frame is " +
         std::to_string(kFrameSize);
}

std::string offset_request(std::uint64_t next_frame_no) {
  wal_log::LogOffset offset;
  offset.set_next_offset(next_frame_no);
  return offset.SerializeAsString();
}

}  // namespace

Replicator::Replicator(ReplicatorOptions options)
    : options_(std::move(options)),
      injector_(options_.db_path, options_.injector),
      meta_(ReplicaMetaFile::open(options_.meta_path)),
      client_(options_.primary) {
  // No meta yet (a new replica, or a crash before its first record): everything is
  // pulled from frame 0 over whatever the file holds, as after a new log id.
  progress_ = meta_.read();
}

Replicator::~Replicator() { abandon_transaction(); }

std::optional<std::uint64_t> Replicator::committed_frame_no() const {
  std::lock_guard lock(state_mutex_);
  return progress_ ? progress_->committed_frame_no : std::nullopt;
}

std::optional<LogId> Replicator::log_id() const {
  std::lock_guard lock(state_mutex_);
  if (!progress_) return std::nullopt;
  return progress_->log_id;
}

std::uint64_t Replicator::frames_applied() const {
  std::lock_guard lock(state_mutex_);
  return frames_applied_;
}

std::string Replicator::last_error() const {
  std::lock_guard lock(state_mutex_);
  return last_error_;
}

bool Replicator::wait_for(std::uint64_t frame_no,
                          std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(state_mutex_);
  const auto reached = [&] {
    return progress_ && progress_->committed_frame_no && *progress_->committed_frame_no >= frame_no;
  };
  state_changed_.wait_until(lock, deadline, [&] { return reached() || stopping_; });
  return reached();
}

void Replicator::stop() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  client_.cancel();
  state_changed_.notify_all();
}

void Replicator::record_error(const std::string& message) {
  std::lock_guard lock(state_mutex_);
  last_error_ = message;
}

std::uint64_t Replicator::next_frame_no() const {
  std::lock_guard lock(state_mutex_);
  if (!progress_ || !progress_->committed_frame_no) return 0;
  return *progress_->committed_frame_no + 1;
}

void Replicator::rethrow_as_replication_error(const GrpcError& error) {
  bool stopping;
  {
    std::lock_guard lock(state_mutex_);
    stopping = stopping_;
  }
  if (stopping && error.code() == StatusCode::kCancelled) {
    throw ReplicationError(ReplicationError::Kind::kStopped, "replication: stopped");
  }
  const auto kind = error.is(StatusCode::kFailedPrecondition, grpc_web::kNamespaceDoesntExist)
                        ? ReplicationError::Kind::kFatal
                        : ReplicationError::Kind::kPrimary;
  throw ReplicationError(kind, std::string("replication: primary ") + error.what(), error.status());
}

void Replicator::handshake() {
  has_handshake_ = false;
  wal_log::HelloRequest request;
  request.set_handshake_version(1);
  wal_log::HelloResponse hello;
  client_.unary(kHelloPath, request, hello);

  const std::optional<LogId> log_id = LogId::parse(hello.log_id());
  if (!log_id) protocol_error("the primary's log id is not a UUID: " + hello.log_id());
  // The official client refuses a token that is not UUID text (verify_session_token).
  if (!LogId::parse(hello.session_token())) {
    protocol_error("the primary's session token is not a UUID: " + hello.session_token());
  }
  client_.set_session_token(hello.session_token());
  hello_frame_no_ = hello.has_current_replication_index()
                        ? std::optional<std::uint64_t>(hello.current_replication_index())
                        : std::nullopt;

  std::optional<ReplicaProgress> progress;
  {
    std::lock_guard lock(state_mutex_);
    progress = progress_;
  }
  if (!progress || progress->log_id != *log_id) {
    // A new log (or a first Hello): frame numbers of the old one mean nothing now.
    // Recorded at once, so a crash before the first commit still starts over.
    const ReplicaProgress fresh{*log_id, std::nullopt};
    meta_.write(fresh);
    std::lock_guard lock(state_mutex_);
    progress_ = fresh;
  }
  has_handshake_ = true;
}

void Replicator::commit_transaction(const AppliedTransaction& transaction) {
  injector_.commit(transaction.size_after);
  // The meta follows the durable commit: it is never ahead of the file.
  ReplicaProgress progress;
  {
    std::lock_guard lock(state_mutex_);
    progress = *progress_;
  }
  progress.committed_frame_no = transaction.frame_no;
  meta_.write(progress);
  {
    std::lock_guard lock(state_mutex_);
    progress_ = progress;
    frames_applied_ += transaction.frame_count;
  }
  state_changed_.notify_all();
  if (options_.on_transaction) options_.on_transaction(transaction);
}

void Replicator::abandon_transaction() noexcept {
  if (injector_.in_transaction()) injector_.rollback();
  pending_frames_ = 0;
}

std::uint32_t Replicator::apply_log_frame(std::string_view data) {
  if (data.size() != kFrameSize) protocol_error(frame_size_message(data.size()));
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  const FrameHeader header = decode_frame_header(bytes);
  if (pending_frames_ == 0) expected_frame_no_ = next_frame_no();
  if (header.frame_no != expected_frame_no_) {
    protocol_error("the primary sent frame " + std::to_string(header.frame_no) + " where frame " +
                   std::to_string(expected_frame_no_) + " was due");
  }
  injector_.add_page(header.page_no, std::span(bytes + kFrameHeaderSize, kPageSize));
  ++pending_frames_;
  ++expected_frame_no_;
  if (!header.is_commit()) return 0;
  const std::uint32_t frames = pending_frames_;
  commit_transaction({header.frame_no, frames, header.size_after, false});
  pending_frames_ = 0;
  return frames;
}

void Replicator::load_snapshot(std::uint64_t* frames_applied) {
  abandon_transaction();
  const std::uint64_t next = next_frame_no();
  std::optional<std::uint64_t> highest;
  std::uint64_t previous = 0;
  std::uint32_t frames = 0;
  bool committed = false;
  // Frames come newest first; a page seen again is an older image of it.
  std::unordered_set<std::uint32_t> pages;
  client_.server_stream(kSnapshotPath, offset_request(next), [&](std::string_view message) {
    wal_log::Frame frame;
    if (!frame.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      protocol_error("a Snapshot message is not a Frame");
    }
    const std::string& data = frame.data();
    if (data.size() != kFrameSize) protocol_error(frame_size_message(data.size()));
    if (committed) protocol_error("the primary's snapshot goes on after its commit frame");
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
    const FrameHeader header = decode_frame_header(bytes);
    if (header.frame_no < next || (highest && header.frame_no >= previous)) {
      protocol_error("the primary's snapshot from frame " + std::to_string(next) + " holds frame " +
                     std::to_string(header.frame_no) + " out of order");
    }
    if (!highest) highest = header.frame_no;
    previous = header.frame_no;
    ++frames;
    if (pages.insert(header.page_no).second) {
      injector_.add_page(header.page_no, std::span(bytes + kFrameHeaderSize, kPageSize));
    }
    if (header.is_commit()) {
      // One transaction for the whole snapshot, known by its newest frame.
      commit_transaction({*highest, frames, header.size_after, true});
      committed = true;
    }
    return true;
  });
  if (!committed) {
    abandon_transaction();
    protocol_error("the primary's snapshot from frame " + std::to_string(next) +
                   " ended without its commit frame");
  }
  if (frames_applied) *frames_applied += frames;
}

void Replicator::pull_batch(SyncResult& result) {
  wal_log::LogOffset offset;
  offset.set_next_offset(next_frame_no());
  wal_log::Frames batch;
  client_.unary(kBatchLogEntriesPath, offset, batch);
  for (const wal_log::Frame& frame : batch.frames()) {
    result.frames_applied += apply_log_frame(frame.data());
  }
  // sqld ends every batch on a commit: frames left over cannot be completed later.
  if (pending_frames_ != 0) {
    abandon_transaction();
    protocol_error("the primary's batch ended inside a transaction");
  }
}

SyncResult Replicator::sync_once() {
  std::lock_guard pull(pull_mutex_);
  SyncResult result;
  int hellos = 0;
  int empty_batches = 0;
  try {
    handshake();
    ++hellos;
    while (true) {
      {
        std::lock_guard lock(state_mutex_);
        if (stopping_) {
          throw ReplicationError(ReplicationError::Kind::kStopped, "replication: stopped");
        }
      }
      const auto committed = committed_frame_no();
      if (!hello_frame_no_ || (committed && *committed >= *hello_frame_no_)) break;
      try {
        const std::uint64_t before = result.frames_applied;
        pull_batch(result);
        if (result.frames_applied == before) {
          if (++empty_batches >= kMaxEmptyBatches) {
            protocol_error("the primary said its log reaches frame " +
                           std::to_string(*hello_frame_no_) + " but sends nothing after " +
                           (committed ? std::to_string(*committed) : std::string("none")));
          }
          handshake();
        } else {
          empty_batches = 0;
          hellos = 0;
        }
      } catch (const GrpcError& e) {
        abandon_transaction();
        if (e.is(StatusCode::kFailedPrecondition, grpc_web::kNeedSnapshot)) {
          load_snapshot(&result.frames_applied);
        } else if (e.is(StatusCode::kFailedPrecondition, grpc_web::kNoHello) &&
                   ++hellos <= kMaxConsecutiveHellos) {
          handshake();
        } else {
          throw;
        }
      }
    }
  } catch (const GrpcError& e) {
    abandon_transaction();
    has_handshake_ = false;
    rethrow_as_replication_error(e);
  } catch (const ReplicationError&) {
    abandon_transaction();
    has_handshake_ = false;
    throw;
  } catch (const libsql::Error& e) {
    abandon_transaction();
    has_handshake_ = false;
    throw ReplicationError(ReplicationError::Kind::kLocal,
                           std::string("replication: the replica failed: ") + e.what());
  }
  result.committed_frame_no = committed_frame_no();
  result.primary_frame_no = hello_frame_no_;
  return result;
}

void Replicator::stream_log_entries() {
  client_.server_stream(
      kLogEntriesPath, offset_request(next_frame_no()),
      [&](std::string_view message) {
        wal_log::Frame frame;
        if (!frame.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
          protocol_error("a LogEntries message is not a Frame");
        }
        apply_log_frame(frame.data());
        return true;
      },
      options_.stream_idle_timeout);
}

void Replicator::run() {
  std::lock_guard pull(pull_mutex_);
  auto backoff = options_.min_backoff;
  // NO_HELLO right after our Hello, again and again: the primary keeps forgetting the
  // session (restarting?). Such a Hello stops counting as progress.
  int no_hello_streak = 0;
  std::string reported_failure;  // on_new_failure's last, until the next progress
  while (true) {
    {
      std::lock_guard lock(state_mutex_);
      if (stopping_) break;
    }
    const std::uint64_t before = frames_applied();
    bool helloed = false;
    bool quiet_stream = false;
    std::string failure;
    try {
      try {
        if (!has_handshake_) {
          handshake();
          helloed = true;
        }
        stream_log_entries();
        // The primary ended the stream (its namespace config changed, or it shuts
        // down): Hello again before the next one, as sqld's replicas do.
        has_handshake_ = false;
      } catch (const GrpcError& e) {
        if (!e.is(StatusCode::kFailedPrecondition, grpc_web::kNeedSnapshot)) throw;
        load_snapshot(nullptr);
      }
    } catch (const GrpcError& e) {
      if (e.is(StatusCode::kFailedPrecondition, grpc_web::kNoHello)) {
        ++no_hello_streak;
        failure = std::string("replication: primary ") + e.what();
      } else if (helloed && e.code() == StatusCode::kDeadlineExceeded) {
        // The stream stayed silent for stream_idle_timeout: a quiet primary, or a dead
        // connection. Hello again (which also notices a new log) and reopen it.
        has_handshake_ = false;
        quiet_stream = true;
      } else {
        try {
          rethrow_as_replication_error(e);
        } catch (const ReplicationError& error) {
          if (error.kind() == ReplicationError::Kind::kStopped) break;
          abandon_transaction();
          record_error(error.what());
          if (error.kind() == ReplicationError::Kind::kFatal) throw;
          failure = error.what();
        }
      }
    } catch (const ReplicationError& e) {
      failure = e.what();
    } catch (const libsql::Error& e) {
      failure = std::string("replication: the replica failed: ") + e.what();
    }
    // A stream that broke inside a transaction leaves it unfinished: the next one
    // starts again after the last commit.
    abandon_transaction();
    if (!failure.empty()) {
      has_handshake_ = false;
      record_error(failure);
      if (failure != reported_failure && options_.on_new_failure) options_.on_new_failure(failure);
      reported_failure = failure;
    }

    const bool applied = frames_applied() != before;
    if (applied) no_hello_streak = 0;
    // An answered Hello is progress too (a stream that idled out, the primary back
    // after a restart): only failures in a row slow the retries down.
    const bool progressed = applied || (helloed && no_hello_streak <= kMaxConsecutiveHellos);
    if (progressed) backoff = options_.min_backoff;
    // A Hello answered before a call that failed again the same way is no recovery.
    if (applied || failure.empty()) reported_failure.clear();
    if (failure.empty() && (applied || quiet_stream)) continue;
    std::unique_lock lock(state_mutex_);
    state_changed_.wait_for(lock, backoff, [&] { return stopping_; });
    if (!progressed) backoff = std::min(backoff * 2, options_.max_backoff);
  }
  abandon_transaction();
}

}  // namespace libsql::replication
