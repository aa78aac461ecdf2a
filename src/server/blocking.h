// blocking.h: runs blocking work (SQLite, fsync) on the blocking pool and resumes the
// calling network coroutine with its result, so network threads never block.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace libsql::server {

// co_await run_blocking(pool, [&] { return work(); }): `work` runs on a pool thread;
// its result (or exception) comes back to the caller's executor.
template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> run_blocking(boost::asio::thread_pool& pool,
                                                                 Work work) {
  using Result = std::invoke_result_t<Work&>;
  co_return co_await boost::asio::co_spawn(
      pool.get_executor(),
      [work = std::move(work)]() mutable -> boost::asio::awaitable<Result> { co_return work(); },
      boost::asio::use_awaitable);
}

}  // namespace libsql::server
