// snapshot_store_test.cc: compaction of the frame log into snapshots, streaming
// snapshots from an offset, merging them, finishing compactions on open, and a reader
// racing a writer that compacts.

#include "replication/snapshot_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "libsql/error.h"
#include "replication/frame_log_test_support.h"
#include "replication/log_format.h"
#include "tests/support/temp_dir.h"

namespace libsql::replication {
namespace {

using namespace test_support;
using libsql::testing::TempDir;
namespace fs = std::filesystem;

// A replica's database: page images, cut back to the size each commit gives.
struct Replica {
  std::map<std::uint32_t, std::vector<std::uint8_t>> pages;
  std::uint32_t size = 0;

  void apply(const Frame& frame) {
    pages[frame.header.page_no] = frame.page;
    if (frame.header.is_commit()) {
      size = frame.header.size_after;
      pages.erase(pages.upper_bound(size), pages.end());
    }
  }
  bool operator==(const Replica&) const = default;
};

std::size_t count_files(const fs::path& directory) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) count += entry.is_regular_file();
  return count;
}

bool has_snapshot_covering(const FrameLog& log, std::uint64_t start, std::uint64_t end) {
  auto reader = log.open_snapshot(start);
  return reader && reader->end_frame_no() == end;
}

TEST(FrameLogCompaction, FramesBelowTheLiveLogNeedASnapshotOnceCompacted) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 4));
  for (int t = 0; t < 3; ++t) commit_transaction(*log, {1, 2}, 2, t);  // 6 frames > 4
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 5); }));
  std::vector<std::uint8_t> out;
  EXPECT_EQ(log->read(0, 1, out), FrameLog::ReadResult::kNeedSnapshot);
  EXPECT_EQ(log->read(5, 1, out), FrameLog::ReadResult::kNeedSnapshot);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(log->read(6, 1, out), FrameLog::ReadResult::kFrames);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(log->last_frame_no(), 5u);
  EXPECT_TRUE(eventually([&] { return count_files(dir.path() / "to_compact") == 0; }))
      << "the compacted log is deleted";
}

TEST(FrameLogCompaction, TheLiveLogContinuesNumberingAndChecksumsAfterARotation) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 4));
  for (int t = 0; t < 3; ++t) commit_transaction(*log, {1, 2}, 2, t);
  commit_transaction(*log, {3}, 3, 9);
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 5); }));
  auto reader = log->open_snapshot(5);
  const auto newest = read_snapshot(*reader);
  ASSERT_FALSE(newest.empty());
  const auto frames = read_log(*log, 6);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].header.frame_no, 6u);
  EXPECT_EQ(frames[0].header.checksum,
            frame_checksum(newest[0].header.checksum, frames[0].page.data()))
      << "the new log chains from the old log's last checksum";
  log.reset();
  auto reopened = FrameLog::open(options_for(dir.path(), 4));
  EXPECT_EQ(reopened->last_frame_no(), 6u);
  EXPECT_TRUE(reopened->open_snapshot(0) != nullptr) << "snapshots are found again on open";
}

TEST(FrameLogCompaction, SnapshotHoldsTheNewestVersionOfEachPageNewestFirst) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 6));
  commit_transaction(*log, {1, 2, 3}, 3, 1);  // frames 0-2
  commit_transaction(*log, {2}, 3, 2);        // 3
  commit_transaction(*log, {3, 1}, 3, 3);     // 4-5
  commit_transaction(*log, {2}, 3, 4);        // 6: 7 frames > 6
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 6); }));
  auto reader = log->open_snapshot(0);
  const auto frames = read_snapshot(*reader, 1);
  ASSERT_EQ(frames.size(), 3u);
  const std::uint64_t numbers[] = {6, 5, 4};
  const std::uint32_t pages[] = {2, 1, 3};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(frames[i].header.frame_no, numbers[i]);
    EXPECT_EQ(frames[i].header.page_no, pages[i]);
    EXPECT_EQ(version_of(frames[i].page), i == 0 ? 4u : 3u);
    EXPECT_EQ(frames[i].header.size_after, i == 2 ? 3u : 0u)
        << "only the last frame streamed carries the database size";
  }
}

TEST(FrameLogCompaction, SnapshotFilesStoreNoDatabaseSizeInTheirFrames) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 2));
  for (int t = 0; t < 3; ++t) commit_transaction(*log, {1}, 1, t);
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 2); }));
  const fs::path file = *fs::directory_iterator(dir.path() / "snapshots");
  EXPECT_EQ(file.filename().string(), snapshot_file_name(log->log_id(), 0, 2));
  auto snapshot = open_snapshot_file(file, log->log_id());
  EXPECT_EQ(snapshot->header.frame_count, 1u);
  EXPECT_EQ(snapshot->header.size_after, 1u);
  std::uint8_t header[kFrameHeaderSize];
  snapshot->file.read_at(snapshot_frame_offset(0), header, sizeof header);
  EXPECT_EQ(decode_frame_header(header).size_after, 0u);
}

TEST(SnapshotStore, ReaderFromAnOffsetStreamsOnlyFramesAtOrAboveIt) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 6));
  commit_transaction(*log, {1, 2, 3}, 3, 1);
  commit_transaction(*log, {2}, 3, 2);
  commit_transaction(*log, {3, 1}, 3, 3);
  commit_transaction(*log, {2}, 3, 4);
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 6); }));
  auto from_five = read_snapshot(*log->open_snapshot(5));
  ASSERT_EQ(from_five.size(), 2u);
  EXPECT_EQ(from_five[1].header.frame_no, 5u);
  EXPECT_EQ(from_five[1].header.size_after, 3u);
  auto from_six = read_snapshot(*log->open_snapshot(6));
  ASSERT_EQ(from_six.size(), 1u);
  EXPECT_EQ(from_six[0].header.size_after, 3u) << "a single frame is also the last";
  EXPECT_EQ(log->open_snapshot(7), nullptr) << "frame 7 is past every snapshot";
}

TEST(SnapshotStore, ReaderKeepsStreamingASnapshotThatAMergeRemoved) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 3));
  for (int t = 0; t < 2; ++t) commit_transaction(*log, {1, 2}, 2, t);
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 3); }));
  auto reader = log->open_snapshot(0);
  for (int t = 2; t < 4; ++t) commit_transaction(*log, {1, 2}, 2, t);
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 7); }));
  ASSERT_TRUE(eventually([&] { return count_files(dir.path() / "snapshots") == 1; }))
      << "the merge unlinks the snapshot being read";
  log.reset();
  const auto frames = read_snapshot(*reader);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].header.frame_no, 3u);
  EXPECT_EQ(frames[1].header.frame_no, 2u);
  EXPECT_EQ(frames[1].header.size_after, 2u);
  EXPECT_EQ(reader->end_frame_no(), 3u);
}

TEST(FrameLogCompaction, SnapshotFromAnyOffsetOnTopOfTheFramesBelowGivesTheSameDatabase) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 60));
  std::mt19937 random(11);
  std::vector<Frame> history;
  std::uint32_t size = 0;
  std::uint64_t version = 0;
  while (history.size() <= 60) {
    std::vector<std::uint32_t> pages;
    const int count = 1 + static_cast<int>(random() % 5);
    for (int i = 0; i < count; ++i) pages.push_back(1 + random() % 12);
    size = std::max(size, *std::max_element(pages.begin(), pages.end()));
    if (random() % 7 == 0) size = std::max<std::uint32_t>(1, size - 3);  // the database shrinks
    commit_transaction(*log, pages, size, ++version);
    // What the log holds, rebuilt from what was written: its frames may be compacted
    // away before a read could get them.
    for (std::size_t i = 0; i < pages.size(); ++i) {
      const std::uint32_t size_after = i + 1 == pages.size() ? size : 0;
      history.push_back(Frame{FrameHeader{history.size(), 0, pages[i], size_after},
                              page_image(pages[i], version)});
    }
  }
  const std::uint64_t end = history.size() - 1;
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, end); }));
  Replica expected;
  for (const auto& frame : history) expected.apply(frame);
  for (std::uint64_t offset = 0; offset <= end; ++offset) {
    Replica replica;
    for (std::uint64_t i = 0; i < offset; ++i) replica.apply(history[i]);
    for (const auto& frame : read_snapshot(*log->open_snapshot(offset))) replica.apply(frame);
    EXPECT_TRUE(replica == expected) << "snapshot applied from frame " << offset;
  }
}

TEST(FrameLogCompaction, SnapshotsMergeOnceTheyHoldTwiceTheDatabase) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 3));
  for (int t = 0; t < 2; ++t) commit_transaction(*log, {1, 2}, 2, t);  // snapshot 0-3: 2 frames
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 3); }));
  for (int t = 2; t < 4; ++t) commit_transaction(*log, {1, 2}, 2, t);  // 4 frames >= 2 * 2 pages
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 7); }))
      << "the two snapshots become one covering frames 0-7";
  EXPECT_TRUE(eventually([&] { return count_files(dir.path() / "snapshots") == 1; }));
  const auto frames = read_snapshot(*log->open_snapshot(0));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].header.frame_no, 7u);
  EXPECT_EQ(frames[1].header.frame_no, 6u);
  EXPECT_EQ(frames[1].header.size_after, 2u);
}

TEST(FrameLogCompaction, SnapshotsMergeWhenThereAreMoreThanThirtyTwo) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 1));
  // Every transaction adds a page: the snapshots never hold twice the database.
  std::uint32_t page = 0;
  for (int s = 0; s < 33; ++s) {
    for (int t = 0; t < 2; ++t) {
      ++page;
      commit_transaction(*log, {page}, page, page);
    }
    const std::uint64_t end = page - 1;
    ASSERT_TRUE(eventually([&] { return log->open_snapshot(end) != nullptr; })) << "snapshot " << s;
  }
  EXPECT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 65); }));
  EXPECT_TRUE(eventually([&] { return count_files(dir.path() / "snapshots") == 1; }));
}

TEST(FrameLogCompaction, OpenFinishesPendingCompactionsAndDropsHeaderOnlyLogs) {
  TempDir source;
  TempDir dir;
  LogId id;
  std::uint64_t last_checksum = 0;
  {
    auto log = FrameLog::open(options_for(source.path()));
    id = log->log_id();
    for (int t = 0; t < 3; ++t) commit_transaction(*log, {1, 2}, 2, t);
    last_checksum = read_log(*log, 5).at(0).header.checksum;
  }
  // The state a crash leaves after the swap: the full log waits in to_compact/, wallog
  // continues it, and the next rotation's new log was created but never swapped in.
  fs::create_directories(dir.path() / "to_compact");
  fs::copy_file(source.path() / "wallog", dir.path() / "to_compact" / LogId::random().to_string());
  LogHeader next;
  next.log_id = id;
  next.start_frame_no = 6;
  next.start_checksum = last_checksum;
  std::vector<std::uint8_t> bytes(kLogHeaderSize);
  encode_log_header(next, bytes.data());
  for (const fs::path& path : {dir.path() / "wallog", dir.path() / "to_compact" / "next"}) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 64);
  }
  auto log = FrameLog::open(options_for(dir.path()));
  EXPECT_EQ(log->last_frame_no(), 5u);
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 5); }));
  EXPECT_TRUE(eventually([&] { return count_files(dir.path() / "to_compact") == 0; }));
  std::vector<std::uint8_t> out;
  EXPECT_EQ(log->read(0, 1, out), FrameLog::ReadResult::kNeedSnapshot);
  commit_transaction(*log, {1}, 2, 7);
  EXPECT_EQ(read_log(*log, 6).at(0).header.frame_no, 6u);
}

TEST(FrameLogCompaction, OpenRejectsAHistoryWithAGap) {
  TempDir dir;
  {
    auto log = FrameLog::open(options_for(dir.path(), 2));
    for (int t = 0; t < 3; ++t) commit_transaction(*log, {1}, 1, t);
    ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 2); }));
  }
  fs::remove_all(dir.path() / "snapshots");
  try {
    FrameLog::open(options_for(dir.path(), 2));
    ADD_FAILURE() << "opened a log whose frames 0-2 are gone";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("gap"), std::string::npos) << error.what();
  }
}

TEST(FrameLogCompaction, RecreateRemovesSnapshotsAndPendingLogs) {
  TempDir dir;
  {
    auto log = FrameLog::open(options_for(dir.path(), 2));
    for (int t = 0; t < 3; ++t) commit_transaction(*log, {1}, 1, t);
    ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 2); }));
  }
  const auto page = page_image(1, 1);
  auto log =
      FrameLog::recreate(options_for(dir.path(), 2), 1, [&](std::uint32_t) { return page.data(); });
  EXPECT_EQ(count_files(dir.path() / "snapshots"), 0u);
  EXPECT_EQ(count_files(dir.path() / "to_compact"), 0u);
  EXPECT_EQ(log->open_snapshot(0), nullptr);
  EXPECT_EQ(log->last_frame_no(), 0u);
}

TEST(FrameLogCompaction, OpenRejectsATruncatedSnapshot) {
  TempDir dir;
  {
    auto log = FrameLog::open(options_for(dir.path(), 2));
    for (int t = 0; t < 3; ++t) commit_transaction(*log, {1, 2}, 2, t);
    ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 3); }));
  }
  const fs::path file = *fs::directory_iterator(dir.path() / "snapshots");
  fs::resize_file(file, fs::file_size(file) - 100);
  EXPECT_THROW(FrameLog::open(options_for(dir.path(), 2)), Error);
}

// A batch opened on the live log is read after that log was rotated, compacted into a
// snapshot and unlinked: it keeps the file open and yields the frames it located.
TEST(FrameLogCompaction, AnOpenBatchOutlivesItsLogsCompaction) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 4));
  commit_transaction(*log, {1, 2, 3}, 3, 0);
  std::unique_ptr<FrameBatch> batch;
  ASSERT_EQ(log->open_batch(0, 1, batch), FrameLog::ReadResult::kFrames);
  ASSERT_EQ(batch->frame_count(), 3u);
  commit_transaction(*log, {1, 2}, 3, 1);  // 5 frames > 4: the log rotates
  ASSERT_TRUE(eventually([&] { return has_snapshot_covering(*log, 0, 4); }));
  std::vector<std::uint8_t> out;
  ASSERT_EQ(log->read(0, 1, out), FrameLog::ReadResult::kNeedSnapshot);

  std::vector<std::uint8_t> bytes;
  while (batch->read(2, bytes) > 0) {
  }
  const auto frames = split_frames(bytes);
  ASSERT_EQ(frames.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(frames[i].header.frame_no, i);
    EXPECT_EQ(frames[i].header.page_no, i + 1);
    EXPECT_EQ(version_of(frames[i].page), 0u) << "the version of the first transaction";
  }
}

// A reader following the log from frame 0 while the writer commits and the log rotates,
// compacts and merges: it must see every transaction whole, in order, and end with the
// writer's database.
TEST(FrameLogCompaction, ConcurrentReaderSeesWholeTransactionsWhileTheWriterCompacts) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path(), 40));
  constexpr int kTransactions = 400;
  std::atomic<bool> writer_done{false};
  Replica written;
  std::thread writer([&] {
    std::mt19937 random(5);
    std::uint64_t next_frame = 0;
    std::uint32_t size = 0;
    for (int t = 0; t < kTransactions; ++t) {
      const int count = 1 + static_cast<int>(random() % 6);
      std::vector<std::uint32_t> pages;
      for (int i = 0; i < count; ++i) pages.push_back(1 + random() % 20);
      size = std::max(size, *std::max_element(pages.begin(), pages.end()));
      for (int i = 0; i < count; ++i) {
        // Each image names the frame that carries it, so the reader can check placement.
        const auto image = page_image(pages[i], next_frame++);
        const std::uint32_t size_after = i + 1 == count ? size : 0;
        log->append(pages[i], image.data(), size_after);
        written.apply(Frame{FrameHeader{0, 0, pages[i], size_after}, image});
      }
      log->commit();
    }
    writer_done = true;
  });

  Replica replica;
  std::uint64_t next = 0;
  std::optional<std::uint64_t> previous_checksum;
  std::string failure;
  while (failure.empty()) {
    std::vector<std::uint8_t> out;
    if (log->read(next, 8, out) == FrameLog::ReadResult::kNeedSnapshot) {
      auto reader = log->open_snapshot(next);
      if (!reader) {
        failure = "NEED_SNAPSHOT at " + std::to_string(next) + " but no snapshot holds it";
        break;
      }
      const auto frames = read_snapshot(*reader, 3);
      for (std::size_t i = 0; i < frames.size() && failure.empty(); ++i) {
        const auto& h = frames[i].header;
        if (h.frame_no < next || h.frame_no > reader->end_frame_no() ||
            (i > 0 && h.frame_no >= frames[i - 1].header.frame_no) ||
            version_of(frames[i].page) != h.frame_no ||
            (h.size_after != 0) != (i + 1 == frames.size()))
          failure = "bad snapshot frame " + std::to_string(h.frame_no);
        replica.apply(frames[i]);
      }
      if (frames.empty() || frames[0].header.frame_no != reader->end_frame_no()) {
        failure = "snapshot does not start with its last frame";
      } else {
        previous_checksum = frames[0].header.checksum;
      }
      next = reader->end_frame_no() + 1;
      continue;
    }
    if (out.empty()) {
      if (writer_done && log->last_frame_no() < next) break;
      log->wait_for(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
      continue;
    }
    const auto frames = split_frames(out);
    if (!frames.back().header.is_commit())
      failure = "batch ends mid-transaction at " + std::to_string(next);
    for (const auto& frame : frames) {
      if (frame.header.frame_no != next || version_of(frame.page) != next) {
        failure = "frame " + std::to_string(frame.header.frame_no) + " where " +
                  std::to_string(next) + " belongs";
        break;
      }
      if (previous_checksum &&
          frame.header.checksum != frame_checksum(*previous_checksum, frame.page.data())) {
        failure = "checksum chain broken at " + std::to_string(next);
        break;
      }
      previous_checksum = frame.header.checksum;
      replica.apply(frame);
      ++next;
    }
  }
  writer.join();
  EXPECT_EQ(failure, "");
  EXPECT_TRUE(replica == written) << "the replica ends with the writer's database";
  EXPECT_EQ(log->last_frame_no(), next - 1);
}

}  // namespace
}  // namespace libsql::replication
