// http_listener.h: accepts HTTP/1.1 connections on one address and hands each request
// to a handler coroutine, with keep-alive.
//
// Runs on the caller's Asio io_context (the network threads). It knows nothing of
// Hrana or databases: handlers must not block, and move blocking work (SQLite, fsync)
// to a worker pool before co_awaiting its result.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <functional>
#include <memory>

#include "server/config.h"
#include "server/metrics.h"

namespace libsql::server {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest&)>;
// Takes over a connection whose request asks for a WebSocket upgrade: it answers the
// handshake (or refuses it) and owns the connection from then on.
using UpgradeHandler =
    std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream, HttpRequest)>;

// A route that writes its own response on the connection, for bodies too large to hold
// (a streamed dump). `serve` returns whether the connection may take another request.
struct StreamingRoute {
  std::function<bool(const HttpRequest&)> matches;
  std::function<boost::asio::awaitable<bool>(boost::beast::tcp_stream&, HttpRequest&)> serve;
};

// Completes when the client of `socket` hangs up (or the connection breaks) while its
// request runs, not when it merely sends its next request early; never completes
// otherwise, so await it with `||` beside the work it should cancel. Never blocks: it
// only peeks at the socket.
boost::asio::awaitable<void> client_gone(boost::asio::ip::tcp::socket& socket);

struct HttpLimits {
  // Largest request body accepted; larger ones are answered 413.
  std::uint64_t max_body_bytes = 64 * 1024 * 1024;
  // gzip response bodies of at least this size when the client accepts gzip; 0 turns
  // compression off. sqld starts at 32 bytes, but below 1 KiB gzip saves little and
  // costs both ends more time than it saves (bench/README.md).
  std::size_t gzip_min_bytes = 1024;
};

class HttpListener {
 public:
  // Binds and listens now, so a taken port fails here with a clear message
  // (std::system_error naming the address).
  // Without an `upgrade` handler, upgrade requests go to `handler` like any other.
  HttpListener(boost::asio::io_context& io, const ListenAddress& address, HttpHandler handler,
               UpgradeHandler upgrade = nullptr, HttpLimits limits = {});
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Requests `route` matches are answered by it instead of the handler; routes are
  // asked in the order they were added. Before start().
  void add_streaming_route(StreamingRoute route);
  // Counts this listener's open connections (upgraded ones included). Before start().
  void set_connection_gauge(Gauge& gauge);
  // Starts accepting connections. Call once.
  void start();
  // Stops accepting new connections. Thread-safe.
  void stop();

  // The bound port (differs from the requested one when that was 0).
  std::uint16_t port() const;

  struct State;  // shared with the connection coroutines; defined in the .cc

 private:
  std::shared_ptr<State> state_;
};

}  // namespace libsql::server
