// primary_replication.h: what makes a database a replication primary: its frame log,
// the capture that feeds every commit into it, and the crash marker that decides, at
// the next start, whether the log can be trusted.
//
// Opening, in order: a database whose pages are not 4096 bytes is converted (VACUUM
// into 4096-byte pages, replication's only size) before anything else opens it; then the
// log is opened, or rebuilt from the database under a new log id when the last shutdown
// was not clean (`.sentinel` left behind, as sqld marks it), when there is no log, or
// when it cannot be read. Replicas that see the new id start over.
//
// Must not: serve the log (log_service.h), or open the database's user connections (its
// owner does, with capture() in their OpenOptions).
//
// Thread-safety: log(), capture() and checkpoint() may be called from any thread.
// Open it before, and destroy it after, every connection that uses capture().
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "engine/wal_capture.h"
#include "engine/write_arbiter.h"
#include "replication/frame_log.h"

namespace libsql::replication {

struct PrimaryReplicationOptions {
  // The database's directory (the log and the sentinel live there) and its file.
  std::filesystem::path directory;
  std::filesystem::path database;
  // The database's write arbiter: checkpoints take the write lock through it.
  std::shared_ptr<engine::WriteArbiter> arbiter;
  // Compaction threshold of the live log (FrameLogOptions::max_live_frames).
  std::uint64_t max_live_frames = FrameLogOptions{}.max_live_frames;
  // WAL frames between checkpoints.
  std::uint32_t checkpoint_frames = 1000;
  // FrameLogOptions::on_commit.
  std::function<void()> on_commit;
};

class PrimaryReplication {
 public:
  // Throws libsql::Error when the database cannot be opened, converted or captured.
  static std::unique_ptr<PrimaryReplication> open(PrimaryReplicationOptions options);
  // A clean shutdown: captures what is left and removes the sentinel, unless the log
  // may lack a commit (then the next start rebuilds it).
  ~PrimaryReplication();
  PrimaryReplication(const PrimaryReplication&) = delete;
  PrimaryReplication& operator=(const PrimaryReplication&) = delete;

  FrameLog& log() noexcept { return *log_; }
  const std::shared_ptr<engine::WalCapture>& capture() const noexcept { return capture_; }
  // Whether this start rebuilt the log (new log id).
  bool rebuilt() const noexcept { return rebuilt_; }
  // Backfills the WAL into the database file, never past what the log holds. Returns
  // false when a writer held the lock.
  bool checkpoint() { return capture_->checkpoint(); }

 private:
  class Sink;
  explicit PrimaryReplication(PrimaryReplicationOptions options);

  PrimaryReplicationOptions options_;
  std::unique_ptr<FrameLog> log_;
  std::unique_ptr<Sink> sink_;
  std::shared_ptr<engine::WalCapture> capture_;
  bool rebuilt_ = false;
};

// Rewrites `database` with 4096-byte pages if it has others (in rollback-journal mode,
// the only one where SQLite can change a page size), and leaves it in WAL mode. Returns
// whether it converted.
bool convert_to_replication_page_size(const std::filesystem::path& database);

}  // namespace libsql::replication
