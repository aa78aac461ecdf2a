// http_listener.cc: the accept loop and one coroutine per HTTP connection (Beast).

#include "server/http_listener.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "server/compression.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// A connection idle this long between requests is closed (also bounds slow senders).
constexpr auto kIdleTimeout = std::chrono::seconds(300);
// A response the client does not read within this time is abandoned.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
// After refusing a request whose body is still coming, read (and drop) the rest for
// this long, so the client gets to read the refusal instead of a connection reset.
constexpr auto kLingerTimeout = std::chrono::seconds(10);

HttpResponse plain_response(http::status status, std::string body) {
  HttpResponse response(status, 11);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::move(body);
  return response;
}

// The answer to a request that could not even be parsed; nullopt means just close.
std::optional<HttpResponse> response_to_read_error(const beast::error_code& ec) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;  // the client closed, between or in the middle of requests
  }
  if (ec == http::error::body_limit) {
    return plain_response(http::status::payload_too_large, "request body is too large\n");
  }
  if (ec == http::error::header_limit) {
    return plain_response(http::status::request_header_fields_too_large,
                          "request headers are too large\n");
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return plain_response(http::status::bad_request,
                          "malformed HTTP request: " + ec.message() + "\n");
  }
  return std::nullopt;  // a socket error or a timeout
}

void compress_if_accepted(const HttpRequest& request, HttpResponse& response,
                          const HttpLimits& limits) {
  if (limits.gzip_min_bytes == 0 || response.body().size() < limits.gzip_min_bytes) return;
  if (response.count(http::field::content_encoding) != 0) return;
  if (!accepts_gzip(request[http::field::accept_encoding])) return;
  response.body() = gzip(response.body());
  response.set(http::field::content_encoding, "gzip");
}

// Closes our side, then reads what the client still sends until it closes too (or the
// linger time ends): closing with unread input makes the kernel reset the connection,
// and the client would lose the answer it has not read yet.
asio::awaitable<void> linger(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream.expires_after(kLingerTimeout);
  char sink[64 * 1024];
  while (true) {
    auto [read_ec, bytes] = co_await stream.async_read_some(asio::buffer(sink), kAwait);
    if (read_ec) co_return;
  }
}

}  // namespace

// Completes when the client hangs up (or the connection breaks) while its request
// runs, not when it merely sends its next request early. Cancelled when the request
// completes first. The peek never blocks: a readiness report can be stale (the reactor
// is edge-triggered), and a blocking peek would then hold a network thread until the
// client sends again.
asio::awaitable<void> client_gone(tcp::socket& socket) {
  while (true) {
    auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, kAwait);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) co_return;  // broken connection: gone
    char next;
    const ssize_t bytes = ::recv(socket.native_handle(), &next, 1, MSG_PEEK | MSG_DONTWAIT);
    if (bytes == 0) co_return;  // orderly hang-up
    if (bytes < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (bytes < 0) co_return;  // reset and the like: gone
    // Pipelined input, not a hang-up: wait for the request to complete.
    asio::steady_timer never(socket.get_executor(), asio::steady_timer::time_point::max());
    co_await never.async_wait(kAwait);
    co_return;
  }
}

struct HttpListener::State {
  State(asio::io_context& context, HttpHandler h, UpgradeHandler u, HttpLimits l)
      : io(context), acceptor(context), handler(std::move(h)), upgrade(std::move(u)), limits(l) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  HttpHandler handler;
  UpgradeHandler upgrade;
  HttpLimits limits;
  std::vector<StreamingRoute> streaming;
  Gauge* connections = nullptr;
};

namespace {

asio::awaitable<void> serve_connection(std::shared_ptr<HttpListener::State> state,
                                       tcp::socket socket);

asio::awaitable<void> accept_loop(std::shared_ptr<HttpListener::State> state) {
  while (state->acceptor.is_open()) {
    // Each connection on its own strand: its handlers, and a WebSocket session's state,
    // are then never touched by two network threads at once.
    auto [ec, socket] = co_await state->acceptor.async_accept(asio::make_strand(state->io), kAwait);
    if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(state->io, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwait);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_connection(state, tcp::socket(std::move(socket))),
                   asio::detached);
  }
}

asio::awaitable<void> serve_connection(std::shared_ptr<HttpListener::State> state,
                                       tcp::socket socket) {
  const GaugeGuard open = state->connections ? GaugeGuard(*state->connections) : GaugeGuard();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(state->limits.max_body_bytes);
    stream.expires_after(kIdleTimeout);
    auto [read_ec, read_bytes] = co_await http::async_read(stream, buffer, parser, kAwait);
    HttpResponse response;
    bool keep_alive = false;
    bool unread_input = false;
    if (read_ec) {
      auto error_response = response_to_read_error(read_ec);
      if (!error_response) break;
      response = std::move(*error_response);
      unread_input = true;
    } else {
      HttpRequest request = parser.release();
      if (state->upgrade && beast::websocket::is_upgrade(request)) {
        stream.expires_never();
        co_await state->upgrade(std::move(stream), std::move(request));
        co_return;
      }
      keep_alive = request.keep_alive();
      stream.expires_never();  // handlers may take their time; they bound themselves
      const StreamingRoute* route = nullptr;
      for (const StreamingRoute& candidate : state->streaming) {
        if (candidate.matches(request)) {
          route = &candidate;
          break;
        }
      }
      if (route != nullptr) {
        bool reusable = false;
        try {
          reusable = co_await route->serve(stream, request);
        } catch (const std::exception&) {
          reusable = false;  // mid-body: the only way left to say it failed is to hang up
        }
        if (reusable && keep_alive) continue;
        break;
      }
      try {
        // A client that hangs up cancels its request (blocking work is interrupted).
        using namespace asio::experimental::awaitable_operators;
        auto handling = state->handler(request);
        auto watching = client_gone(stream.socket());
        auto outcome = co_await (std::move(handling) || std::move(watching));
        if (outcome.index() != 0) break;
        response = std::move(std::get<0>(outcome));
      } catch (const std::exception& e) {
        response = plain_response(http::status::internal_server_error,
                                  std::string("internal error: ") + e.what() + "\n");
      }
      response.version(request.version());
      compress_if_accepted(request, response, state->limits);
    }
    response.keep_alive(keep_alive);
    response.prepare_payload();
    stream.expires_after(kWriteTimeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kAwait);
    if (!write_ec && unread_input) {
      co_await linger(stream);
      co_return;
    }
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

HttpListener::HttpListener(asio::io_context& io, const ListenAddress& address, HttpHandler handler,
                           UpgradeHandler upgrade, HttpLimits limits)
    : state_(std::make_shared<State>(io, std::move(handler), std::move(upgrade), limits)) {
  const auto fail = [&](const beast::error_code& ec) {
    throw std::system_error(ec, "cannot listen on " + address.to_string());
  };
  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints =
      resolver.resolve(address.host, std::to_string(address.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) fail(ec);
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail(ec);
  // Lets a restarted server bind while the old one's connections sit in TIME_WAIT.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) fail(ec);
  acceptor.bind(endpoint, ec);
  if (ec) fail(ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail(ec);
}

HttpListener::~HttpListener() { stop(); }

void HttpListener::add_streaming_route(StreamingRoute route) {
  state_->streaming.push_back(std::move(route));
}

void HttpListener::set_connection_gauge(Gauge& gauge) { state_->connections = &gauge; }

void HttpListener::start() { asio::co_spawn(state_->io, accept_loop(state_), asio::detached); }

void HttpListener::stop() {
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
  });
}

std::uint16_t HttpListener::port() const { return state_->acceptor.local_endpoint().port(); }

}  // namespace libsql::server
