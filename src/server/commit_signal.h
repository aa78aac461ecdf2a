// commit_signal.h: wakes the network coroutines waiting for a primary namespace's next
// commit (its LogEntries streams), from the thread that commits, so a stream waits
// without holding a thread of its own.
//
// A waiter reads generation() before it looks for new frames, and passes it to wait():
// a commit in between ends the wait at once, so no commit is missed.
//
// Must not: block the committing thread (notify() posts, never waits), or know the log.
// Thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace libsql::server {

class CommitSignal {
 public:
  // Commits so far.
  std::uint64_t generation() const;
  // A commit: every wait under way ends. Any thread.
  void notify();
  // Returns once generation() passes `seen`, or after `timeout`. On the awaiting
  // coroutine's executor, which must be a strand (or run on one thread): the wake-up is
  // posted there.
  boost::asio::awaitable<void> wait(std::uint64_t seen, std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace libsql::server
