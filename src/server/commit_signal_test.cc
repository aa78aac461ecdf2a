// commit_signal_test.cc: a commit wakes a waiting coroutine from another thread, a commit
// before the wait is not missed, and a wait without one ends at its timeout.

#include "server/commit_signal.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace libsql::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How long wait(seen, timeout) took, run on a strand of its own io_context; `meanwhile`
// runs on another thread once the wait is under way.
Clock::duration time_wait(CommitSignal& signal, std::uint64_t seen,
                          std::chrono::milliseconds timeout,
                          const std::function<void()>& meanwhile = {}) {
  boost::asio::io_context io;
  Clock::duration took{};
  boost::asio::co_spawn(
      boost::asio::make_strand(io),
      [&]() -> boost::asio::awaitable<void> {
        const auto start = Clock::now();
        co_await signal.wait(seen, timeout);
        took = Clock::now() - start;
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  std::thread other([&] {
    std::this_thread::sleep_for(50ms);
    if (meanwhile) meanwhile();
  });
  io.run();
  other.join();
  return took;
}

TEST(CommitSignal, ACommitFromAnotherThreadEndsTheWait) {
  CommitSignal signal;
  const std::uint64_t seen = signal.generation();
  const auto took = time_wait(signal, seen, 10s, [&] { signal.notify(); });
  EXPECT_LT(took, 5s) << "woken by the commit, not the 10 s timeout";
  EXPECT_EQ(signal.generation(), seen + 1);
}

TEST(CommitSignal, ACommitBeforeTheWaitIsNotMissed) {
  CommitSignal signal;
  const std::uint64_t seen = signal.generation();
  signal.notify();  // between reading the generation and waiting
  EXPECT_LT(time_wait(signal, seen, 10s), 5s);
}

TEST(CommitSignal, WithoutACommitTheWaitEndsAtItsTimeout) {
  CommitSignal signal;
  EXPECT_GE(time_wait(signal, signal.generation(), 200ms), 200ms);
}

}  // namespace
}  // namespace libsql::server
