// sqlite_internals_test.cc: our reader of SQLite's current result row agrees with
// SQLite's own API in every case that takes a different path inside SQLite, and so does
// our count of a run's changes.

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
    ASSERT_EQ(libsql_read_column(stmt.handle(), 0, &ours), 1) << sql;
    // Statement::column_view bit-casts the same read to a ValueView: every field must
    // land in its place.
    const ValueView view = stmt.column_view(0);
    ASSERT_EQ(static_cast<int>(view.type()), ours.type) << sql;
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
        EXPECT_EQ(view.integer_value(), ours.integer) << sql;
        break;
      case SQLITE_FLOAT:
        EXPECT_EQ(ours.real, sqlite3_column_double(stmt.handle(), 0)) << sql;
        EXPECT_EQ(view.real_value(), ours.real) << sql;
        break;
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const std::string got(static_cast<const char*>(ours.data), ours.size);
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt.handle(), 0));
        const std::string want(bytes ? bytes : "",
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt.handle(), 0)));
        EXPECT_EQ(got, want) << sql;
        EXPECT_EQ(view.text_value().data(), ours.data) << sql;
        EXPECT_EQ(view.text_value().size(), ours.size) << sql;
        break;
      }
      case SQLITE_NULL:
        EXPECT_EQ(view.text_value().data(), nullptr) << sql;
        break;
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
  EXPECT_EQ(libsql_read_column(stmt.handle(), 0, &column), 0);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "before the first step";
  EXPECT_FALSE(stmt.step());
  EXPECT_EQ(libsql_read_column(stmt.handle(), 0, &column), 0);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "after the last row";
  auto one = db.prepare("SELECT 1");
  ASSERT_TRUE(one.step());
  EXPECT_EQ(libsql_read_column(one.handle(), 5, &column), 0);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "a column out of range";
  EXPECT_EQ(libsql_read_column(one.handle(), -1, &column), 0);
  EXPECT_EQ(column.type, LIBSQL_COLUMN_NULL) << "a negative column";
}

TEST_F(SqliteInternalsTest, ChangesOfRunAgreesWithTheApiForWritesOnly) {
  auto db = Connection::open(":memory:");
  db.execute_script("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)");
  auto update = db.prepare("UPDATE t SET x = x + 1 WHERE x > 1");
  EXPECT_FALSE(update.step());
  EXPECT_EQ(libsql_changes_of_run(update.handle()), 2);
  EXPECT_EQ(libsql_changes_of_run(update.handle()), sqlite3_changes64(db.handle()));
  auto select = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_FALSE(select.step());
  EXPECT_EQ(libsql_changes_of_run(select.handle()), 0) << "sqlite3_changes() still says 2";
}

}  // namespace
}  // namespace libsql::engine
