// sqlite_internals_test.cc: our reader of SQLite's current result row agrees with
// SQLite's own API in every case that takes a different path inside SQLite.

#include "engine/sqlite_internals.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "engine/connection.h"
#include "tests/support/temp_dir.h"

namespace libsql::engine {
namespace {

class SqliteInternalsTest : public ::testing::Test {
 protected:
  // Steps `sql` to its first row and reads column 0 both ways.
  void expect_agrees(Connection& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    ASSERT_TRUE(stmt.step()) << sql;
    libsql_column ours;
    libsql_read_column(stmt.handle(), 0, &ours);
    const int type = sqlite3_column_type(stmt.handle(), 0);
    constexpr int kOurType[] = {0,
                                LIBSQL_COLUMN_INTEGER,
                                LIBSQL_COLUMN_REAL,
                                LIBSQL_COLUMN_TEXT,
                                LIBSQL_COLUMN_BLOB,
                                LIBSQL_COLUMN_NULL};
    ASSERT_EQ(ours.type, kOurType[type]) << sql;
    switch (type) {
      case SQLITE_INTEGER:
        EXPECT_EQ(ours.integer, sqlite3_column_int64(stmt.handle(), 0)) << sql;
        break;
      case SQLITE_FLOAT:
        EXPECT_EQ(ours.real, sqlite3_column_double(stmt.handle(), 0)) << sql;
        break;
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const std::string got(static_cast<const char*>(ours.data),
                              static_cast<std::size_t>(ours.size));
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt.handle(), 0));
        const std::string want(bytes ? bytes : "",
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt.handle(), 0)));
        EXPECT_EQ(got, want) << sql;
        break;
      }
    }
  }

  testing::TempDir dir_;
};

TEST_F(SqliteInternalsTest, AgreesWithTheApiForEveryStorageClass) {
  auto db = Connection::open(":memory:");
  for (const char* sql : {"SELECT 42", "SELECT -9223372036854775808", "SELECT 2.5", "SELECT NULL",
                          "SELECT 'text'", "SELECT ''", "SELECT x'00ff00'", "SELECT x''",
                          "SELECT zeroblob(10)", "SELECT zeroblob(0)", "SELECT 1e999"}) {
    expect_agrees(db, sql);
  }
}

TEST_F(SqliteInternalsTest, ReadsUnterminatedTextStoredInPagesExactly) {
  auto db = Connection::open(dir_.file("pages.db"));
  db.execute_script("CREATE TABLE t(a TEXT, b TEXT); INSERT INTO t VALUES ('first', 'second')");
  // Column a's bytes are followed by b's in the page: no NUL after "first".
  auto stmt = db.prepare("SELECT a FROM t");
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_view(0).text_value(), "first");
  expect_agrees(db, "SELECT a FROM t");
}

TEST_F(SqliteInternalsTest, ConvertsTextOfUtf16Databases) {
  auto db = Connection::open(dir_.file("utf16.db"));
  db.execute_script(
      "PRAGMA encoding = 'UTF-16le'; CREATE TABLE t(a); INSERT INTO t VALUES ('héllo ✓')");
  auto stmt = db.prepare("SELECT a FROM t");
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_view(0).text_value(), "héllo ✓");
}

TEST_F(SqliteInternalsTest, WithoutACurrentRowEveryColumnIsNull) {
  auto db = Connection::open(":memory:");
  auto stmt = db.prepare("SELECT 1 WHERE 0");
  libsql_column column;
  libsql_read_column(stmt.handle(), 0, &column);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "before the first step";
  EXPECT_FALSE(stmt.step());
  libsql_read_column(stmt.handle(), 0, &column);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "after the last row";
  auto one = db.prepare("SELECT 1");
  ASSERT_TRUE(one.step());
  libsql_read_column(one.handle(), 5, &column);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "a column out of range";
  libsql_read_column(one.handle(), -1, &column);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "a negative column";
}

}  // namespace
}  // namespace libsql::engine
