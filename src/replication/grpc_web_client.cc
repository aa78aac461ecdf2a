// grpc_web_client.cc: implements grpc_web_client.h on Boost.Beast. Every network step
// is an asynchronous operation run to completion on the client's own io_context, so
// that cancel() (posted from another thread) and Beast's per-operation deadlines can
// end any of them.

#include "replication/grpc_web_client.h"

#include <google/protobuf/message_lite.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace libsql::replication {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using grpc_web::Status;
using grpc_web::StatusCode;

namespace {

// Bytes read from the socket per step of a streamed body.
constexpr std::size_t kBodyPieceSize = 64 * 1024;
// How much of a non-200 reply's body goes into the error message.
constexpr std::size_t kErrorBodySnippet = 512;

std::uint32_t load_be32(const char* in) noexcept {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

StatusCode parse_status_code(std::string_view text) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 16) {
    return StatusCode::kUnknown;
  }
  return static_cast<StatusCode>(value);
}

[[noreturn]] void throw_status(StatusCode code, std::string message) {
  throw GrpcError(Status{code, std::move(message)});
}

// Runs `context` until `done`: each network step is one asynchronous operation.
void run_until(asio::io_context& context, const bool& done) {
  context.restart();
  while (!done) {
    if (context.run_one() == 0) throw_status(StatusCode::kInternal, "grpc-web: lost an operation");
  }
}

}  // namespace

GrpcError::GrpcError(Status status)
    : std::runtime_error(std::string(grpc_web::to_string(status.code)) +
                         (status.message.empty() ? "" : ": " + status.message)),
      status_(std::move(status)) {}

bool GrpcWebResponseDecoder::feed(std::string_view bytes,
                                  const std::function<bool(std::string_view)>& on_message) {
  // Frames are parsed straight from `bytes` when whole; only a frame cut by the end of
  // a piece is copied into pending_, so a large stream is not copied twice.
  while (!bytes.empty()) {
    if (trailers_) {
      throw_status(StatusCode::kInternal, "grpc-web: bytes after the trailers frame");
    }
    std::string_view frame = bytes;
    if (!pending_.empty() || bytes.size() < grpc_web::kFrameHeaderSize) {
      // Complete the header first, then as much of the frame as this piece has.
      const std::size_t header_missing = pending_.size() < grpc_web::kFrameHeaderSize
                                             ? grpc_web::kFrameHeaderSize - pending_.size()
                                             : 0;
      const std::size_t take_header = std::min(header_missing, bytes.size());
      pending_.append(bytes.substr(0, take_header));
      bytes.remove_prefix(take_header);
      if (pending_.size() < grpc_web::kFrameHeaderSize) return true;
      const std::uint32_t length = load_be32(pending_.data() + 1);
      if (length > max_message_bytes_) {
        throw_status(StatusCode::kResourceExhausted,
                     "grpc-web: a message of " + std::to_string(length) +
                         " bytes is over the limit of " + std::to_string(max_message_bytes_));
      }
      const std::size_t want = grpc_web::kFrameHeaderSize + length - pending_.size();
      const std::size_t take = std::min(want, bytes.size());
      pending_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (take < want) return true;
      frame = pending_;
    } else {
      const std::uint32_t length = load_be32(bytes.data() + 1);
      if (length > max_message_bytes_) {
        throw_status(StatusCode::kResourceExhausted,
                     "grpc-web: a message of " + std::to_string(length) +
                         " bytes is over the limit of " + std::to_string(max_message_bytes_));
      }
      if (bytes.size() < grpc_web::kFrameHeaderSize + length) {
        pending_.assign(bytes);
        return true;
      }
      frame = bytes.substr(0, grpc_web::kFrameHeaderSize + length);
      bytes.remove_prefix(frame.size());
    }

    const auto flag = static_cast<std::uint8_t>(frame[0]);
    const std::string_view payload = frame.substr(grpc_web::kFrameHeaderSize);
    bool go_on = true;
    if (flag == grpc_web::kTrailersFlag) {
      trailers_ = parse_trailers(payload);
    } else if (flag == grpc_web::kMessageFlag) {
      go_on = on_message(payload);
    } else if (flag & grpc_web::kCompressedFlag) {
      throw_status(StatusCode::kInternal,
                   "grpc-web: the server sent a compressed message, which was not asked for");
    } else {
      throw_status(StatusCode::kInternal,
                   "grpc-web: unknown frame flag " + std::to_string(flag) + " in a reply");
    }
    if (frame.data() == pending_.data()) pending_.clear();
    if (!go_on) return false;
  }
  return true;
}

std::optional<Status> GrpcWebResponseDecoder::finish() const {
  if (!pending_.empty()) {
    throw_status(StatusCode::kInternal, "grpc-web: the reply ended inside a frame (" +
                                            std::to_string(pending_.size()) + " bytes of it)");
  }
  return trailers_;
}

Status parse_trailers(std::string_view text) {
  std::optional<StatusCode> code;
  std::string message;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "grpc-status")) {
      code = parse_status_code(value);
    } else if (iequals(name, "grpc-message")) {
      message = grpc_web::percent_decode(value);
    }
  }
  return Status{code.value_or(StatusCode::kOk), std::move(message)};
}

StatusCode status_code_for_http(unsigned http_status) noexcept {
  switch (http_status) {
    case 400:
      return StatusCode::kInternal;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kUnknown;
  }
}

std::string namespace_for_host(std::string_view host) {
  const std::size_t dot = host.find('.');
  if (dot == std::string_view::npos || host.starts_with('[')) return "default";
  return std::string(host.substr(0, dot));
}

std::string base64_no_pad(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (bytes.size() - i == 1) {
    const std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

struct GrpcWebClient::Io {
  asio::io_context context;
  asio::ip::tcp::resolver resolver{context};
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  // Whether the open connection already served a call: a failure on it before a reply
  // arrives is most likely the server having closed it while idle.
  bool reused = false;
  std::vector<char> piece = std::vector<char>(kBodyPieceSize);
};

GrpcWebClient::GrpcWebClient(GrpcWebClientOptions options)
    : options_(std::move(options)), io_(std::make_unique<Io>()) {
  std::string_view url = options_.url;
  constexpr std::string_view kHttp = "http://";
  if (url.size() >= 8 && iequals(url.substr(0, 8), "https://")) {
    throw std::invalid_argument("grpc-web client: https URLs are not supported yet: " +
                                options_.url);
  }
  if (url.size() < kHttp.size() || !iequals(url.substr(0, kHttp.size()), kHttp)) {
    throw std::invalid_argument("grpc-web client: the URL must start with http://: " +
                                options_.url);
  }
  url.remove_prefix(kHttp.size());
  // tonic keeps only the scheme and authority: any path is dropped.
  const std::string_view authority = url.substr(0, url.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    throw std::invalid_argument("grpc-web client: no usable host in " + options_.url);
  }
  std::string_view host = authority;
  std::string_view port = "80";
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      throw std::invalid_argument("grpc-web client: unclosed IPv6 address in " + options_.url);
    }
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        throw std::invalid_argument("grpc-web client: bad authority in " + options_.url);
      }
      port = rest.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  unsigned port_number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || port_number == 0 ||
      port_number > 65535) {
    throw std::invalid_argument("grpc-web client: bad host or port in " + options_.url);
  }
  host_ = std::string(host);
  port_ = std::string(port);
  host_header_ = std::string(authority);
  const std::string ns =
      options_.namespace_name ? *options_.namespace_name : namespace_for_host(authority);
  namespace_header_ = base64_no_pad(ns);
}

GrpcWebClient::~GrpcWebClient() { disconnect(); }

void GrpcWebClient::cancel() {
  cancelled_.store(true);
  // The context is only ever run by the calling thread, so the operations under way
  // are ended from there. A cancel that is reset before it runs does nothing.
  asio::post(io_->context, [this] {
    if (!cancelled_.load()) return;
    io_->resolver.cancel();
    if (io_->stream) io_->stream->cancel();
  });
}

void GrpcWebClient::disconnect() noexcept {
  if (!io_->stream) return;
  beast::error_code ignored;
  io_->stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  io_->stream->close();
  io_->stream.reset();
  io_->buffer.clear();
  io_->reused = false;
}

void GrpcWebClient::throw_if_cancelled() const {
  if (cancelled_.load()) throw_status(StatusCode::kCancelled, "grpc-web: the call was cancelled");
}

namespace {

// The GrpcError for a failed network step.
[[noreturn]] void fail_network(const std::string& where, const char* what,
                               const beast::error_code& error, bool cancelled,
                               std::chrono::milliseconds timeout) {
  if (cancelled) throw_status(StatusCode::kCancelled, "grpc-web: the call was cancelled");
  if (error == beast::error::timeout) {
    throw_status(StatusCode::kDeadlineExceeded, std::string("grpc-web: ") + what + " " + where +
                                                    " took more than " +
                                                    std::to_string(timeout.count()) + " ms");
  }
  throw_status(StatusCode::kUnavailable,
               std::string("grpc-web: ") + what + " " + where + " failed: " + error.message());
}

}  // namespace

void GrpcWebClient::connect() {
  disconnect();
  const std::string where = host_ + ":" + port_;
  bool done = false;
  beast::error_code error;
  asio::ip::tcp::resolver::results_type endpoints;
  io_->resolver.async_resolve(host_, port_, [&](const beast::error_code& e, auto results) {
    error = e;
    endpoints = std::move(results);
    done = true;
  });
  run_until(io_->context, done);
  throw_if_cancelled();
  if (error) fail_network(where, "resolving", error, false, options_.connect_timeout);

  io_->stream.emplace(io_->context);
  io_->stream->expires_after(options_.connect_timeout);
  done = false;
  io_->stream->async_connect(endpoints, [&](const beast::error_code& e, const auto&) {
    error = e;
    done = true;
  });
  run_until(io_->context, done);
  if (error || cancelled_.load()) {
    io_->stream.reset();
    fail_network(where, "connecting to", error, cancelled_.load(), options_.connect_timeout);
  }
  io_->stream->socket().set_option(asio::ip::tcp::no_delay(true), error);
  ++connections_opened_;
}

void GrpcWebClient::attempt(Kind kind, std::string_view path, std::string_view request,
                            const std::function<bool(std::string_view)>& on_message,
                            std::chrono::milliseconds idle_timeout, Progress& progress) {
  const std::string where = host_ + ":" + port_ + std::string(path);
  if (!io_->stream) connect();
  auto& stream = *io_->stream;

  http::request<http::string_body> req{http::verb::post, std::string(path), 11};
  req.set(http::field::host, host_header_);
  req.set(http::field::content_type, "application/grpc-web");
  req.set(http::field::te, "trailers");
  // tonic adds these as metadata (research/replication.md §2.1).
  req.set("x-libsql-client-version", "libsql-rpc-cpp-0.1.0");
  if (!options_.auth_token.empty()) req.set("x-authorization", "Bearer " + options_.auth_token);
  req.set("x-namespace-bin", namespace_header_);
  if (!session_token_.empty()) req.set("x-session-token", session_token_);
  grpc_web::append_message(req.body(), request);
  req.prepare_payload();

  bool done = false;
  beast::error_code error;
  const auto on_done = [&](const beast::error_code& e, std::size_t) {
    error = e;
    done = true;
  };
  stream.expires_after(options_.io_timeout);
  http::async_write(stream, req, on_done);
  run_until(io_->context, done);
  if (error || cancelled_.load()) {
    fail_network(where, "sending to", error, cancelled_.load(), options_.io_timeout);
  }

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  done = false;
  // The first reply may take as long as the server needs to start answering.
  stream.expires_after(idle_timeout);
  http::async_read_header(stream, io_->buffer, parser, on_done);
  run_until(io_->context, done);
  if (error || cancelled_.load()) {
    fail_network(where, "waiting for a reply from", error, cancelled_.load(), idle_timeout);
  }
  progress = Progress::kReading;

  const auto& header = parser.get();
  const unsigned http_status = header.result_int();
  std::optional<Status> header_status;
  if (const auto it = header.find("grpc-status"); it != header.end()) {
    // A trailers-only reply: the status travels in the headers, the body is empty.
    std::string text = "grpc-status:" + std::string(it->value()) + "\r\n";
    if (const auto m = header.find("grpc-message"); m != header.end()) {
      text += "grpc-message:" + std::string(m->value()) + "\r\n";
    }
    header_status = parse_trailers(text);
  }

  GrpcWebResponseDecoder decoder(options_.max_message_bytes);
  std::string error_body;
  bool stopped_early = false;
  while (!parser.is_done()) {
    parser.get().body().data = io_->piece.data();
    parser.get().body().size = io_->piece.size();
    done = false;
    stream.expires_after(idle_timeout);
    http::async_read_some(stream, io_->buffer, parser, on_done);
    run_until(io_->context, done);
    if (error == http::error::need_buffer) error = {};
    if (error || cancelled_.load()) {
      fail_network(where, "reading the reply from", error, cancelled_.load(), idle_timeout);
    }
    const std::size_t n = io_->piece.size() - parser.get().body().size;
    const std::string_view bytes(io_->piece.data(), n);
    if (http_status != 200) {
      if (error_body.size() < kErrorBodySnippet) {
        error_body.append(bytes.substr(0, kErrorBodySnippet - error_body.size()));
      }
    } else if (!header_status) {
      if (!decoder.feed(bytes, on_message)) {
        stopped_early = true;
        break;
      }
      if (kind == Kind::kStream && decoder.saw_trailers()) break;
    }
  }
  progress = Progress::kComplete;
  if (stopped_early || !parser.is_done() || !parser.keep_alive()) {
    disconnect();
  } else {
    io_->reused = true;
  }
  if (stopped_early) return;

  if (http_status != 200) {
    disconnect();
    throw_status(status_code_for_http(http_status),
                 "HTTP " + std::to_string(http_status) + " from " + where +
                     (error_body.empty() ? "" : ": " + std::string(trim(error_body))));
  }
  // tonic reads a 200 reply without any grpc-status as OK (infer_grpc_status).
  const Status status = header_status ? *header_status : decoder.finish().value_or(Status{});
  if (!status.ok()) throw GrpcError(status);
}

void GrpcWebClient::call(Kind kind, std::string_view path, std::string_view request,
                         const std::function<bool(std::string_view)>& on_message,
                         std::chrono::milliseconds idle_timeout) {
  throw_if_cancelled();
  for (int tries = 0;; ++tries) {
    const bool reused = io_->stream.has_value() && io_->reused;
    Progress progress = Progress::kSending;
    try {
      attempt(kind, path, request, on_message, idle_timeout, progress);
      return;
    } catch (const GrpcError& e) {
      // Only a reply read to its end leaves the connection fit for the next call.
      if (progress != Progress::kComplete) disconnect();
      // A kept-alive connection the server closed while idle fails on first use: one
      // more try on a new connection. Every replication call only reads, so a request
      // the server did see is harmless to repeat.
      if (!reused || progress != Progress::kSending || tries > 0 ||
          e.code() != StatusCode::kUnavailable) {
        throw;
      }
    } catch (...) {
      disconnect();
      throw;
    }
  }
}

std::string GrpcWebClient::unary(std::string_view path, std::string_view request) {
  std::optional<std::string> reply;
  bool several = false;
  call(
      Kind::kUnary, path, request,
      [&](std::string_view message) {
        if (reply) several = true;
        reply.emplace(message);
        return true;
      },
      options_.io_timeout);
  if (!reply || several) {
    throw_status(StatusCode::kInternal, std::string("grpc-web: a unary reply from ") +
                                            std::string(path) + " held " +
                                            (several ? "several messages" : "no message"));
  }
  return std::move(*reply);
}

void GrpcWebClient::unary(std::string_view path, const google::protobuf::MessageLite& request,
                          google::protobuf::MessageLite& response) {
  const std::string reply = unary(path, request.SerializeAsString());
  if (!response.ParseFromString(reply)) {
    throw_status(StatusCode::kInternal, "grpc-web: the reply from " + std::string(path) +
                                            " is not a valid " + response.GetTypeName());
  }
}

void GrpcWebClient::server_stream(std::string_view path, std::string_view request,
                                  const std::function<bool(std::string_view)>& on_message,
                                  std::optional<std::chrono::milliseconds> idle_timeout) {
  call(Kind::kStream, path, request, on_message, idle_timeout.value_or(options_.io_timeout));
}

}  // namespace libsql::replication
