// stream_channel.h: the hand-off of a server stream's pieces from the blocking thread
// that makes them to the network coroutine that writes them (grpc_route.cc's LogEntries).
//
// The blocking thread waits on a condition variable, never on the network side, so a
// closed channel frees it even when the io_context no longer runs. At most two pieces
// exist at once: one being written, one waiting.
//
// Must not: write to the network or read the log itself.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "replication/grpc_web.h"

namespace libsql::server {

class StreamChannel : public std::enable_shared_from_this<StreamChannel> {
 public:
  struct Piece {
    std::string bytes;  // whole gRPC-Web frames; the last piece is the trailers frame
    bool last = false;
    std::optional<replication::grpc_web::Status>
        status_only;  // the call ended before its first message
  };

  explicit StreamChannel(boost::asio::any_io_executor executor)
      : executor_(executor), ready_(std::move(executor)) {}

  // From the blocking thread: false once the channel is closed (the client left, or
  // the server stops): the producer then stops.
  bool send(Piece piece) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return !slot_ || closed_; });
    if (closed_) return false;
    slot_ = std::move(piece);
    lock.unlock();
    boost::asio::post(executor_, [self = shared_from_this()] { self->ready_.cancel(); });
    return true;
  }
  bool closed() const {
    const std::lock_guard lock(mutex_);
    return closed_;
  }

  // From the network coroutine, on the executor: nullopt once closed, or when the
  // awaiting coroutine is cancelled.
  boost::asio::awaitable<std::optional<Piece>> receive() {
    while (true) {
      {
        const std::lock_guard lock(mutex_);
        if (slot_) {
          std::optional<Piece> piece = std::move(slot_);
          slot_.reset();
          room_.notify_one();
          co_return piece;
        }
        if (closed_) co_return std::nullopt;
      }
      // Only touched on the executor: a sender's wake-up is posted there, so it cannot
      // slip in between the check above and this wait.
      ready_.expires_at(boost::asio::steady_timer::time_point::max());
      co_await ready_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if ((co_await boost::asio::this_coro::cancellation_state).cancelled() !=
          boost::asio::cancellation_type::none) {
        co_return std::nullopt;
      }
    }
  }

  void close() {
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
    }
    room_.notify_all();
    boost::asio::post(executor_, [self = shared_from_this()] { self->ready_.cancel(); });
  }

 private:
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer ready_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::optional<Piece> slot_;
  bool closed_ = false;
};

}  // namespace libsql::server
