// grpc_web.cc: implements grpc_web.h.

#include "replication/grpc_web.h"

#include <ostream>

namespace libsql::replication::grpc_web {

namespace {

std::uint32_t load_be32(const char* in) noexcept {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

Status internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

}  // namespace

std::string_view to_string(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

std::ostream& operator<<(std::ostream& out, const Status& status) {
  return out << to_string(status.code) << ": " << status.message;
}

std::variant<std::vector<std::string_view>, Status> parse_messages(std::string_view body,
                                                                   std::size_t max_message_bytes) {
  std::vector<std::string_view> messages;
  std::size_t offset = 0;
  while (offset < body.size()) {
    if (body.size() - offset < kFrameHeaderSize) {
      return internal("grpc-web: the request body ends inside a frame header (" +
                      std::to_string(body.size() - offset) + " of 5 bytes)");
    }
    const auto flag = static_cast<std::uint8_t>(body[offset]);
    const std::uint32_t length = load_be32(body.data() + offset + 1);
    if (flag & kCompressedFlag) {
      // No grpc-encoding was negotiated: a compressed message cannot be read.
      return Status{StatusCode::kUnimplemented,
                    "grpc-web: compressed messages are not supported (no grpc-encoding is "
                    "accepted)"};
    }
    if (flag != kMessageFlag) {
      return internal("grpc-web: unexpected frame flag " + std::to_string(flag) +
                      " in a request body");
    }
    if (length > max_message_bytes) {
      return Status{StatusCode::kResourceExhausted,
                    "grpc-web: a request message of " + std::to_string(length) +
                        " bytes is larger than the limit of " + std::to_string(max_message_bytes)};
    }
    offset += kFrameHeaderSize;
    if (body.size() - offset < length) {
      return internal("grpc-web: the request body ends inside a message (" +
                      std::to_string(body.size() - offset) + " of " + std::to_string(length) +
                      " bytes)");
    }
    messages.push_back(body.substr(offset, length));
    offset += length;
  }
  return messages;
}

std::variant<std::string_view, Status> parse_unary(std::string_view body,
                                                   std::size_t max_message_bytes) {
  auto parsed = parse_messages(body, max_message_bytes);
  if (auto* status = std::get_if<Status>(&parsed)) return std::move(*status);
  const auto& messages = std::get<std::vector<std::string_view>>(parsed);
  if (messages.empty()) return internal("Missing request message.");
  if (messages.size() > 1) {
    return internal("grpc-web: a unary call carries one request message, not " +
                    std::to_string(messages.size()));
  }
  return messages.front();
}

void append_message_header(std::string& out, std::uint32_t length) {
  out.push_back(static_cast<char>(kMessageFlag));
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((length >> shift) & 0xff));
  }
}

void append_message(std::string& out, std::string_view message) {
  append_message_header(out, static_cast<std::uint32_t>(message.size()));
  out.append(message);
}

void append_trailers(std::string& out, const Status& status) {
  // No space after the colons: tonic-web splits on ':' and does not trim, so " 0"
  // would not parse as a status.
  std::string text = "grpc-status:" + std::to_string(static_cast<int>(status.code)) + "\r\n";
  if (!status.message.empty()) text += "grpc-message:" + percent_encode(status.message) + "\r\n";
  out.push_back(static_cast<char>(kTrailersFlag));
  const auto length = static_cast<std::uint32_t>(text.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((length >> shift) & 0xff));
  }
  out += text;
}

std::string percent_encode(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7e && byte != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view encoded) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const int high = hex(encoded[i + 1]);
      const int low = hex(encoded[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high << 4 | low));
        i += 2;
        continue;
      }
    }
    out.push_back(encoded[i]);
  }
  return out;
}

}  // namespace libsql::replication::grpc_web
