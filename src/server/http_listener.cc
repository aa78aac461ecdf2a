// http_listener.cc: the accept loop and one coroutine per HTTP connection (Beast).

#include "server/http_listener.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <system_error>

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

}  // namespace

struct HttpListener::State {
  State(asio::io_context& context, HttpHandler h, HttpLimits l)
      : io(context), acceptor(context), handler(std::move(h)), limits(l) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  HttpHandler handler;
  HttpLimits limits;
};

namespace {

asio::awaitable<void> serve_connection(std::shared_ptr<HttpListener::State> state,
                                       tcp::socket socket);

asio::awaitable<void> accept_loop(std::shared_ptr<HttpListener::State> state) {
  while (state->acceptor.is_open()) {
    auto [ec, socket] = co_await state->acceptor.async_accept(kAwait);
    if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(state->io, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwait);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(state->io, serve_connection(state, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> serve_connection(std::shared_ptr<HttpListener::State> state,
                                       tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(state->limits.max_body_bytes);
    stream.expires_after(kIdleTimeout);
    auto [read_ec, read_bytes] = co_await http::async_read(stream, buffer, parser, kAwait);
    HttpResponse response;
    bool keep_alive = false;
    if (read_ec) {
      auto error_response = response_to_read_error(read_ec);
      if (!error_response) break;
      response = std::move(*error_response);
    } else {
      HttpRequest request = parser.release();
      keep_alive = request.keep_alive();
      stream.expires_never();  // handlers may take their time; they bound themselves
      try {
        response = co_await state->handler(request);
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
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

HttpListener::HttpListener(asio::io_context& io, const ListenAddress& address, HttpHandler handler,
                           HttpLimits limits)
    : state_(std::make_shared<State>(io, std::move(handler), limits)) {
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

void HttpListener::start() { asio::co_spawn(state_->io, accept_loop(state_), asio::detached); }

void HttpListener::stop() {
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
  });
}

std::uint16_t HttpListener::port() const { return state_->acceptor.local_endpoint().port(); }

}  // namespace libsql::server
