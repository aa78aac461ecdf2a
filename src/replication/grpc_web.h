// grpc_web.h: the gRPC-Web wire format over HTTP/1.1, as tonic-web speaks it
// (research/replication.md §2.1): request and response bodies are frames of a flag byte,
// a 4-byte big-endian length and that many bytes. Flag 0x00 carries one protobuf
// message; flag 0x80 carries the trailers that end a response ("grpc-status:0\r\n").
//
// Only the framing and the status model live here. Must not: know HTTP, services or
// protobuf types, or accept compressed messages (the official clients never compress).
// Every function is pure and may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace libsql::replication::grpc_web {

inline constexpr std::uint8_t kMessageFlag = 0x00;
inline constexpr std::uint8_t kCompressedFlag = 0x01;
inline constexpr std::uint8_t kTrailersFlag = 0x80;
inline constexpr std::size_t kFrameHeaderSize = 5;

// The response content type sqld's tonic-web sends (the client does not check it).
inline constexpr std::string_view kResponseContentType = "application/grpc-web+proto";

// gRPC's status codes (grpc/doc/statuscodes.md).
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "FAILED_PRECONDITION", ... for logs and test output.
std::string_view to_string(StatusCode code) noexcept;

// How a call ended. The replication client reacts to exact (code, message) pairs
// (NEED_SNAPSHOT, NO_HELLO, NAMESPACE_DOESNT_EXIST): messages are part of the protocol.
struct Status {
  StatusCode code = StatusCode::kOk;
  std::string message;

  bool ok() const noexcept { return code == StatusCode::kOk; }
  friend bool operator==(const Status&, const Status&) = default;
};
// "FAILED_PRECONDITION: NO_HELLO", for test output and logs.
std::ostream& operator<<(std::ostream& out, const Status& status);

// The messages the client's state machine knows (libsql-replication's replicator.rs).
inline constexpr std::string_view kNeedSnapshot = "NEED_SNAPSHOT";
inline constexpr std::string_view kNoHello = "NO_HELLO";
inline constexpr std::string_view kNamespaceDoesntExist = "NAMESPACE_DOESNT_EXIST";

// Splits a request body into its messages (views into `body`). Refuses, with the Status
// to answer: a compressed message (UNIMPLEMENTED), a trailers frame or unknown flag, a
// truncated frame (INTERNAL), and a message longer than `max_message_bytes`
// (RESOURCE_EXHAUSTED).
std::variant<std::vector<std::string_view>, Status> parse_messages(std::string_view body,
                                                                   std::size_t max_message_bytes);

// The one message of a unary call's request body; a body with none or several is
// refused (INTERNAL, as tonic refuses it).
std::variant<std::string_view, Status> parse_unary(std::string_view body,
                                                   std::size_t max_message_bytes);

// Appends a message frame's 5-byte header for a message of `length` bytes.
void append_message_header(std::string& out, std::uint32_t length);
// Appends `message` as one message frame.
void append_message(std::string& out, std::string_view message);
// Appends the trailers frame that ends every response body.
void append_trailers(std::string& out, const Status& status);

// grpc-message's value: bytes outside printable ASCII, and '%', as %XX (the gRPC
// spec's percent-encoding; tonic decodes it).
std::string percent_encode(std::string_view message);
// The inverse, for tests and our own client; malformed escapes are kept as they are.
std::string percent_decode(std::string_view encoded);

}  // namespace libsql::replication::grpc_web
