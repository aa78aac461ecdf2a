// snapshot_format.h: a snapshot file, `snapshots/<log_id>-<start>-<end>.snap`, byte by
// byte (research/replication.md §3.4). Only constants, the header layout, its encoding
// and the file name live here; snapshot_store.cc reads and writes the files. Must not do
// I/O.
//
// A 48-byte little-endian header, then frame_count frames (frame_format.h):
//
//   offset size field
//   0      16   log_id          u128 little-endian: the UUID's bytes reversed
//   16     8    start_frame_no  lowest frame_no the snapshot covers
//   24     8    end_frame_no    highest frame_no it covers
//   32     8    frame_count     frames stored
//   40     4    size_after      database size in pages after end_frame_no
//   44     4    padding
//
// The frames: strictly descending frame_no, one per page (the newest version of it
// within [start, end]), every one with size_after 0. Whoever streams them sets
// size_after on the last frame sent.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replication/frame_format.h"

namespace libsql::replication {

inline constexpr std::size_t kSnapshotHeaderSize = 48;
inline constexpr std::string_view kSnapshotSuffix = ".snap";

struct SnapshotHeader {
  LogId log_id;
  std::uint64_t start_frame_no = 0;
  std::uint64_t end_frame_no = 0;
  std::uint64_t frame_count = 0;
  std::uint32_t size_after = 0;
};

// Where frame `index` (0-based, newest first) starts.
inline constexpr std::uint64_t snapshot_frame_offset(std::uint64_t index) {
  return kSnapshotHeaderSize + index * kFrameSize;
}

inline void encode_snapshot_header(const SnapshotHeader& header, std::uint8_t* out) noexcept {
  internal::store_log_id(header.log_id, out);
  internal::store_le64(header.start_frame_no, out + 16);
  internal::store_le64(header.end_frame_no, out + 24);
  internal::store_le64(header.frame_count, out + 32);
  internal::store_le32(header.size_after, out + 40);
  internal::store_le32(0, out + 44);
}

inline SnapshotHeader decode_snapshot_header(const std::uint8_t* in) noexcept {
  SnapshotHeader header;
  header.log_id = internal::load_log_id(in);
  header.start_frame_no = internal::load_le64(in + 16);
  header.end_frame_no = internal::load_le64(in + 24);
  header.frame_count = internal::load_le64(in + 32);
  header.size_after = internal::load_le32(in + 40);
  return header;
}

// "<log_id>-<start>-<end>.snap", the log id hyphenated as LogId::to_string() writes it.
inline std::string snapshot_file_name(const LogId& log_id, std::uint64_t start_frame_no,
                                      std::uint64_t end_frame_no) {
  return log_id.to_string() + "-" + std::to_string(start_frame_no) + "-" +
         std::to_string(end_frame_no) + std::string(kSnapshotSuffix);
}

struct SnapshotName {
  LogId log_id;
  std::uint64_t start_frame_no = 0;
  std::uint64_t end_frame_no = 0;
};

// The parts of a snapshot file's name; nullopt for any other name.
inline std::optional<SnapshotName> parse_snapshot_file_name(std::string_view name) {
  constexpr std::size_t kIdLength = 36;
  if (name.size() <= kIdLength + kSnapshotSuffix.size() || !name.ends_with(kSnapshotSuffix))
    return std::nullopt;
  SnapshotName parsed;
  const auto id = LogId::parse(name.substr(0, kIdLength));
  if (!id) return std::nullopt;
  parsed.log_id = *id;
  std::string_view rest = name.substr(kIdLength, name.size() - kIdLength - kSnapshotSuffix.size());
  // rest is "-<start>-<end>"
  auto number = [&rest](std::uint64_t& value) {
    if (rest.empty() || rest.front() != '-') return false;
    rest.remove_prefix(1);
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (error != std::errc() || end == rest.data()) return false;
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    return true;
  };
  if (!number(parsed.start_frame_no) || !number(parsed.end_frame_no) || !rest.empty())
    return std::nullopt;
  if (parsed.start_frame_no > parsed.end_frame_no) return std::nullopt;
  return parsed;
}

}  // namespace libsql::replication
