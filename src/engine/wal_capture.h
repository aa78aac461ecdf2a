// wal_capture.h: reads each committed transaction's pages out of a database's WAL, in
// commit order, for a replication log (research/replication.md §9.1).
//
// Every connection that writes the database calls capture() from its commit hook, once
// SQLite has committed. The capture opens a read transaction of its own, which pins the
// WAL up to the last commit, and reads the frames it has not seen yet from the -wal file.
// A WAL restart (new salts) starts the reading over at frame 1.
//
// That is only safe if no frame is checkpointed before it is captured, since a
// checkpoint lets the next writer restart the WAL over it. So the capture owns
// checkpointing: connections must run with autocheckpoint off and no checkpoint on
// close (Connection::open does both when given a capture), and checkpoint() first takes
// the write lock, captures, and only then backfills with a PASSIVE checkpoint, so no
// commit can slip in between.
//
// Must not: write the database, decide anything about log formats or files (the sink
// does), or run a checkpoint other than under the protocol above.
//
// Thread-safety: every member function may be called from any thread; captures are
// serialised by an internal mutex, which is what orders the sink's transactions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/connection.h"

namespace libsql::engine {

class WriteArbiter;

// Where captured transactions go (a replication log).
class CommitSink {
 public:
  virtual ~CommitSink() = default;
  // One page of a committed transaction, in WAL order. `size_after`, the database's size
  // in pages after the commit, is nonzero on the transaction's last page only.
  virtual void append(std::uint32_t page_no, const std::uint8_t* page,
                      std::uint32_t size_after) = 0;
  // After the pages of one or more whole transactions: make them durable and visible.
  virtual void commit() = 0;
  // Drops the pages appended since the last commit.
  virtual void rollback() noexcept = 0;
};

class WalCapture {
 public:
  static constexpr std::uint32_t kPageSize = 4096;

  struct Options {
    // Checkpoint once the WAL holds this many frames (SQLite's autocheckpoint default).
    std::uint32_t checkpoint_frames = 1000;
    // The database's write arbiter, told when a checkpoint lets go of the write lock.
    std::shared_ptr<WriteArbiter> arbiter;
  };

  // The whole database at one point in its history, page by page (1..page_count): the
  // pointer holds kPageSize bytes until the next call.
  using PageSource = std::function<const std::uint8_t*(std::uint32_t page_no)>;
  using Begin = std::function<CommitSink&(std::uint32_t page_count, const PageSource& page)>;

  // Opens the capture's two connections to `path`, which must be a WAL database with
  // 4096-byte pages (throws libsql::Error otherwise). Captures nothing until start().
  static std::shared_ptr<WalCapture> open(const std::string& path, Options options);
  ~WalCapture();
  WalCapture(const WalCapture&) = delete;
  WalCapture& operator=(const WalCapture&) = delete;

  // Starts capturing at the WAL's current end into the sink `begin` returns. `begin` runs
  // inside the read transaction that fixes that point, and may read the database as it
  // stands there: a log rebuilt from those pages continues exactly where capture starts.
  void start(const Begin& begin);

  // Captures every transaction committed since the last capture. Called from commit
  // hooks. A failure (of the sink, of a read) is reported on stderr and retried at the
  // next call, since the frames stay in the WAL until captured; once the WAL has lost
  // frames it never captured, the capture stops for good (failed()).
  void capture() noexcept;
  // Captures, then checkpoints every captured frame no reader still needs. Returns false,
  // doing nothing, when another connection holds the write lock.
  bool checkpoint();
  // Whether the capture stopped because committed frames left the WAL uncaptured (a
  // checkpoint behind its back): the log lacks them and must be rebuilt.
  bool failed() const;

 private:
  WalCapture(const std::string& path, Options options);
  // mutex_ held, a transaction open on reader_.
  void capture_locked();
  bool checkpoint_locked();
  void read_frames(std::uint32_t first, std::uint32_t last);

  const std::string path_;
  const Options options_;
  mutable std::mutex mutex_;
  Connection reader_;        // reads (and for checkpoints, holds the write lock)
  Connection checkpointer_;  // backfills while reader_ holds the write lock
  int wal_fd_ = -1;          // our own descriptor for the -wal file
  CommitSink* sink_ = nullptr;
  bool failed_ = false;
  // The WAL as far as captured: its salts, and its last captured frame.
  std::uint32_t salt_[2] = {0, 0};
  std::uint32_t captured_frame_ = 0;
  std::uint32_t wal_frames_ = 0;          // the WAL's length at the last capture
  std::uint32_t checkpointed_frame_ = 0;  // the WAL's frames backfilled so far
};

}  // namespace libsql::engine
