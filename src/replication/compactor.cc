// compactor.cc: implements compactor.h. Reads in chunks of about 1 MB, so compacting a
// 200 MB log never holds it in memory. Must not modify its inputs.

#include "replication/compactor.h"

#include <algorithm>

#include "libsql/error.h"

namespace libsql::replication {

namespace {

constexpr std::uint64_t kChunkFrames = 256;
constexpr std::size_t kMaxSnapshotsBeforeMerge = 32;

}  // namespace

std::shared_ptr<const SnapshotFile> compact_log(const DurableFile& log, const LogHeader& header,
                                                const SnapshotDirectories& directories,
                                                const std::atomic<bool>& stop) {
  if (header.frame_count == 0) {
    throw Error(PrimaryCode::kMisuse, "cannot compact " + log.name() + ": it has no frames");
  }
  SnapshotBuilder builder(directories.tmp, header.log_id);
  std::vector<std::uint8_t> chunk;
  std::uint32_t size_after = 0;
  // Newest to oldest: the first frame of each page seen is its newest version.
  std::uint64_t end = header.frame_count;
  while (end > 0) {
    if (stop.load(std::memory_order_relaxed)) return nullptr;
    const std::uint64_t begin = end - std::min(end, kChunkFrames);
    chunk.resize((end - begin) * kFrameSize);
    log.read_at(log_frame_offset(begin), chunk.data(), chunk.size());
    for (std::uint64_t index = end; index-- > begin;) {
      const std::uint8_t* frame = chunk.data() + (index - begin) * kFrameSize;
      const FrameHeader frame_header = decode_frame_header(frame);
      if (frame_header.frame_no != header.start_frame_no + index) {
        throw Error(PrimaryCode::kCorrupt,
                    log.name() + " holds frame " + std::to_string(frame_header.frame_no) +
                        " where frame " + std::to_string(header.start_frame_no + index) +
                        " belongs");
      }
      if (index + 1 == header.frame_count) size_after = frame_header.size_after;
      builder.offer(frame);
    }
    end = begin;
  }
  if (size_after == 0) {
    throw Error(PrimaryCode::kCorrupt,
                log.name() + " does not end with a commit: its last frame has no database size");
  }
  return builder.finish(directories.snapshots, header.start_frame_no,
                        header.start_frame_no + header.frame_count - 1, size_after);
}

bool should_merge_snapshots(const std::vector<std::shared_ptr<const SnapshotFile>>& oldest_first) {
  if (oldest_first.size() < 2) return false;
  if (oldest_first.size() > kMaxSnapshotsBeforeMerge) return true;
  std::uint64_t frames = 0;
  for (const auto& snapshot : oldest_first) frames += snapshot->header.frame_count;
  const std::uint64_t database_pages = oldest_first.back()->header.size_after;
  return frames >= 2 * database_pages;
}

std::shared_ptr<const SnapshotFile> merge_snapshots(
    const std::vector<std::shared_ptr<const SnapshotFile>>& oldest_first,
    const SnapshotDirectories& directories, const std::atomic<bool>& stop) {
  if (oldest_first.size() < 2) {
    throw Error(PrimaryCode::kMisuse, "a merge needs at least two snapshots");
  }
  for (std::size_t i = 1; i < oldest_first.size(); ++i) {
    if (oldest_first[i]->header.start_frame_no != oldest_first[i - 1]->header.end_frame_no + 1) {
      throw Error(PrimaryCode::kMisuse, "cannot merge " + oldest_first[i - 1]->path.string() +
                                            " and " + oldest_first[i]->path.string() +
                                            ": their frames are not contiguous");
    }
  }
  const SnapshotHeader& newest = oldest_first.back()->header;
  SnapshotBuilder builder(directories.tmp, newest.log_id);
  std::vector<std::uint8_t> chunk;
  // Each snapshot descends, and a newer one lies wholly above an older one, so newest
  // snapshot first gives one descending stream; the builder keeps each page's first.
  for (auto it = oldest_first.rbegin(); it != oldest_first.rend(); ++it) {
    const SnapshotFile& snapshot = **it;
    for (std::uint64_t begin = 0; begin < snapshot.header.frame_count; begin += kChunkFrames) {
      if (stop.load(std::memory_order_relaxed)) return nullptr;
      const std::uint64_t count = std::min(kChunkFrames, snapshot.header.frame_count - begin);
      chunk.resize(count * kFrameSize);
      snapshot.file.read_at(snapshot_frame_offset(begin), chunk.data(), chunk.size());
      for (std::uint64_t i = 0; i < count; ++i) builder.offer(chunk.data() + i * kFrameSize);
    }
  }
  return builder.finish(directories.snapshots, oldest_first.front()->header.start_frame_no,
                        newest.end_frame_no, newest.size_after);
}

}  // namespace libsql::replication
