// log_directory.cc: implements log_directory.h. Deletes only what is provably useless
// (see load_history); anything it cannot vouch for makes open() fail instead, so the
// caller rebuilds the log and replicas start over rather than read a wrong history.

#include "replication/log_directory.h"

#include <algorithm>
#include <cstring>
#include <system_error>

#include "libsql/error.h"

namespace libsql::replication {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWriteBufferFrames = 64;  // about 256 KB per write

[[noreturn]] void throw_corrupt(const std::string& name, const std::string& what) {
  throw Error(PrimaryCode::kCorrupt, name + " " + what);
}

void make_directories(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec)
    throw Error(PrimaryCode::kCantOpen,
                "cannot create " + directory.string() + ": " + ec.message());
}

std::vector<fs::path> list_files(const fs::path& directory) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec)
    throw Error(PrimaryCode::kIoErr, "cannot list " + directory.string() + ": " + ec.message());
  return files;
}

// Reads and checks a log's header against the format and the file's size.
LogHeader read_log_header(const DurableFile& file) {
  const std::uint64_t size = file.size();
  if (size < kLogHeaderSize) {
    throw_corrupt(file.name(), "is " + std::to_string(size) + " bytes, shorter than its " +
                                   std::to_string(kLogHeaderSize) + "-byte header");
  }
  std::uint8_t bytes[kLogHeaderSize];
  file.read_at(0, bytes, sizeof bytes);
  const LogHeader header = decode_log_header(bytes);
  if (header.magic != kLogMagic) throw_corrupt(file.name(), "is not a replication log (bad magic)");
  if (header.version != kLogVersion) {
    throw_corrupt(file.name(), "is a version " + std::to_string(header.version) +
                                   " log; only version " + std::to_string(kLogVersion) +
                                   " is supported");
  }
  if (header.page_size != static_cast<std::int32_t>(kPageSize)) {
    throw_corrupt(file.name(), "has " + std::to_string(header.page_size) + "-byte pages, not " +
                                   std::to_string(kPageSize));
  }
  if ((size - kLogHeaderSize) / kFrameSize < header.frame_count) {
    throw_corrupt(file.name(), "has a header counting " + std::to_string(header.frame_count) +
                                   " frames but holds only " +
                                   std::to_string((size - kLogHeaderSize) / kFrameSize));
  }
  return header;
}

// The checksum the next frame chains from; checks that the log ends on a commit.
std::uint64_t read_committed_checksum(const DurableFile& file, const LogHeader& header) {
  if (header.frame_count == 0) return header.start_checksum;
  std::uint8_t bytes[kFrameHeaderSize];
  file.read_at(log_frame_offset(header.frame_count - 1), bytes, sizeof bytes);
  const FrameHeader last = decode_frame_header(bytes);
  if (last.frame_no != header.start_frame_no + header.frame_count - 1) {
    throw_corrupt(file.name(), "holds frame " + std::to_string(last.frame_no) + " where frame " +
                                   std::to_string(header.start_frame_no + header.frame_count - 1) +
                                   " belongs");
  }
  if (!last.is_commit()) throw_corrupt(file.name(), "does not end with a commit frame");
  return last.checksum;
}

// Snapshots of `log_id`, oldest first. Those of another log are deleted (frame numbers
// mean nothing across ids); one a crashed merge left inside a wider one too.
std::vector<std::shared_ptr<const SnapshotFile>> load_snapshots(const LogLayout& layout,
                                                                const LogId& log_id) {
  std::vector<std::shared_ptr<const SnapshotFile>> snapshots;
  for (const fs::path& path : list_files(layout.snapshots)) {
    const auto name = parse_snapshot_file_name(path.filename().string());
    if (!name) continue;  // not ours
    if (name->log_id != log_id) {
      remove_quietly(path);
      continue;
    }
    snapshots.push_back(open_snapshot_file(path, log_id));
  }
  std::sort(snapshots.begin(), snapshots.end(), [](const auto& a, const auto& b) {
    if (a->header.start_frame_no != b->header.start_frame_no)
      return a->header.start_frame_no < b->header.start_frame_no;
    return a->header.end_frame_no > b->header.end_frame_no;
  });
  std::vector<std::shared_ptr<const SnapshotFile>> kept;
  for (auto& snapshot : snapshots) {
    if (!kept.empty() && snapshot->header.start_frame_no <= kept.back()->header.end_frame_no) {
      if (snapshot->header.end_frame_no > kept.back()->header.end_frame_no) {
        throw_corrupt(snapshot->path.string(),
                      "overlaps " + kept.back()->path.string() + " without containing it");
      }
      remove_quietly(snapshot->path);
      continue;
    }
    kept.push_back(std::move(snapshot));
  }
  return kept;
}

// Logs waiting in to_compact/, oldest first. Deleted: those a crash left before the swap
// (no valid header, or no frames), those of another log, those already compacted.
std::vector<SealedLog> load_pending(
    const LogLayout& layout, const LogId& log_id,
    const std::vector<std::shared_ptr<const SnapshotFile>>& snapshots) {
  std::vector<SealedLog> pending;
  for (const fs::path& path : list_files(layout.to_compact)) {
    auto file = std::make_shared<DurableFile>(DurableFile::open_existing(path));
    std::uint8_t bytes[kLogHeaderSize];
    if (file->size() < kLogHeaderSize) {
      remove_quietly(path);
      continue;
    }
    file->read_at(0, bytes, sizeof bytes);
    const LogHeader peek = decode_log_header(bytes);
    if (peek.magic != kLogMagic || peek.log_id != log_id || peek.frame_count == 0) {
      remove_quietly(path);
      continue;
    }
    const LogHeader header = read_log_header(*file);
    read_committed_checksum(*file, header);
    const std::uint64_t end = header.start_frame_no + header.frame_count - 1;
    const bool compacted = std::any_of(snapshots.begin(), snapshots.end(), [&](const auto& s) {
      return s->header.start_frame_no <= header.start_frame_no && end <= s->header.end_frame_no;
    });
    if (compacted) {
      remove_quietly(path);
      continue;
    }
    pending.push_back(SealedLog{std::move(file), header, path});
  }
  std::sort(pending.begin(), pending.end(), [](const SealedLog& a, const SealedLog& b) {
    return a.header.start_frame_no < b.header.start_frame_no;
  });
  return pending;
}

// Every frame from 0 to the live log's start must be in a snapshot or a pending log.
void check_history(const std::vector<std::shared_ptr<const SnapshotFile>>& snapshots,
                   const std::vector<SealedLog>& pending, const LogHeader& live,
                   const std::string& live_name) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& s : snapshots)
    ranges.emplace_back(s->header.start_frame_no, s->header.end_frame_no);
  for (const auto& p : pending) {
    ranges.emplace_back(p.header.start_frame_no,
                        p.header.start_frame_no + p.header.frame_count - 1);
  }
  ranges.emplace_back(live.start_frame_no, live.start_frame_no + live.frame_count);
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected = 0;
  for (const auto& [start, end] : ranges) {
    if (start != expected) {
      throw_corrupt(live_name, "history has a gap: frames from " + std::to_string(expected) +
                                   " to " + std::to_string(start) +
                                   " are in neither a snapshot nor a log");
    }
    expected = end + 1;
  }
}

}  // namespace

void remove_quietly(const fs::path& path) noexcept {
  std::error_code ignored;
  fs::remove(path, ignored);
}

void write_log_header(const DurableFile& file, const LogHeader& header) {
  std::uint8_t bytes[kLogHeaderSize];
  encode_log_header(header, bytes);
  file.write_at(0, bytes, sizeof bytes);
}

DurableFile create_log_file(const fs::path& path, const LogHeader& header) {
  DurableFile file = DurableFile::create_new(path);
  try {
    write_log_header(file, header);
    file.sync_all();
  } catch (...) {
    remove_quietly(path);
    throw;
  }
  return file;
}

LogHistory load_history(const LogLayout& layout) {
  make_directories(layout.snapshots);
  make_directories(layout.to_compact);
  clear_directory(layout.tmp);
  std::error_code ec;
  if (!fs::exists(layout.wallog, ec)) {
    if (ec)
      throw Error(PrimaryCode::kCantOpen,
                  "cannot look for " + layout.wallog.string() + ": " + ec.message());
    LogHeader header;
    header.log_id = LogId::random();
    const fs::path staged = layout.tmp / "wallog";
    create_log_file(staged, header);
    rename_file(staged, layout.wallog);
    sync_directory(layout.directory);
  }
  LogHistory history;
  history.live = DurableFile::open_existing(layout.wallog);
  history.live_header = read_log_header(history.live);
  history.committed_checksum = read_committed_checksum(history.live, history.live_header);
  history.snapshots = load_snapshots(layout, history.live_header.log_id);
  history.pending = load_pending(layout, history.live_header.log_id, history.snapshots);
  check_history(history.snapshots, history.pending, history.live_header, history.live.name());
  return history;
}

void write_initial_log(const LogLayout& layout, const LogId& log_id, std::uint32_t page_count,
                       const std::function<const std::uint8_t*(std::uint32_t page_no)>& page) {
  make_directories(layout.directory);
  clear_directory(layout.tmp);
  LogHeader header;
  header.log_id = log_id;
  header.frame_count = page_count;
  const fs::path staged = layout.tmp / "wallog";
  {
    DurableFile file = DurableFile::create_new(staged);
    write_log_header(file, header);
    std::vector<std::uint8_t> buffer;
    buffer.reserve(kWriteBufferFrames * kFrameSize);
    std::uint64_t written = 0;
    std::uint64_t checksum = header.start_checksum;
    // Streamed: a large database is never in memory at once.
    for (std::uint64_t n = 1; n <= page_count; ++n) {
      const auto page_no = static_cast<std::uint32_t>(n);
      const std::uint8_t* image = page(page_no);
      if (image == nullptr) {
        throw Error(PrimaryCode::kMisuse, "no image for page " + std::to_string(page_no) + " of " +
                                              std::to_string(page_count));
      }
      FrameHeader frame;
      frame.frame_no = page_no - 1;
      frame.checksum = checksum = frame_checksum(checksum, image);
      frame.page_no = page_no;
      frame.size_after = page_no == page_count ? page_count : 0;
      const std::size_t at = buffer.size();
      buffer.resize(at + kFrameSize);
      encode_frame_header(frame, buffer.data() + at);
      std::memcpy(buffer.data() + at + kFrameHeaderSize, image, kPageSize);
      if (buffer.size() >= kWriteBufferFrames * kFrameSize || page_no == page_count) {
        file.write_at(log_frame_offset(written), buffer.data(), buffer.size());
        written += buffer.size() / kFrameSize;
        buffer.clear();
      }
    }
    file.sync_all();
  }
  clear_directory(layout.snapshots);
  clear_directory(layout.to_compact);
  rename_file(staged, layout.wallog);
  sync_directory(layout.directory);
}

}  // namespace libsql::replication
