// wal_capture_test.cc: the capture sees every commit exactly once, whole, in order, across
// WAL restarts, checkpoints and concurrent writers.
//
// The sink here rebuilds the database from what it is given; after each change its pages
// must equal the real file's, read through SQLite.

#include "engine/wal_capture.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/connection.h"
#include "engine/write_arbiter.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::engine {
namespace {

using Page = std::array<std::uint8_t, WalCapture::kPageSize>;

// A database rebuilt from captured transactions.
class ModelSink : public CommitSink {
 public:
  void load(std::uint32_t page_count, const WalCapture::PageSource& page) {
    pages_.resize(page_count);
    for (std::uint32_t p = 1; p <= page_count; ++p) {
      std::memcpy(pages_[p - 1].data(), page(p), WalCapture::kPageSize);
    }
  }

  void append(std::uint32_t page_no, const std::uint8_t* page, std::uint32_t size_after) override {
    Pending pending{page_no, size_after, {}};
    std::memcpy(pending.page.data(), page, WalCapture::kPageSize);
    pending_.push_back(pending);
  }

  void commit() override {
    ++commits_;
    if (fail_next_commit_.exchange(false)) throw Error(PrimaryCode::kIoErr, "disk full (test)");
    if (!pending_.empty() && pending_.back().size_after == 0) {
      torn_ = true;  // a commit must end on a transaction's last page
    }
    for (const Pending& p : pending_) {
      if (p.page_no > pages_.size()) pages_.resize(p.page_no);
      pages_[p.page_no - 1] = p.page;
      if (p.size_after != 0) {
        pages_.resize(p.size_after);
        ++transactions_;
      }
    }
    pending_.clear();
  }

  void rollback() noexcept override { pending_.clear(); }

  const std::vector<Page>& pages() const { return pages_; }
  int transactions() const { return transactions_; }
  int commits() const { return commits_; }
  bool torn() const { return torn_; }
  void fail_next_commit() { fail_next_commit_ = true; }

 private:
  struct Pending {
    std::uint32_t page_no;
    std::uint32_t size_after;
    Page page;
  };
  std::vector<Page> pages_;
  std::vector<Pending> pending_;
  int transactions_ = 0;
  int commits_ = 0;
  bool torn_ = false;
  std::atomic<bool> fail_next_commit_{false};
};

class WalCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("primary.db");
    arbiter_ = WriteArbiter::make({});
    // Connection::open makes the file: WAL, 4096-byte pages.
    Connection setup = Connection::open(path_);
    setup.execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB)");
  }

  void start(std::uint32_t checkpoint_frames = 1000) {
    capture_ =
        WalCapture::open(path_, {.checkpoint_frames = checkpoint_frames, .arbiter = arbiter_});
    capture_->start(
        [this](std::uint32_t page_count, const WalCapture::PageSource& page) -> CommitSink& {
          model_.load(page_count, page);
          return model_;
        });
  }

  Connection writer() {
    return Connection::open(path_, {.arbiter = arbiter_, .capture = capture_});
  }

  // The file's pages as SQLite reads them now.
  std::vector<Page> database_pages() {
    Connection reader = Connection::open(path_, {.mode = OpenMode::kReadOnly});
    std::vector<Page> pages;
    Statement statement = reader.prepare("SELECT data FROM sqlite_dbpage ORDER BY pgno");
    while (statement.step()) {
      const ValueView data = statement.column_view(0);
      Page page{};
      const auto blob = data.blob_value();
      EXPECT_EQ(blob.size(), page.size());
      std::memcpy(page.data(), blob.data(), std::min(blob.size(), page.size()));
      pages.push_back(page);
    }
    return pages;
  }

  void expect_model_matches(const std::string& when) {
    const std::vector<Page> expected = database_pages();
    ASSERT_EQ(model_.pages().size(), expected.size()) << "page count differs " << when;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_TRUE(model_.pages()[i] == expected[i]) << "page " << i + 1 << " differs " << when;
    }
    EXPECT_FALSE(model_.torn()) << "a sink commit ended inside a transaction " << when;
  }

  static void insert(Connection& db, int id, std::size_t bytes) {
    const Connection::Use use(db);
    db.execute_script("INSERT INTO t VALUES(" + std::to_string(id) + ", randomblob(" +
                      std::to_string(bytes) + "))");
  }

  testing::TempDir dir_;
  std::string path_;
  std::shared_ptr<WriteArbiter> arbiter_;
  std::shared_ptr<WalCapture> capture_;
  ModelSink model_;
};

TEST_F(WalCaptureTest, EachCommitReachesTheSinkWholeAndRebuildsTheFileExactly) {
  start();
  Connection db = writer();
  for (int i = 0; i < 20; ++i) {
    insert(db, i, 100 + i * 300);
    expect_model_matches("after insert " + std::to_string(i));
  }
  EXPECT_EQ(model_.transactions(), 20);
}

TEST_F(WalCaptureTest, StartingLoadsTheDatabaseAsItStandsThenFollowsFromThere) {
  {
    Connection before = Connection::open(path_);
    before.execute_script("INSERT INTO t VALUES(1, randomblob(10000))");
  }
  start();
  expect_model_matches("at start");
  EXPECT_EQ(model_.transactions(), 0) << "what was there at start counts as captured";
  Connection db = writer();
  insert(db, 2, 5000);
  expect_model_matches("after a later insert");
  EXPECT_EQ(model_.transactions(), 1);
}

TEST_F(WalCaptureTest, FollowsTheWalThroughItsOwnCheckpointsAndRestarts) {
  start(/*checkpoint_frames=*/8);
  Connection db = writer();
  for (int i = 0; i < 200; ++i) insert(db, i, 3000);
  expect_model_matches("after 200 inserts with checkpoints every 8 frames");
  EXPECT_EQ(model_.transactions(), 200);
  // The WAL was reused from its start rather than growing with every commit.
  const auto wal_bytes = std::filesystem::file_size(path_ + "-wal");
  EXPECT_LT(wal_bytes, 40u * (WalCapture::kPageSize + 24)) << "the WAL never restarted";
}

TEST_F(WalCaptureTest, ShrinkingTheDatabaseCarriesTheSmallerSize) {
  start();
  Connection db = writer();
  for (int i = 0; i < 50; ++i) insert(db, i, 4000);
  {
    const Connection::Use use(db);
    db.execute_script("DELETE FROM t WHERE id >= 5");
    db.execute_script("VACUUM");
  }
  expect_model_matches("after DELETE and VACUUM");
  EXPECT_LT(model_.pages().size(), 20u);
}

TEST_F(WalCaptureTest, ATransactionSpilledBeforeItsCommitArrivesWhole) {
  start();
  Connection db = writer();
  {
    const Connection::Use use(db);
    // A cache of 10 pages makes SQLite write pages to the WAL before the commit.
    db.execute_script("PRAGMA cache_size = 10");
    db.execute_script("BEGIN");
    for (int i = 0; i < 300; ++i) {
      db.execute_script("INSERT INTO t VALUES(" + std::to_string(i) + ", randomblob(2000))");
    }
    db.execute_script("UPDATE t SET body = randomblob(1500) WHERE id % 3 = 0");
    db.execute_script("COMMIT");
  }
  expect_model_matches("after a spilled transaction");
  EXPECT_EQ(model_.transactions(), 1);
}

TEST_F(WalCaptureTest, RolledBackTransactionsNeverReachTheSink) {
  start();
  Connection db = writer();
  {
    const Connection::Use use(db);
    db.execute_script("PRAGMA cache_size = 10");
    db.execute_script("BEGIN");
    for (int i = 0; i < 200; ++i) {
      db.execute_script("INSERT INTO t VALUES(" + std::to_string(i) + ", randomblob(2000))");
    }
    db.execute_script("ROLLBACK");
  }
  insert(db, 1, 100);
  expect_model_matches("after a rollback and an insert");
  EXPECT_EQ(model_.transactions(), 1);
}

TEST_F(WalCaptureTest, ConcurrentWritersAreCapturedInCommitOrder) {
  start(/*checkpoint_frames=*/50);
  constexpr int kThreads = 4;
  constexpr int kInserts = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      Connection db = writer();
      for (int i = 0; i < kInserts; ++i) insert(db, t * 1000 + i, 500 + (i % 7) * 700);
    });
  }
  for (auto& thread : threads) thread.join();
  expect_model_matches("after concurrent writers");
  EXPECT_EQ(model_.transactions(), kThreads * kInserts);
}

TEST_F(WalCaptureTest, AFailedSinkCommitIsRetriedAtTheNextCommit) {
  start();
  Connection db = writer();
  model_.fail_next_commit();
  insert(db, 1, 100);
  EXPECT_EQ(model_.transactions(), 0);
  insert(db, 2, 100);
  expect_model_matches("after the retry");
  EXPECT_EQ(model_.transactions(), 2);
  EXPECT_FALSE(capture_->failed());
}

TEST_F(WalCaptureTest, ACheckpointWaitsForNoWriterAndLosesNothing) {
  start();
  Connection holder = writer();
  {
    const Connection::Use use(holder);
    holder.execute_script("BEGIN IMMEDIATE");
  }
  EXPECT_FALSE(capture_->checkpoint()) << "a checkpoint took the write lock from a writer";
  {
    const Connection::Use use(holder);
    holder.execute_script("INSERT INTO t VALUES(1, randomblob(100)); COMMIT");
  }
  EXPECT_TRUE(capture_->checkpoint());
  Connection db = writer();
  insert(db, 2, 100);
  expect_model_matches("after a checkpoint between commits");
}

TEST_F(WalCaptureTest, RefusesADatabaseWhosePagesAreNot4096Bytes) {
  const std::string other = dir_.file("small_pages.db");
  {
    Connection db = Connection::open(other, {.wal = false});
    db.execute_script("PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; CREATE TABLE x(a)");
  }
  try {
    WalCapture::open(other, {});
    FAIL() << "a 1024-byte-page database was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("page size is 1024"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace libsql::engine
