// dump_route.cc: implements dump_route.h. The blocking thread hands each chunk over
// through a one-message slot and waits until it is taken: at most two chunks exist at
// once (one being written, one waiting).

#include "server/dump_route.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <condition_variable>
#include <optional>
#include <stdexcept>
#include <string>

#include "hrana/json_writer.h"
#include "server/router.h"
#include "sql/dump.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr auto kWriteTimeout = std::chrono::seconds(60);

// The producer's last message: the dump is complete, or failed (its text the reason).
const boost::system::error_code kDumpComplete = asio::error::eof;
const boost::system::error_code kDumpFailed = asio::error::fault;

}  // namespace

// The blocking thread waits on a condition variable, never on the network side, so
// closing a transfer frees it even when the io_context no longer runs.
class DumpRoute::Transfer : public std::enable_shared_from_this<DumpRoute::Transfer> {
 public:
  struct Message {
    boost::system::error_code status;  // none: a chunk; kDumpComplete; kDumpFailed
    std::string data;                  // the chunk, or why the dump failed
  };

  explicit Transfer(asio::any_io_executor executor)
      : executor_(executor), ready_(std::move(executor)) {}

  // From the blocking thread: waits until the previous message was taken; throws once
  // the transfer is closed (the client left, or the server stops).
  void send(boost::system::error_code status, std::string data) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return !slot_ || closed_; });
    if (closed_) throw std::runtime_error("the dump's client is gone");
    slot_ = Message{status, std::move(data)};
    lock.unlock();
    wake_receiver();
  }

  // From the network coroutine, on `executor`. A closed transfer answers kClosed.
  asio::awaitable<Message> receive() {
    while (true) {
      {
        const std::lock_guard lock(mutex_);
        if (slot_) {
          Message message = std::move(*slot_);
          slot_.reset();
          room_.notify_one();
          co_return message;
        }
        if (closed_) co_return Message{asio::error::operation_aborted, {}};
      }
      // The timer is only touched on `executor`: the sender posts its cancel there, so
      // it cannot slip in between the check above and this wait.
      ready_.expires_at(asio::steady_timer::time_point::max());
      co_await ready_.async_wait(kAwait);
    }
  }

  void close() {
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
    }
    room_.notify_all();
    wake_receiver();
  }

 private:
  void wake_receiver() {
    asio::post(executor_, [self = shared_from_this()] { self->ready_.cancel(); });
  }

  asio::any_io_executor executor_;
  asio::steady_timer ready_;
  std::mutex mutex_;
  std::condition_variable room_;
  std::optional<Message> slot_;
  bool closed_ = false;
};

StreamingRoute DumpRoute::route() {
  return {
      [](const HttpRequest& request) {
        return request.method() == http::verb::get && target_path(request.target()) == "/dump";
      },
      [this](beast::tcp_stream& stream, HttpRequest& request) { return serve(stream, request); }};
}

void DumpRoute::stop() {
  const std::lock_guard lock(mutex_);
  stopping_ = true;
  for (const auto& weak : transfers_) {
    if (auto transfer = weak.lock()) transfer->close();
  }
  transfers_.clear();
}

asio::awaitable<bool> DumpRoute::serve(beast::tcp_stream& stream, HttpRequest& request) {
  const auto write_whole = [&](HttpResponse response) -> asio::awaitable<bool> {
    response.version(request.version());
    response.set(http::field::access_control_allow_origin, "*");
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    stream.expires_after(kWriteTimeout);
    auto [ec, bytes] = co_await http::async_write(stream, response, kAwait);
    co_return !ec;
  };

  auto gate = gate_.admit(request);
  if (auto* refused = std::get_if<HttpResponse>(&gate))
    co_return co_await write_whole(std::move(*refused));
  const RequestGate::Admitted admitted = std::get<RequestGate::Admitted>(gate);
  RequestRecord record(admitted.ns->metrics(), RequestKind::kDump);

  auto transfer = std::make_shared<Transfer>(stream.get_executor());
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) co_return false;
    std::erase_if(transfers_, [](const auto& weak) { return weak.expired(); });
    transfers_.push_back(transfer);
  }
  const bool preserve_rowids =
      request.target().find("preserve_row_ids=true") != beast::string_view::npos;
  asio::post(blocking_, [transfer, ns = admitted.ns, preserve_rowids] {
    boost::system::error_code status = kDumpComplete;
    std::string reason;
    try {
      engine::PooledConnection connection(ns->pool());
      sql::write_dump(
          connection.get(), [&](std::string_view chunk) { transfer->send({}, std::string(chunk)); },
          {.rowids = preserve_rowids ? sql::RowidPolicy::kAlways : sql::RowidPolicy::kWhenNeeded});
    } catch (const std::exception& e) {
      status = kDumpFailed;
      reason = ns->deleted() ? NamespaceError::not_found(ns->name()).what() : e.what();
    }
    try {
      transfer->send(status, std::move(reason));
    } catch (const std::exception&) {
      // Closed: nobody is left to tell.
    }
  });

  // sqld sends the dump without a content type; it is a SQL script, which is text.
  http::response<http::empty_body> header(http::status::ok, request.version());
  header.set(http::field::content_type, "text/plain; charset=utf-8");
  header.set(http::field::access_control_allow_origin, "*");
  header.keep_alive(request.keep_alive());
  header.chunked(true);
  http::response_serializer<http::empty_body> serializer(header);
  bool started = false;
  while (true) {
    auto [status, chunk] = co_await transfer->receive();
    if (status == kDumpFailed && !started) {
      transfer->close();
      record.fail();
      const bool gone = admitted.ns->deleted();
      HttpResponse failed(gone ? http::status::not_found : http::status::internal_server_error,
                          request.version());
      failed.set(http::field::content_type, "application/json");
      failed.body() = hrana::json::error_body(gone ? chunk : "Internal Error: `" + chunk + "`");
      co_return co_await write_whole(std::move(failed));
    }
    if (status && status != kDumpComplete) {
      // Failed mid-body, or closed by stop(): end the connection without the last chunk.
      transfer->close();
      record.fail();
      co_return false;
    }
    stream.expires_after(kWriteTimeout);
    if (!started) {
      auto [ec, bytes] = co_await http::async_write_header(stream, serializer, kAwait);
      if (ec) break;
      started = true;
    }
    if (status == kDumpComplete) {
      transfer->close();
      auto [ec, bytes] = co_await asio::async_write(stream, http::make_chunk_last(), kAwait);
      co_return !ec;
    }
    auto [ec, bytes] =
        co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk)), kAwait);
    if (ec) break;
  }
  // The client stopped reading: closing the transfer makes the producer's next send
  // throw, which ends the dump and its read transaction.
  transfer->close();
  record.fail();
  co_return false;
}

}  // namespace libsql::server
