// primary_replication_test.cc: a primary's log holds every commit, survives a clean
// restart under the same id, and is rebuilt under a new id after an unclean one.

#include "replication/primary_replication.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "engine/connection.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::replication {
namespace {

namespace fs = std::filesystem;

class PrimaryReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::path(dir_.file("ns"));
    fs::create_directories(directory_);
    database_ = directory_ / "data";
    engine::Connection::open(database_.string())
        .execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB)");
  }

  std::unique_ptr<PrimaryReplication> open() {
    arbiter_ = engine::WriteArbiter::make({});
    return PrimaryReplication::open(
        {.directory = directory_, .database = database_, .arbiter = arbiter_});
  }

  engine::Connection writer(PrimaryReplication& primary) {
    return engine::Connection::open(database_.string(),
                                    {.arbiter = arbiter_, .capture = primary.capture()});
  }

  // The database each page of the log's frames describes, applied in order.
  static std::map<std::uint32_t, std::vector<std::uint8_t>> replay(const FrameLog& log,
                                                                   std::uint32_t* size) {
    std::vector<std::uint8_t> frames;
    EXPECT_EQ(log.read(0, 1u << 30, frames), FrameLog::ReadResult::kFrames);
    std::map<std::uint32_t, std::vector<std::uint8_t>> pages;
    for (std::size_t at = 0; at + kFrameSize <= frames.size(); at += kFrameSize) {
      const FrameHeader header = decode_frame_header(frames.data() + at);
      pages[header.page_no].assign(
          frames.begin() + static_cast<std::ptrdiff_t>(at + kFrameHeaderSize),
          frames.begin() + static_cast<std::ptrdiff_t>(at + kFrameSize));
      if (header.is_commit()) {
        *size = header.size_after;
        pages.erase(pages.upper_bound(header.size_after), pages.end());
      }
    }
    return pages;
  }

  std::map<std::uint32_t, std::vector<std::uint8_t>> database_pages() {
    engine::Connection reader =
        engine::Connection::open(database_.string(), {.mode = engine::OpenMode::kReadOnly});
    std::map<std::uint32_t, std::vector<std::uint8_t>> pages;
    engine::Statement statement = reader.prepare("SELECT pgno, data FROM sqlite_dbpage");
    while (statement.step()) {
      const auto blob = statement.column_view(1).blob_value();
      pages[static_cast<std::uint32_t>(statement.column_view(0).integer_value())].assign(
          blob.begin(), blob.end());
    }
    return pages;
  }

  void expect_log_replays_to_database(const FrameLog& log, const std::string& when) {
    std::uint32_t size = 0;
    const auto replayed = replay(log, &size);
    const auto expected = database_pages();
    EXPECT_EQ(size, expected.size()) << when;
    EXPECT_TRUE(replayed == expected) << "the log does not replay to the database " << when;
  }

  testing::TempDir dir_;
  fs::path directory_;
  fs::path database_;
  std::shared_ptr<engine::WriteArbiter> arbiter_;
};

TEST_F(PrimaryReplicationTest, TheFirstOpenBuildsTheLogFromTheDatabase) {
  auto primary = open();
  EXPECT_TRUE(primary->rebuilt()) << "a database without a log got none rebuilt";
  expect_log_replays_to_database(primary->log(), "after the first open");
}

TEST_F(PrimaryReplicationTest, ANewEmptyDatabaseStartsWithAnEmptyLogAsSqldDoes) {
  directory_ = fs::path(dir_.file("empty"));
  fs::create_directories(directory_);
  database_ = directory_ / "data";
  engine::Connection::open(database_.string());  // SQLite's new database: one page
  auto primary = open();
  EXPECT_FALSE(primary->log().last_frame_no().has_value())
      << "a replica of an empty primary would sync a frame the reference never sends";
  engine::Connection db = writer(*primary);
  db.execute_script("CREATE TABLE t(x)");
  expect_log_replays_to_database(primary->log(), "after the first table");
}

TEST_F(PrimaryReplicationTest, EveryCommitIsInTheLogWhenTheStatementReturns) {
  auto primary = open();
  engine::Connection db = writer(*primary);
  for (int i = 0; i < 10; ++i) {
    const std::optional<std::uint64_t> before = primary->log().last_frame_no();
    db.execute_script("INSERT INTO t VALUES(" + std::to_string(i) + ", randomblob(3000))");
    ASSERT_TRUE(primary->log().last_frame_no().has_value());
    EXPECT_GT(*primary->log().last_frame_no(), before.value_or(0)) << "insert " << i;
    expect_log_replays_to_database(primary->log(), "after insert " + std::to_string(i));
  }
}

TEST_F(PrimaryReplicationTest, ACleanRestartKeepsTheLogAndItsId) {
  LogId id;
  std::optional<std::uint64_t> last;
  {
    auto primary = open();
    engine::Connection db = writer(*primary);
    db.execute_script("INSERT INTO t VALUES(1, randomblob(100))");
    id = primary->log().log_id();
    last = primary->log().last_frame_no();
  }
  EXPECT_FALSE(fs::exists(directory_ / ".sentinel")) << "a clean close left the crash marker";
  auto primary = open();
  EXPECT_FALSE(primary->rebuilt());
  EXPECT_EQ(primary->log().log_id(), id);
  EXPECT_EQ(primary->log().last_frame_no(), last);
  engine::Connection db = writer(*primary);
  db.execute_script("INSERT INTO t VALUES(2, randomblob(100))");
  expect_log_replays_to_database(primary->log(), "after a clean restart and an insert");
}

TEST_F(PrimaryReplicationTest, AnUncleanShutdownRebuildsTheLogUnderANewId) {
  LogId id;
  {
    auto primary = open();
    engine::Connection db = writer(*primary);
    db.execute_script("INSERT INTO t VALUES(1, randomblob(20000))");
    id = primary->log().log_id();
  }
  // What a kill leaves behind: the marker the clean close removes.
  std::FILE* marker = std::fopen((directory_ / ".sentinel").c_str(), "w");
  ASSERT_NE(marker, nullptr);
  std::fclose(marker);
  auto primary = open();
  EXPECT_TRUE(primary->rebuilt());
  EXPECT_NE(primary->log().log_id(), id) << "replicas would not know to start over";
  const auto pages = database_pages();
  EXPECT_EQ(primary->log().last_frame_no(), pages.size() - 1)
      << "the rebuilt log is not one frame per page";
  expect_log_replays_to_database(primary->log(), "after the rebuild");
}

TEST_F(PrimaryReplicationTest, ADatabaseWithSmallerPagesIsConvertedKeepingItsRows) {
  const fs::path other = directory_ / "small";
  fs::create_directories(other);
  database_ = other / "data";
  {
    engine::Connection db = engine::Connection::open(database_.string(), {.wal = false});
    db.execute_script(
        "PRAGMA page_size = 1024; CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
        "INSERT INTO t SELECT i, randomblob(500) FROM n");
  }
  directory_ = other;
  auto primary = open();
  engine::Connection db = writer(*primary);
  engine::Statement size = db.prepare("PRAGMA page_size");
  ASSERT_TRUE(size.step());
  EXPECT_EQ(size.column_view(0).integer_value(), 4096);
  engine::Statement rows = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(rows.step());
  EXPECT_EQ(rows.column_view(0).integer_value(), 100);
  expect_log_replays_to_database(primary->log(), "after the conversion");
}

}  // namespace
}  // namespace libsql::replication
