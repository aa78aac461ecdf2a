// dialect_api_test.cc: libSQL's own SQL (BEGIN READONLY, RANDOM ROWID, ALTER COLUMN)
// through the public C++ API, as an application on a local file uses it.

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "libsql/database.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql {
namespace {

// A rowid drawn from [1, 2^62] is this small with probability below 1e-12.
bool looks_random(std::int64_t rowid) {
  return rowid > 1'000'000 && rowid <= (std::int64_t{1} << 62);
}

class DialectApiTest : public ::testing::Test {
 protected:
  std::int64_t query_integer(std::string_view sql) {
    auto rows = conn_.query(sql);
    const Row* row = rows.next();
    if (row == nullptr) {
      ADD_FAILURE() << sql << " returned no row";
      return 0;
    }
    return row->get<std::int64_t>(0);
  }

  std::string stored_sql(std::string_view name) {
    auto rows = conn_.query("SELECT sql FROM sqlite_schema WHERE name = ?", {name});
    const Row* row = rows.next();
    return row == nullptr ? "" : row->get<std::string>(0);
  }

  // The libsql::Error running `sql` raises; a test failure if it raises none.
  Error error_of(std::string_view sql) {
    try {
      conn_.execute(sql);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << sql << " should have failed";
    return Error(0, "");
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("app.db");
  Database db_ = Builder::local(path_).build();
  Connection conn_ = db_.connect();
};

TEST_F(DialectApiTest, BeginReadonlyInABatchRunsAsADeferredTransaction) {
  conn_.execute_batch(
      "CREATE TABLE t(a);"
      "BEGIN READONLY;"
      "INSERT INTO t VALUES (1);"
      "COMMIT;"
      "BEGIN READONLY TRANSACTION;"
      "INSERT INTO t VALUES (2);");
  EXPECT_FALSE(conn_.is_autocommit()) << "the second transaction is still open";
  // Another connection does not see the open transaction's write.
  Connection other = db_.connect();
  EXPECT_EQ(other.query("SELECT count(*) FROM t").next()->get<std::int64_t>(0), 1);
  conn_.execute_batch("COMMIT");
  EXPECT_EQ(query_integer("SELECT sum(a) FROM t"), 3);
}

TEST_F(DialectApiTest, RandomRowidThroughExecuteQueryPrepareAndTransactions) {
  EXPECT_EQ(conn_.execute("CREATE TABLE t(id int, v text) RANDOM ROWID"), 0u);
  EXPECT_EQ(stored_sql("t"), "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)");

  EXPECT_EQ(conn_.execute("INSERT INTO t(id, v) VALUES (?, ?), (?, ?)", {1, "a", 2, "b"}), 2u);
  EXPECT_TRUE(looks_random(conn_.last_insert_rowid())) << conn_.last_insert_rowid();
  EXPECT_EQ(conn_.last_insert_rowid(), query_integer("SELECT rowid FROM t WHERE id = 2"));

  std::vector<std::int64_t> returned;
  for (const Row& row :
       conn_.query("INSERT INTO t(id, v) VALUES (:id, 'c') RETURNING rowid", {{":id", 3}})) {
    returned.push_back(row.get<std::int64_t>(0));
  }
  EXPECT_EQ(returned,
            (std::vector<std::int64_t>{query_integer("SELECT rowid FROM t WHERE id = 3")}));

  {
    auto tx = conn_.transaction(TransactionBehavior::kImmediate);
    Statement insert = conn_.prepare("INSERT INTO t(id) VALUES (?)");
    for (int id = 4; id <= 10; ++id) {
      insert.execute({id});
      insert.reset();
    }
    tx.commit();
  }
  std::set<std::int64_t> rowids;
  auto rows = conn_.query("SELECT rowid FROM t");
  for (const Row& row : rows) {
    const auto value = row.get<std::int64_t>(0);
    EXPECT_TRUE(looks_random(value)) << value;
    rowids.insert(value);
  }
  EXPECT_EQ(rowids.size(), 10u);
}

TEST_F(DialectApiTest, AlterColumnChangesTheStoredDefinitionAndLaterWrites) {
  conn_.execute_batch("CREATE TABLE x(a int, b text); INSERT INTO x VALUES (NULL, 'old')");
  EXPECT_EQ(conn_.execute("ALTER TABLE x ALTER COLUMN a TO a INTEGER NOT NULL DEFAULT 5"), 0u);
  EXPECT_EQ(stored_sql("x"), "CREATE TABLE x(a INTEGER NOT NULL DEFAULT 5, b text)");

  conn_.execute("INSERT INTO x(b) VALUES (?)", {"new"});
  EXPECT_EQ(query_integer("SELECT a FROM x WHERE b = 'new'"), 5);
  // (Not "WHERE a IS NULL": SQLite folds that to false for a NOT NULL column.)
  EXPECT_EQ(conn_.query("SELECT a FROM x WHERE b = 'old'").next()->get<Value>(0), Value())
      << "old rows untouched";
  const Error refused = error_of("INSERT INTO x VALUES (NULL, 'null')");
  EXPECT_STREQ(refused.what(), "NOT NULL constraint failed: x.a");
  EXPECT_EQ(refused.code_name(), "SQLITE_CONSTRAINT_NOTNULL");

  // A prepared ALTER runs when executed, not when prepared.
  Statement alter = conn_.prepare("ALTER TABLE x ALTER COLUMN b TO b text NOT NULL");
  EXPECT_EQ(stored_sql("x"), "CREATE TABLE x(a INTEGER NOT NULL DEFAULT 5, b text)");
  alter.execute();
  EXPECT_EQ(stored_sql("x"), "CREATE TABLE x(a INTEGER NOT NULL DEFAULT 5, b text NOT NULL)");

  // Another connection of the same database sees the change.
  Connection other = db_.connect();
  EXPECT_THROW(other.execute("INSERT INTO x(a) VALUES (1)"), Error);
}

TEST_F(DialectApiTest, LibsqlRefusalsArriveAsErrorsWithLibsqlsWords) {
  conn_.execute("CREATE TABLE t(a int, b text)");
  struct Case {
    std::string_view sql;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"CREATE TABLE r(id integer primary key autoincrement) RANDOM ROWID",
                "AUTOINCREMENT not allowed on RANDOM ROWID tables"},
           Case{"CREATE TABLE r(id int) RANDOM ROW_ID", "unknown table option: ROW_ID"},
           Case{"CREATE TABLE r(id int primary key) WITHOUT ROWID, RANDOM ROWID",
                "RANDOM ROWID not allowed on WITHOUT ROWID tables"},
           Case{"ALTER TABLE t ALTER COLUMN a TO b int",
                "UPDATE cannot also rename column: \"a\" to \"b\". Use ALTER TABLE RENAME instead"},
           Case{"ALTER TABLE t ALTER COLUMN a TO a int unique",
                "error in adding a int unique to t: UNIQUE constraint cannot be altered"},
           Case{"ALTER TABLE t ALTER COLUMN zz TO zz int", "no such column: \"zz\""},
           Case{"ALTER TABLE nope ALTER COLUMN a TO a int", "no such table: nope"},
       }) {
    const Error e = error_of(c.sql);
    EXPECT_EQ(std::string(e.what()), c.message) << c.sql;
    EXPECT_EQ(e.code(), 1) << c.sql;
    EXPECT_EQ(e.code_name(), "SQLITE_ERROR") << c.sql;
  }
  // The same refusals when preparing.
  EXPECT_THROW(conn_.prepare("ALTER TABLE t ALTER COLUMN a TO b int"), Error);
  EXPECT_EQ(stored_sql("t"), "CREATE TABLE t(a int, b text)");
  EXPECT_EQ(stored_sql("r"), "");
}

TEST_F(DialectApiTest, AFileRealLibsqlWroteOpensReadOnlyOnlyAfterItsMigration) {
  const std::string native = dir_.file("native.db");
  {
    // Written as real libSQL stores RANDOM ROWID: text stock SQLite cannot parse.
    auto conn = Builder::local(native).build().connect();
    conn.execute_batch("CREATE TABLE t(id int, v text); INSERT INTO t VALUES (1, 'a')");
    const auto version = conn.query("PRAGMA schema_version").next()->get<std::int64_t>(0);
    conn.execute_batch(
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_schema SET sql = 'CREATE TABLE t(id int, v text) RANDOM ROWID' "
        "WHERE name = 't';"
        "PRAGMA schema_version = " +
        std::to_string(version + 1) + "; PRAGMA writable_schema = OFF");
  }
  try {
    Builder::local(native).flags(OpenFlags::kReadOnly).build();
    ADD_FAILURE() << "a read-only open cannot rewrite the schema";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("open it writable once"), std::string::npos) << e.what();
  }
  auto conn = Builder::local(native).build().connect();
  conn.execute("INSERT INTO t VALUES (2, 'b')");
  EXPECT_TRUE(looks_random(conn.last_insert_rowid()));
  auto reader = Builder::local(native).flags(OpenFlags::kReadOnly).build().connect();
  EXPECT_EQ(reader.query("SELECT count(*) FROM t").next()->get<std::int64_t>(0), 2);
}

}  // namespace
}  // namespace libsql
