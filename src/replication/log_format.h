// log_format.h: the file `wallog`, sqld's replication log, byte by byte
// (research/replication.md §3.3). Only constants, the header layout and its encoding live
// here; frame_log.cc reads and writes the files. Must not do I/O.
//
// A 64-byte little-endian header, then frames (frame_format.h) back to back:
//
//   offset size field
//   0      8    magic           "SQLDWAL\0"
//   8      8    start_checksum  the checksum the first frame chains from (0 in a new log,
//                               the last committed checksum in a log that continues one)
//   16     16   log_id          u128 little-endian: the UUID's bytes reversed
//   32     8    start_frame_no  frame_no of the first frame in this file
//   40     8    frame_count     committed frames; anything after them is garbage
//   48     4    version         2
//   52     4    page_size       4096 (signed in sqld)
//   56     8    sqld_version    [u16; 4] = [0, major, minor, patch]
//
// Durability: a commit writes its frames and then the header with the new frame_count,
// and makes both durable with one fdatasync before anyone reads them. That single sync
// does not order the header after the frames, so a power loss can leave a header that
// counts frames which never reached the disk. That is acceptable because such a log is
// never opened again: the server keeps a `.sentinel` file while a database is open and,
// finding it at startup, rebuilds the log under a new log id (FrameLog::recreate), as
// sqld does. A clean shutdown loses nothing, since the page cache outlives the process.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "replication/frame_format.h"

namespace libsql::replication {

inline constexpr std::size_t kLogHeaderSize = 64;
inline constexpr std::array<std::uint8_t, 8> kLogMagic = {'S', 'Q', 'L', 'D', 'W', 'A', 'L', 0};
inline constexpr std::uint32_t kLogVersion = 2;
// The sqld release whose formats these are, as its header field spells it.
inline constexpr std::array<std::uint16_t, 4> kLogSqldVersion = {0, 0, 24, 32};

struct LogHeader {
  std::array<std::uint8_t, 8> magic = kLogMagic;
  std::uint64_t start_checksum = 0;
  LogId log_id;
  std::uint64_t start_frame_no = 0;
  std::uint64_t frame_count = 0;
  std::uint32_t version = kLogVersion;
  std::int32_t page_size = static_cast<std::int32_t>(kPageSize);
  std::array<std::uint16_t, 4> sqld_version = kLogSqldVersion;
};

// Where frame `index` (0-based within the file) starts.
inline constexpr std::uint64_t log_frame_offset(std::uint64_t index) {
  return kLogHeaderSize + index * kFrameSize;
}

inline void encode_log_header(const LogHeader& header, std::uint8_t* out) noexcept {
  for (std::size_t i = 0; i < 8; ++i) out[i] = header.magic[i];
  internal::store_le64(header.start_checksum, out + 8);
  internal::store_log_id(header.log_id, out + 16);
  internal::store_le64(header.start_frame_no, out + 32);
  internal::store_le64(header.frame_count, out + 40);
  internal::store_le32(header.version, out + 48);
  internal::store_le32(static_cast<std::uint32_t>(header.page_size), out + 52);
  for (std::size_t i = 0; i < 4; ++i) {
    out[56 + 2 * i] = static_cast<std::uint8_t>(header.sqld_version[i]);
    out[57 + 2 * i] = static_cast<std::uint8_t>(header.sqld_version[i] >> 8);
  }
}

// Decodes without judging: the caller checks magic, version and page size.
inline LogHeader decode_log_header(const std::uint8_t* in) noexcept {
  LogHeader header;
  for (std::size_t i = 0; i < 8; ++i) header.magic[i] = in[i];
  header.start_checksum = internal::load_le64(in + 8);
  header.log_id = internal::load_log_id(in + 16);
  header.start_frame_no = internal::load_le64(in + 32);
  header.frame_count = internal::load_le64(in + 40);
  header.version = internal::load_le32(in + 48);
  header.page_size = static_cast<std::int32_t>(internal::load_le32(in + 52));
  for (std::size_t i = 0; i < 4; ++i) {
    header.sqld_version[i] = static_cast<std::uint16_t>(in[56 + 2 * i] | (in[57 + 2 * i] << 8));
  }
  return header;
}

}  // namespace libsql::replication
