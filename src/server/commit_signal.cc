// commit_signal.cc: implements commit_signal.h.

#include "server/commit_signal.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace libsql::server {

namespace asio = boost::asio;

std::uint64_t CommitSignal::generation() const {
  const std::lock_guard lock(mutex_);
  return generation_;
}

void CommitSignal::notify() {
  std::vector<std::shared_ptr<asio::steady_timer>> woken;
  {
    const std::lock_guard lock(mutex_);
    ++generation_;
    woken.swap(waiters_);
  }
  // A timer is not thread-safe: it is cancelled on its own executor.
  for (auto& timer : woken) {
    asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
}

asio::awaitable<void> CommitSignal::wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  timer->expires_after(timeout);
  {
    const std::lock_guard lock(mutex_);
    if (generation_ != seen) co_return;
    waiters_.push_back(timer);
  }
  // Unregistered however the wait ends, even when the coroutine is destroyed unresumed
  // (the server stopping): the timer must not outlive its io_context here.
  struct Registration {
    CommitSignal& signal;
    const std::shared_ptr<asio::steady_timer>& timer;
    ~Registration() {
      const std::lock_guard lock(signal.mutex_);
      std::erase(signal.waiters_, timer);
    }
  } registration{*this, timer};
  // A notify() from now on posts its cancel behind this coroutine's step on the same
  // strand, so it finds the wait begun.
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace libsql::server
