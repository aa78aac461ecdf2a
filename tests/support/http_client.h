// http_client.h: a blocking HTTP/1.1 client for tests, on loopback only.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace libsql::testing {

using HttpReply = boost::beast::http::response<boost::beast::http::string_body>;

// One connection to 127.0.0.1:port; requests on it use keep-alive.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(std::chrono::seconds(10));
    stream_.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  HttpReply request(boost::beast::http::verb method, std::string_view target, std::string body = {},
                    std::string_view content_type = "application/json") {
    namespace http = boost::beast::http;
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(10));
    http::write(stream_, req);
    return read_reply();
  }

  HttpReply get(std::string_view target) { return request(boost::beast::http::verb::get, target); }

  // Sends raw bytes (for malformed requests) and reads one reply.
  HttpReply send_raw(std::string_view bytes) {
    stream_.expires_after(std::chrono::seconds(10));
    boost::asio::write(stream_, boost::asio::buffer(bytes.data(), bytes.size()));
    return read_reply();
  }

  // True once the server has closed the connection (reads EOF within the timeout).
  bool closed_by_server() {
    char byte;
    boost::beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(10));
    stream_.socket().read_some(boost::asio::buffer(&byte, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  HttpReply read_reply() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 32);
    http::read(stream_, buffer_, parser);
    return parser.release();
  }

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace libsql::testing
