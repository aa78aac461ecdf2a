// blocking.h: runs blocking work (SQLite, fsync) on the blocking pool and resumes the
// calling network coroutine with its result, so network threads never block.
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace libsql::server {

// co_await run_blocking(pool, [&] { return work(); }): `work` runs on a pool thread;
// its result (or exception) comes back to the caller's executor. Work cannot be
// abandoned half-done, so cancelling the awaiting coroutine (a client that went away)
// calls `on_cancel` to make the work end early, and still waits for it.
template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> run_blocking(
    boost::asio::thread_pool& pool, Work work, std::function<void()> on_cancel = {}) {
  namespace asio = boost::asio;
  using Result = std::invoke_result_t<Work&>;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(std::exception_ptr, Result)>(
      [&pool, &work, &on_cancel](auto handler) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (on_cancel && slot.is_connected()) {
          slot.assign([on_cancel = std::move(on_cancel)](asio::cancellation_type) { on_cancel(); });
        }
        auto executor = asio::get_associated_executor(handler);
        asio::post(pool,
                   [handler = std::move(handler), work = std::move(work), executor]() mutable {
                     std::exception_ptr error;
                     Result result{};
                     try {
                       result = work();
                     } catch (...) {
                       error = std::current_exception();
                     }
                     asio::post(executor, [handler = std::move(handler), error,
                                           result = std::move(result)]() mutable {
                       asio::get_associated_cancellation_slot(handler).clear();
                       std::move(handler)(error, std::move(result));
                     });
                   });
      },
      asio::use_awaitable);
}

}  // namespace libsql::server
