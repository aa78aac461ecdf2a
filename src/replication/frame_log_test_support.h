// frame_log_test_support.h: helpers the frame log and snapshot tests share: recognisable
// page images, committing a transaction in one call, splitting read batches into frames,
// and waiting for the background compactor. For tests only.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "replication/frame_log.h"

namespace libsql::replication::test_support {

// A page image that says which page it is and which write (`version`) made it.
inline std::vector<std::uint8_t> page_image(std::uint32_t page_no, std::uint64_t version) {
  std::vector<std::uint8_t> page(kPageSize, static_cast<std::uint8_t>(version * 31 + page_no));
  internal::store_le64(version, page.data());
  internal::store_le32(page_no, page.data() + 8);
  return page;
}

inline std::uint64_t version_of(const std::vector<std::uint8_t>& page) {
  return internal::load_le64(page.data());
}

struct Frame {
  FrameHeader header;
  std::vector<std::uint8_t> page;
};

inline std::vector<Frame> split_frames(const std::vector<std::uint8_t>& bytes) {
  std::vector<Frame> frames;
  for (std::size_t at = 0; at + kFrameSize <= bytes.size(); at += kFrameSize) {
    frames.push_back(
        Frame{decode_frame_header(bytes.data() + at),
              std::vector<std::uint8_t>(bytes.begin() + static_cast<long>(at + kFrameHeaderSize),
                                        bytes.begin() + static_cast<long>(at + kFrameSize))});
  }
  return frames;
}

// Appends one transaction writing `pages` (each image made by page_image(page, version))
// and commits it.
inline void commit_transaction(FrameLog& log, const std::vector<std::uint32_t>& pages,
                               std::uint32_t size_after, std::uint64_t version) {
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const auto image = page_image(pages[i], version);
    log.append(pages[i], image.data(), i + 1 == pages.size() ? size_after : 0);
  }
  log.commit();
}

// Every committed frame from `from` on, out of the live log (or a log being compacted).
inline std::vector<Frame> read_log(const FrameLog& log, std::uint64_t from) {
  std::vector<std::uint8_t> bytes;
  while (true) {
    const std::size_t before = bytes.size();
    if (log.read(from, 1024, bytes) != FrameLog::ReadResult::kFrames) break;
    if (bytes.size() == before) break;
    from += (bytes.size() - before) / kFrameSize;
  }
  return split_frames(bytes);
}

inline std::vector<Frame> read_snapshot(SnapshotReader& reader, std::size_t per_call = 7) {
  std::vector<std::uint8_t> bytes;
  while (reader.read(per_call, bytes) > 0) {
  }
  return split_frames(bytes);
}

// Polls `done` for up to ten seconds (the compactor runs on its own thread).
inline bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

inline FrameLogOptions options_for(const std::filesystem::path& directory,
                                   std::uint64_t max_live_frames = 48543) {
  FrameLogOptions options;
  options.directory = directory;
  options.max_live_frames = max_live_frames;
  return options;
}

}  // namespace libsql::replication::test_support
