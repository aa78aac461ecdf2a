// page_injector_test.cc: a replica fed with a source database's page images stays
// byte-identical to it, transaction by transaction, while readers on the replica see
// only whole transactions; and the SQLite internals the injection rests on
// (libsql_wal_inject, libsql_wal_forget_cache) behave as sqlite_internals.c says.
//
// Each test changes a source database with SQL, takes its pages (sqlite_dbpage) and
// injects those that changed, as a primary's transaction would reach a replica.

#include "engine/page_injector.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/sqlite_internals.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::engine {
namespace {

using Pages = std::map<std::uint32_t, std::vector<std::uint8_t>>;

constexpr std::size_t kPageSize = PageInjector::kPageSize;

// Every page of `db`'s main database, read in one transaction.
Pages read_pages(Connection& db) {
  Pages pages;
  auto stmt = db.prepare("SELECT pgno, data FROM sqlite_dbpage");
  while (stmt.step()) {
    const auto data = stmt.column_blob(1);
    pages.emplace(static_cast<std::uint32_t>(stmt.column_integer(0)),
                  std::vector<std::uint8_t>(data.begin(), data.end()));
  }
  return pages;
}

std::int64_t query_integer(Connection& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql << " returned no row";
  return stmt.column_integer(0);
}

std::string query_text(Connection& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql << " returned no row";
  return std::string(stmt.column_text(0));
}

// "" if equal, else where the first difference is.
std::string first_difference(const Pages& want, const Pages& got) {
  if (want.size() != got.size()) {
    return "the replica has " + std::to_string(got.size()) + " pages, the source " +
           std::to_string(want.size());
  }
  for (const auto& [page_no, data] : want) {
    const auto found = got.find(page_no);
    if (found == got.end()) return "page " + std::to_string(page_no) + " is missing";
    if (found->second != data) return "page " + std::to_string(page_no) + " differs";
  }
  return "";
}

// Adds the pages of `after` that are new or differ from `before`; returns how many.
std::size_t add_changes(PageInjector& injector, const Pages& before, const Pages& after) {
  std::size_t added = 0;
  for (const auto& [page_no, data] : after) {
    const auto old = before.find(page_no);
    if (old != before.end() && old->second == data) continue;
    injector.add_page(page_no, data);
    ++added;
  }
  return added;
}

void inject_transaction(PageInjector& injector, const Pages& before, const Pages& after) {
  ASSERT_GT(add_changes(injector, before, after), 0u) << "the transaction changed no page";
  injector.commit(static_cast<std::uint32_t>(after.size()));
}

// A script that fills table t (id, v) with `rows` rows of `bytes` random bytes.
std::string insert_rows(int rows, int bytes) {
  return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(rows) + ") INSERT INTO t(v) SELECT randomblob(" + std::to_string(bytes) +
         ") FROM n";
}

class PageInjectorTest : public ::testing::Test {
 protected:
  // Runs `sql` on the source and injects the pages it changed as one transaction.
  void replicate(PageInjector& injector, std::string_view sql) {
    source_.execute_script(sql);
    const Pages after = read_pages(source_);
    inject_transaction(injector, shipped_, after);
    shipped_ = after;
  }

  // The replica, through a connection of its own, holds exactly `expected`.
  void expect_replica_holds(Connection& replica, const Pages& expected) {
    EXPECT_EQ(first_difference(expected, read_pages(replica)), "");
    EXPECT_EQ(query_integer(replica, "PRAGMA page_count"),
              static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(query_text(replica, "PRAGMA integrity_check"), "ok");
  }
  void expect_replica_holds(const Pages& expected) {
    auto replica = open_reader();
    expect_replica_holds(replica, expected);
  }

  Connection open_reader() {
    return Connection::open(replica_path_, {.mode = OpenMode::kReadOnly});
  }

  std::uintmax_t replica_file_size() const { return std::filesystem::file_size(replica_path_); }
  std::uintmax_t replica_wal_size() const {
    return std::filesystem::file_size(replica_path_ + "-wal");
  }

  testing::TempDir dir_;
  std::string replica_path_ = dir_.file("replica.db");
  Connection source_ = Connection::open(dir_.file("source.db"));
  Pages shipped_;  // the source as last injected
};

TEST_F(PageInjectorTest, ReplicaIsByteIdenticalToTheSourceAfterEachTransaction) {
  PageInjector injector(replica_path_);
  for (const std::string& sql : {
           std::string("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)"),
           insert_rows(300, 200),
           std::string("CREATE INDEX t_v ON t(v)"),
           std::string("UPDATE t SET v = randomblob(50) WHERE id % 3 = 0"),
           std::string("DELETE FROM t WHERE id % 5 = 0"),
           std::string("CREATE TABLE u(a TEXT UNIQUE, b); INSERT INTO u VALUES ('x', 1), ('y', 2)"),
           std::string("DROP INDEX t_v"),
       }) {
    replicate(injector, sql);
    SCOPED_TRACE(sql);
    expect_replica_holds(shipped_);
  }
}

TEST_F(PageInjectorTest, GrowsWithTheSource) {
  PageInjector injector(replica_path_);
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  replicate(injector, insert_rows(2000, 1000));
  ASSERT_GT(shipped_.size(), 500u) << "the source did not grow as planned";
  expect_replica_holds(shipped_);
}

TEST_F(PageInjectorTest, ShrinksWithTheSourceAndCheckpointTruncatesTheFile) {
  PageInjector injector(replica_path_);
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  replicate(injector, insert_rows(400, 1000));
  ASSERT_TRUE(injector.checkpoint()) << "no reader should hold the checkpoint back";
  const std::size_t full_pages = shipped_.size();
  EXPECT_EQ(replica_file_size(), full_pages * kPageSize);

  replicate(injector, "DELETE FROM t WHERE id > 10; VACUUM");
  ASSERT_LT(shipped_.size(), full_pages / 10) << "VACUUM did not shrink the source";
  expect_replica_holds(shipped_);
  EXPECT_EQ(replica_file_size(), full_pages * kPageSize) << "only a checkpoint truncates";
  ASSERT_TRUE(injector.checkpoint());
  EXPECT_EQ(replica_file_size(), shipped_.size() * kPageSize);
  expect_replica_holds(shipped_);
}

TEST_F(PageInjectorTest, ReaderOpenedBeforeSeesNewTablesAndColumns) {
  PageInjector injector(replica_path_);
  auto reader = open_reader();
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM sqlite_schema"), 0);

  replicate(injector,
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); INSERT INTO t(v) VALUES (1)");
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 1);

  replicate(injector, "ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 42");
  EXPECT_EQ(query_integer(reader, "SELECT extra FROM t"), 42);

  replicate(injector, "ALTER TABLE t RENAME TO renamed");
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM renamed"), 1);
  EXPECT_THROW(reader.prepare("SELECT * FROM t"), Error) << "the old name must be gone";
}

TEST_F(PageInjectorTest, OpenReadTransactionKeepsItsSnapshotUntilItEnds) {
  PageInjector injector(replica_path_);
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  replicate(injector, insert_rows(10, 100));
  const Pages before = shipped_;
  auto reader = open_reader();
  reader.execute_script("BEGIN");
  ASSERT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 10);

  replicate(injector, insert_rows(500, 500));
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 10);
  EXPECT_EQ(first_difference(before, read_pages(reader)), "");
  reader.execute_script("COMMIT");

  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 510);
  expect_replica_holds(reader, shipped_);
}

TEST_F(PageInjectorTest, LargeTransactionIsInvisibleUntilCommit) {
  PageInjector injector(replica_path_, {.max_buffered_pages = 256});
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  const Pages before = shipped_;
  auto reader = open_reader();
  ASSERT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 0);

  source_.execute_script(insert_rows(5000, 3000));
  const Pages after = read_pages(source_);
  const std::size_t added = add_changes(injector, before, after);
  ASSERT_GE(added, 5000u);
  // All but the last batch went to the WAL as uncommitted frames.
  EXPECT_GE(replica_wal_size(), (added / 256) * 256 * (kPageSize + 24));
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 0);
  EXPECT_EQ(query_integer(reader, "PRAGMA page_count"), static_cast<std::int64_t>(before.size()));
  {
    auto late_reader = open_reader();
    EXPECT_EQ(first_difference(before, read_pages(late_reader)), "");
  }

  injector.commit(static_cast<std::uint32_t>(after.size()));
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM t"), 5000);
  expect_replica_holds(reader, after);
  // Past 1000 frames the commit checkpointed on its own, and no reader held it back.
  EXPECT_EQ(replica_file_size(), after.size() * kPageSize);
}

TEST_F(PageInjectorTest, RollbackLeavesTheReplicaAsItWas) {
  PageInjector injector(replica_path_, {.max_buffered_pages = 64});
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  replicate(injector, insert_rows(100, 500));
  const Pages before = shipped_;
  source_.execute_script(insert_rows(1000, 1000) + "; UPDATE t SET v = NULL WHERE id < 50");
  const Pages after = read_pages(source_);

  ASSERT_GT(add_changes(injector, before, after), 64u * 4);
  EXPECT_TRUE(injector.in_transaction());
  injector.rollback();
  EXPECT_FALSE(injector.in_transaction());
  expect_replica_holds(before);

  // The injector goes on as if the transaction had never begun.
  inject_transaction(injector, before, after);
  expect_replica_holds(after);
}

TEST_F(PageInjectorTest, DestroyingAnInjectorMidTransactionRollsBack) {
  {
    PageInjector injector(replica_path_, {.max_buffered_pages = 16});
    replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
    source_.execute_script(insert_rows(200, 1000));
    add_changes(injector, shipped_, read_pages(source_));
  }
  expect_replica_holds(shipped_);
}

TEST_F(PageInjectorTest, LastImageOfAPageWinsAcrossFlushedBatches) {
  PageInjector injector(replica_path_, {.max_buffered_pages = 2});
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  source_.execute_script(insert_rows(50, 1000));
  const Pages after = read_pages(source_);
  // A wrong image of every page first, flushed two by two, then the right ones: SQLite
  // overwrites the uncommitted frames in place and recomputes the WAL's checksums.
  const std::vector<std::uint8_t> garbage(kPageSize, 0xAB);
  for (const auto& [page_no, data] : after) {
    const auto old = shipped_.find(page_no);
    const bool changed = old == shipped_.end() || old->second != data;
    if (changed && page_no != 1) injector.add_page(page_no, garbage);
  }
  ASSERT_GT(add_changes(injector, shipped_, after), 10u);
  injector.commit(static_cast<std::uint32_t>(after.size()));
  expect_replica_holds(after);

  // A copy of the files without the wal-index is read by recovery from the WAL alone,
  // which checks every frame's checksum up to the commit.
  std::filesystem::copy_file(replica_path_, dir_.file("copy.db"));
  std::filesystem::copy_file(replica_path_ + "-wal", dir_.file("copy.db-wal"));
  auto copy = Connection::open(dir_.file("copy.db"));
  expect_replica_holds(copy, after);
}

TEST_F(PageInjectorTest, CommitWhoseOwnPagesAreAllBeyondTheSizeStillCommits) {
  PageInjector injector(replica_path_, {.max_buffered_pages = 2});
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  replicate(injector, insert_rows(20, 1000));
  // Changes page 1 (the schema): a commit that then rewrote a stale cached page 1 would
  // lose the index.
  replicate(injector, "CREATE INDEX t_v ON t(v)");
  source_.execute_script("UPDATE t SET v = randomblob(1000) WHERE id = 7");
  const Pages after = read_pages(source_);
  ASSERT_EQ(after.size(), shipped_.size());
  ASSERT_EQ(after.at(1), shipped_.at(1)) << "the update should leave page 1 alone";
  ASSERT_GE(add_changes(injector, shipped_, after), 1u);
  // Two pages beyond the size push the real ones out to the WAL, and the commit drops them.
  const std::vector<std::uint8_t> beyond(kPageSize, 0xCD);
  const auto size = static_cast<std::uint32_t>(after.size());
  injector.add_page(size + 1, beyond);
  injector.add_page(size + 2, beyond);
  injector.commit(size);
  expect_replica_holds(after);
}

TEST_F(PageInjectorTest, InjectingTheLastTransactionAgainChangesNothing) {
  PageInjector injector(replica_path_);
  replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
  const Pages before = shipped_;
  replicate(injector, insert_rows(300, 700) + "; CREATE INDEX t_v ON t(v)");
  inject_transaction(injector, before, shipped_);
  inject_transaction(injector, before, shipped_);
  expect_replica_holds(shipped_);
}

TEST_F(PageInjectorTest, KillMidTransactionLeavesThePreviousCommit) {
  {
    PageInjector injector(replica_path_);
    replicate(injector, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
    replicate(injector, insert_rows(200, 500));
  }  // no connection of ours may be open on the replica across fork()
  const Pages before = shipped_;
  source_.execute_script(insert_rows(2000, 3000) + "; UPDATE t SET v = NULL WHERE id <= 200");
  const Pages after = read_pages(source_);
  constexpr std::size_t kBatch = 128;

  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    // Flushes every batch but the last, says so, and waits to be killed.
    close(ready[0]);
    try {
      PageInjector injector(replica_path_, {.max_buffered_pages = kBatch});
      add_changes(injector, before, after);
      const char byte = 1;
      if (write(ready[1], &byte, 1) != 1) _exit(3);
      while (true) pause();
    } catch (...) {
      _exit(2);
    }
  }
  close(ready[1]);
  pollfd wait_for_child{ready[0], POLLIN, 0};
  const bool signalled = poll(&wait_for_child, 1, 60000) == 1;
  char byte = 0;
  const bool flushed = signalled && read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  const std::uintmax_t wal_size = flushed ? replica_wal_size() : 0;
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(flushed) << "the child failed before flushing (status " << status << ")";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  ASSERT_GE(wal_size, 10 * kBatch * (kPageSize + 24)) << "too few uncommitted frames to test";

  expect_replica_holds(before);
  // A new injector picks up from there.
  PageInjector injector(replica_path_);
  inject_transaction(injector, before, after);
  expect_replica_holds(after);
}

TEST_F(PageInjectorTest, RefusesBadPagesAndEmptyCommits) {
  PageInjector injector(replica_path_);
  auto reader = open_reader();
  const Pages before = read_pages(reader);
  const std::vector<std::uint8_t> short_page(100, 0);
  const std::vector<std::uint8_t> page(kPageSize, 0);
  try {
    injector.add_page(2, short_page);
    ADD_FAILURE() << "a 100-byte page was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kMisuse) << e.what();
  }
  try {
    injector.add_page(0, page);
    ADD_FAILURE() << "page 0 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kCorrupt) << e.what();
  }
  try {
    injector.commit(1);
    ADD_FAILURE() << "a commit of no page was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kMisuse) << e.what();
  }
  injector.add_page(2, page);
  EXPECT_THROW(injector.checkpoint(), Error) << "a checkpoint mid-transaction";
  try {
    injector.commit(0);
    ADD_FAILURE() << "a commit to 0 pages was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kCorrupt) << e.what();
  }
  EXPECT_FALSE(injector.in_transaction()) << "a refused commit rolls back";
  // SQLite's lock page (the one holding byte 2^30) is never written.
  injector.add_page((1u << 30) / kPageSize + 1, page);
  try {
    injector.commit(2);
    ADD_FAILURE() << "the lock page was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kCorrupt) << e.what();
  }
  expect_replica_holds(before);
}

TEST_F(PageInjectorTest, RefusesADatabaseOfAnotherPageSize) {
  {
    auto db = Connection::open(replica_path_, {.wal = false});
    db.execute_script("PRAGMA page_size = 8192; VACUUM; CREATE TABLE t(x)");
  }
  try {
    PageInjector injector(replica_path_);
    ADD_FAILURE() << "an 8192-byte-page database was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("8192"), std::string::npos) << e.what();
  }
}

// The SQLite internals themselves, on a connection of the test's own.
class WalInjectionTest : public PageInjectorTest {
 protected:
  // Injects all of `pages` as one committed transaction on `db`, ending it with ROLLBACK.
  static int inject_committed(Connection& db, const Pages& pages) {
    std::vector<libsql_page_image> images;
    for (const auto& [page_no, data] : pages) images.push_back({page_no, data.data()});
    db.execute_script("BEGIN IMMEDIATE");
    const int rc =
        libsql_wal_inject(db.handle(), images.data(), static_cast<int>(images.size()),
                          static_cast<int>(kPageSize), static_cast<unsigned>(pages.size()));
    db.execute_script("ROLLBACK");
    return rc;
  }
};

TEST_F(WalInjectionTest, InjectingConnectionReadsItsStaleCacheUntilItForgetsIt) {
  auto db = Connection::open(replica_path_);
  ASSERT_EQ(query_integer(db, "SELECT count(*) FROM sqlite_schema"), 0);  // caches page 1
  source_.execute_script("CREATE TABLE t(x); CREATE TABLE u(y)");
  ASSERT_EQ(inject_committed(db, read_pages(source_)), SQLITE_OK);

  auto reader = open_reader();
  EXPECT_EQ(query_integer(reader, "SELECT count(*) FROM sqlite_schema"), 2);
  // SQLite 3.46.1 sees no change in the WAL header it wrote itself, so it keeps its cache:
  // the reason libsql_wal_forget_cache() exists.
  EXPECT_EQ(query_integer(db, "SELECT count(*) FROM sqlite_schema"), 0);
  ASSERT_EQ(libsql_wal_forget_cache(db.handle()), SQLITE_OK);
  EXPECT_EQ(query_integer(db, "SELECT count(*) FROM sqlite_schema"), 2);
  EXPECT_EQ(query_integer(db, "SELECT count(*) FROM u"), 0);
}

TEST_F(WalInjectionTest, RefusesOutsideAWriteTransactionAndPageOneBeforeTheCommit) {
  auto db = Connection::open(replica_path_);
  const std::vector<std::uint8_t> page(kPageSize, 0);
  libsql_page_image image{1, page.data()};
  EXPECT_EQ(libsql_wal_inject(db.handle(), &image, 1, static_cast<int>(kPageSize), 1),
            SQLITE_MISUSE);
  EXPECT_NE(std::string(sqlite3_errmsg(db.handle())).find("BEGIN IMMEDIATE"), std::string::npos)
      << sqlite3_errmsg(db.handle());

  db.execute_script("BEGIN IMMEDIATE");
  EXPECT_EQ(libsql_wal_inject(db.handle(), &image, 1, static_cast<int>(kPageSize), 0),
            SQLITE_MISUSE);
  EXPECT_EQ(libsql_wal_inject(db.handle(), &image, 1, 1024, 1), SQLITE_MISUSE);
  EXPECT_EQ(libsql_wal_forget_cache(db.handle()), SQLITE_MISUSE) << "inside a transaction";
  db.execute_script("ROLLBACK");

  db.execute_script("BEGIN IMMEDIATE; CREATE TABLE t(x)");
  EXPECT_EQ(libsql_wal_inject(db.handle(), &image, 1, static_cast<int>(kPageSize), 1),
            SQLITE_MISUSE)
      << "the connection changed pages of its own";
  db.execute_script("ROLLBACK");
  EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace libsql::engine
