// grpc_reply.cc: implements grpc_reply.h.

#include "server/grpc_reply.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdio>

namespace libsql::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace grpc_web = replication::grpc_web;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// A client that reads nothing for this long is dropped.
constexpr auto kWriteTimeout = std::chrono::seconds(60);

// The headers of every answer to a call. sqld's CORS layer lets any origin read the
// status, as a browser's gRPC-Web client would need.
template <class Fields>
void set_grpc_headers(Fields& fields) {
  fields.set(http::field::content_type, grpc_web::kResponseContentType);
  fields.set(http::field::access_control_allow_origin, "*");
  fields.set(http::field::access_control_expose_headers,
             "grpc-status,grpc-message,grpc-status-details-bin");
}

}  // namespace

HttpResponse grpc_response(const HttpRequest& request) {
  HttpResponse response(http::status::ok, request.version());
  set_grpc_headers(response);
  response.keep_alive(request.keep_alive());
  return response;
}

HttpResponse grpc_status_only(const HttpRequest& request, const grpc_web::Status& status) {
  HttpResponse response = grpc_response(request);
  response.set("grpc-status", std::to_string(static_cast<int>(status.code)));
  if (!status.message.empty())
    response.set("grpc-message", grpc_web::percent_encode(status.message));
  return response;
}

HttpResponse grpc_unary_reply(const HttpRequest& request,
                              const google::protobuf::MessageLite& message) {
  HttpResponse response = grpc_response(request);
  grpc_web::append_message(response.body(), message.SerializeAsString());
  grpc_web::append_trailers(response.body(), {});
  return response;
}

asio::awaitable<bool> write_response(beast::tcp_stream& stream, HttpResponse response) {
  response.prepare_payload();
  stream.expires_after(kWriteTimeout);
  auto [ec, bytes] = co_await http::async_write(stream, response, kAwait);
  co_return !ec && response.keep_alive();
}

ChunkedGrpcReply::ChunkedGrpcReply(beast::tcp_stream& stream, const HttpRequest& request)
    : stream_(stream), head_(http::status::ok, request.version()), serializer_(head_) {
  set_grpc_headers(head_);
  head_.keep_alive(request.keep_alive());
  head_.chunked(true);
}

asio::awaitable<bool> ChunkedGrpcReply::start() {
  stream_.expires_after(kWriteTimeout);
  auto [ec, bytes] = co_await http::async_write_header(stream_, serializer_, kAwait);
  co_return !ec;
}

asio::awaitable<bool> ChunkedGrpcReply::chunk(std::string_view bytes) {
  if (bytes.empty()) co_return true;
  stream_.expires_after(kWriteTimeout);
  auto [ec, written] =
      co_await asio::async_write(stream_, http::make_chunk(asio::buffer(bytes)), kAwait);
  co_return !ec;
}

asio::awaitable<bool> ChunkedGrpcReply::raw(std::string_view bytes) {
  stream_.expires_after(kWriteTimeout);
  auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(bytes), kAwait);
  co_return !ec;
}

asio::awaitable<bool> ChunkedGrpcReply::finish() {
  stream_.expires_after(kWriteTimeout);
  auto [ec, written] = co_await asio::async_write(stream_, http::make_chunk_last(), kAwait);
  co_return !ec && head_.keep_alive();
}

std::string ChunkedGrpcReply::open_chunk(std::uint64_t size) {
  char line[24];
  const int length =
      std::snprintf(line, sizeof line, "%llx\r\n", static_cast<unsigned long long>(size));
  return std::string(line, static_cast<std::size_t>(length));
}

}  // namespace libsql::server
