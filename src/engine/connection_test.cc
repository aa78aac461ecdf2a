// connection_test.cc: opening files, their settings, scripts, and the errors a user
// sees with SQLite's extended codes.

#include "engine/connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "engine/database.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::engine {
namespace {

using std::chrono::milliseconds;

Value query_value(Connection& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql << " returned no row";
  return stmt.column_value(0);
}

// The error running `sql` raises; a test failure if it raises none.
Error error_of(Connection& db, std::string_view sql) {
  try {
    db.execute_script(sql);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << sql << " should have failed";
  return Error(0, "");
}

class ConnectionTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string path_ = dir_.file("test.db");
};

TEST_F(ConnectionTest, NewFilesUseWalAndPageSize4096) {
  auto db = Connection::open(path_);
  EXPECT_EQ(query_value(db, "PRAGMA journal_mode"), Value("wal"));
  EXPECT_EQ(query_value(db, "PRAGMA page_size"), Value(4096));
}

TEST_F(ConnectionTest, ExistingRollbackJournalFilesKeepTheirPageSizeAndMoveToWal) {
  {
    auto db = Connection::open(path_, {.wal = false});
    EXPECT_EQ(query_value(db, "PRAGMA journal_mode"), Value("delete"));
    EXPECT_EQ(query_value(db, "PRAGMA page_size"), Value(4096));
  }
  {
    auto db = Connection::open(dir_.file("big-pages.db"), {.wal = false});
    db.execute_script("PRAGMA page_size = 8192; VACUUM; CREATE TABLE t(x)");
  }
  auto db = Connection::open(dir_.file("big-pages.db"));
  EXPECT_EQ(query_value(db, "PRAGMA page_size"), Value(8192));
  EXPECT_EQ(query_value(db, "PRAGMA journal_mode"), Value("wal"));
}

TEST_F(ConnectionTest, AFileReopensWithItsData) {
  {
    auto db = Connection::open(path_);
    db.execute_script(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('kept')");
  }
  auto db = Connection::open(path_);
  EXPECT_EQ(query_value(db, "SELECT v FROM t WHERE id = 1"), Value("kept"));
}

TEST_F(ConnectionTest, ReadOnlyOpenOfAMissingFileCannotOpen) {
  try {
    Connection::open(dir_.file("missing.db"), {.mode = OpenMode::kReadOnly});
    FAIL() << "opening a missing file read-only must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kCantOpen);
    EXPECT_NE(std::string(e.what()).find("missing.db"), std::string::npos) << e.what();
  }
}

TEST_F(ConnectionTest, WritingThroughAReadOnlyConnectionIsReadOnlyError) {
  Connection::open(path_).execute_script("CREATE TABLE t(x)");
  auto db = Connection::open(path_, {.mode = OpenMode::kReadOnly});
  const Error e = error_of(db, "INSERT INTO t VALUES (1)");
  EXPECT_EQ(e.primary_code(), PrimaryCode::kReadOnly);
  EXPECT_EQ(e.code_name(), "SQLITE_READONLY");
  EXPECT_STREQ(e.what(), "attempt to write a readonly database");
}

TEST_F(ConnectionTest, AFileThatIsNotADatabaseFailsAtOpen) {
  std::ofstream(path_) << "This is a text file, not a database. It is long enough to hold a "
                          "header's worth of bytes, and then some more bytes after that.\n";
  try {
    Connection::open(path_);
    FAIL() << "a text file must not open as a database";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kNotADb);
    EXPECT_NE(std::string(e.what()).find("file is not a database"), std::string::npos) << e.what();
  }
}

TEST_F(ConnectionTest, ACorruptPageGivesSqliteCorruptNotACrash) {
  {
    auto db = Connection::open(path_, {.wal = false});
    db.execute_script(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
        "INSERT INTO t(v) SELECT printf('row %d with some padding text', i) FROM n;");
  }
  {
    // Overwrite page 3 (a b-tree page of t) with garbage.
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2 * 4096);
    const std::string garbage(4096, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto db = Connection::open(path_, {.wal = false});
  const Error e = error_of(db, "SELECT sum(length(v)) FROM t");
  EXPECT_EQ(e.primary_code(), PrimaryCode::kCorrupt) << e.what();
}

TEST_F(ConnectionTest, SyntaxErrorsCarrySqlitesMessage) {
  auto db = Connection::open(":memory:");
  const Error e = error_of(db, "SELEC 1");
  EXPECT_EQ(e.code_name(), "SQLITE_ERROR");
  EXPECT_STREQ(e.what(), "near \"SELEC\": syntax error");
}

TEST_F(ConnectionTest, PrepareErrorsSayWhereInTheSqlTheyAre) {
  auto db = Connection::open(":memory:");
  const Error e = error_of(db, "SELECT nope FROM sqlite_schema");
  EXPECT_STREQ(e.what(), "no such column: nope");
  EXPECT_EQ(e.sql_offset(), 7);
  // SQLite knows no offset for some prepare errors.
  EXPECT_EQ(error_of(db, "SELECT * FROM nope").sql_offset(), -1);
  db.execute_script("CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1)");
  EXPECT_EQ(error_of(db, "INSERT INTO t VALUES (1)").sql_offset(), -1)
      << "a runtime error has no offset";
}

TEST_F(ConnectionTest, ConstraintViolationsCarryTheirExtendedCodes) {
  auto db = Connection::open(":memory:");
  db.execute_script(
      "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
      "CREATE TABLE t(id INTEGER PRIMARY KEY, u UNIQUE, n NOT NULL, c CHECK (c > 0),"
      "               p REFERENCES parent(id));"
      "INSERT INTO parent VALUES (1);"
      "INSERT INTO t VALUES (1, 1, 1, 1, 1);");
  EXPECT_EQ(error_of(db, "INSERT INTO t VALUES (2, 1, 1, 1, 1)").code_name(),
            "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_EQ(error_of(db, "INSERT INTO t VALUES (1, 2, 1, 1, 1)").code_name(),
            "SQLITE_CONSTRAINT_PRIMARYKEY");
  EXPECT_EQ(error_of(db, "INSERT INTO t VALUES (2, 2, NULL, 1, 1)").code_name(),
            "SQLITE_CONSTRAINT_NOTNULL");
  EXPECT_EQ(error_of(db, "INSERT INTO t VALUES (2, 2, 1, 0, 1)").code_name(),
            "SQLITE_CONSTRAINT_CHECK");
  // Foreign keys are enforced without a PRAGMA, as in libSQL.
  EXPECT_EQ(error_of(db, "INSERT INTO t VALUES (2, 2, 1, 1, 99)").code_name(),
            "SQLITE_CONSTRAINT_FOREIGNKEY");
  const Error e = error_of(db, "INSERT INTO t VALUES (2, 1, 1, 1, 1)");
  EXPECT_EQ(e.code(), 2067);
  EXPECT_EQ(e.primary_code(), PrimaryCode::kConstraint);
  EXPECT_STREQ(e.what(), "UNIQUE constraint failed: t.u");
}

TEST_F(ConnectionTest, AWriterWaitsForTheBusyTimeoutThenGetsBusy) {
  auto holder = Connection::open(path_);
  holder.execute_script("CREATE TABLE t(x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
  auto waiter = Connection::open(path_, {.busy_timeout = milliseconds(100)});
  const auto start = std::chrono::steady_clock::now();
  const Error e = error_of(waiter, "INSERT INTO t VALUES (2)");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.primary_code(), PrimaryCode::kBusy);
  EXPECT_STREQ(e.what(), "database is locked");
  EXPECT_GE(waited, milliseconds(90)) << "the busy timeout must be honoured before failing";
  // WAL lets readers go on while the writer holds its lock.
  EXPECT_EQ(query_value(waiter, "SELECT count(*) FROM t"), Value(0));
  holder.execute_script("COMMIT");
  EXPECT_NO_THROW(waiter.execute_script("INSERT INTO t VALUES (2)"));
}

TEST_F(ConnectionTest, AWriterGetsTheLockOnceTheHolderCommitsWithinTheTimeout) {
  auto holder = Connection::open(path_);
  holder.execute_script("CREATE TABLE t(x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
  std::thread committer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    holder.execute_script("COMMIT");
  });
  auto waiter = Connection::open(path_, {.busy_timeout = milliseconds(5000)});
  EXPECT_NO_THROW(waiter.execute_script("INSERT INTO t VALUES (2)"));
  committer.join();
  EXPECT_EQ(query_value(waiter, "SELECT count(*) FROM t"), Value(2));
}

TEST_F(ConnectionTest, ReportsChangesAndLastInsertRowid) {
  auto db = Connection::open(":memory:");
  db.execute_script("CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (41, 'a')");
  db.execute_script("INSERT INTO t(v) VALUES ('b')");
  EXPECT_EQ(db.last_insert_rowid(), 42);
  db.execute_script("UPDATE t SET v = 'c'");
  EXPECT_EQ(db.changes(), 2);
  EXPECT_EQ(db.total_changes(), 4);
}

TEST_F(ConnectionTest, PrepareTakesExactlyOneStatement) {
  auto db = Connection::open(":memory:");
  EXPECT_NO_THROW(db.prepare("SELECT 1;  -- trailing comment\n ;"));
  EXPECT_NO_THROW(db.prepare("  /* leading */ ; SELECT 1"));
  try {
    db.prepare("SELECT 1; SELECT 2");
    FAIL() << "two statements must not prepare as one";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kMisuse);
  }
  EXPECT_THROW(db.prepare("   -- nothing\n"), Error);
  EXPECT_THROW(db.prepare(""), Error);
}

TEST_F(ConnectionTest, ScriptsRunEveryStatementAndStopAtTheFirstError) {
  auto db = Connection::open(":memory:");
  db.execute_script("CREATE TABLE t(x); INSERT INTO t VALUES (1); ; INSERT INTO t VALUES (2);");
  EXPECT_EQ(query_value(db, "SELECT count(*) FROM t"), Value(2));
  EXPECT_THROW(db.execute_script("INSERT INTO t VALUES (3); INSERT INTO nope VALUES (4); "
                                 "INSERT INTO t VALUES (5)"),
               Error);
  EXPECT_EQ(query_value(db, "SELECT group_concat(x) FROM t"), Value("1,2,3"));
}

TEST_F(ConnectionTest, InterruptStopsALongQueryFromAnotherThread) {
  auto db = Connection::open(":memory:");
  std::atomic<bool> done = false;
  // An interrupt that lands before the query starts is lost, so keep sending them.
  std::thread interrupter([&] {
    while (!done) {
      std::this_thread::sleep_for(milliseconds(20));
      db.interrupt();
    }
  });
  const Error e = error_of(db,
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                           "SELECT count(*) FROM n");
  done = true;
  interrupter.join();
  EXPECT_EQ(e.primary_code(), PrimaryCode::kInterrupt);
}

TEST_F(ConnectionTest, DatabaseOpensConnectionsWithItsOptions) {
  const Database database(path_, {.busy_timeout = milliseconds(10)});
  auto a = database.connect();
  auto b = database.connect();
  a.execute_script("CREATE TABLE t(x); BEGIN IMMEDIATE");
  EXPECT_EQ(error_of(b, "INSERT INTO t VALUES (1)").primary_code(), PrimaryCode::kBusy);
}

}  // namespace
}  // namespace libsql::engine
