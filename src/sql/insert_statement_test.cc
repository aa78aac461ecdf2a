// insert_statement_test.cc: reading INSERT and REPLACE statements: target, column list,
// the rows of VALUES, a SELECT source, DEFAULT VALUES, and where the upsert or RETURNING
// clause starts.

#include "sql/insert_statement.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::sql {
namespace {

using Source = InsertStatement::Source;
using Texts = std::vector<std::string>;

InsertStatement read(std::string_view sql) {
  std::optional<InsertStatement> insert = read_insert_statement(sql);
  if (!insert) {
    ADD_FAILURE() << "no INSERT read from: " << sql;
    return {};
  }
  return *insert;
}

std::string text_of(std::string_view sql, TextRange range) {
  return std::string(sql.substr(range.offset, range.end - range.offset));
}

// Each row's value texts.
std::vector<Texts> rows_of(std::string_view sql, const InsertStatement& insert) {
  std::vector<Texts> rows;
  for (const auto& row : insert.rows) {
    Texts values;
    for (const TextRange& value : row) values.push_back(text_of(sql, value));
    rows.push_back(std::move(values));
  }
  return rows;
}

// The text from where the upsert/RETURNING clause starts to the end ("" if none).
std::string tail_of(std::string_view sql, const InsertStatement& insert) {
  return std::string(sql.substr(insert.tail));
}

// The text up to target_end: the statement's head through the table name (or alias).
std::string head_of(std::string_view sql, const InsertStatement& insert) {
  return std::string(sql.substr(0, insert.target_end));
}

TEST(InsertStatement, PlainValuesInsert) {
  const std::string_view sql = "INSERT INTO t VALUES (1, 'a')";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.table_name, "t");
  EXPECT_EQ(insert.schema_name, "");
  EXPECT_EQ(head_of(sql, insert), "INSERT INTO t");
  EXPECT_FALSE(insert.has_columns);
  EXPECT_TRUE(insert.columns.empty());
  EXPECT_EQ(insert.source, Source::kValues);
  EXPECT_EQ(text_of(sql, insert.source_range), "VALUES (1, 'a')");
  EXPECT_EQ(rows_of(sql, insert), (std::vector<Texts>{{"1", "'a'"}}));
  EXPECT_EQ(insert.tail, sql.size());
}

TEST(InsertStatement, WithPrefixIsSkipped) {
  const std::string_view sql =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3), "
      "m AS NOT MATERIALIZED (SELECT 2), k AS MATERIALIZED (VALUES (3)) "
      "INSERT INTO t(a) SELECT i FROM n";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.table_name, "t");
  EXPECT_EQ(insert.columns, (Texts{"a"}));
  EXPECT_EQ(insert.source, Source::kSelect);
  EXPECT_EQ(text_of(sql, insert.source_range), "SELECT i FROM n");
  EXPECT_EQ(insert.tail, sql.size());
}

TEST(InsertStatement, ConflictClauseAndReplaceInto) {
  struct Case {
    std::string_view sql;
    std::string_view head;
  };
  for (const Case& c : {Case{"INSERT OR REPLACE INTO t VALUES (1)", "INSERT OR REPLACE INTO t"},
                        Case{"INSERT OR IGNORE INTO t VALUES (1)", "INSERT OR IGNORE INTO t"},
                        Case{"insert or abort into t values (1)", "insert or abort into t"},
                        Case{"INSERT OR FAIL INTO t VALUES (1)", "INSERT OR FAIL INTO t"},
                        Case{"INSERT OR ROLLBACK INTO t VALUES (1)", "INSERT OR ROLLBACK INTO t"},
                        Case{"REPLACE INTO t VALUES (1)", "REPLACE INTO t"}}) {
    const std::optional<InsertStatement> insert = read_insert_statement(c.sql);
    ASSERT_TRUE(insert.has_value()) << c.sql;
    EXPECT_EQ(insert->table_name, "t") << c.sql;
    EXPECT_EQ(insert->source, Source::kValues) << c.sql;
    EXPECT_EQ(rows_of(c.sql, *insert), (std::vector<Texts>{{"1"}})) << c.sql;
    EXPECT_EQ(head_of(c.sql, *insert), c.head);
  }
}

TEST(InsertStatement, SchemaQualifiedTargetsAreDequoted) {
  const std::string_view sql = "INSERT INTO \"my db\".\"my \"\"t\"\"\" VALUES (1)";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.schema_name, "my db");
  EXPECT_EQ(insert.table_name, "my \"t\"");
  EXPECT_EQ(head_of(sql, insert), "INSERT INTO \"my db\".\"my \"\"t\"\"\"");

  const InsertStatement temp = read("INSERT INTO temp.[x y] DEFAULT VALUES");
  EXPECT_EQ(temp.schema_name, "temp");
  EXPECT_EQ(temp.table_name, "x y");
}

TEST(InsertStatement, TargetEndsAfterAnAsAlias) {
  const std::string_view sql =
      "INSERT INTO main.t AS x(a) VALUES (1) ON CONFLICT(a) DO UPDATE SET a = x.a + 1";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.table_name, "t");
  EXPECT_EQ(head_of(sql, insert), "INSERT INTO main.t AS x");
  EXPECT_EQ(insert.columns, (Texts{"a"}));
}

TEST(InsertStatement, ColumnListIsDequotedAndItsCloseIsFound) {
  const std::string_view sql = "INSERT INTO t(\"a b\", [c], `d`, 'e', f ) VALUES (1, 2, 3, 4, 5)";
  const InsertStatement insert = read(sql);
  EXPECT_TRUE(insert.has_columns);
  EXPECT_EQ(insert.columns, (Texts{"a b", "c", "d", "e", "f"}));
  EXPECT_EQ(insert.columns_close, sql.find(") VALUES"));
  EXPECT_EQ(rows_of(sql, insert), (std::vector<Texts>{{"1", "2", "3", "4", "5"}}));
}

TEST(InsertStatement, ValuesWithManyRowsAndNestedParenthesesAndCommas) {
  const std::string_view sql =
      "INSERT INTO t VALUES (1, f(2, 3), '(,)'), ((4), (SELECT 5, 6 FROM u LIMIT 1), x'00'),\n"
      "  (?, :name, ?7 || ',' || \"q,)\")";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.source, Source::kValues);
  EXPECT_EQ(rows_of(sql, insert),
            (std::vector<Texts>{{"1", "f(2, 3)", "'(,)'"},
                                {"(4)", "(SELECT 5, 6 FROM u LIMIT 1)", "x'00'"},
                                {"?", ":name", "?7 || ',' || \"q,)\""}}));
  EXPECT_EQ(insert.tail, sql.size());
}

TEST(InsertStatement, ValuesFollowedByACompoundOrOrderByIsASelect) {
  for (const std::string_view sql :
       {"INSERT INTO t VALUES (1), (2) UNION SELECT 3",
        "INSERT INTO t VALUES (1) UNION ALL VALUES (2)", "INSERT INTO t VALUES (2), (1) ORDER BY 1",
        "INSERT INTO t VALUES (1) LIMIT 1"}) {
    const std::optional<InsertStatement> insert = read_insert_statement(sql);
    ASSERT_TRUE(insert.has_value()) << sql;
    EXPECT_EQ(insert->source, Source::kSelect) << sql;
    EXPECT_TRUE(insert->rows.empty()) << sql;
    EXPECT_EQ(text_of(sql, insert->source_range), std::string(sql.substr(sql.find("VALUES"))))
        << sql;
  }
}

TEST(InsertStatement, SelectWithAJoinOnIsNotAnUpsert) {
  const std::string_view sql = "INSERT INTO t SELECT a.x, b.y FROM a JOIN b ON a.id = b.id";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.source, Source::kSelect);
  EXPECT_EQ(text_of(sql, insert.source_range), "SELECT a.x, b.y FROM a JOIN b ON a.id = b.id");
  EXPECT_EQ(insert.tail, sql.size()) << "the join's ON is not ON CONFLICT";

  // A column named "conflict" after a join's ON is still the join.
  const std::string_view named = "INSERT INTO t SELECT * FROM a JOIN b ON conflict = 1";
  EXPECT_EQ(read(named).tail, named.size());
}

TEST(InsertStatement, UpsertDoUpdateWhereStartsTheTail) {
  const std::string_view sql =
      "INSERT INTO t(k, n) VALUES ('a', 1) ON CONFLICT(k) WHERE k <> '' DO UPDATE SET n = n + "
      "excluded.n WHERE n < 10";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.source, Source::kValues);
  EXPECT_EQ(text_of(sql, insert.source_range), "VALUES ('a', 1)");
  EXPECT_EQ(rows_of(sql, insert), (std::vector<Texts>{{"'a'", "1"}}));
  EXPECT_EQ(tail_of(sql, insert),
            "ON CONFLICT(k) WHERE k <> '' DO UPDATE SET n = n + excluded.n WHERE n < 10");
}

TEST(InsertStatement, UpsertAfterASelectAndDoNothing) {
  const std::string_view sql =
      "INSERT INTO t SELECT * FROM s JOIN u ON s.id = u.id WHERE true ON CONFLICT DO NOTHING";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.source, Source::kSelect);
  EXPECT_EQ(text_of(sql, insert.source_range), "SELECT * FROM s JOIN u ON s.id = u.id WHERE true");
  EXPECT_EQ(tail_of(sql, insert), "ON CONFLICT DO NOTHING");
}

TEST(InsertStatement, ReturningStartsTheTail) {
  const std::string_view sql = "INSERT INTO t VALUES (1), (2) RETURNING rowid, (SELECT 1), *";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.source, Source::kValues);
  EXPECT_EQ(rows_of(sql, insert), (std::vector<Texts>{{"1"}, {"2"}}));
  EXPECT_EQ(text_of(sql, insert.source_range), "VALUES (1), (2)");
  EXPECT_EQ(tail_of(sql, insert), "RETURNING rowid, (SELECT 1), *");

  const std::string_view both =
      "INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 2 RETURNING a";
  EXPECT_EQ(tail_of(both, read(both)), "ON CONFLICT DO UPDATE SET a = 2 RETURNING a");
}

TEST(InsertStatement, DefaultValues) {
  const std::string_view sql = "INSERT INTO t DEFAULT VALUES";
  const InsertStatement insert = read(sql);
  EXPECT_EQ(insert.source, Source::kDefaultValues);
  EXPECT_EQ(text_of(sql, insert.source_range), "DEFAULT VALUES");
  EXPECT_TRUE(insert.rows.empty());
  EXPECT_EQ(insert.tail, sql.size());
  EXPECT_EQ(head_of(sql, insert), "INSERT INTO t");

  const std::string_view returning = "insert into t default values returning rowid";
  const InsertStatement with_returning = read(returning);
  EXPECT_EQ(with_returning.source, Source::kDefaultValues);
  EXPECT_EQ(text_of(returning, with_returning.source_range), "default values");
  EXPECT_EQ(tail_of(returning, with_returning), "returning rowid");
}

TEST(InsertStatement, OtherStatementsReadAsNone) {
  for (const std::string_view sql :
       {"SELECT 1", "UPDATE t SET a = 1", "DELETE FROM t", "WITH x AS (SELECT 1) SELECT * FROM x",
        "WITH x AS (SELECT 1) DELETE FROM t", "CREATE TABLE t(a)", "INSERT t VALUES (1)",
        "INSERT INTO", "INSERT INTO t", "INSERT INTO t(a, b", "INSERT INTO t(a b) VALUES (1)",
        "INSERT OR INTO t VALUES (1)", "REPLACE t VALUES (1)", "", "VALUES (1)"}) {
    EXPECT_FALSE(read_insert_statement(sql).has_value()) << sql;
  }
}

}  // namespace
}  // namespace libsql::sql
