// frame_log_test.cc: the live frame log: appending, committing, reading in whole
// transactions, reopening, rebuilding, waiting, and failing cleanly. Compaction and
// snapshots are in snapshot_store_test.cc.

#include "replication/frame_log.h"

#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <fstream>
#include <future>
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

std::vector<std::uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Rewrites wallog's header through `change`.
void patch_header(const fs::path& wallog, const std::function<void(LogHeader&)>& change) {
  auto bytes = file_bytes(wallog);
  LogHeader header = decode_log_header(bytes.data());
  change(header);
  encode_log_header(header, bytes.data());
  write_bytes(wallog, bytes);
}

std::string open_error(const fs::path& directory) {
  try {
    FrameLog::open(options_for(directory));
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(FrameLog, LastFrameNoIsNulloptWhenEmptyAndZeroAfterFirstOneFrameCommit) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  EXPECT_FALSE(log->last_frame_no().has_value());
  commit_transaction(*log, {1}, 1, 1);
  EXPECT_EQ(log->last_frame_no(), 0u);
}

TEST(FrameLog, CommittedFramesReadBackWithNumbersPagesAndChainedChecksums) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  commit_transaction(*log, {1, 2}, 2, 1);
  commit_transaction(*log, {2}, 2, 2);
  commit_transaction(*log, {3, 1, 2}, 3, 3);
  const auto frames = read_log(*log, 0);
  ASSERT_EQ(frames.size(), 6u);
  const std::uint32_t pages[] = {1, 2, 2, 3, 1, 2};
  const std::uint32_t sizes[] = {0, 2, 2, 0, 0, 3};
  const std::uint64_t versions[] = {1, 1, 2, 3, 3, 3};
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].header.frame_no, i);
    EXPECT_EQ(frames[i].header.page_no, pages[i]) << "frame " << i;
    EXPECT_EQ(frames[i].header.size_after, sizes[i]) << "frame " << i;
    EXPECT_EQ(frames[i].page, page_image(pages[i], versions[i])) << "frame " << i;
    EXPECT_EQ(frames[i].header.checksum, frame_checksum(previous, frames[i].page.data()))
        << "frame " << i << " does not chain from the one before";
    previous = frames[i].header.checksum;
  }
  EXPECT_EQ(log->last_frame_no(), 5u);
}

TEST(FrameLog, ReadTakesAtLeastMinFramesThenStopsAtTheNextCommit) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  for (int t = 0; t < 3; ++t) commit_transaction(*log, {1, 2, 3}, 3, t);
  std::vector<std::uint8_t> out;
  ASSERT_EQ(log->read(0, 4, out), FrameLog::ReadResult::kFrames);
  EXPECT_EQ(out.size() / kFrameSize, 6u) << "4 frames end mid-transaction: read on to frame 5";
  out.clear();
  log->read(0, 3, out);
  EXPECT_EQ(out.size() / kFrameSize, 3u);
  out.clear();
  log->read(4, 1, out);
  const auto frames = split_frames(out);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].header.frame_no, 4u);
  EXPECT_TRUE(frames[1].header.is_commit());
  out.clear();
  log->read(0, 100, out);
  EXPECT_EQ(out.size() / kFrameSize, 9u) << "fewer frames than asked: all there are";
}

// read() returns a huge transaction whole. BatchLogEntries and LogEntries stream it through
// open_batch(): located (one header read, then a scan to its commit) without being read.
TEST(FrameLog, AHugeTransactionIsReadWholeOrLocatedAndReadInPieces) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  commit_transaction(*log, {1}, 1, 0);
  std::vector<std::uint32_t> pages;
  for (std::uint32_t p = 1; p <= 3000; ++p) pages.push_back(p);
  commit_transaction(*log, pages, 3000, 1);
  commit_transaction(*log, {7}, 3000, 2);

  std::unique_ptr<FrameBatch> batch;
  ASSERT_EQ(log->open_batch(1, 10, batch), FrameLog::ReadResult::kFrames);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->frame_count(), 3000u) << "10 frames end mid-transaction: on to its commit";
  std::vector<std::uint8_t> pieces;
  std::size_t calls = 0;
  while (std::size_t count = batch->read(7, pieces)) {
    EXPECT_LE(count, 7u);
    ++calls;
  }
  EXPECT_EQ(calls, (3000u + 6) / 7);
  std::vector<std::uint8_t> whole;
  log->read(1, 10, whole);
  const auto frames = split_frames(whole);
  ASSERT_EQ(frames.size(), 3000u);
  EXPECT_EQ(frames.back().header.frame_no, 3000u);
  EXPECT_EQ(frames.back().header.size_after, 3000u);
  EXPECT_EQ(pieces, whole) << "the pieces are exactly read()'s frames";
  EXPECT_EQ(batch->read(7, pieces), 0u) << "nothing after the end";

  ASSERT_EQ(log->open_batch(3002, 10, batch), FrameLog::ReadResult::kFrames);
  EXPECT_EQ(batch->frame_count(), 0u) << "past the end: an empty batch";
}

TEST(FrameLog, ReadPastTheEndAppendsNothing) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  std::vector<std::uint8_t> out;
  EXPECT_EQ(log->read(0, 10, out), FrameLog::ReadResult::kFrames);
  EXPECT_TRUE(out.empty());
  commit_transaction(*log, {1}, 1, 0);
  EXPECT_EQ(log->read(1, 10, out), FrameLog::ReadResult::kFrames);
  EXPECT_EQ(log->read(1000, 10, out), FrameLog::ReadResult::kFrames);
  EXPECT_TRUE(out.empty());
}

TEST(FrameLog, UncommittedFramesAreInvisibleAndRollbackDropsThem) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  commit_transaction(*log, {1}, 1, 1);
  for (std::uint32_t p = 1; p <= 100; ++p)
    log->append(p, page_image(p, 2).data(), p == 100 ? 100 : 0);
  EXPECT_EQ(log->last_frame_no(), 0u) << "appended frames are not visible before commit";
  EXPECT_EQ(read_log(*log, 0).size(), 1u);
  log->rollback();
  commit_transaction(*log, {2}, 2, 3);
  const auto frames = read_log(*log, 0);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].header.frame_no, 1u) << "the rolled-back frames took no numbers";
  EXPECT_EQ(frames[1].page, page_image(2, 3));
  EXPECT_EQ(frames[1].header.checksum,
            frame_checksum(frames[0].header.checksum, frames[1].page.data()))
      << "the chain continues from the last committed frame";
}

TEST(FrameLog, CommitOfFramesThatDoNotEndATransactionThrowsAndDropsThem) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  log->append(1, page_image(1, 1).data(), 0);
  EXPECT_THROW(log->commit(), Error);
  EXPECT_FALSE(log->last_frame_no().has_value());
  commit_transaction(*log, {1}, 1, 2);
  EXPECT_EQ(log->last_frame_no(), 0u);
}

TEST(FrameLog, ReopenKeepsCommittedFramesAndLogId) {
  TempDir dir;
  LogId id;
  {
    auto log = FrameLog::open(options_for(dir.path()));
    id = log->log_id();
    commit_transaction(*log, {1, 2}, 2, 1);
    commit_transaction(*log, {2}, 2, 2);
  }
  auto log = FrameLog::open(options_for(dir.path()));
  EXPECT_EQ(log->log_id(), id);
  EXPECT_EQ(log->last_frame_no(), 2u);
  commit_transaction(*log, {1}, 2, 3);
  const auto frames = read_log(*log, 0);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[3].header.checksum,
            frame_checksum(frames[2].header.checksum, frames[3].page.data()))
      << "after reopening, the chain continues from the last committed checksum";
}

TEST(FrameLog, FramesAfterTheCommittedCountAreIgnoredOnReopenAndOverwritten) {
  TempDir dir;
  {
    auto log = FrameLog::open(options_for(dir.path()));
    commit_transaction(*log, {1}, 1, 1);
    // 200 uncommitted frames: enough to reach the file before the log closes.
    for (std::uint32_t p = 1; p <= 200; ++p)
      log->append(p, page_image(p, 9).data(), p == 200 ? 200 : 0);
  }
  ASSERT_GT(fs::file_size(dir.path() / "wallog"), log_frame_offset(2)) << "the test needs garbage";
  auto log = FrameLog::open(options_for(dir.path()));
  EXPECT_EQ(log->last_frame_no(), 0u);
  commit_transaction(*log, {2}, 2, 2);
  const auto frames = read_log(*log, 0);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].page, page_image(2, 2));
}

TEST(FrameLog, OpenOfAMissingLogCreatesAnEmptyOneUnderANewId) {
  TempDir a;
  TempDir b;
  auto first = FrameLog::open(options_for(a.path()));
  auto second = FrameLog::open(options_for(b.path()));
  EXPECT_NE(first->log_id(), second->log_id());
  EXPECT_FALSE(first->last_frame_no().has_value());
  EXPECT_EQ(fs::file_size(a.path() / "wallog"), kLogHeaderSize);
}

TEST(FrameLog, OpenRejectsAFileShorterThanTheHeader) {
  TempDir dir;
  write_bytes(dir.path() / "wallog", std::vector<std::uint8_t>(10, 0));
  EXPECT_NE(open_error(dir.path()).find("shorter than its 64-byte header"), std::string::npos);
}

TEST(FrameLog, OpenRejectsABadMagic) {
  TempDir dir;
  FrameLog::open(options_for(dir.path()));
  patch_header(dir.path() / "wallog", [](LogHeader& h) { h.magic[0] = 'X'; });
  EXPECT_NE(open_error(dir.path()).find("bad magic"), std::string::npos);
}

TEST(FrameLog, OpenRejectsAnotherVersion) {
  TempDir dir;
  FrameLog::open(options_for(dir.path()));
  patch_header(dir.path() / "wallog", [](LogHeader& h) { h.version = 1; });
  EXPECT_NE(open_error(dir.path()).find("version 1"), std::string::npos);
}

TEST(FrameLog, OpenRejectsAnotherPageSize) {
  TempDir dir;
  FrameLog::open(options_for(dir.path()));
  patch_header(dir.path() / "wallog", [](LogHeader& h) { h.page_size = 1024; });
  EXPECT_NE(open_error(dir.path()).find("1024-byte pages"), std::string::npos);
}

TEST(FrameLog, OpenRejectsAHeaderCountingFramesTheFileLacks) {
  TempDir dir;
  {
    auto log = FrameLog::open(options_for(dir.path()));
    commit_transaction(*log, {1}, 1, 1);
  }
  patch_header(dir.path() / "wallog", [](LogHeader& h) { h.frame_count = 5; });
  EXPECT_NE(open_error(dir.path()).find("counting 5 frames but holds only 1"), std::string::npos);
}

TEST(FrameLog, RecreateWritesEveryPageAsOneTransactionUnderANewId) {
  TempDir dir;
  LogId old_id;
  {
    auto log = FrameLog::open(options_for(dir.path()));
    old_id = log->log_id();
    commit_transaction(*log, {1}, 1, 1);
  }
  std::vector<std::uint8_t> buffer;  // one buffer reused for every page, as a pager would
  auto log = FrameLog::recreate(options_for(dir.path()), 5, [&](std::uint32_t page_no) {
    buffer = page_image(page_no, 7);
    return buffer.data();
  });
  EXPECT_NE(log->log_id(), old_id);
  EXPECT_EQ(log->last_frame_no(), 4u);
  std::vector<std::uint8_t> out;
  log->read(0, 1, out);
  const auto frames = split_frames(out);
  ASSERT_EQ(frames.size(), 5u) << "one transaction, returned whole";
  std::uint64_t previous = 0;
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].header.frame_no, i);
    EXPECT_EQ(frames[i].header.page_no, i + 1);
    EXPECT_EQ(frames[i].header.size_after, i == 4 ? 5u : 0u);
    EXPECT_EQ(frames[i].page, page_image(i + 1, 7));
    EXPECT_EQ(frames[i].header.checksum, frame_checksum(previous, frames[i].page.data()));
    previous = frames[i].header.checksum;
  }
  log.reset();
  EXPECT_EQ(FrameLog::open(options_for(dir.path()))->last_frame_no(), 4u) << "durable on disk";
}

TEST(FrameLog, RecreateOfAnEmptyDatabaseGivesAnEmptyLog) {
  TempDir dir;
  auto log = FrameLog::recreate(options_for(dir.path()), 0, [](std::uint32_t) {
    return static_cast<const std::uint8_t*>(nullptr);
  });
  EXPECT_FALSE(log->last_frame_no().has_value());
}

TEST(FrameLog, WaitForWakesWhenTheFrameIsCommitted) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  auto waiter = std::async(std::launch::async, [&] {
    return log->wait_for(1, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  });
  commit_transaction(*log, {1}, 1, 1);
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "frame 0 is not frame 1";
  commit_transaction(*log, {1}, 1, 2);
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(waiter.get());
}

TEST(FrameLog, WaitForReturnsFalseAtTheDeadline) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  EXPECT_FALSE(log->wait_for(0, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
  commit_transaction(*log, {1}, 1, 1);
  EXPECT_TRUE(log->wait_for(0, std::chrono::steady_clock::now()));
}

TEST(FrameLog, DestructionWakesWaiters) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  std::promise<void> started;
  auto waiter = std::async(std::launch::async, [&started, raw = log.get()] {
    started.set_value();
    return raw->wait_for(5, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  });
  started.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it block
  const auto begin = std::chrono::steady_clock::now();
  log.reset();
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(waiter.get());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(10));
}

// Makes writes past the file's current end fail (EFBIG), as a full disk would.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit previous_{};
  sighandler_t previous_handler_;
};

TEST(FrameLog, CommitThatCannotWriteThrowsIoErrorAndDropsTheFrames) {
  TempDir dir;
  auto log = FrameLog::open(options_for(dir.path()));
  commit_transaction(*log, {1}, 1, 1);
  {
    FileSizeLimit limit(fs::file_size(dir.path() / "wallog"));
    for (std::uint32_t p = 1; p <= 100; ++p)
      log->append(p, page_image(p, 2).data(), p == 100 ? 100 : 0);
    try {
      log->commit();
      ADD_FAILURE() << "commit succeeded past the file size limit";
    } catch (const Error& error) {
      EXPECT_EQ(error.primary_code(), PrimaryCode::kIoErr) << error.what();
    }
  }
  EXPECT_EQ(log->last_frame_no(), 0u);
  commit_transaction(*log, {2}, 2, 3);
  const auto frames = read_log(*log, 0);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].page, page_image(2, 3)) << "the failed frames were dropped";
  log.reset();
  EXPECT_EQ(FrameLog::open(options_for(dir.path()))->last_frame_no(), 1u);
}

}  // namespace
}  // namespace libsql::replication
