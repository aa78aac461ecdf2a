// grpc_reply.h: how a gRPC-Web answer goes out over HTTP/1.1: its headers (with sqld's
// CORS exposure of the status), a whole reply, the status alone ("trailers-only"), or a
// chunked body written as its pieces come.
//
// Must not: know the services, their messages or their statuses (grpc_route.cc does).
#pragma once

#include <google/protobuf/message_lite.h>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "replication/grpc_web.h"
#include "server/http_listener.h"

namespace libsql::server {

// An empty 200 answer with the gRPC-Web headers, keep-alive as the request asks.
HttpResponse grpc_response(const HttpRequest& request);
// A call that ends before any message: the status in the headers, no body (gRPC's
// "trailers-only"); tonic's client reads grpc-status there first.
HttpResponse grpc_status_only(const HttpRequest& request,
                              const replication::grpc_web::Status& status);
// One message, then the OK trailers.
HttpResponse grpc_unary_reply(const HttpRequest& request,
                              const google::protobuf::MessageLite& message);

// Writes `response` whole (its Content-Length set here); whether the connection may serve
// another request.
boost::asio::awaitable<bool> write_response(boost::beast::tcp_stream& stream,
                                            HttpResponse response);

// A gRPC-Web reply written as HTTP/1.1 chunks as its pieces come: start(), then chunk(),
// or a chunk framed by the caller (open_chunk() and close_chunk() around its bytes) written
// with raw(), then finish(). Each returns false once a write failed: the connection is
// then to be dropped. Used by one coroutine at a time.
class ChunkedGrpcReply {
 public:
  ChunkedGrpcReply(boost::beast::tcp_stream& stream, const HttpRequest& request);

  // The headers.
  boost::asio::awaitable<bool> start();
  // One whole chunk; nothing for no bytes (an empty chunk would end the body).
  boost::asio::awaitable<bool> chunk(std::string_view bytes);
  // Bytes already in chunk framing.
  boost::asio::awaitable<bool> raw(std::string_view bytes);
  // The last chunk; whether the connection may serve another request.
  boost::asio::awaitable<bool> finish();

  // The line that opens a chunk of `size` bytes, and what closes it, for raw().
  static std::string open_chunk(std::uint64_t size);
  static constexpr std::string_view kCloseChunk = "\r\n";

 private:
  boost::beast::tcp_stream& stream_;
  boost::beast::http::response<boost::beast::http::empty_body> head_;
  boost::beast::http::response_serializer<boost::beast::http::empty_body> serializer_;
};

}  // namespace libsql::server
