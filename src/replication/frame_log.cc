// frame_log.cc: implements frame_log.h: the live log `wallog`, its rotation into
// to_compact/, and the background thread that turns rotated logs into snapshots.
//
// Durability (see log_format.h): commit() writes the frames and then the header, and
// makes both durable with ONE fdatasync before it publishes anything. The header is not
// synced separately in order, because a log that may have lost writes to a power cut is
// never reopened: the server rebuilds it under a new log id after an unclean shutdown.
// What matters is that a reader never sees a frame before it is on disk.
//
// Concurrency: one writer (append/commit/rollback). Readers take a consistent view of the
// published state under mutex_ (which also orders the publication), then pread without
// holding it; frames below a log's committed count never change, and a file stays
// readable through its open descriptor after a rotation renames it or a compaction
// unlinks it, because readers hold it by shared_ptr. Rotation happens on the writer's
// thread inside commit(); building snapshots and merging them on one background thread,
// in start-frame order, so snapshots always cover a contiguous prefix of the history.
// Until a rotated log's snapshot exists, open_batch() keeps serving its frames from the
// log.
//
// open() hands pending to_compact/ logs to that background thread too (it returns at
// once); their frames are served from the logs meanwhile. It rejects a history with a
// gap (frames in neither a snapshot, a pending log nor wallog): the caller then rebuilds.
//
// Must not: read SQLite's files or know about the network.

#include "replication/frame_log.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "libsql/error.h"
#include "replication/compactor.h"
#include "replication/log_directory.h"

namespace libsql::replication {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWriteBufferFrames = 64;  // about 256 KB per pwrite
constexpr std::uint64_t kReadChunkFrames = 256;

[[noreturn]] void throw_corrupt(const std::string& name, const std::string& what) {
  throw Error(PrimaryCode::kCorrupt, name + " " + what);
}

class FrameLogImpl final : public FrameLog {
 public:
  FrameLogImpl(FrameLogOptions options, LogHistory history)
      : options_(std::move(options)),
        layout_(options_.directory),
        log_id_(history.live_header.log_id),
        live_header_(history.live_header),
        committed_checksum_(history.committed_checksum),
        running_checksum_(history.committed_checksum),
        live_file_(std::make_shared<const DurableFile>(std::move(history.live))),
        live_start_(live_header_.start_frame_no),
        live_committed_(live_header_.frame_count),
        pending_(std::move(history.pending)),
        snapshots_(std::move(history.snapshots)) {
    // An empty live log that continues a compacted one still has a history behind it.
    if (live_header_.frame_count > 0 || live_header_.start_frame_no > 0)
      last_frame_no_ = live_header_.start_frame_no + live_header_.frame_count - 1;
    write_buffer_.reserve(kWriteBufferFrames * kFrameSize);
    if (!pending_.empty()) request_compaction();
  }

  ~FrameLogImpl() override {
    std::unique_lock lock(mutex_);
    closing_ = true;
    stopping_.store(true);
    changed_.notify_all();
    compactor_wake_.notify_all();
    // Waiters hold mutex_ when they wake: let them leave before it goes away.
    changed_.wait(lock, [this] { return waiters_ == 0; });
    lock.unlock();
    if (compactor_.joinable()) compactor_.join();
  }

  void append(std::uint32_t page_no, const std::uint8_t* page, std::uint32_t size_after) override {
    if (page_no == 0) throw Error(PrimaryCode::kMisuse, "a frame cannot hold page 0");
    if (write_error_) return;  // commit() reports it
    const std::uint64_t index = live_header_.frame_count + uncommitted_;
    if (write_buffer_.empty()) buffer_first_index_ = index;
    FrameHeader header;
    header.frame_no = live_header_.start_frame_no + index;
    header.checksum = frame_checksum(running_checksum_, page);
    header.page_no = page_no;
    header.size_after = size_after;
    const std::size_t at = write_buffer_.size();
    write_buffer_.resize(at + kFrameSize);
    encode_frame_header(header, write_buffer_.data() + at);
    std::memcpy(write_buffer_.data() + at + kFrameHeaderSize, page, kPageSize);
    running_checksum_ = header.checksum;
    ++uncommitted_;
    last_size_after_ = size_after;
    if (write_buffer_.size() >= kWriteBufferFrames * kFrameSize) {
      try {
        flush_write_buffer();
      } catch (const Error& error) {
        write_error_ = error;
        write_buffer_.clear();
      }
    }
  }

  void commit() override {
    if (write_error_) {
      const Error error = *write_error_;
      rollback();
      throw error;
    }
    if (uncommitted_ == 0) return;
    if (last_size_after_ == 0) {
      const std::uint64_t count = uncommitted_;
      rollback();
      throw Error(PrimaryCode::kMisuse, "commit() after " + std::to_string(count) +
                                            " frames that do not end a transaction (the last "
                                            "has size_after 0); they are dropped");
    }
    LogHeader header = live_header_;
    header.frame_count += uncommitted_;
    try {
      flush_write_buffer();
      write_log_header(*live_file_, header);
      live_file_->sync_data();
    } catch (...) {
      // Best effort: a clean restart must not count the frames dropped here.
      try {
        write_log_header(*live_file_, live_header_);
      } catch (...) {
      }
      rollback();
      throw;
    }
    live_header_ = header;
    committed_checksum_ = running_checksum_;
    uncommitted_ = 0;
    last_size_after_ = 0;
    {
      std::lock_guard lock(mutex_);
      live_committed_ = header.frame_count;
      last_frame_no_ = header.start_frame_no + header.frame_count - 1;
    }
    changed_.notify_all();
    if (options_.on_commit) options_.on_commit();
    if (live_header_.frame_count > options_.max_live_frames) {
      try {
        rotate();
      } catch (...) {
        // The commit stands; the live log just grows a little longer. The next commit
        // tries the rotation again.
      }
    }
  }

  void rollback() noexcept override {
    uncommitted_ = 0;
    last_size_after_ = 0;
    running_checksum_ = committed_checksum_;
    write_buffer_.clear();
    write_error_.reset();
  }

  LogId log_id() const override { return log_id_; }

  std::optional<std::uint64_t> last_frame_no() const override {
    std::lock_guard lock(mutex_);
    return last_frame_no_;
  }

  ReadResult open_batch(std::uint64_t next_frame_no, std::size_t min_frames,
                        std::unique_ptr<FrameBatch>& batch) const override {
    std::shared_ptr<const DurableFile> file;
    std::uint64_t start = 0;
    std::uint64_t committed = 0;
    {
      std::lock_guard lock(mutex_);
      if (next_frame_no >= live_start_) {
        file = live_file_;
        start = live_start_;
        committed = live_committed_;
      } else {
        for (const SealedLog& log : pending_) {
          if (log.header.start_frame_no <= next_frame_no &&
              next_frame_no - log.header.start_frame_no < log.header.frame_count) {
            file = log.file;
            start = log.header.start_frame_no;
            committed = log.header.frame_count;
          }
        }
        if (!file) return ReadResult::kNeedSnapshot;
      }
    }
    const std::uint64_t first = std::min(next_frame_no - start, committed);
    const std::uint64_t end = first == committed ? first
                                                 : batch_end(*file, start, first, committed,
                                                             std::max<std::size_t>(min_frames, 1));
    batch = std::make_unique<LogBatch>(std::move(file), first, end);
    return ReadResult::kFrames;
  }

  std::unique_ptr<SnapshotReader> open_snapshot(std::uint64_t frame_no) const override {
    std::shared_ptr<const SnapshotFile> found;
    {
      std::lock_guard lock(mutex_);
      for (const auto& snapshot : snapshots_) {
        if (snapshot->header.start_frame_no <= frame_no &&
            frame_no <= snapshot->header.end_frame_no)
          found = snapshot;
      }
    }
    if (!found) return nullptr;
    return make_snapshot_reader(std::move(found), frame_no);
  }

  bool wait_for(std::uint64_t frame_no,
                std::chrono::steady_clock::time_point deadline) const override {
    std::unique_lock lock(mutex_);
    const auto reached = [&] { return last_frame_no_ && *last_frame_no_ >= frame_no; };
    if (closing_) return reached();
    ++waiters_;
    changed_.wait_until(lock, deadline, [&] { return closing_ || reached(); });
    const bool result = reached();
    if (--waiters_ == 0 && closing_) changed_.notify_all();
    return result;
  }

 private:
  void flush_write_buffer() {
    if (write_buffer_.empty()) return;
    live_file_->write_at(log_frame_offset(buffer_first_index_), write_buffer_.data(),
                         write_buffer_.size());
    write_buffer_.clear();
  }

  // Frames [first, end) of a log file, read as they are asked for.
  class LogBatch final : public FrameBatch {
   public:
    LogBatch(std::shared_ptr<const DurableFile> file, std::uint64_t first, std::uint64_t end)
        : file_(std::move(file)), next_(first), end_(end), count_(end - first) {}
    std::uint64_t frame_count() const override { return count_; }
    std::size_t read(std::size_t max_frames, std::vector<std::uint8_t>& out) override {
      const std::uint64_t count = std::min<std::uint64_t>(max_frames, end_ - next_);
      if (count == 0) return 0;
      const std::size_t at = out.size();
      out.resize(at + count * kFrameSize);
      try {
        file_->read_at(log_frame_offset(next_), out.data() + at, count * kFrameSize);
      } catch (...) {
        out.resize(at);
        throw;
      }
      next_ += count;
      return count;
    }

   private:
    std::shared_ptr<const DurableFile> file_;
    std::uint64_t next_;
    std::uint64_t end_;
    std::uint64_t count_;
  };

  // Where a batch of a log starting at frame index `first` ends (one past its last
  // frame): `min_frames` on (or the committed end), then on to the next commit frame.
  // Past `min_frames`, whole frames are read a chunk at a time to find that commit (a
  // header alone per pread would be a syscall per frame); the batch's own reads then
  // find them in the page cache.
  static std::uint64_t batch_end(const DurableFile& file, std::uint64_t start, std::uint64_t first,
                                 std::uint64_t committed, std::size_t min_frames) {
    std::array<std::uint8_t, kFrameHeaderSize> header;
    file.read_at(log_frame_offset(first), header.data(), header.size());
    if (decode_frame_header(header.data()).frame_no != start + first) {
      throw_corrupt(file.name(),
                    "holds a frame out of place at frame " + std::to_string(start + first));
    }
    std::uint64_t last = first + std::min<std::uint64_t>(min_frames, committed - first) - 1;
    file.read_at(log_frame_offset(last), header.data(), header.size());
    if (decode_frame_header(header.data()).is_commit()) return last + 1;
    std::vector<std::uint8_t> chunk;
    for (std::uint64_t next = last + 1; next < committed;) {
      const std::uint64_t count = std::min(kReadChunkFrames, committed - next);
      chunk.resize(count * kFrameSize);
      file.read_at(log_frame_offset(next), chunk.data(), chunk.size());
      for (std::uint64_t i = 0; i < count; ++i) {
        if (decode_frame_header(chunk.data() + i * kFrameSize).is_commit()) return next + i + 1;
      }
      next += count;
    }
    throw_corrupt(file.name(), "ends inside a transaction");
  }

  // Swaps an empty log continuing the numbering into wallog and queues the old one for
  // compaction. Writer thread, right after a commit (no uncommitted frames).
  void rotate() {
    LogHeader next;
    next.log_id = log_id_;
    next.start_frame_no = live_header_.start_frame_no + live_header_.frame_count;
    next.start_checksum = committed_checksum_;
    const fs::path created_path = layout_.to_compact / LogId::random().to_string();
    DurableFile created = create_log_file(created_path, next);
    fs::path sealed_path = created_path;
    DurableFile new_live;
    DurableFile sealed;
    try {
      new_live = created.duplicate(layout_.wallog.string());
      sealed = live_file_->duplicate(sealed_path.string());
      if (!exchange_names(layout_.wallog, created_path)) {
        // No atomic exchange here: two renames. A crash between them leaves no wallog,
        // which the unclean-shutdown rebuild covers.
        sealed_path = layout_.to_compact / LogId::random().to_string();
        sealed = live_file_->duplicate(sealed_path.string());
        rename_file(layout_.wallog, sealed_path);
        try {
          rename_file(created_path, layout_.wallog);
        } catch (...) {
          std::error_code ignored;
          fs::rename(sealed_path, layout_.wallog, ignored);
          throw;
        }
      }
    } catch (...) {
      remove_quietly(created_path);
      throw;
    }
    SealedLog old_log{std::make_shared<const DurableFile>(std::move(sealed)), live_header_,
                      sealed_path};
    auto live = std::make_shared<const DurableFile>(std::move(new_live));
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(std::move(old_log));
      live_file_ = std::move(live);
      live_start_ = next.start_frame_no;
      live_committed_ = 0;
    }
    live_header_ = next;
    request_compaction();
    // Making the new names durable: if this fails, only an unclean stop could lose them,
    // and that rebuilds the log anyway.
    try {
      sync_directory(layout_.directory);
      sync_directory(layout_.to_compact);
    } catch (const Error&) {
    }
  }

  void request_compaction() {
    {
      std::lock_guard lock(mutex_);
      compaction_requested_ = true;
    }
    if (!compactor_.joinable()) compactor_ = std::thread([this] { run_compactor(); });
    compactor_wake_.notify_one();
  }

  // The background thread: compacts pending logs oldest first, then merges snapshots.
  // A failure leaves the log pending (still served from to_compact/) and is retried at
  // the next rotation or the next open().
  void run_compactor() {
    std::unique_lock lock(mutex_);
    for (;;) {
      compactor_wake_.wait(lock, [this] { return closing_ || compaction_requested_; });
      if (closing_) return;
      compaction_requested_ = false;
      while (!closing_ && !pending_.empty()) {
        const SealedLog job = pending_.front();
        lock.unlock();
        std::shared_ptr<const SnapshotFile> snapshot;
        try {
          snapshot = compact_log(*job.file, job.header, layout_.snapshot_directories(), stopping_);
        } catch (const std::exception&) {
        }
        lock.lock();
        if (!snapshot) break;
        snapshots_.push_back(snapshot);
        pending_.erase(pending_.begin());
        lock.unlock();
        remove_quietly(job.path);
        merge_if_needed();
        lock.lock();
      }
    }
  }

  // Compactor thread, mutex_ not held. snapshots_ changes on this thread only.
  void merge_if_needed() {
    std::vector<std::shared_ptr<const SnapshotFile>> inputs;
    {
      std::lock_guard lock(mutex_);
      inputs = snapshots_;
    }
    if (!should_merge_snapshots(inputs)) return;
    std::shared_ptr<const SnapshotFile> merged;
    try {
      merged = merge_snapshots(inputs, layout_.snapshot_directories(), stopping_);
    } catch (const std::exception&) {
      return;  // the inputs still serve; the next compaction tries again
    }
    if (!merged) return;
    {
      std::lock_guard lock(mutex_);
      snapshots_.erase(snapshots_.begin(),
                       snapshots_.begin() + static_cast<std::ptrdiff_t>(inputs.size()));
      snapshots_.insert(snapshots_.begin(), merged);
    }
    // Readers streaming an input keep it open; the unlink only drops its name.
    for (const auto& input : inputs) remove_quietly(input->path);
  }

  const FrameLogOptions options_;
  const LogLayout layout_;
  const LogId log_id_;

  // The writer's own state.
  LogHeader live_header_;  // frame_count: committed frames
  std::uint64_t committed_checksum_;
  std::uint64_t running_checksum_;  // of the last appended frame
  std::uint64_t uncommitted_ = 0;
  std::uint32_t last_size_after_ = 0;
  std::vector<std::uint8_t> write_buffer_;  // appended frames not yet written
  std::uint64_t buffer_first_index_ = 0;    // their first one's index in the file
  std::optional<Error> write_error_;        // a failed write, reported by commit()
  std::thread compactor_;

  // Published state, under mutex_.
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // a commit, or closing
  std::condition_variable compactor_wake_;
  std::shared_ptr<const DurableFile> live_file_;
  std::uint64_t live_start_;
  std::uint64_t live_committed_;
  std::optional<std::uint64_t> last_frame_no_;
  std::vector<SealedLog> pending_;                              // oldest first
  std::vector<std::shared_ptr<const SnapshotFile>> snapshots_;  // oldest first, contiguous
  bool closing_ = false;
  bool compaction_requested_ = false;
  mutable int waiters_ = 0;
  std::atomic<bool> stopping_{false};  // read by the compactor without mutex_
};

}  // namespace

std::unique_ptr<FrameLog> FrameLog::open(FrameLogOptions options) {
  LogHistory history = load_history(LogLayout(options.directory));
  return std::make_unique<FrameLogImpl>(std::move(options), std::move(history));
}

std::unique_ptr<FrameLog> FrameLog::recreate(
    FrameLogOptions options, std::uint32_t page_count,
    const std::function<const std::uint8_t*(std::uint32_t page_no)>& page) {
  write_initial_log(LogLayout(options.directory), LogId::random(), page_count, page);
  return open(std::move(options));
}

FrameLog::ReadResult FrameLog::read(std::uint64_t next_frame_no, std::size_t min_frames,
                                    std::vector<std::uint8_t>& out) const {
  std::unique_ptr<FrameBatch> batch;
  if (open_batch(next_frame_no, min_frames, batch) == ReadResult::kNeedSnapshot)
    return ReadResult::kNeedSnapshot;
  const std::size_t old_size = out.size();
  out.reserve(old_size + batch->frame_count() * kFrameSize);
  try {
    while (batch->read(kReadChunkFrames, out) > 0) {
    }
  } catch (...) {
    out.resize(old_size);
    throw;
  }
  return ReadResult::kFrames;
}

}  // namespace libsql::replication
