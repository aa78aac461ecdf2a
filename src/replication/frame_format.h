// frame_format.h: the libSQL replication frame, byte by byte (research/replication.md
// §3.1, §3.2). One frame is one 4096-byte page image behind a 24-byte little-endian
// header; the same bytes travel in the frame log, in snapshot files and on the wire
// (wal_log.Frame.data).
//
//   offset size field
//   0      8    frame_no    0-based position in the log's history, +1 per frame
//   8      8    checksum    CRC-64/GO-ISO chained from the previous frame (no client checks it)
//   16     4    page_no     SQLite page number, 1-based
//   20     4    size_after  database size in pages after the commit, on the last frame of
//                           a transaction only; 0 on every other frame
//   24     4096 page
//
// Only constants, layouts and the checksum live here: reader and writer share one truth.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace libsql::replication {

inline constexpr std::size_t kPageSize = 4096;
inline constexpr std::size_t kFrameHeaderSize = 24;
inline constexpr std::size_t kFrameSize = kFrameHeaderSize + kPageSize;  // 4120

struct FrameHeader {
  std::uint64_t frame_no = 0;
  std::uint64_t checksum = 0;
  std::uint32_t page_no = 0;
  std::uint32_t size_after = 0;

  bool is_commit() const noexcept { return size_after != 0; }
};

// Writes `header` as 24 little-endian bytes at `out`.
void encode_frame_header(const FrameHeader& header, std::uint8_t* out) noexcept;
// Reads the 24 bytes at `in`.
FrameHeader decode_frame_header(const std::uint8_t* in) noexcept;

// The checksum of a frame holding `page` (kPageSize bytes) whose predecessor's checksum
// is `previous` (the log's start checksum for its first frame; 0 for a new log):
// CRC-64/GO-ISO with the register seeded by bit_reverse64(previous), as sqld's crc crate
// does. Only the page is summed, never the header.
std::uint64_t frame_checksum(std::uint64_t previous, const std::uint8_t* page) noexcept;

// A log's identity: frame numbers mean something only within one log id. 16 bytes in
// RFC 4122 order; files store them reversed (as the little-endian u128 sqld writes).
struct LogId {
  std::array<std::uint8_t, 16> bytes{};

  // A random (version 4) id.
  static LogId random();
  // From hyphenated text ("6ba7b810-9dad-11d1-80b4-00c04fd430c8"); nullopt if malformed.
  static std::optional<LogId> parse(std::string_view text);
  // Lower-case hyphenated text, as HelloResponse.log_id carries it.
  std::string to_string() const;

  friend bool operator==(const LogId&, const LogId&) = default;
};

// Helpers the log and snapshot formats share. Not part of the replication protocol.
namespace internal {

// CRC-64/GO-ISO of `size` bytes continuing from the checksum `previous`, exactly as
// frame_checksum() does for a page. With previous = ~0 it is the standard CRC-64/GO-ISO
// of the bytes (check value 0xb90956c775a41001 for "123456789").
std::uint64_t crc64_go_iso(std::uint64_t previous, const std::uint8_t* data,
                           std::size_t size) noexcept;

inline void store_le32(std::uint32_t value, std::uint8_t* out) noexcept {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
inline void store_le64(std::uint64_t value, std::uint8_t* out) noexcept {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
inline std::uint32_t load_le32(const std::uint8_t* in) noexcept {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | in[i];
  return value;
}
inline std::uint64_t load_le64(const std::uint8_t* in) noexcept {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | in[i];
  return value;
}
// A log id as the u128 little-endian sqld writes (Uuid::as_u128): the bytes reversed.
inline void store_log_id(const LogId& id, std::uint8_t* out) noexcept {
  for (std::size_t i = 0; i < 16; ++i) out[i] = id.bytes[15 - i];
}
inline LogId load_log_id(const std::uint8_t* in) noexcept {
  LogId id;
  for (std::size_t i = 0; i < 16; ++i) id.bytes[15 - i] = in[i];
  return id;
}

}  // namespace internal

}  // namespace libsql::replication
