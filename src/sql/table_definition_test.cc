// table_definition_test.cc: reading CREATE TABLE statements: the column list, each
// column's span, name, type and column-level constraints, the table options with the
// errors SQLite would name, and the RANDOM ROWID marker.

#include "sql/table_definition.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::sql {
namespace {

// The definition of `sql`; a test failure (and an empty definition) if it reads as none.
TableDefinition read(std::string_view sql) {
  std::optional<TableDefinition> table = read_table_definition(sql);
  if (!table) {
    ADD_FAILURE() << "no table definition read from: " << sql;
    return {};
  }
  return *table;
}

// Each column's text, from its name to the end of its last token.
std::vector<std::string> column_spans(std::string_view sql, const TableDefinition& table) {
  std::vector<std::string> spans;
  for (const ColumnDefinition& column : table.columns) {
    spans.emplace_back(sql.substr(column.name_token.offset, column.end - column.name_token.offset));
  }
  return spans;
}

std::vector<std::string> column_names(const TableDefinition& table) {
  std::vector<std::string> names;
  for (const ColumnDefinition& column : table.columns) names.push_back(column.name);
  return names;
}

std::vector<TableOptionKind> option_kinds(const TableDefinition& table) {
  std::vector<TableOptionKind> kinds;
  for (const TableOption& option : table.options) kinds.push_back(option.kind);
  return kinds;
}

using Texts = std::vector<std::string>;
using O = TableOptionKind;

// ---------------------------------------------------------------------------------------
// Names, spans, the column list

TEST(TableDefinition, ReadsTheTableNameSchemaAndTemp) {
  const TableDefinition plain = read("CREATE TABLE t(a)");
  EXPECT_EQ(plain.table_name, "t");
  EXPECT_EQ(plain.schema_name, "");
  EXPECT_FALSE(plain.temp);

  const TableDefinition full =
      read("create temp table if not exists \"my schema\".\"my \"\"table\"\"\" (a)");
  EXPECT_EQ(full.schema_name, "my schema");
  EXPECT_EQ(full.table_name, "my \"table\"") << "names are dequoted";
  EXPECT_TRUE(full.temp);

  EXPECT_TRUE(read("CREATE TEMPORARY TABLE [t x](a)").temp);
  EXPECT_EQ(read("CREATE TEMPORARY TABLE [t x](a)").table_name, "t x");
  EXPECT_EQ(read("CREATE TABLE 'str'(a)").table_name, "str") << "a string is a name here";
}

TEST(TableDefinition, ColumnListOffsetsAreItsParentheses) {
  const std::string_view sql = "CREATE TABLE t (a, b CHECK (b > 0)) STRICT";
  const TableDefinition table = read(sql);
  EXPECT_EQ(table.list_open, sql.find('('));
  EXPECT_EQ(table.list_close, sql.rfind(')'));
}

TEST(TableDefinition, ColumnSpansRunFromNameToLastTokenAndExcludeTrailingComments) {
  const std::string_view sql =
      "CREATE TABLE t(\n"
      "  id INTEGER PRIMARY KEY, -- the key\n"
      "  v text NOT NULL DEFAULT 'x' /* note */ ,\n"
      "  w\n"
      ")";
  const TableDefinition table = read(sql);
  EXPECT_EQ(column_spans(sql, table),
            (Texts{"id INTEGER PRIMARY KEY", "v text NOT NULL DEFAULT 'x'", "w"}));
}

TEST(TableDefinition, QuotedNamesHoldingSemicolonsCommasAndParensAreOneColumnEach) {
  const std::string_view sql =
      "CREATE TABLE \"q;t,1)\"(\"a;b\" int, \"c,d)\" text DEFAULT 'x;)', [e)f] int, `g;h` int, "
      "'i,j' real)";
  const TableDefinition table = read(sql);
  EXPECT_EQ(table.table_name, "q;t,1)");
  EXPECT_EQ(column_names(table), (Texts{"a;b", "c,d)", "e)f", "g;h", "i,j"}));
  EXPECT_EQ(column_spans(sql, table), (Texts{"\"a;b\" int", "\"c,d)\" text DEFAULT 'x;)'",
                                             "[e)f] int", "`g;h` int", "'i,j' real"}));
  EXPECT_EQ(table.list_close, sql.size() - 1);
}

TEST(TableDefinition, CommasInsideParenthesesDoNotSplitColumns) {
  const std::string_view sql =
      "CREATE TABLE t(price NUMERIC(10, 2) CHECK (price IN (1, 2, 3)), "
      "d DEFAULT (coalesce(1, 2)), g AS (substr(d, 1, 2)))";
  const TableDefinition table = read(sql);
  EXPECT_EQ(column_spans(sql, table),
            (Texts{"price NUMERIC(10, 2) CHECK (price IN (1, 2, 3))", "d DEFAULT (coalesce(1, 2))",
                   "g AS (substr(d, 1, 2))"}));
}

TEST(TableDefinition, TypeIsTheDeclaredTypeAsWritten) {
  const TableDefinition table = read(
      "CREATE TABLE t(a INTEGER, b varchar(10) NOT NULL, c DOUBLE PRECISION, d, "
      "e NUMERIC(10, 2) DEFAULT 0, f UNSIGNED BIG INT PRIMARY KEY, g CONSTRAINT nn NOT NULL)");
  std::vector<std::string> types;
  for (const ColumnDefinition& column : table.columns) types.push_back(column.type);
  EXPECT_EQ(types, (Texts{"INTEGER", "varchar(10)", "DOUBLE PRECISION", "", "NUMERIC(10, 2)",
                          "UNSIGNED BIG INT", ""}));
}

TEST(TableDefinition, FindColumnIgnoresAsciiCaseAndMatchesDequotedNames) {
  const TableDefinition table = read("CREATE TABLE t(\"Mixed Case\" int, abc text)");
  ASSERT_NE(table.find_column("mixed case"), nullptr);
  EXPECT_EQ(table.find_column("mixed case")->type, "int");
  ASSERT_NE(table.find_column("ABC"), nullptr);
  EXPECT_EQ(table.find_column("ABC")->name, "abc");
  EXPECT_EQ(table.find_column("rowid"), nullptr);
  EXPECT_EQ(table.find_column("\"abc\""), nullptr) << "find_column takes a dequoted name";
}

// ---------------------------------------------------------------------------------------
// Column-level constraints

TEST(TableDefinition, ReadsColumnLevelPrimaryKeyAndDesc) {
  const TableDefinition table = read(
      "CREATE TABLE t(a INTEGER PRIMARY KEY, b int, c INTEGER PRIMARY KEY DESC, "
      "d INTEGER PRIMARY KEY ASC, e int CONSTRAINT pk PRIMARY KEY)");
  ASSERT_EQ(table.columns.size(), 5u);
  EXPECT_TRUE(table.columns[0].primary_key);
  EXPECT_FALSE(table.columns[0].primary_key_desc);
  EXPECT_FALSE(table.columns[1].primary_key);
  EXPECT_TRUE(table.columns[2].primary_key);
  EXPECT_TRUE(table.columns[2].primary_key_desc);
  EXPECT_TRUE(table.columns[3].primary_key);
  EXPECT_FALSE(table.columns[3].primary_key_desc) << "ASC is not DESC";
  EXPECT_TRUE(table.columns[4].primary_key) << "a named constraint is still a PRIMARY KEY";
}

TEST(TableDefinition, ReadsUniqueAndAutoincrement) {
  const TableDefinition table =
      read("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, u text UNIQUE, v text)");
  ASSERT_EQ(table.columns.size(), 3u);
  EXPECT_TRUE(table.columns[0].autoincrement);
  EXPECT_FALSE(table.columns[0].unique);
  EXPECT_TRUE(table.columns[1].unique);
  EXPECT_FALSE(table.columns[1].autoincrement);
  EXPECT_FALSE(table.columns[2].unique);
  EXPECT_TRUE(table.autoincrement);

  EXPECT_FALSE(read("CREATE TABLE t(id INTEGER PRIMARY KEY, v)").autoincrement);
  EXPECT_TRUE(read("CREATE TABLE t(id INTEGER, PRIMARY KEY(id AUTOINCREMENT))").autoincrement)
      << "AUTOINCREMENT in a table-level PRIMARY KEY counts for the table";
}

TEST(TableDefinition, ReadsGeneratedColumnsVirtualAndStored) {
  const TableDefinition table = read(
      "CREATE TABLE t(a int, b AS (a * 2), c int GENERATED ALWAYS AS (a + 1) STORED, "
      "d int AS (a) VIRTUAL, e int DEFAULT 0)");
  ASSERT_EQ(table.columns.size(), 5u);
  EXPECT_FALSE(table.columns[0].generated);
  EXPECT_TRUE(table.columns[1].generated);
  EXPECT_FALSE(table.columns[1].generated_stored);
  EXPECT_TRUE(table.columns[2].generated);
  EXPECT_TRUE(table.columns[2].generated_stored);
  EXPECT_TRUE(table.columns[3].generated);
  EXPECT_FALSE(table.columns[3].generated_stored) << "VIRTUAL is not STORED";
  EXPECT_FALSE(table.columns[4].generated);
}

TEST(TableDefinition, ConstraintWordsInsideStringsAndExpressionsAreNotConstraints) {
  const TableDefinition table = read(
      "CREATE TABLE t(a text DEFAULT 'PRIMARY KEY', b text CHECK (b <> 'UNIQUE'), "
      "c text DEFAULT \"AUTOINCREMENT\", d int CHECK (d NOT IN (1, 2)))");
  ASSERT_EQ(table.columns.size(), 4u);
  for (const ColumnDefinition& column : table.columns) {
    EXPECT_FALSE(column.primary_key) << column.name;
    EXPECT_FALSE(column.unique) << column.name;
    EXPECT_FALSE(column.autoincrement) << column.name;
    EXPECT_FALSE(column.generated) << column.name;
  }
  EXPECT_FALSE(table.autoincrement) << "a quoted \"AUTOINCREMENT\" is a name, not the keyword";
}

TEST(TableDefinition, TableConstraintsAreSkippedAndSetNoColumnFlags) {
  const std::string_view sql =
      "CREATE TABLE t(a INTEGER, b text, PRIMARY KEY(a, b), UNIQUE (b), CHECK (a > 0), "
      "FOREIGN KEY (b) REFERENCES p(id), CONSTRAINT named UNIQUE (a))";
  const TableDefinition table = read(sql);
  EXPECT_EQ(column_names(table), (Texts{"a", "b"}));
  EXPECT_EQ(column_spans(sql, table), (Texts{"a INTEGER", "b text"}));
  for (const ColumnDefinition& column : table.columns) {
    EXPECT_FALSE(column.primary_key) << column.name;
    EXPECT_FALSE(column.unique) << column.name;
  }
}

TEST(TableDefinition, IsRowidAliasOnlyForAColumnLevelIntegerPrimaryKeyOfARowidTable) {
  const auto alias = [](std::string_view sql) {
    const TableDefinition table = read(sql);
    if (table.columns.empty()) return false;
    return table.is_rowid_alias(table.columns.front());
  };
  EXPECT_TRUE(alias("CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
  EXPECT_TRUE(alias("CREATE TABLE t(id integer primary key asc, v)"));
  EXPECT_TRUE(alias("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT)"));
  EXPECT_FALSE(alias("CREATE TABLE t(id INT PRIMARY KEY, v)")) << "INT is not INTEGER";
  EXPECT_FALSE(alias("CREATE TABLE t(id BIGINT PRIMARY KEY)"));
  EXPECT_FALSE(alias("CREATE TABLE t(id INTEGER PRIMARY KEY DESC, v)")) << "SQLite's DESC quirk";
  EXPECT_FALSE(alias("CREATE TABLE t(id INTEGER PRIMARY KEY, v) WITHOUT ROWID"));
  EXPECT_FALSE(alias("CREATE TABLE t(id INTEGER, v)"));
  EXPECT_FALSE(alias("CREATE TABLE t(id INTEGER UNIQUE, v)"));
}

// ---------------------------------------------------------------------------------------
// Table options

TEST(TableDefinition, ReadsWithoutRowidAndStrictWithTheirOffsets) {
  const std::string_view sql = "CREATE TABLE t(id PRIMARY KEY) WITHOUT ROWID, STRICT";
  const TableDefinition table = read(sql);
  EXPECT_EQ(option_kinds(table), (std::vector<O>{O::kWithoutRowid, O::kStrict}));
  ASSERT_EQ(table.options.size(), 2u);
  const auto text = [&](const TableOption& option) {
    return sql.substr(option.offset, option.end - option.offset);
  };
  EXPECT_EQ(text(table.options[0]), "WITHOUT ROWID");
  EXPECT_EQ(text(table.options[1]), "STRICT");
  EXPECT_FALSE(table.options[0].random);
  EXPECT_FALSE(table.option_error.has_value());
  EXPECT_TRUE(table.has_option(O::kWithoutRowid));
  EXPECT_TRUE(table.has_option(O::kStrict));
  EXPECT_FALSE(table.has_option(O::kRandomRowid));

  const TableDefinition lower = read("create table t(id primary key) without rowid");
  EXPECT_EQ(option_kinds(lower), (std::vector<O>{O::kWithoutRowid}));
  EXPECT_TRUE(read("CREATE TABLE t(a)").options.empty());
}

TEST(TableDefinition, ReadsRandomRowidAsALibsqlOption) {
  const std::string_view sql = "CREATE TABLE t(id int, v text) random rowid, STRICT";
  const TableDefinition table = read(sql);
  EXPECT_EQ(option_kinds(table), (std::vector<O>{O::kRandomRowid, O::kStrict}));
  ASSERT_EQ(table.options.size(), 2u);
  EXPECT_TRUE(table.options[0].random);
  EXPECT_EQ(table.options[0].word, "rowid") << "as written";
  EXPECT_EQ(sql.substr(table.options[0].offset, table.options[0].end - table.options[0].offset),
            "random rowid");
  EXPECT_FALSE(table.option_error.has_value());
  EXPECT_FALSE(table.random_rowid_marker) << "the option is not the marker";
}

TEST(TableDefinition, RandomFollowedByAnotherWordIsAnUnknownOptionNamingThatWord) {
  const TableDefinition table = read("CREATE TABLE t(id int) RANDOM ROW_ID");
  EXPECT_EQ(option_kinds(table), (std::vector<O>{O::kUnknown}));
  ASSERT_EQ(table.options.size(), 1u);
  EXPECT_TRUE(table.options[0].random);
  EXPECT_EQ(table.options[0].word, "ROW_ID");
  EXPECT_FALSE(table.option_error.has_value());
}

TEST(TableDefinition, UnknownPlainOptionsNameThemselves) {
  const TableDefinition table = read("CREATE TABLE t(id int) FANCY, WITHOUT ROWS");
  EXPECT_EQ(option_kinds(table), (std::vector<O>{O::kUnknown, O::kUnknown}));
  ASSERT_EQ(table.options.size(), 2u);
  EXPECT_EQ(table.options[0].word, "FANCY");
  EXPECT_FALSE(table.options[0].random);
  EXPECT_EQ(table.options[1].word, "ROWS");
}

TEST(TableDefinition, OptionErrorIsTheTokenWhereSqliteStopsParsing) {
  const std::string_view missing_comma = "CREATE TABLE t(id int) RANDOM ROWID WITHOUT ROWID";
  const TableDefinition a = read(missing_comma);
  ASSERT_TRUE(a.option_error.has_value());
  EXPECT_EQ(a.option_error->text(missing_comma), "WITHOUT");

  const std::string_view misspelt = "CREATE TABLE t(id int) RANDO ROWID";
  const TableDefinition b = read(misspelt);
  ASSERT_TRUE(b.option_error.has_value());
  EXPECT_EQ(b.option_error->text(misspelt), "ROWID");

  const std::string_view number = "CREATE TABLE t(id int) 42";
  const TableDefinition d = read(number);
  ASSERT_TRUE(d.option_error.has_value());
  EXPECT_EQ(d.option_error->text(number), "42");
}

TEST(TableDefinition, OptionsEndingWhereAWordMustFollowAreIncomplete) {
  for (const std::string_view sql :
       {"CREATE TABLE t(id int) RANDOM", "CREATE TABLE t(id int) WITHOUT",
        "CREATE TABLE t(id int) STRICT,", "CREATE TABLE t(id int) STRICT, RANDOM"}) {
    const TableDefinition table = read(sql);
    EXPECT_TRUE(table.options_incomplete) << sql;
    EXPECT_FALSE(table.option_error.has_value()) << sql;
  }
  const TableDefinition random = read("CREATE TABLE t(id int) RANDOM");
  ASSERT_EQ(random.options.size(), 1u);
  EXPECT_TRUE(random.options[0].random) << "a lone RANDOM is libSQL's option, cut short";
  EXPECT_FALSE(read("CREATE TABLE t(id int) STRICT").options_incomplete);
  EXPECT_FALSE(read("CREATE TABLE t(id int) RANDOM ROWID").options_incomplete);
}

// ---------------------------------------------------------------------------------------
// The RANDOM ROWID marker

TEST(TableDefinition, FindsTheMarkerAsACommentOfTheColumnList) {
  EXPECT_TRUE(read("CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)").random_rowid_marker);
  EXPECT_TRUE(read("CREATE TABLE t(id int, v text /*libsql:RANDOM ROWID*/)").random_rowid_marker);
  EXPECT_TRUE(
      read("CREATE TABLE t(id int /*libsql:RANDOM ROWID*/, v text) STRICT").random_rowid_marker)
      << "anywhere at the list's own level";
  EXPECT_FALSE(read("CREATE TABLE t(id int, v text)").random_rowid_marker);
}

TEST(TableDefinition, MarkerTextThatIsNotTheMarkerCommentDoesNotCount) {
  EXPECT_FALSE(
      read("CREATE TABLE t(id int, v text DEFAULT '/*libsql:RANDOM ROWID*/')").random_rowid_marker)
      << "inside a string DEFAULT";
  EXPECT_FALSE(read("CREATE TABLE t(id int, \"/*libsql:RANDOM ROWID*/\" text)").random_rowid_marker)
      << "a quoted column name";
  EXPECT_FALSE(
      read("CREATE TABLE t(id int CHECK (id /*libsql:RANDOM ROWID*/ > 0))").random_rowid_marker)
      << "nested in a CHECK's parentheses";
  EXPECT_FALSE(read("CREATE TABLE t(id int /* libsql:RANDOM ROWID */)").random_rowid_marker)
      << "another comment text";
  EXPECT_FALSE(read("CREATE TABLE t(id int) /*libsql:RANDOM ROWID*/").random_rowid_marker)
      << "after the column list";
  EXPECT_FALSE(read("CREATE TABLE t(id int -- /*libsql:RANDOM ROWID*/\n)").random_rowid_marker)
      << "inside a line comment";
}

TEST(TableDefinition, MarkerDoesNotBecomeAColumnOrPartOfOne) {
  const std::string_view front = "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)";
  const TableDefinition a = read(front);
  EXPECT_EQ(column_spans(front, a), (Texts{"id int", "v text"}));
  EXPECT_EQ(a.columns.at(0).name, "id");
  const std::string_view back = "CREATE TABLE t(id int, v text /*libsql:RANDOM ROWID*/)";
  EXPECT_EQ(column_spans(back, read(back)), (Texts{"id int", "v text"}));
}

// ---------------------------------------------------------------------------------------
// Statements that are not a CREATE TABLE with a column list

TEST(TableDefinition, OtherStatementsReadAsNone) {
  EXPECT_FALSE(read_table_definition("CREATE TABLE t AS SELECT 1 AS a").has_value());
  EXPECT_FALSE(read_table_definition("CREATE TABLE t AS SELECT * FROM (SELECT 1)").has_value());
  EXPECT_FALSE(read_table_definition("CREATE TABLE t(a, b").has_value()) << "never closes";
  EXPECT_FALSE(read_table_definition("CREATE VIRTUAL TABLE f USING fts5(a)").has_value());
  EXPECT_FALSE(read_table_definition("CREATE INDEX i ON t(a)").has_value());
  EXPECT_FALSE(read_table_definition("CREATE VIEW v(a) AS SELECT 1").has_value());
  EXPECT_FALSE(read_table_definition("SELECT 1").has_value());
  EXPECT_FALSE(read_table_definition("").has_value());
  EXPECT_FALSE(read_table_definition("CREATE TABLE").has_value());
}

}  // namespace
}  // namespace libsql::sql
