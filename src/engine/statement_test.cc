// statement_test.cc: parameter binding rules, column metadata, and step errors.

#include "engine/statement.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/connection.h"
#include "libsql/error.h"

namespace libsql::engine {
namespace {

class StatementTest : public ::testing::Test {
 protected:
  // Runs a one-row query with `params` and returns its columns joined by '|'.
  std::string row_of(std::string_view sql, const Params& params) {
    auto stmt = db_.prepare(sql);
    stmt.bind(params);
    EXPECT_TRUE(stmt.step());
    std::string out;
    for (int i = 0; i < stmt.column_count(); ++i) {
      if (i > 0) out += '|';
      const Value v = stmt.column_value(i);
      out += v.is_null()                       ? "NULL"
             : v.type() == ValueType::kInteger ? std::to_string(v.as_integer())
                                               : v.as_text();
    }
    return out;
  }

  // The error binding `params` to `sql` raises.
  Error bind_error(std::string_view sql, const Params& params) {
    auto stmt = db_.prepare(sql);
    try {
      stmt.bind(params);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "binding to " << sql << " should have failed";
    return Error(0, "");
  }

  Connection db_ = Connection::open(":memory:");
};

TEST_F(StatementTest, BindsPositionalValuesInOrder) {
  EXPECT_EQ(row_of("SELECT ?, ?, ?", {1, "two", nullptr}), "1|two|NULL");
}

TEST_F(StatementTest, BindsNumberedParametersToThatPosition) {
  EXPECT_EQ(row_of("SELECT ?2, ?1, ?2", {"a", "b"}), "b|a|b");
}

TEST_F(StatementTest, BindsNamedParametersWithOrWithoutTheirPrefix) {
  EXPECT_EQ(row_of("SELECT :a, @b, $c", {{":a", 1}, {"@b", 2}, {"$c", 3}}), "1|2|3");
  EXPECT_EQ(row_of("SELECT :a, @b, $c", {{"a", 1}, {"b", 2}, {"c", 3}}), "1|2|3");
}

TEST_F(StatementTest, ExactNameWinsOverBareName) {
  // `:a` is named exactly; `@a` has no exact match and takes the bare `a`.
  EXPECT_EQ(row_of("SELECT :a, @a", {{"a", 2}, {":a", 1}}), "1|2");
}

TEST_F(StatementTest, MoreNamedValuesThanParametersIsAnError) {
  EXPECT_STREQ(bind_error("SELECT :a", {{"a", 1}, {"b", 2}}).what(),
               "too many parameters, expected 1 found 2");
}

TEST_F(StatementTest, AValueNamedWithAnotherPrefixDoesNotMatch) {
  const Error e = bind_error("SELECT :a", {{"$a", 1}});
  EXPECT_EQ(e.primary_code(), PrimaryCode::kRange);
  EXPECT_STREQ(e.what(), "value for parameter :a not found");
}

TEST_F(StatementTest, PositionalValuesNeverSatisfyNamedParameters) {
  EXPECT_STREQ(bind_error("SELECT :a", {1}).what(), "value for parameter :a not found");
}

TEST_F(StatementTest, TooManyPositionalValuesIsAnError) {
  const Error e = bind_error("SELECT ?", {1, 2});
  EXPECT_EQ(e.code_name(), "SQLITE_RANGE");
  EXPECT_STREQ(e.what(), "too many parameters, expected 1 found 2");
}

TEST_F(StatementTest, AMissingPositionalValueNamesTheParameter) {
  EXPECT_STREQ(bind_error("SELECT ?, ?", {1}).what(), "value for parameter 2 not found");
  EXPECT_STREQ(bind_error("SELECT ?1, ?3", {1, 2}).what(), "value for parameter ?3 not found");
}

TEST_F(StatementTest, ExplainRunsWithoutValues) {
  auto stmt = db_.prepare("EXPLAIN SELECT ?, :a");
  EXPECT_NO_THROW(stmt.bind(Params{}));
  EXPECT_TRUE(stmt.step());
}

TEST_F(StatementTest, RebindingReplacesEarlierValues) {
  auto stmt = db_.prepare("SELECT ?");
  stmt.bind(Params{1});
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_integer(0), 1);
  stmt.reset();
  stmt.bind(Params{2});
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_integer(0), 2);
}

TEST_F(StatementTest, ReportsColumnNamesAndDeclaredTypes) {
  db_.execute_script("CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, photo BLOB)");
  auto stmt = db_.prepare("SELECT id, name AS who, photo, 1 + 1 FROM people");
  ASSERT_EQ(stmt.column_count(), 4);
  EXPECT_EQ(stmt.column_name(0), "id");
  EXPECT_EQ(stmt.column_name(1), "who");
  EXPECT_EQ(stmt.column_name(3), "1 + 1");
  EXPECT_EQ(stmt.column_decltype(0), "INTEGER");
  EXPECT_EQ(stmt.column_decltype(1), "TEXT");
  EXPECT_EQ(stmt.column_decltype(2), "BLOB");
  EXPECT_EQ(stmt.column_decltype(3), "") << "expressions have no declared type";
}

TEST_F(StatementTest, KnowsReadsFromWrites) {
  db_.execute_script("CREATE TABLE t(x)");
  EXPECT_TRUE(db_.prepare("SELECT * FROM t").is_readonly());
  EXPECT_FALSE(db_.prepare("INSERT INTO t VALUES (1)").is_readonly());
}

TEST_F(StatementTest, AFailedStepReleasesItsTransaction) {
  db_.execute_script("CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1)");
  auto insert = db_.prepare("INSERT INTO t VALUES (1)");
  EXPECT_THROW(insert.step(), Error);
  EXPECT_TRUE(db_.is_autocommit());
  // The statement is usable again after the failure.
  insert = db_.prepare("INSERT INTO t VALUES (?)");
  insert.bind(Params{2});
  EXPECT_FALSE(insert.step());
  EXPECT_EQ(db_.changes(), 1);
}

TEST_F(StatementTest, RunToCompletionCountsOnlyTheRowsItsOwnRunChanged) {
  db_.execute_script("CREATE TABLE t(x UNIQUE)");
  auto insert = db_.prepare("INSERT INTO t VALUES (?1), (?1 + 1)");
  EXPECT_EQ(insert.run_to_completion(Params{1}), 2u);
  EXPECT_EQ(insert.run_to_completion(Params{10}), 2u) << "runs again without a reset";
  auto update = db_.prepare("UPDATE t SET x = x + 100 WHERE x > ?");
  EXPECT_EQ(update.run_to_completion(Params{99}), 0u) << "an UPDATE matching no row";
  EXPECT_EQ(update.run_to_completion(Params{5}), 2u);
  // sqlite3_changes() still holds 2 here; statements that are not an INSERT, UPDATE or
  // DELETE must not report it.
  EXPECT_EQ(db_.prepare("SELECT * FROM t").run_to_completion({}), 0u);
  EXPECT_EQ(db_.prepare("CREATE TABLE u(y)").run_to_completion({}), 0u);
  EXPECT_EQ(db_.prepare("EXPLAIN DELETE FROM t").run_to_completion({}), 0u);
  EXPECT_EQ(db_.prepare("DELETE FROM t RETURNING x").run_to_completion({}), 4u);
}

TEST_F(StatementTest, AFailedRunToCompletionReleasesItsTransaction) {
  db_.execute_script("CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1)");
  auto insert = db_.prepare("INSERT INTO t VALUES (?)");
  EXPECT_THROW(insert.run_to_completion(Params{1}), Error);
  EXPECT_TRUE(db_.is_autocommit());
  EXPECT_EQ(insert.run_to_completion(Params{2}), 1u) << "usable again after the failure";
}

TEST_F(StatementTest, ReadColumnSaysWhetherTheColumnExists) {
  auto stmt = db_.prepare("SELECT 7, 'x'");
  ValueView value;
  EXPECT_FALSE(stmt.read_column(0, value)) << "no current row before the first step";
  ASSERT_TRUE(stmt.step());
  ASSERT_TRUE(stmt.read_column(1, value));
  EXPECT_EQ(value.text_value(), "x");
  EXPECT_FALSE(stmt.read_column(2, value));
  EXPECT_EQ(value.type(), ValueType::kNull) << "a column out of range reads as NULL";
  EXPECT_FALSE(stmt.read_column(-1, value));
  EXPECT_FALSE(stmt.step());
  EXPECT_FALSE(stmt.read_column(0, value)) << "no current row after the last";
}

}  // namespace
}  // namespace libsql::engine
