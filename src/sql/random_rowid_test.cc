// random_rowid_test.cc: the RANDOM ROWID text rewrites: CREATE TABLE into marker form
// (and libSQL's refusals), and INSERTs that draw a random rowid for every row given none.

#include "sql/random_rowid.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libsql/error.h"
#include "sql/insert_statement.h"
#include "sql/table_definition.h"
#include "sql/tokenizer.h"

namespace libsql::sql {
namespace {

// The marker form of a CREATE TABLE, or the refusal's message prefixed with "error: ".
std::string create(std::string_view sql) {
  const std::optional<TableDefinition> table = read_table_definition(sql);
  if (!table) return "not a table definition";
  try {
    return random_rowid_create_table(sql, *table);
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kError) << sql;
    return std::string("error: ") + e.what();
  }
}

std::string marker_form(std::string_view sql) {
  const std::optional<TableDefinition> table = read_table_definition(sql);
  if (!table) return "not a table definition";
  return random_rowid_marker_form(sql, *table);
}

// t(id, v) with no INTEGER PRIMARY KEY: the rowid is set as "rowid".
const RandomRowidTable kPlain{"main", "t", {"id", "v"}, "rowid", false};
// k(id INTEGER PRIMARY KEY, v): the rowid is the column id.
const RandomRowidTable kKeyed{"main", "k", {"id", "v"}, "id", true};

std::optional<std::string> rewrite(std::string_view sql, const RandomRowidTable& table = kPlain) {
  const std::optional<InsertStatement> insert = read_insert_statement(sql);
  if (!insert) {
    ADD_FAILURE() << "no INSERT read from: " << sql;
    return std::nullopt;
  }
  return random_rowid_insert(sql, *insert, table);
}

constexpr std::string_view kCallT = "libsql_random_rowid('main', 't')";
constexpr std::string_view kCallK = "libsql_random_rowid('main', 'k')";

// `pattern` with every "$" replaced by `call`.
std::string expand(std::string_view pattern, std::string_view call = kCallT) {
  std::string out;
  for (char c : pattern) {
    if (c == '$') {
      out += call;
    } else {
      out += c;
    }
  }
  return out;
}

// The parameter tokens of `sql`, in order.
std::vector<std::string> parameters(std::string_view sql) {
  std::vector<std::string> out;
  for (const Token& token : tokenize(sql)) {
    if (token.kind == TokenKind::kParameter) out.emplace_back(token.text(sql));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// CREATE TABLE

TEST(RandomRowidCreateTable, OpensTheColumnListWithTheMarkerAndDropsTheOption) {
  EXPECT_EQ(create("CREATE TABLE t(id int, v text) RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)");
  EXPECT_EQ(create("create table t (id int) random rowid"),
            "create table t (/*libsql:RANDOM ROWID*/ id int)");
  EXPECT_EQ(create("CREATE TABLE t(\n  id int,\n  v text\n) RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ \n  id int,\n  v text\n)");
}

TEST(RandomRowidCreateTable, KeepsStrictAfterTheList) {
  EXPECT_EQ(create("CREATE TABLE t(id INTEGER, v TEXT) RANDOM ROWID, STRICT"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id INTEGER, v TEXT) STRICT");
  EXPECT_EQ(create("CREATE TABLE t(id INTEGER, v TEXT) STRICT, RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id INTEGER, v TEXT) STRICT");
}

TEST(RandomRowidCreateTable, NeverWritesTheMarkerTwice) {
  EXPECT_EQ(create("CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int) RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int)");
  EXPECT_EQ(create("CREATE TABLE t(id int /*libsql:RANDOM ROWID*/) RANDOM ROWID"),
            "CREATE TABLE t(id int /*libsql:RANDOM ROWID*/)")
      << "a marker anywhere in the list counts";
  EXPECT_EQ(create("CREATE TABLE t(id int) RANDOM ROWID, RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int)");
}

TEST(RandomRowidCreateTable, KeepsAStringDefaultThatLooksLikeTheMarker) {
  EXPECT_EQ(create("CREATE TABLE t(v DEFAULT '/*libsql:RANDOM ROWID*/') RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ v DEFAULT '/*libsql:RANDOM ROWID*/')");
}

TEST(RandomRowidCreateTable, AllowsAnIntegerPrimaryKey) {
  EXPECT_EQ(create("CREATE TABLE t(id INTEGER PRIMARY KEY, v) RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id INTEGER PRIMARY KEY, v)");
}

TEST(RandomRowidCreateTable, RefusesWhatLibsqlRefusesWithItsWords) {
  EXPECT_EQ(create("CREATE TABLE t(id integer primary key autoincrement, v text) RANDOM ROWID"),
            "error: AUTOINCREMENT not allowed on RANDOM ROWID tables");
  EXPECT_EQ(
      create("CREATE TABLE t(id integer, v text, primary key(id autoincrement)) RANDOM ROWID"),
      "error: AUTOINCREMENT not allowed on RANDOM ROWID tables");
  EXPECT_EQ(create("CREATE TABLE t(id int) RANDOM ROW_ID"), "error: unknown table option: ROW_ID");
  EXPECT_EQ(create("CREATE TABLE t(id int) RANDOM ROWID WITHOUT ROWID"),
            "error: near \"WITHOUT\": syntax error");
  EXPECT_EQ(create("CREATE TABLE t(id int) RANDO ROWID, RANDOM ROWID"),
            "error: near \"ROWID\": syntax error");
  EXPECT_EQ(create("CREATE TABLE t(id int) RANDOM"), "error: incomplete input");
  EXPECT_EQ(create("CREATE TABLE t(id int) RANDOM ROWID,"), "error: incomplete input");
}

TEST(RandomRowidCreateTable, RefusesWithoutRowidInEitherOrder) {
  EXPECT_EQ(create("CREATE TABLE t(id int primary key) WITHOUT ROWID, RANDOM ROWID"),
            "error: RANDOM ROWID not allowed on WITHOUT ROWID tables");
  EXPECT_EQ(create("CREATE TABLE t(id int primary key) RANDOM ROWID, WITHOUT ROWID"),
            "error: RANDOM ROWID not allowed on WITHOUT ROWID tables");
}

TEST(RandomRowidMarkerForm, RewritesWhatRealLibsqlStored) {
  EXPECT_EQ(marker_form("CREATE TABLE t(id int, v text) RANDOM ROWID"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)");
  EXPECT_EQ(marker_form("CREATE TABLE t(id INTEGER, v TEXT) RANDOM ROWID, STRICT"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id INTEGER, v TEXT) STRICT");
}

TEST(RandomRowidMarkerForm, AWithoutRowidTableJustLosesTheOption) {
  EXPECT_EQ(marker_form("CREATE TABLE t(id int primary key) WITHOUT ROWID, RANDOM ROWID"),
            "CREATE TABLE t(id int primary key) WITHOUT ROWID");
  EXPECT_EQ(marker_form("CREATE TABLE t(id int primary key) RANDOM ROWID, WITHOUT ROWID, STRICT"),
            "CREATE TABLE t(id int primary key) WITHOUT ROWID, STRICT");
}

// ---------------------------------------------------------------------------------------
// INSERT

TEST(RandomRowidInsert, ValuesWithoutAColumnListListEveryColumnAndAddTheRowid) {
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (1, 'a'), (2, 'b')"),
            expand("INSERT INTO t (\"id\", \"v\", \"rowid\") VALUES (1, 'a', $), (2, 'b', $)"));
}

TEST(RandomRowidInsert, ValuesWithAColumnListAddTheRowidToIt) {
  EXPECT_EQ(rewrite("INSERT INTO t(v) VALUES ('x')"),
            expand("INSERT INTO t(v, \"rowid\") VALUES ('x', $)"));
  EXPECT_EQ(rewrite("INSERT OR IGNORE INTO main.t AS x (v, id) VALUES ('x', 1)"),
            expand("INSERT OR IGNORE INTO main.t AS x (v, id, \"rowid\") VALUES ('x', 1, $)"));
}

TEST(RandomRowidInsert, AGivenRowidIsKeptAndOnlyANullOneBecomesRandom) {
  EXPECT_EQ(rewrite("INSERT INTO t(rowid, v) VALUES (42, 'a'), (NULL, 'b')"),
            expand("INSERT INTO t(rowid, v) VALUES (coalesce(42, $), 'a'), (coalesce(NULL, $), "
                   "'b')"));
  EXPECT_EQ(rewrite("INSERT INTO t(v, _ROWID_) VALUES ('a', ?)"),
            expand("INSERT INTO t(v, _ROWID_) VALUES ('a', coalesce(?, $))"));
  EXPECT_EQ(rewrite("INSERT INTO t(oid) VALUES (7)"),
            expand("INSERT INTO t(oid) VALUES (coalesce(7, $))"));
}

TEST(RandomRowidInsert, IntegerPrimaryKeyIsTheRowid) {
  EXPECT_EQ(rewrite("INSERT INTO k VALUES (NULL, 'a'), (7, 'b')", kKeyed),
            expand("INSERT INTO k VALUES (coalesce(NULL, $), 'a'), (coalesce(7, $), 'b')", kCallK));
  EXPECT_EQ(rewrite("INSERT INTO k(v) VALUES ('a')", kKeyed),
            expand("INSERT INTO k(v, \"id\") VALUES ('a', $)", kCallK));
  EXPECT_EQ(rewrite("INSERT INTO k(v, rowid) VALUES ('a', NULL)", kKeyed),
            expand("INSERT INTO k(v, rowid) VALUES ('a', coalesce(NULL, $))", kCallK))
      << "rowid is still the rowid when an INTEGER PRIMARY KEY aliases it";
}

TEST(RandomRowidInsert, AColumnNamedRowidShadowsIt) {
  const RandomRowidTable shadowed{"main", "t", {"rowid", "v"}, "_rowid_", false};
  EXPECT_EQ(rewrite("INSERT INTO t(rowid, v) VALUES (1, 2)", shadowed),
            expand("INSERT INTO t(rowid, v, \"_rowid_\") VALUES (1, 2, $)"));
  EXPECT_EQ(rewrite("INSERT INTO t(_rowid_, v) VALUES (5, 2)", shadowed),
            expand("INSERT INTO t(_rowid_, v) VALUES (coalesce(5, $), 2)"));
}

TEST(RandomRowidInsert, SelectSourceIsWrapped) {
  EXPECT_EQ(rewrite("INSERT INTO t SELECT * FROM s"),
            expand("INSERT INTO t (\"id\", \"v\", \"rowid\") SELECT *, $ FROM (SELECT * FROM s) "
                   "WHERE true"));
  EXPECT_EQ(rewrite("INSERT INTO t(v) SELECT a FROM s JOIN u ON s.id = u.id"),
            expand("INSERT INTO t(v, \"rowid\") SELECT *, $ FROM (SELECT a FROM s JOIN u ON s.id "
                   "= u.id) WHERE true"));
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (1, 'a') UNION ALL VALUES (2, 'b')"),
            expand("INSERT INTO t (\"id\", \"v\", \"rowid\") SELECT *, $ FROM (VALUES (1, 'a') "
                   "UNION ALL VALUES (2, 'b')) WHERE true"));
}

TEST(RandomRowidInsert, SelectSourceGivingTheRowidIsWrappedByPosition) {
  EXPECT_EQ(rewrite("INSERT INTO t(rowid, v) SELECT a, b FROM s"),
            expand("INSERT INTO t(rowid, v) WITH _libsql_rows(_libsql_c0, _libsql_c1) AS (SELECT "
                   "a, b FROM s) SELECT coalesce(_libsql_c0, $), _libsql_c1 FROM _libsql_rows "
                   "WHERE true"));
  EXPECT_EQ(rewrite("INSERT INTO k SELECT * FROM s", kKeyed),
            expand("INSERT INTO k WITH _libsql_rows(_libsql_c0, _libsql_c1) AS (SELECT * FROM s) "
                   "SELECT coalesce(_libsql_c0, $), _libsql_c1 FROM _libsql_rows WHERE true",
                   kCallK));
}

TEST(RandomRowidInsert, DefaultValuesBecomeOneRowWithARandomRowid) {
  EXPECT_EQ(rewrite("INSERT INTO t DEFAULT VALUES"),
            expand("INSERT INTO t (\"rowid\") VALUES ($)"));
  EXPECT_EQ(rewrite("INSERT INTO k DEFAULT VALUES RETURNING id", kKeyed),
            expand("INSERT INTO k (\"id\") VALUES ($) RETURNING id", kCallK));
}

TEST(RandomRowidInsert, UpsertAndReturningStayAfterTheRows) {
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (1, 'a') ON CONFLICT(id) DO UPDATE SET v = excluded.v "
                    "RETURNING rowid"),
            expand("INSERT INTO t (\"id\", \"v\", \"rowid\") VALUES (1, 'a', $) ON CONFLICT(id) "
                   "DO UPDATE SET v = excluded.v RETURNING rowid"));
  EXPECT_EQ(rewrite("INSERT INTO t SELECT * FROM s WHERE true ON CONFLICT DO NOTHING"),
            expand("INSERT INTO t (\"id\", \"v\", \"rowid\") SELECT *, $ FROM (SELECT * FROM s "
                   "WHERE true) WHERE true ON CONFLICT DO NOTHING"));
}

TEST(RandomRowidInsert, WithPrefixAndReplaceAreKept) {
  EXPECT_EQ(rewrite("WITH x(a) AS (VALUES (1)) INSERT INTO t(id) SELECT a FROM x"),
            expand("WITH x(a) AS (VALUES (1)) INSERT INTO t(id, \"rowid\") SELECT *, $ FROM "
                   "(SELECT a FROM x) WHERE true"));
  EXPECT_EQ(rewrite("REPLACE INTO t VALUES (1, 'a')"),
            expand("REPLACE INTO t (\"id\", \"v\", \"rowid\") VALUES (1, 'a', $)"));
}

TEST(RandomRowidInsert, NamesInTheCallAreQuoted) {
  const RandomRowidTable odd{"my 'db'", "it's", {"a\"b"}, "rowid", false};
  EXPECT_EQ(rewrite("INSERT INTO \"it's\" VALUES (1)", odd),
            "INSERT INTO \"it's\" (\"a\"\"b\", \"rowid\") VALUES (1, "
            "libsql_random_rowid('my ''db''', 'it''s'))");
}

TEST(RandomRowidInsert, ParametersKeepTheirOrder) {
  for (const std::string_view sql :
       {"INSERT INTO t VALUES (?, :name), (?3, ?)", "INSERT INTO t(v, rowid) VALUES (:v, ?)",
        "INSERT INTO t(rowid, v) SELECT ?2, @x UNION ALL SELECT $y, ?",
        "INSERT INTO t SELECT ?, :a WHERE true ON CONFLICT DO UPDATE SET v = :b RETURNING ?",
        "WITH c AS (SELECT ?1 AS a) INSERT INTO t(id) SELECT a FROM c WHERE a > :min"}) {
    const std::optional<std::string> out = rewrite(sql);
    ASSERT_TRUE(out.has_value()) << sql;
    EXPECT_EQ(parameters(*out), parameters(sql)) << *out;
  }
}

TEST(RandomRowidInsert, WrongValueCountsAreLeftForSqliteToRefuse) {
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (1)"), std::nullopt) << "t has two columns";
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (1, 2, 3)"), std::nullopt);
  EXPECT_EQ(rewrite("INSERT INTO t(v) VALUES (1, 2)"), std::nullopt);
  EXPECT_EQ(rewrite("INSERT INTO t VALUES (1, 2), (3)"), std::nullopt) << "one row too short";
  EXPECT_EQ(rewrite("INSERT INTO t(rowid, v) VALUES (1)"), std::nullopt);
  EXPECT_EQ(rewrite("INSERT INTO k VALUES (1)", kKeyed), std::nullopt);
}

TEST(QuoteNames, DoubleTheirQuotes) {
  EXPECT_EQ(quote_identifier("a"), "\"a\"");
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_string("it's"), "'it''s'");
  EXPECT_EQ(quote_string(""), "''");
}

}  // namespace
}  // namespace libsql::sql
