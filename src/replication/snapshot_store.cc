// snapshot_store.cc: implements snapshot_store.h. Must not change a snapshot once it is
// in snapshots/: files there are only ever created whole (by rename) or unlinked.

#include "replication/snapshot_store.h"

#include <algorithm>
#include <system_error>

#include "libsql/error.h"

namespace libsql::replication {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBuilderBufferFrames = 256;  // about 1 MB per write

[[noreturn]] void throw_corrupt(const fs::path& path, const std::string& what) {
  throw Error(PrimaryCode::kCorrupt, "snapshot " + path.string() + " " + what);
}

class FileSnapshotReader final : public SnapshotReader {
 public:
  FileSnapshotReader(std::shared_ptr<const SnapshotFile> snapshot, std::uint64_t from_frame_no)
      : snapshot_(std::move(snapshot)), from_frame_no_(from_frame_no) {
    // Frames descend, so those at or above from_frame_no are a prefix: find its length.
    std::uint64_t low = 0;
    std::uint64_t high = snapshot_->header.frame_count;
    while (low < high) {
      const std::uint64_t middle = low + (high - low) / 2;
      if (frame_no_at(middle) >= from_frame_no_) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    limit_ = low;
  }

  std::uint64_t end_frame_no() const override { return snapshot_->header.end_frame_no; }

  std::size_t read(std::size_t max_frames, std::vector<std::uint8_t>& out) override {
    const std::uint64_t count = std::min<std::uint64_t>(max_frames, limit_ - next_);
    if (count == 0) return 0;
    const std::size_t old_size = out.size();
    out.resize(old_size + count * kFrameSize);
    try {
      snapshot_->file.read_at(snapshot_frame_offset(next_), out.data() + old_size,
                              count * kFrameSize);
      for (std::uint64_t i = 0; i < count; ++i) {
        std::uint8_t* frame = out.data() + old_size + i * kFrameSize;
        const FrameHeader header = decode_frame_header(frame);
        if ((previous_frame_no_ && header.frame_no >= *previous_frame_no_) ||
            header.frame_no < from_frame_no_) {
          throw_corrupt(snapshot_->path, "has frame " + std::to_string(header.frame_no) +
                                             " out of descending order");
        }
        previous_frame_no_ = header.frame_no;
        // The replica commits on the last frame it gets: it carries the size after the
        // snapshot's end, whichever offset the stream started at.
        const bool last = next_ + i + 1 == limit_;
        internal::store_le32(last ? snapshot_->header.size_after : 0, frame + 20);
      }
    } catch (...) {
      out.resize(old_size);
      throw;
    }
    next_ += count;
    return static_cast<std::size_t>(count);
  }

 private:
  std::uint64_t frame_no_at(std::uint64_t index) const {
    std::uint8_t bytes[8];
    snapshot_->file.read_at(snapshot_frame_offset(index), bytes, sizeof bytes);
    return internal::load_le64(bytes);
  }

  std::shared_ptr<const SnapshotFile> snapshot_;
  std::uint64_t from_frame_no_;
  std::uint64_t limit_ = 0;  // frames [0, limit_) are the ones to stream
  std::uint64_t next_ = 0;
  std::optional<std::uint64_t> previous_frame_no_;
};

}  // namespace

std::shared_ptr<const SnapshotFile> open_snapshot_file(const fs::path& path, const LogId& log_id) {
  const auto name = parse_snapshot_file_name(path.filename().string());
  if (!name) throw_corrupt(path, "has a name that is not <log_id>-<start>-<end>.snap");
  auto snapshot = std::make_shared<SnapshotFile>();
  snapshot->path = path;
  snapshot->file = DurableFile::open_existing(path);
  const std::uint64_t size = snapshot->file.size();
  if (size < kSnapshotHeaderSize) throw_corrupt(path, "is shorter than its header");
  std::uint8_t bytes[kSnapshotHeaderSize];
  snapshot->file.read_at(0, bytes, sizeof bytes);
  const SnapshotHeader header = decode_snapshot_header(bytes);
  if (header.log_id != log_id || name->log_id != log_id)
    throw_corrupt(path,
                  "belongs to log " + header.log_id.to_string() + ", not " + log_id.to_string());
  if (header.start_frame_no != name->start_frame_no || header.end_frame_no != name->end_frame_no)
    throw_corrupt(path, "has a header for frames " + std::to_string(header.start_frame_no) + "-" +
                            std::to_string(header.end_frame_no));
  if (header.frame_count == 0 ||
      header.frame_count - 1 > header.end_frame_no - header.start_frame_no)
    throw_corrupt(path, "claims " + std::to_string(header.frame_count) + " frames");
  if ((size - kSnapshotHeaderSize) / kFrameSize != header.frame_count ||
      (size - kSnapshotHeaderSize) % kFrameSize != 0)
    throw_corrupt(path, "is " + std::to_string(size) + " bytes, not " +
                            std::to_string(header.frame_count) + " frames");
  if (header.size_after == 0) throw_corrupt(path, "has no database size");
  // The newest frame of the range is always kept, so every offset in [start, end] has
  // at least one frame to stream.
  std::uint8_t first[8];
  snapshot->file.read_at(snapshot_frame_offset(0), first, sizeof first);
  if (internal::load_le64(first) != header.end_frame_no)
    throw_corrupt(path, "does not begin with its last frame");
  snapshot->header = header;
  return snapshot;
}

std::unique_ptr<SnapshotReader> make_snapshot_reader(std::shared_ptr<const SnapshotFile> snapshot,
                                                     std::uint64_t frame_no) {
  return std::make_unique<FileSnapshotReader>(std::move(snapshot), frame_no);
}

SnapshotBuilder::SnapshotBuilder(const fs::path& tmp_directory, const LogId& log_id)
    : tmp_path_(tmp_directory / (LogId::random().to_string() + ".snap")),
      file_(DurableFile::create_new(tmp_path_)),
      log_id_(log_id) {
  buffer_.reserve(kBuilderBufferFrames * kFrameSize);
}

SnapshotBuilder::~SnapshotBuilder() {
  if (!finished_) {
    std::error_code ignored;  // a leftover in tmp/ is removed by the next open anyway
    fs::remove(tmp_path_, ignored);
  }
}

void SnapshotBuilder::offer(const std::uint8_t* frame) {
  const FrameHeader header = decode_frame_header(frame);
  if (last_frame_no_ && header.frame_no >= *last_frame_no_) {
    throw Error(PrimaryCode::kCorrupt, "frame " + std::to_string(header.frame_no) +
                                           " comes after frame " + std::to_string(*last_frame_no_) +
                                           " while building a snapshot, newest first");
  }
  last_frame_no_ = header.frame_no;
  if (!pages_.insert(header.page_no).second) return;
  const std::size_t at = buffer_.size();
  buffer_.insert(buffer_.end(), frame, frame + kFrameSize);
  internal::store_le32(0, buffer_.data() + at + 20);
  ++frame_count_;
  if (buffer_.size() >= kBuilderBufferFrames * kFrameSize) flush();
}

void SnapshotBuilder::flush() {
  if (buffer_.empty()) return;
  file_.write_at(snapshot_frame_offset(flushed_frames_), buffer_.data(), buffer_.size());
  flushed_frames_ += buffer_.size() / kFrameSize;
  buffer_.clear();
}

std::shared_ptr<const SnapshotFile> SnapshotBuilder::finish(const fs::path& snapshots_directory,
                                                            std::uint64_t start_frame_no,
                                                            std::uint64_t end_frame_no,
                                                            std::uint32_t size_after) {
  flush();
  SnapshotHeader header;
  header.log_id = log_id_;
  header.start_frame_no = start_frame_no;
  header.end_frame_no = end_frame_no;
  header.frame_count = frame_count_;
  header.size_after = size_after;
  std::uint8_t bytes[kSnapshotHeaderSize];
  encode_snapshot_header(header, bytes);
  file_.write_at(0, bytes, sizeof bytes);
  file_.sync_all();
  const fs::path path =
      snapshots_directory / snapshot_file_name(log_id_, start_frame_no, end_frame_no);
  rename_file(tmp_path_, path);
  finished_ = true;
  sync_directory(snapshots_directory);
  auto snapshot = std::make_shared<SnapshotFile>();
  snapshot->file = file_.duplicate(path.string());
  snapshot->header = header;
  snapshot->path = path;
  return snapshot;
}

}  // namespace libsql::replication
