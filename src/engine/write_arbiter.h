// write_arbiter.h: how a database's connections share SQLite's one write lock, the way
// sqld shares it.
//
// SQLite lets one connection write at a time; the others get SQLITE_BUSY and retry
// from a busy handler. The arbiter replaces SQLite's sleep-and-retry handler with a wait
// that wakes as soon as the writer commits or rolls back, and adds sqld's transaction
// timeout: a connection that has held the write lock longer than the timeout and is idle
// (an interactive transaction waiting for its client) loses it as soon as another
// connection waits to write. Its transaction is rolled back from the waiter's thread,
// and its next request learns so (Connection::Use::take_lost_transaction) and fails
// with TRANSACTION_TIMEOUT. A writer nobody waits for is never disturbed, and a
// connection busy running a request is never touched: it is taken after the request.
//
// Thread-safe. This is engine-internal: Connection joins it when opened with one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

struct sqlite3;

namespace libsql::engine {

class WriteArbiter : public std::enable_shared_from_this<WriteArbiter> {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    // How long a connection may hold the write lock before a waiting writer may take it
    // (sqld's default txn_timeout).
    std::chrono::milliseconds transaction_timeout{5000};
    // How long a writer waits for the lock before SQLITE_BUSY.
    std::chrono::milliseconds max_wait{15000};
  };

  static std::shared_ptr<WriteArbiter> make(Options options) {
    return std::shared_ptr<WriteArbiter>(new WriteArbiter(options));
  }

  // One connection's part. Its owner holds `in_use` while it uses the connection.
  struct Member {
    std::shared_ptr<WriteArbiter> arbiter;
    sqlite3* db = nullptr;
    std::mutex in_use;
    // Guarded by in_use:
    Clock::time_point use_began;
    std::optional<Clock::time_point> write_since;  // when it took the write lock
    bool lost_transaction = false;
    // Touched only from this connection's busy handler, on its user's thread:
    Clock::time_point wait_began;
    std::uint64_t seen_releases = 0;
  };

  // Makes `db` a member: installs the busy handler. The connection's commit hook must
  // call notify_lock_released() (Connection::open installs one that does).
  std::shared_ptr<Member> join(sqlite3* db);
  // Before `member`'s connection closes.
  void leave(Member& member) noexcept;
  // At the end of a use (in_use held): notes whether the member now holds the write lock,
  // and wakes waiting writers if it let go of it.
  void use_ended(Member& member) noexcept;
  // A connection let go of the write lock outside a use (a commit, seen from its commit
  // hook; a checkpoint's lock): wakes waiting writers.
  void notify_lock_released();

 private:
  explicit WriteArbiter(Options options) : options_(options) {}

  static int on_busy(void* member, int attempt);
  // The busy handler's body: false gives up (SQLITE_BUSY).
  bool wait_for_lock(Member& waiter, int attempt);
  // Rolls back the transactions held too long by idle members; returns the earliest
  // deadline among the other idle holders. mutex_ held.
  Clock::time_point take_expired_locks(const Member& waiter, Clock::time_point now);

  const Options options_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::uint64_t releases_ = 0;  // write-lock releases so far (mutex_)
  std::vector<Member*> members_;
};

}  // namespace libsql::engine
