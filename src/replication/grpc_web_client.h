// grpc_web_client.h: a blocking gRPC-Web client over HTTP/1.1, as libSQL's replicas
// speak to a primary (research/replication.md §2.1): one keep-alive connection reused
// across calls and reopened after a failure, unary calls, and server-streaming calls
// whose messages reach a callback as they arrive (a Snapshot can be many megabytes, a
// LogEntries stream never ends: neither is ever held whole).
//
// Framing comes from grpc_web.h; what it lacks for a client lives here: a response body
// decoder fed in pieces, and reading the status from trailers (the trailers frame, or
// response headers in a trailers-only reply).
//
// Must not: know replication or protobuf message types (replication/replicator.cc does),
// speak TLS (https: URLs are refused at construction), or retry a call that may have
// reached the server's handler with a response begun (only a reused connection that
// fails before any response byte is retried, once, on a new connection).
//
// Thread-safety: one thread at a time makes calls (the client runs its own io_context
// on that thread). cancel() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "replication/grpc_web.h"

namespace google::protobuf {
class MessageLite;
}

namespace libsql::replication {

// How a call failed: the gRPC status the server sent (grpc-status and the decoded
// grpc-message), or one we chose for a failure of our own: UNAVAILABLE when the
// connection failed, DEADLINE_EXCEEDED on a timeout, CANCELLED after cancel(),
// INTERNAL for a malformed reply, and sqld's HTTP statuses mapped as gRPC maps them
// (401 UNAUTHENTICATED, 404 UNIMPLEMENTED, ...).
class GrpcError : public std::runtime_error {
 public:
  explicit GrpcError(grpc_web::Status status);

  const grpc_web::Status& status() const noexcept { return status_; }
  grpc_web::StatusCode code() const noexcept { return status_.code; }
  // Whether it is this exact status: the replication state machine keys on messages.
  bool is(grpc_web::StatusCode code, std::string_view message) const noexcept {
    return status_.code == code && status_.message == message;
  }

 private:
  grpc_web::Status status_;
};

struct GrpcWebClientOptions {
  // "http://host:port"; a path is ignored, as tonic ignores it for gRPC.
  std::string url;
  // Sent as "x-authorization: Bearer <token>" when not empty.
  std::string auth_token;
  // Sent base64-encoded as x-namespace-bin. When unset, the official client's rule:
  // the host's first label if the host has a dot ("db.primary" -> "db"), otherwise
  // "default". sqld ignores it unless it runs with namespaces.
  std::optional<std::string> namespace_name;
  std::chrono::milliseconds connect_timeout{5000};
  // The longest a call may wait for the server's next bytes (or to send its own)
  // before failing with DEADLINE_EXCEEDED; a streaming call may pass its own.
  std::chrono::milliseconds io_timeout{30000};
  // The largest message accepted. A BatchLogEntries reply holds at least 1024 frames
  // and the rest of a transaction, which may be large.
  std::size_t max_message_bytes = std::size_t{1} << 30;
};

// Feeds a gRPC-Web response body in pieces of any size and hands out whole messages
// and the trailers' status. Exposed for tests.
class GrpcWebResponseDecoder {
 public:
  explicit GrpcWebResponseDecoder(std::size_t max_message_bytes)
      : max_message_bytes_(max_message_bytes) {}

  // Consumes `bytes`, calling `on_message` for each message completed (a view valid
  // during the call); returns false as soon as `on_message` does (the rest of `bytes`
  // is then left unread). Throws GrpcError (INTERNAL, or RESOURCE_EXHAUSTED for a
  // message over the limit) for a malformed body, and whatever `on_message` throws.
  bool feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_message);
  // After the last byte: the status of the trailers frame, nullopt if none came.
  // Throws GrpcError (INTERNAL) if the body ended inside a frame.
  std::optional<grpc_web::Status> finish() const;

  bool saw_trailers() const noexcept { return trailers_.has_value(); }

 private:
  std::size_t max_message_bytes_;
  std::string pending_;  // a frame not yet complete (header, message or trailers)
  std::optional<grpc_web::Status> trailers_;
};

// "grpc-status:0\r\ngrpc-message:...\r\n" (a trailers frame's text) to a Status; a
// missing grpc-status reads as OK (tonic's infer_grpc_status), an unparsable one as
// UNKNOWN. grpc-message is percent-decoded.
grpc_web::Status parse_trailers(std::string_view text);
// The status gRPC assigns to an HTTP status other than 200 (grpc/doc/http-grpc-status-
// mapping.md).
grpc_web::StatusCode status_code_for_http(unsigned http_status) noexcept;
// The namespace the official client derives from a URL's host (see the options).
std::string namespace_for_host(std::string_view host);
// Standard base64 without padding, as tonic encodes binary metadata.
std::string base64_no_pad(std::string_view bytes);

class GrpcWebClient {
 public:
  // Throws std::invalid_argument for a URL that is not http://host[:port][/...]
  // (https: is not supported yet).
  explicit GrpcWebClient(GrpcWebClientOptions options);
  GrpcWebClient(const GrpcWebClient&) = delete;
  GrpcWebClient& operator=(const GrpcWebClient&) = delete;
  ~GrpcWebClient();

  // A unary call to `path` ("/wal_log.ReplicationLog/Hello"): returns the reply
  // message's bytes. Throws GrpcError for any status but OK, and for a reply holding
  // no message or several.
  std::string unary(std::string_view path, std::string_view request);
  // unary() with protobuf messages; a reply that does not parse is INTERNAL.
  void unary(std::string_view path, const google::protobuf::MessageLite& request,
             google::protobuf::MessageLite& response);

  // A server-streaming call: `on_message` receives each message as it arrives and
  // returns false to end the call early (the connection is then closed, since the
  // rest of the stream is unread). Returns when the stream ends with OK. Throws
  // GrpcError otherwise, and whatever `on_message` throws. `idle_timeout` (default:
  // options.io_timeout) bounds the wait for each next piece; a stream that waits for
  // new data (LogEntries) passes how long it may stay silent.
  void server_stream(std::string_view path, std::string_view request,
                     const std::function<bool(std::string_view)>& on_message,
                     std::optional<std::chrono::milliseconds> idle_timeout = std::nullopt);

  // Sent as x-session-token on every later call (empty: not sent).
  void set_session_token(std::string token) { session_token_ = std::move(token); }
  const std::string& session_token() const noexcept { return session_token_; }

  // Makes the call under way, and every later one until reset_cancel(), fail with
  // CANCELLED. Any thread.
  void cancel();
  void reset_cancel() noexcept { cancelled_.store(false); }
  bool cancelled() const noexcept { return cancelled_.load(); }

  // Closes the connection; the next call opens a new one.
  void disconnect() noexcept;

  const GrpcWebClientOptions& options() const noexcept { return options_; }
  // How many connections were opened so far (tests check reuse).
  std::uint64_t connections_opened() const noexcept { return connections_opened_; }

 private:
  struct Io;
  // A stream's reply ends at its trailers even if the body stays open (the reference
  // sqld leaves a LogEntries body open after a NEED_SNAPSHOT trailers frame); a unary
  // reply is read to the body's end, so the connection can serve the next call.
  enum class Kind { kUnary, kStream };
  // Sends the request and reads the reply, handing messages to `on_message`.
  void call(Kind kind, std::string_view path, std::string_view request,
            const std::function<bool(std::string_view)>& on_message,
            std::chrono::milliseconds idle_timeout);
  // How far a call got: a failure while sending on a reused connection is retried; a
  // reply not read to its end leaves the connection unusable.
  enum class Progress { kSending, kReading, kComplete };
  // One attempt on the current (or a new) connection, advancing `progress`.
  void attempt(Kind kind, std::string_view path, std::string_view request,
               const std::function<bool(std::string_view)>& on_message,
               std::chrono::milliseconds idle_timeout, Progress& progress);
  void connect();
  void throw_if_cancelled() const;

  GrpcWebClientOptions options_;
  std::string host_;
  std::string port_;
  std::string host_header_;
  std::string namespace_header_;
  std::string session_token_;
  std::atomic<bool> cancelled_{false};
  std::uint64_t connections_opened_ = 0;
  // The io_context and the connection; cancel() posts to the context, so it lives as
  // long as the client.
  std::unique_ptr<Io> io_;
};

}  // namespace libsql::replication
