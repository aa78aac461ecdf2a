// replicator.h: keeps a replica database file in step with a primary sqld, pulling its
// replication log over gRPC-Web (research/replication.md §2.5, the client state
// machine of libsql-replication's replicator.rs):
//
//   Hello -> log id, session token, the primary's last frame_no
//     a log id other than the recorded one: start over from frame 0 over the existing
//     file, as libSQL does (page images overwrite; the last commit sets the size)
//   BatchLogEntries (sync_once) or the LogEntries stream (run) from committed + 1
//     FAILED_PRECONDITION NEED_SNAPSHOT          -> Snapshot(next), applied as one
//                                                   transaction (newest frame first)
//     FAILED_PRECONDITION NO_HELLO               -> Hello again, transparently
//     FAILED_PRECONDITION NAMESPACE_DOESNT_EXIST -> fatal
//
// Frames are grouped into transactions at their commit frame (size_after != 0); each
// transaction is committed through the PageInjector, and only then is its last frame_no
// recorded in the meta file. Any failure rolls back the transaction under way; the next
// pull starts again at the recorded frame + 1.
//
// Must not: write the replica file but through the PageInjector, keep progress anywhere
// but the meta file, or apply a frame that is not exactly kFrameSize bytes or out of
// order.
//
// Thread-safety: sync_once() and run() pull on the calling thread, one at a time (the
// other waits). stop(), committed_frame_no(), log_id(), wait_for(), last_error() and
// frames_applied() may be called from any thread. Destroy a Replicator only once no
// thread is inside sync_once() or run() (stop(), then join the thread that runs it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/page_injector.h"
#include "replication/frame_format.h"
#include "replication/grpc_web_client.h"
#include "replication/replica_meta.h"

namespace libsql::replication {

// How a pull failed.
class ReplicationError : public std::runtime_error {
 public:
  enum class Kind {
    kFatal,     // will never work: the primary has no such namespace
    kPrimary,   // the primary or the network failed (status() says how); retrying may help
    kProtocol,  // the primary sent something a replica cannot apply
    kLocal,     // the replica's own files failed (libsql::Error below)
    kStopped,   // stop() was called
  };

  ReplicationError(Kind kind, std::string message, grpc_web::Status status = {})
      : std::runtime_error(std::move(message)), kind_(kind), status_(std::move(status)) {}

  Kind kind() const noexcept { return kind_; }
  // The gRPC status behind kFatal and kPrimary; OK otherwise.
  const grpc_web::Status& status() const noexcept { return status_; }

 private:
  Kind kind_;
  grpc_web::Status status_;
};

// One primary transaction (or one snapshot) applied to the replica.
struct AppliedTransaction {
  std::uint64_t frame_no = 0;  // the last frame_no it brought (the snapshot's highest)
  std::uint32_t frame_count = 0;
  std::uint32_t size_after = 0;  // the database's size in pages after it
  bool from_snapshot = false;
};

struct ReplicatorOptions {
  // The replica database (e.g. <dir>/data) and its progress file (<dir>/client_wal_index
  // for a sqld replica, <db>-client_wal_index for an embedded one).
  std::string db_path;
  std::filesystem::path meta_path;
  GrpcWebClientOptions primary;
  engine::PageInjectorOptions injector;
  // run(): how long the LogEntries stream may stay silent before it is reopened, after
  // a new Hello: a primary that vanished without closing the connection is noticed no
  // later than this.
  std::chrono::milliseconds stream_idle_timeout{30000};
  // run(): the wait after a failed attempt, doubling up to the maximum; back to the
  // minimum after an attempt that got anywhere (a Hello answered, a frame applied).
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Called on the pulling thread after each transaction is committed and recorded; it
  // holds up the pull while it runs, and must not call sync_once() or run().
  std::function<void(const AppliedTransaction&)> on_transaction;
  // run(): called on the pulling thread with a failure it will retry, unless the attempt
  // before failed the same way (a primary refusing every attempt is reported once, not
  // at each retry; again after an attempt that applied frames or did not fail). For logs.
  std::function<void(const std::string&)> on_new_failure;
};

struct SyncResult {
  // Frames of the transactions committed by this call.
  std::uint64_t frames_applied = 0;
  // The last frame_no committed to the replica (nullopt: none yet).
  std::optional<std::uint64_t> committed_frame_no;
  // The primary's last frame_no, from its Hello (nullopt: its log is empty).
  std::optional<std::uint64_t> primary_frame_no;
};

class Replicator {
 public:
  // Opens (or creates) the replica file and its meta file; no network traffic. Throws
  // libsql::Error for the files, std::invalid_argument for a bad primary URL.
  explicit Replicator(ReplicatorOptions options);
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;
  ~Replicator();

  // Hello, then pulls until the replica has what the Hello said the primary had.
  // Throws ReplicationError; what was committed before the failure stays.
  SyncResult sync_once();

  // Follows the primary until stop(): Hello, then the LogEntries stream, reconnecting
  // with backoff after any failure. Returns after stop(); throws ReplicationError
  // (kFatal) when retrying cannot help.
  void run();
  // Ends run() and any pull under way, and every later one (final). Any thread.
  void stop();

  // The last frame_no committed to the replica; nullopt before the first commit (of the
  // current log).
  std::optional<std::uint64_t> committed_frame_no() const;
  // The log the replica follows (from the meta file, then each Hello).
  std::optional<LogId> log_id() const;
  // Blocks until the replica has committed `frame_no` or later (read-your-writes for a
  // write whose replication index was `frame_no`); false on the deadline or stop().
  bool wait_for(std::uint64_t frame_no, std::chrono::steady_clock::time_point deadline) const;
  // Frames committed since construction.
  std::uint64_t frames_applied() const;
  // The last failure run() retried after ("" if none yet), for logs and health checks.
  std::string last_error() const;

 private:
  // Pull-thread state and steps; only the thread holding pull_mutex_ uses them.
  void handshake();
  std::uint64_t next_frame_no() const;
  void pull_batch(SyncResult& result);
  void stream_log_entries();
  void load_snapshot(std::uint64_t* frames_applied);
  // Adds one log frame (ascending, contiguous) to the transaction under way; commits it
  // at its commit frame. Returns the frames committed (0 when the transaction goes on).
  std::uint32_t apply_log_frame(std::string_view data);
  // Commits the injector's transaction as the one ending at `frame_no`, then records it.
  void commit_transaction(const AppliedTransaction& transaction);
  void abandon_transaction() noexcept;
  void record_error(const std::string& message);
  [[noreturn]] void rethrow_as_replication_error(const GrpcError& error);

  ReplicatorOptions options_;
  engine::PageInjector injector_;
  ReplicaMetaFile meta_;
  GrpcWebClient client_;

  std::mutex pull_mutex_;
  bool has_handshake_ = false;
  std::optional<std::uint64_t> hello_frame_no_;
  // The transaction under way (log frames only).
  std::uint64_t expected_frame_no_ = 0;
  std::uint32_t pending_frames_ = 0;

  // Shared with other threads.
  mutable std::mutex state_mutex_;
  mutable std::condition_variable state_changed_;
  std::optional<ReplicaProgress> progress_;
  std::uint64_t frames_applied_ = 0;
  std::string last_error_;
  bool stopping_ = false;
};

}  // namespace libsql::replication
