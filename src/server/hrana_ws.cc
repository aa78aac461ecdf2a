// hrana_ws.cc: WebSocket connections carrying Hrana (Beast).

#include "server/hrana_ws.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "hrana/ws_session.h"
#include "server/admission.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// The largest message read (tungstenite's default, which sqld uses).
constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;
constexpr std::size_t kReadChunkBytes = 1024 * 1024;
// Reading pauses past these, until responses catch up.
constexpr std::size_t kMaxPendingRequests = 128;
constexpr std::size_t kMaxQueuedBytes = 64 * 1024 * 1024;

using WebSocket = websocket::stream<beast::tcp_stream>;

// A close frame's reason holds at most 123 bytes; cut on a UTF-8 character boundary.
websocket::close_reason close_reason(websocket::close_code code, std::string_view reason) {
  constexpr std::size_t kMaxReason = 123;
  if (reason.size() > kMaxReason) {
    std::size_t end = kMaxReason;
    while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
    reason = reason.substr(0, end);
  }
  return websocket::close_reason(code, reason);
}

class WsConnection final : public hrana::WsHost, public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(WebSocket ws, asio::thread_pool& blocking, const RequestGate& gate,
               std::shared_ptr<Namespace> ns, hrana::WsSubprotocol subprotocol,
               hrana::json::ResponseBudget budget)
      : ws_(std::move(ws)),
        blocking_(blocking),
        gate_(gate),
        ns_(std::move(ns)),
        wake_writer_(ws_.get_executor()),
        resume_reader_(ws_.get_executor()),
        session_(ns_->pool(), subprotocol, budget, *this) {}

  asio::awaitable<void> run() {
    asio::co_spawn(ws_.get_executor(), write_loop(shared_from_this()), asio::detached);
    co_await read_loop();
    session_.disconnect();
    reader_done_ = true;
    wake_writer_.cancel();
  }

  void send(std::string message) override {
    if (close_ || reader_done_) return;
    queued_bytes_ += message.size();
    outgoing_.push_back(std::move(message));
    wake_writer_.cancel();
  }

  void run_blocking(std::function<void()> work, std::function<void()> then) override {
    asio::post(blocking_, [self = shared_from_this(), work = std::move(work),
                           then = std::move(then)]() mutable {
      work();
      asio::post(self->ws_.get_executor(), [self, then = std::move(then)] {
        then();
        self->resume_reader_if_caught_up();
      });
    });
  }

  void admit(std::function<void(std::optional<engine::ConnectionPool::Ticket>)> granted) override {
    asio::co_spawn(
        ws_.get_executor(),
        [self = shared_from_this(), granted = std::move(granted)]() -> asio::awaitable<void> {
          granted(co_await server::admit(self->ns_->pool()));
        },
        asio::detached);
  }

  std::variant<std::shared_ptr<const hrana::AccessPolicy>, hrana::Error> authenticate(
      const std::optional<std::string>& jwt) override {
    return gate_.admit_hello(ns_, jwt);
  }

  void fail(std::exception_ptr error) override {
    ns_->metrics()->request_errors(RequestKind::kWebSocket).increment();
    try {
      std::rethrow_exception(error);
    } catch (const hrana::ProtocolError& e) {
      const bool undecodable = e.kind() == hrana::ProtocolError::Kind::kDecode;
      close(undecodable ? websocket::close_code::bad_payload : websocket::close_code::policy_error,
            e.what());
    } catch (const hrana::AccessDenied& e) {
      // sqld drops the TCP connection here; a close that says why is kinder.
      close(websocket::close_code::policy_error, e.what());
    } catch (const std::exception&) {
      close(websocket::close_code::internal_error, "Internal server error");
    }
  }

 private:
  // Ends the connection: what is already queued (e.g. a hello_error, answers to requests
  // before the one that broke the protocol) still goes out, then the close frame;
  // nothing is queued after it.
  void close(websocket::close_code code, std::string_view reason) {
    if (close_) return;
    close_ = close_reason(code, reason);
    wake_writer_.cancel();
    resume_reader_.cancel();
  }

  bool reader_must_wait() const {
    return !close_ &&
           (session_.pending() >= kMaxPendingRequests || queued_bytes_ >= kMaxQueuedBytes);
  }

  void resume_reader_if_caught_up() {
    if (reader_paused_ && !reader_must_wait()) resume_reader_.cancel();
  }

  asio::awaitable<void> read_loop() {
    beast::flat_buffer buffer;
    while (true) {
      while (reader_must_wait()) {
        reader_paused_ = true;
        resume_reader_.expires_at(asio::steady_timer::time_point::max());
        co_await resume_reader_.async_wait(kAwait);
        reader_paused_ = false;
      }
      if (!co_await read_message(buffer)) co_return;  // the client left, or acknowledged our close
      if (close_) continue;  // reading on only to complete the closing handshake
      if (ws_.got_binary() != session_.binary()) {
        close(websocket::close_code::unknown_data,
              ws_.got_binary()
                  ? "Received a binary WebSocket message, which is not supported in this encoding"
                  : "Received a text WebSocket message, which is not supported in this encoding");
        continue;
      }
      const auto data = buffer.cdata();
      try {
        ns_->metrics()->requests(RequestKind::kWebSocket).increment();
        session_.receive(std::string_view(static_cast<const char*>(data.data()), data.size()));
      } catch (...) {
        fail(std::current_exception());
      }
    }
  }

  // Reads one message into `buffer`; false when the connection is done. A message over
  // the limit is discarded as it arrives and answered with close 1009. (Beast's own limit
  // closes the socket with the rest of the message unread, so the kernel resets the
  // connection and the client never sees the close frame.)
  asio::awaitable<bool> read_message(beast::flat_buffer& buffer) {
    buffer.clear();
    bool too_big = false;
    do {
      auto [ec, bytes] = co_await ws_.async_read_some(buffer, kReadChunkBytes, kAwait);
      if (ec) co_return false;
      if (too_big || buffer.size() > kMaxMessageBytes) {
        if (!too_big) close(websocket::close_code::too_big, "Message is larger than 64 MiB");
        too_big = true;
        buffer.clear();
      }
    } while (!ws_.is_message_done());
    co_return true;
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<WsConnection> self) {
    WsConnection& c = *self;
    while (true) {
      if (c.close_ && c.outgoing_.empty()) {
        co_await c.ws_.async_close(*c.close_, kAwait);
        co_return;
      }
      if (c.reader_done_) co_return;
      if (c.outgoing_.empty()) {
        c.wake_writer_.expires_at(asio::steady_timer::time_point::max());
        co_await c.wake_writer_.async_wait(kAwait);
        continue;
      }
      const std::string message = std::move(c.outgoing_.front());
      c.outgoing_.pop_front();
      c.ws_.binary(c.session_.binary());
      auto [ec, bytes] = co_await c.ws_.async_write(asio::buffer(message), kAwait);
      if (ec) co_return;
      c.queued_bytes_ -= std::min(c.queued_bytes_, message.size());
      c.resume_reader_if_caught_up();
    }
  }

  WebSocket ws_;
  asio::thread_pool& blocking_;
  const RequestGate& gate_;
  std::shared_ptr<Namespace> ns_;     // declared before session_: its pool outlives the streams
  asio::steady_timer wake_writer_;    // cancelled when there is something to write
  asio::steady_timer resume_reader_;  // cancelled when reading may go on
  hrana::WsSession session_;
  std::deque<std::string> outgoing_;
  std::size_t queued_bytes_ = 0;
  std::optional<websocket::close_reason> close_;
  bool reader_paused_ = false;
  bool reader_done_ = false;
};

asio::awaitable<void> refuse(beast::tcp_stream& stream, const HttpRequest& request) {
  HttpResponse response(http::status::bad_request, request.version());
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = hrana::kUnsupportedSubprotocols;
  response.keep_alive(false);
  response.prepare_payload();
  stream.expires_after(std::chrono::seconds(30));
  co_await http::async_write(stream, response, kAwait);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> HranaWs::accept(beast::tcp_stream stream, HttpRequest request) {
  std::optional<std::string_view> offered;
  if (const auto found = request.find(http::field::sec_websocket_protocol);
      found != request.end()) {
    offered = std::string_view(found->value().data(), found->value().size());
  }
  const auto subprotocol = hrana::negotiate_subprotocol(offered);
  if (!subprotocol) {
    co_await refuse(stream, request);
    co_return;
  }

  auto chosen = gate_.namespace_of(request);
  if (auto* refused = std::get_if<HttpResponse>(&chosen)) {
    refused->keep_alive(false);
    refused->prepare_payload();
    stream.expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, *refused, kAwait);
    co_return;
  }

  WebSocket ws(std::move(stream));
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.set_option(websocket::stream_base::decorator(
      [name = offered ? hrana::subprotocol_name(*subprotocol)
                      : std::string_view()](websocket::response_type& r) {
        r.set(http::field::server, "sqld-hrana-upgrade");
        if (!name.empty()) r.set(http::field::sec_websocket_protocol, name);
      }));
  ws.read_message_max(0);  // no limit in Beast: read_message enforces ours
  auto [ec] = co_await ws.async_accept(request, kAwait);
  if (ec) co_return;

  auto connection = std::make_shared<WsConnection>(
      std::move(ws), blocking_, gate_, std::move(std::get<std::shared_ptr<Namespace>>(chosen)),
      *subprotocol, budget_);
  const GaugeGuard open(open_sockets_);
  co_await connection->run();
}

}  // namespace libsql::server
