// log_service_test.cc: the ReplicationLog semantics over a log: Hello's optional index,
// session tokens, batches ending on commits, NEED_SNAPSHOT, snapshots, LogEntries. Most
// tests run on an in-memory log with FrameLog's documented behaviour, so they say what
// the service does whatever the log's files; the last ones run on the real FrameLog.

#include "replication/log_service.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/support/temp_dir.h"

namespace libsql::replication {
namespace {

using grpc_web::Status;
using grpc_web::StatusCode;

std::vector<std::uint8_t> make_frame(std::uint64_t frame_no, std::uint32_t page_no,
                                     std::uint32_t size_after) {
  std::vector<std::uint8_t> frame(kFrameSize, static_cast<std::uint8_t>(frame_no * 7 + 1));
  encode_frame_header({.frame_no = frame_no, .page_no = page_no, .size_after = size_after},
                      frame.data());
  return frame;
}

// A FrameBatch over frames copied out of a MemoryLog.
class MemoryBatch final : public FrameBatch {
 public:
  explicit MemoryBatch(std::vector<std::uint8_t> frames) : frames_(std::move(frames)) {}
  std::uint64_t frame_count() const override { return frames_.size() / kFrameSize; }
  std::size_t read(std::size_t max_frames, std::vector<std::uint8_t>& out) override {
    const std::size_t count = std::min<std::size_t>(max_frames, frame_count() - next_);
    const auto begin = frames_.begin() + static_cast<std::ptrdiff_t>(next_ * kFrameSize);
    out.insert(out.end(), begin, begin + static_cast<std::ptrdiff_t>(count * kFrameSize));
    next_ += count;
    return count;
  }

 private:
  std::vector<std::uint8_t> frames_;
  std::size_t next_ = 0;
};

// FrameLog's contract in memory: frames numbered from start_, committed ones only.
class MemoryLog final : public FrameLog {
 public:
  // Appends a committed transaction of `pages` frames.
  void commit_transaction(std::uint32_t pages) {
    const std::lock_guard lock(mutex_);
    for (std::uint32_t i = 1; i <= pages; ++i) {
      frames_.push_back(make_frame(start_ + frames_.size(), i, i == pages ? pages : 0));
    }
    changed_.notify_all();
  }
  // Drops the frames below `start` as a compaction would.
  void compact_below(std::uint64_t start) {
    const std::lock_guard lock(mutex_);
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(start - start_));
    start_ = start;
  }
  struct Snapshot {
    std::uint64_t start, end;
  };
  void add_snapshot(Snapshot snapshot) { snapshot_ = snapshot; }

  void append(std::uint32_t, const std::uint8_t*, std::uint32_t) override {}
  void commit() override {}
  void rollback() noexcept override {}
  LogId log_id() const override { return id_; }
  std::optional<std::uint64_t> last_frame_no() const override {
    const std::lock_guard lock(mutex_);
    if (frames_.empty()) return std::nullopt;
    return start_ + frames_.size() - 1;
  }
  ReadResult open_batch(std::uint64_t next, std::size_t min_frames,
                        std::unique_ptr<FrameBatch>& batch) const override {
    const std::lock_guard lock(mutex_);
    if (next < start_) return ReadResult::kNeedSnapshot;
    std::vector<std::uint8_t> frames;
    std::size_t taken = 0;
    for (std::uint64_t i = next - start_; i < frames_.size(); ++i) {
      frames.insert(frames.end(), frames_[i].begin(), frames_[i].end());
      ++taken;
      if (taken >= min_frames && decode_frame_header(frames_[i].data()).is_commit()) break;
    }
    batch = std::make_unique<MemoryBatch>(std::move(frames));
    return ReadResult::kFrames;
  }
  std::unique_ptr<SnapshotReader> open_snapshot(std::uint64_t frame_no) const override;
  bool wait_for(std::uint64_t frame_no,
                std::chrono::steady_clock::time_point deadline) const override {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return start_ + frames_.size() > frame_no; });
  }

 private:
  LogId id_ = LogId::random();
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::uint64_t start_ = 0;
  std::vector<std::vector<std::uint8_t>> frames_;
  std::optional<Snapshot> snapshot_;
};

// Frames end..from, newest first, the last one carrying the size.
class MemorySnapshot final : public SnapshotReader {
 public:
  MemorySnapshot(std::uint64_t from, std::uint64_t end) : next_(end), from_(from), end_(end) {}
  std::uint64_t end_frame_no() const override { return end_; }
  std::size_t read(std::size_t max_frames, std::vector<std::uint8_t>& out) override {
    std::size_t count = 0;
    while (count < max_frames && !done_) {
      const bool last = next_ == from_;
      const auto frame = make_frame(next_, static_cast<std::uint32_t>(next_ + 1), last ? 99 : 0);
      out.insert(out.end(), frame.begin(), frame.end());
      ++count;
      if (last)
        done_ = true;
      else
        --next_;
    }
    return count;
  }

 private:
  std::uint64_t next_, from_, end_;
  bool done_ = false;
};

std::unique_ptr<SnapshotReader> MemoryLog::open_snapshot(std::uint64_t frame_no) const {
  if (!snapshot_ || frame_no < snapshot_->start || frame_no > snapshot_->end) return nullptr;
  return std::make_unique<MemorySnapshot>(frame_no, snapshot_->end);
}

// A response body split into its messages and its trailers' text.
struct Body {
  std::vector<std::string> messages;
  std::string trailers;
};

Body split_body(std::string_view body) {
  Body out;
  while (!body.empty()) {
    EXPECT_GE(body.size(), 5u) << "a frame header is cut";
    if (body.size() < 5) break;
    const auto flag = static_cast<unsigned char>(body[0]);
    std::uint32_t length = 0;
    for (int i = 1; i <= 4; ++i) length = length << 8 | static_cast<unsigned char>(body[i]);
    EXPECT_GE(body.size() - 5, length) << "a frame is cut";
    const std::string payload(body.substr(5, length));
    if (flag == 0x80) {
      out.trailers = payload;
    } else {
      EXPECT_TRUE(out.trailers.empty()) << "a message after the trailers";
      out.messages.push_back(payload);
    }
    body.remove_prefix(std::min<std::size_t>(body.size(), 5 + length));
  }
  return out;
}

std::string whole_body(FramesReply reply, std::size_t frames_per_piece = 7) {
  const std::uint64_t expected = reply.body_size();
  std::string body;
  while (reply.next_piece(body, frames_per_piece)) {
  }
  EXPECT_EQ(body.size(), expected) << "body_size() must announce exactly what is written";
  return body;
}

wal_log::LogOffset offset(std::uint64_t next) {
  wal_log::LogOffset offset;
  offset.set_next_offset(next);
  return offset;
}

class LogServiceTest : public ::testing::Test {
 protected:
  FramesReply batch(std::uint64_t next) {
    auto result = service_.batch_log_entries(log_, offset(next));
    if (auto* status = std::get_if<Status>(&result)) {
      ADD_FAILURE() << "batch refused: " << status->message;
      return FramesReply(nullptr);
    }
    return std::move(std::get<FramesReply>(result));
  }
  wal_log::Frames frames_of(std::uint64_t next) {
    const Body body = split_body(whole_body(batch(next)));
    EXPECT_EQ(body.trailers, "grpc-status:0\r\n");
    wal_log::Frames frames;
    EXPECT_EQ(body.messages.size(), 1u) << "a unary reply is one message";
    if (!body.messages.empty()) {
      EXPECT_TRUE(frames.ParseFromString(body.messages[0]));
    }
    return frames;
  }

  MemoryLog log_;
  LogService service_;
};

TEST_F(LogServiceTest, HelloOnAnEmptyLogHasNoReplicationIndex) {
  const wal_log::HelloResponse hello = service_.hello(log_, {});
  EXPECT_FALSE(hello.has_current_replication_index())
      << "an index the log cannot deliver makes the client loop forever";
  EXPECT_EQ(hello.log_id(), log_.log_id().to_string());
  EXPECT_TRUE(LogId::parse(hello.session_token())) << "the client parses it as a UUID";
  EXPECT_TRUE(LogId::parse(hello.generation_id()));
  EXPECT_EQ(hello.generation_start_index(), 0u);
}

TEST_F(LogServiceTest, HelloSendsIndexZeroExplicitly) {
  log_.commit_transaction(1);
  const wal_log::HelloResponse hello = service_.hello(log_, {});
  ASSERT_TRUE(hello.has_current_replication_index());
  EXPECT_EQ(hello.current_replication_index(), 0u);
  wal_log::HelloResponse decoded;
  ASSERT_TRUE(decoded.ParseFromString(hello.SerializeAsString()));
  EXPECT_TRUE(decoded.has_current_replication_index()) << "Some(0) must survive the wire";
}

TEST_F(LogServiceTest, HelloCarriesTheLastCommittedFrameAndTheConfig) {
  log_.commit_transaction(2);
  log_.commit_transaction(3);
  metadata::DatabaseConfig config;
  config.set_block_writes(true);
  const wal_log::HelloResponse hello = service_.hello(log_, config);
  EXPECT_EQ(hello.current_replication_index(), 4u);
  EXPECT_TRUE(hello.config().block_writes());
}

TEST_F(LogServiceTest, SessionTokensAreStablePerProcessAndLog) {
  const std::string token = service_.session_token(log_);
  EXPECT_EQ(service_.session_token(log_), token);
  EXPECT_NE(LogService().session_token(log_), token) << "another process, another token";
  MemoryLog other;
  EXPECT_NE(service_.session_token(other), token) << "another log (id), another token";
}

TEST_F(LogServiceTest, CallsWithoutTheCurrentTokenAreNoHello) {
  const Status no_hello{StatusCode::kFailedPrecondition, "NO_HELLO"};
  EXPECT_EQ(service_.check_session(log_, std::nullopt), no_hello);
  EXPECT_EQ(service_.check_session(log_, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), no_hello);
  EXPECT_TRUE(service_.check_session(log_, service_.session_token(log_)).ok());
}

TEST_F(LogServiceTest, RefusesTheLibsqlWalFlavor) {
  wal_log::LogOffset libsql = offset(0);
  libsql.set_wal_flavor(wal_log::LogOffset::Libsql);
  EXPECT_EQ(LogService::check_flavor(libsql),
            (Status{StatusCode::kInvalidArgument, "libsql wal not supported"}));
  wal_log::LogOffset sqlite = offset(0);
  sqlite.set_wal_flavor(wal_log::LogOffset::Sqlite);
  EXPECT_TRUE(LogService::check_flavor(sqlite).ok());
  EXPECT_TRUE(LogService::check_flavor(offset(0)).ok()) << "embedded clients send none";
}

TEST_F(LogServiceTest, ABatchOfNothingNewIsAnEmptyFramesMessage) {
  const std::string body = whole_body(batch(0));
  EXPECT_EQ(body.substr(0, 5), std::string(5, '\0')) << "Frames{} is a zero-length message";
  EXPECT_EQ(frames_of(0).frames_size(), 0);
  log_.commit_transaction(2);
  EXPECT_EQ(frames_of(2).frames_size(), 0) << "at the end";
  EXPECT_EQ(frames_of(100).frames_size(), 0) << "beyond the end is not an error";
}

TEST_F(LogServiceTest, ABatchEncodesAsProtobufWould) {
  log_.commit_transaction(3);
  const std::string body = whole_body(batch(0), 1);
  wal_log::Frames expected;
  std::vector<std::uint8_t> all;
  log_.read(0, 3, all);
  for (int i = 0; i < 3; ++i) {
    expected.add_frames()->set_data(all.data() + i * kFrameSize, kFrameSize);
  }
  std::string framed;
  grpc_web::append_message(framed, expected.SerializeAsString());
  grpc_web::append_trailers(framed, {});
  EXPECT_EQ(body, framed);
  EXPECT_EQ(frames_message_size(3), expected.ByteSizeLong());
}

TEST_F(LogServiceTest, ABatchRunsPast1024FramesToTheNextCommit) {
  log_.commit_transaction(1000);
  log_.commit_transaction(1000);
  log_.commit_transaction(1000);
  const wal_log::Frames frames = frames_of(0);
  ASSERT_EQ(frames.frames_size(), 2000) << "1024 frames reached inside the second transaction";
  const auto last =
      decode_frame_header(reinterpret_cast<const std::uint8_t*>(frames.frames(1999).data().data()));
  EXPECT_EQ(last.frame_no, 1999u);
  EXPECT_TRUE(last.is_commit()) << "a batch ends on a commit";
  EXPECT_EQ(frames_of(2000).frames_size(), 1000);
}

TEST_F(LogServiceTest, FramesBelowTheLogStartNeedASnapshot) {
  log_.commit_transaction(4);
  log_.compact_below(4);
  auto result = service_.batch_log_entries(log_, offset(2));
  ASSERT_TRUE(std::holds_alternative<Status>(result));
  EXPECT_EQ(std::get<Status>(result), (Status{StatusCode::kFailedPrecondition, "NEED_SNAPSHOT"}));
}

TEST_F(LogServiceTest, AMissingSnapshotIsUnavailable) {
  auto result = service_.open_snapshot(log_, offset(3));
  ASSERT_TRUE(std::holds_alternative<Status>(result));
  EXPECT_EQ(std::get<Status>(result), (Status{StatusCode::kUnavailable, "snapshot not found"}));
}

TEST_F(LogServiceTest, ASnapshotStreamsOneFrameMessagePerFrameNewestFirst) {
  log_.add_snapshot({.start = 0, .end = 9});
  auto result = service_.open_snapshot(log_, offset(5));
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<SnapshotReader>>(result));
  auto& snapshot = *std::get<std::unique_ptr<SnapshotReader>>(result);
  std::string body;
  while (LogService::next_snapshot_piece(snapshot, 2, body) > 0) {
  }
  const Body split = split_body(body);
  ASSERT_EQ(split.messages.size(), 5u) << "frames 9 down to 5";
  for (std::size_t i = 0; i < split.messages.size(); ++i) {
    wal_log::Frame frame;
    ASSERT_TRUE(frame.ParseFromString(split.messages[i]));
    ASSERT_EQ(frame.data().size(), kFrameSize);
    const auto header =
        decode_frame_header(reinterpret_cast<const std::uint8_t*>(frame.data().data()));
    EXPECT_EQ(header.frame_no, 9 - i);
    EXPECT_EQ(header.is_commit(), i == 4) << "only the last frame carries the size";
  }
}

TEST_F(LogServiceTest, LogEntriesWaitsForTheNextCommit) {
  log_.commit_transaction(2);
  LogTail tail(log_, 0);
  std::string out;
  const auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::milliseconds(50); };
  EXPECT_EQ(std::get<std::size_t>(tail.next(out, soon())), 2u);
  EXPECT_EQ(std::get<std::size_t>(tail.next(out, soon())), 0u) << "nothing new before the deadline";
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log_.commit_transaction(3);
  });
  const auto later = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  EXPECT_EQ(std::get<std::size_t>(tail.next(out, later)), 3u) << "woken by the commit";
  writer.join();
  EXPECT_EQ(split_body(out).messages.size(), 5u);
}

TEST_F(LogServiceTest, LogEntriesBelowTheLogStartNeedASnapshot) {
  log_.commit_transaction(4);
  log_.compact_below(4);
  LogTail tail(log_, 1);
  std::string out;
  auto result = tail.next(out, std::chrono::steady_clock::now());
  ASSERT_TRUE(std::holds_alternative<Status>(result));
  EXPECT_EQ(std::get<Status>(result).message, "NEED_SNAPSHOT");
}

// The same service on the real log, in its directory.
class RealLogTest : public ::testing::Test {
 protected:
  void commit_pages(std::uint32_t pages) {
    std::vector<std::uint8_t> page(kPageSize, 0x5a);
    for (std::uint32_t i = 1; i <= pages; ++i) log_->append(i, page.data(), i == pages ? pages : 0);
    log_->commit();
  }

  testing::TempDir dir_;
  std::unique_ptr<FrameLog> log_ = FrameLog::open({.directory = dir_.path()});
  LogService service_;
};

TEST_F(RealLogTest, HelloAndBatchFollowTheLog) {
  EXPECT_FALSE(service_.hello(*log_, {}).has_current_replication_index());
  commit_pages(2);
  const wal_log::HelloResponse hello = service_.hello(*log_, {});
  EXPECT_EQ(hello.current_replication_index(), 1u) << "two frames: 0 and 1";
  EXPECT_TRUE(service_.check_session(*log_, hello.session_token()).ok());
  auto result = service_.batch_log_entries(*log_, offset(0));
  ASSERT_TRUE(std::holds_alternative<FramesReply>(result));
  const Body body = split_body(whole_body(std::move(std::get<FramesReply>(result))));
  wal_log::Frames frames;
  ASSERT_EQ(body.messages.size(), 1u);
  ASSERT_TRUE(frames.ParseFromString(body.messages[0]));
  ASSERT_EQ(frames.frames_size(), 2);
  const auto header =
      decode_frame_header(reinterpret_cast<const std::uint8_t*>(frames.frames(1).data().data()));
  EXPECT_EQ(header.frame_no, 1u);
  EXPECT_EQ(header.size_after, 2u);
}

// A transaction larger than a batch goes out whole, read from the log as it is encoded:
// the pieces stay small and the trailers come alone, after the last frame.
TEST_F(RealLogTest, ABatchOfAHugeTransactionIsEncodedPieceByPiece) {
  commit_pages(1);
  commit_pages(3000);
  auto result = service_.batch_log_entries(*log_, offset(1));
  ASSERT_TRUE(std::holds_alternative<FramesReply>(result));
  FramesReply reply = std::move(std::get<FramesReply>(result));
  EXPECT_EQ(reply.frame_count(), 3000u);
  const std::uint64_t expected = reply.body_size();
  std::string body;
  std::size_t largest = 0;
  while (!reply.at_trailers()) {
    const std::size_t before = body.size();
    ASSERT_TRUE(reply.next_piece(body, 16));
    largest = std::max(largest, body.size() - before);
  }
  const std::size_t before_trailers = body.size();
  ASSERT_TRUE(reply.next_piece(body, 16));
  EXPECT_EQ(static_cast<std::uint8_t>(body[before_trailers]), grpc_web::kTrailersFlag)
      << "the trailers alone";
  EXPECT_FALSE(reply.next_piece(body, 16));
  EXPECT_EQ(body.size(), expected);
  EXPECT_LE(largest, 16 * (kFrameSize + 8)) << "no piece holds more than 16 frames";
  const Body split = split_body(body);
  ASSERT_EQ(split.messages.size(), 1u);
  wal_log::Frames frames;
  ASSERT_TRUE(frames.ParseFromString(split.messages[0]));
  ASSERT_EQ(frames.frames_size(), 3000);
  const auto last =
      decode_frame_header(reinterpret_cast<const std::uint8_t*>(frames.frames(2999).data().data()));
  EXPECT_EQ(last.frame_no, 3000u);
  EXPECT_EQ(last.size_after, 3000u);
}

// LogEntries sends a huge transaction a few frames at a time, never all at once.
TEST_F(RealLogTest, LogEntriesSendsAHugeTransactionInPieces) {
  commit_pages(3000);
  LogTail tail(*log_, 0);
  std::string out;
  std::size_t total = 0;
  const auto now = [] { return std::chrono::steady_clock::now(); };
  while (total < 3000) {
    const std::size_t count = std::get<std::size_t>(tail.next(out, now()));
    ASSERT_GT(count, 0u);
    ASSERT_LE(count, 16u);
    total += count;
  }
  EXPECT_EQ(std::get<std::size_t>(tail.next(out, now())), 0u) << "nothing more";
  EXPECT_EQ(split_body(out).messages.size(), 3000u);
}

TEST_F(RealLogTest, LogEntriesSeesACommitFromAnotherThread) {
  LogTail tail(*log_, 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    commit_pages(1);
  });
  std::string out;
  const auto result = tail.next(out, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  writer.join();
  EXPECT_EQ(std::get<std::size_t>(result), 1u);
}

}  // namespace
}  // namespace libsql::replication
