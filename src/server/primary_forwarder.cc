// primary_forwarder.cc: implements primary_forwarder.h.

#include "server/primary_forwarder.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <chrono>
#include <stdexcept>
#include <system_error>

namespace libsql::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A primary that takes longer than this to answer one request is treated as gone.
constexpr auto kRequestTimeout = std::chrono::seconds(60);
// Idle connections kept for reuse.
constexpr std::size_t kMaxIdle = 16;
// Largest answer accepted: a snapshot of a large database passes through here.
constexpr std::uint64_t kMaxResponseBytes = 4ull << 30;

}  // namespace

PrimaryForwarder::PrimaryForwarder(asio::io_context& io, const std::string& url) : io_(io) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    throw std::invalid_argument("the primary's URL must start with http://, not \"" + url + "\"");
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  rest = rest.substr(0, rest.find('/'));
  const std::size_t colon = rest.rfind(':');
  if (rest.empty() || colon == std::string_view::npos || colon + 1 == rest.size()) {
    throw std::invalid_argument("the primary's URL needs a host and a port: \"" + url + "\"");
  }
  host_ = std::string(rest.substr(0, colon));
  port_ = std::string(rest.substr(colon + 1));
  if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']') {
    host_ = host_.substr(1, host_.size() - 2);
  }
}

asio::awaitable<std::unique_ptr<beast::tcp_stream>> PrimaryForwarder::take_connection(bool fresh) {
  if (!fresh) {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      co_return connection;
    }
  }
  asio::ip::tcp::resolver resolver(io_);
  const auto endpoints = co_await resolver.async_resolve(host_, port_, asio::use_awaitable);
  auto connection = std::make_unique<beast::tcp_stream>(io_);
  connection->expires_after(kRequestTimeout);
  co_await connection->async_connect(endpoints, asio::use_awaitable);
  connection->socket().set_option(asio::ip::tcp::no_delay(true));
  co_return connection;
}

void PrimaryForwarder::give_back(std::unique_ptr<beast::tcp_stream> connection) {
  const std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

asio::awaitable<HttpResponse> PrimaryForwarder::forward(const HttpRequest& request) {
  HttpRequest outgoing = request;
  outgoing.set(http::field::host, host_ + ":" + port_);
  outgoing.keep_alive(true);
  outgoing.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    // A reused connection may have been closed by the primary while idle; only a new
    // one's failure is the primary's answer.
    const bool fresh = attempt > 0;
    auto connection = co_await take_connection(fresh);
    connection->expires_after(kRequestTimeout);
    try {
      co_await http::async_write(*connection, outgoing, asio::use_awaitable);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxResponseBytes);
      co_await http::async_read(*connection, buffer, parser, asio::use_awaitable);
      HttpResponse response = parser.release();
      if (response.keep_alive()) give_back(std::move(connection));
      co_return response;
    } catch (const std::system_error&) {
      if (fresh) throw;
    }
  }
}

namespace {

// Copies `from` to `to` until `from` ends; then ends `to`'s sending side.
asio::awaitable<void> pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [read_error, n] =
        co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      auto [write_error, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                                               asio::as_tuple(asio::use_awaitable));
      if (write_error) break;
    }
    if (read_error) break;
  }
  boost::system::error_code ignored;
  to.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> PrimaryForwarder::tunnel(beast::tcp_stream client, HttpRequest upgrade) {
  using namespace asio::experimental::awaitable_operators;
  std::unique_ptr<beast::tcp_stream> primary;
  try {
    primary = co_await take_connection(/*fresh=*/true);
    upgrade.set(http::field::host, host_ + ":" + port_);
    primary->expires_never();
    co_await http::async_write(*primary, upgrade, asio::use_awaitable);
  } catch (const std::exception&) {
    primary.reset();
  }
  if (!primary) {
    HttpResponse refused(http::status::bad_gateway, upgrade.version());
    refused.keep_alive(false);
    refused.prepare_payload();
    client.expires_after(std::chrono::seconds(10));
    co_await http::async_write(client, refused, asio::as_tuple(asio::use_awaitable));
    co_return;
  }
  client.expires_never();
  asio::ip::tcp::socket& near = client.socket();
  asio::ip::tcp::socket& far = primary->socket();
  // Both directions until both end (one side closing ends the other's writes).
  co_await (pump(near, far) && pump(far, near));
}

}  // namespace libsql::server
