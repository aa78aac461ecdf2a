// dialect_test.cc: libSQL's SQL (BEGIN READONLY, RANDOM ROWID, ALTER COLUMN) through an
// engine::Connection opened with the dialect, against the real SQLite: what a user of
// such a connection sees, and what ends up in the file.

#include "sql/dialect.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/connection.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::sql {
namespace {

using engine::Connection;
using engine::OpenMode;

constexpr std::int64_t kMaxRandomRowid = std::int64_t{1} << 62;

// A rowid drawn from [1, 2^62] is this small with probability below 1e-12.
bool looks_random(std::int64_t rowid) { return rowid > 1'000'000 && rowid <= kMaxRandomRowid; }

Connection open_dialect(const std::string& path, OpenMode mode = OpenMode::kReadWriteCreate) {
  return Connection::open(path, {.mode = mode, .dialect = libsql_dialect()});
}

Value query_value(Connection& db, std::string_view sql) {
  engine::Statement statement = db.prepare(sql);
  if (!statement.step()) {
    ADD_FAILURE() << sql << " returned no row";
    return Value();
  }
  return statement.column_value(0);
}

std::int64_t query_integer(Connection& db, std::string_view sql) {
  const Value value = query_value(db, sql);
  if (value.type() != ValueType::kInteger) {
    ADD_FAILURE() << sql << " did not return an integer";
    return 0;
  }
  return value.as_integer();
}

std::vector<std::int64_t> query_integers(Connection& db, std::string_view sql) {
  std::vector<std::int64_t> out;
  engine::Statement statement = db.prepare(sql);
  while (statement.step()) out.push_back(statement.column_integer(0));
  return out;
}

// The stored CREATE text of `name` ("" if there is no such object).
std::string stored_sql(Connection& db, std::string_view name, std::string_view schema = "main") {
  engine::Statement statement =
      db.prepare("SELECT sql FROM \"" + std::string(schema) + "\".sqlite_schema WHERE name = ?1");
  statement.bind(1, ValueView(name));
  if (!statement.step()) return "";
  return std::string(statement.column_text(0));
}

// Every row of sqlite_schema and the schema version, as one text to compare.
std::string schema_dump(Connection& db) {
  std::string out;
  engine::Statement rows =
      db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid");
  while (rows.step()) {
    for (int i = 0; i < 4; ++i) (out += rows.column_text(i)) += '|';
    out += '\n';
  }
  return out + "schema_version=" + std::to_string(query_integer(db, "PRAGMA schema_version"));
}

// The message of the error running `sql` raises; a test failure if it raises none.
std::string error_of(Connection& db, std::string_view sql) {
  try {
    db.execute_script(sql);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << sql << " should have failed";
  return "";
}

class DialectTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string path_ = dir_.file("test.db");
  Connection db_ = open_dialect(path_);
};

// ---------------------------------------------------------------------------------------
// BEGIN READONLY

// Every prepare first reads the leading word quickly (one 4-byte load); these spellings
// take each of its paths: any case, spaces, comments, short texts, and words that only
// start like one of libSQL's.
TEST_F(DialectTest, LibsqlsWordsAreRecognizedInAnySpellingAndLookAlikesAreLeftToSqlite) {
  db_.execute_script("CREATE TABLE t(a) RANDOM ROWID");
  for (const std::string_view insert :
       {"INSERT INTO t VALUES (1)", "insert into t values (1)", "InSeRt\tINTO t VALUES (1)",
        "  INSERT INTO t VALUES (1)", "/* c */INSERT INTO t VALUES (1)",
        "-- c\nINSERT INTO t VALUES (1)", "REPLACE INTO t VALUES (1)", "replace into t values (1)",
        "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
        "with x as (select 1) insert into t select * from x", ";INSERT INTO t VALUES (1)"}) {
    db_.execute_script(insert);
    EXPECT_TRUE(looks_random(db_.last_insert_rowid())) << insert;
  }
  for (const std::string_view begin :
       {"bEgIn ReAdOnLy", "BEGIN\tREADONLY", "  BEGIN READONLY", "/**/BEGIN READONLY",
        "BEGIN/**/READONLY", "begin\nreadonly;"}) {
    db_.execute_script(begin);
    EXPECT_FALSE(db_.is_autocommit()) << begin;
    db_.execute_script("ROLLBACK");
  }
  for (const std::string_view begin : {"BEGIN", "begin;", "BEGIN TRANSACTION", "BEGIN\tDEFERRED",
                                       "BEGIN IMMEDIATE", "begin exclusive"}) {
    db_.execute_script(begin);
    EXPECT_FALSE(db_.is_autocommit()) << begin;
    db_.execute_script("END");
  }
  // Words that start like libSQL's are SQLite's to refuse.
  EXPECT_EQ(error_of(db_, "INSERTX INTO t VALUES (1)"), "near \"INSERTX\": syntax error");
  EXPECT_EQ(error_of(db_, "BEGINREADONLY"), "near \"BEGINREADONLY\": syntax error");
  EXPECT_EQ(error_of(db_, "BEGI READONLY"), "near \"BEGI\": syntax error");
  EXPECT_EQ(error_of(db_, "BEGIN READ"), "near \"READ\": syntax error");
  EXPECT_EQ(error_of(db_, "WITHOUT"), "near \"WITHOUT\": syntax error");
  EXPECT_EQ(error_of(db_, "ALTE"), "near \"ALTE\": syntax error");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t"), 11);
}

TEST_F(DialectTest, BeginReadonlyRunsAsADeferredTransaction) {
  db_.execute_script("CREATE TABLE t(a)");
  for (const std::string_view begin :
       {"BEGIN READONLY", "begin readonly transaction", "BEGIN READONLY TRANSACTION tx"}) {
    db_.execute_script(begin);
    EXPECT_FALSE(db_.is_autocommit()) << begin << " opens a transaction";
    // Deferred: no lock is taken yet, so another connection may still write.
    Connection other = open_dialect(path_);
    other.execute_script("BEGIN IMMEDIATE; INSERT INTO t VALUES (0); COMMIT");
    // libSQL runs it as BEGIN DEFERRED: writing inside is allowed.
    db_.execute_script("INSERT INTO t VALUES (1); COMMIT");
    EXPECT_TRUE(db_.is_autocommit()) << begin;
  }
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t WHERE a = 1"), 3);
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t WHERE a = 0"), 3);
}

TEST_F(DialectTest, BeginReadonlyPreparesAndSteps) {
  engine::Statement begin = db_.prepare("BEGIN READONLY");
  EXPECT_FALSE(begin.step());
  EXPECT_FALSE(db_.is_autocommit());
  db_.execute_script("ROLLBACK");
  EXPECT_TRUE(db_.is_autocommit());
}

TEST_F(DialectTest, ScriptsRunLibsqlStatementsInTheMiddleAndEverythingAfterThem) {
  db_.execute_script(
      "CREATE TABLE log(step);"
      "INSERT INTO log VALUES (1);"
      "BEGIN READONLY;"
      "INSERT INTO log VALUES (2);"
      "COMMIT;"
      "CREATE TABLE r(id int, v text) RANDOM ROWID;"
      "INSERT INTO r VALUES (1, 'a');"
      "ALTER TABLE log ALTER COLUMN step TO step int NOT NULL DEFAULT 9;"
      "INSERT INTO log DEFAULT VALUES;"
      "BEGIN READONLY TRANSACTION; INSERT INTO log VALUES (4); COMMIT;"
      "INSERT INTO log VALUES (5)");
  EXPECT_EQ(query_integers(db_, "SELECT step FROM log ORDER BY rowid"),
            (std::vector<std::int64_t>{1, 2, 9, 4, 5}));
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM r")));
  EXPECT_EQ(stored_sql(db_, "log"), "CREATE TABLE log(step int NOT NULL DEFAULT 9)");
  EXPECT_TRUE(db_.is_autocommit());
}

// ---------------------------------------------------------------------------------------
// RANDOM ROWID: creating

TEST_F(DialectTest, RandomRowidTableIsStoredInMarkerForm) {
  db_.execute_script("CREATE TABLE t(id int, v text) RANDOM ROWID");
  EXPECT_EQ(stored_sql(db_, "t"), "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)");
  db_.execute_script("CREATE TABLE s(id INTEGER, v TEXT) RANDOM ROWID, STRICT");
  EXPECT_EQ(stored_sql(db_, "s"),
            "CREATE TABLE s(/*libsql:RANDOM ROWID*/ id INTEGER, v TEXT) STRICT");
  EXPECT_EQ(error_of(db_, "INSERT INTO s VALUES ('not an integer', 'v')"),
            "cannot store TEXT value in INTEGER column s.id")
      << "STRICT still applies";
}

TEST_F(DialectTest, RandomRowidRefusalsUseLibsqlsWordsAndCreateNothing) {
  struct Case {
    std::string_view sql;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"CREATE TABLE t(id integer primary key autoincrement, v text) RANDOM ROWID",
                "AUTOINCREMENT not allowed on RANDOM ROWID tables"},
           Case{"CREATE TABLE t(id int) RANDOM ROW_ID", "unknown table option: ROW_ID"},
           Case{"CREATE TABLE t(id int) RANDO ROWID", "near \"ROWID\": syntax error"},
           Case{"CREATE TABLE t(id int) RANDOM ROWID WITHOUT ROWID",
                "near \"WITHOUT\": syntax error"},
           Case{"CREATE TABLE t(id int) RANDOM", "incomplete input"},
           Case{"CREATE TABLE t(id int primary key) WITHOUT ROWID, RANDOM ROWID",
                "RANDOM ROWID not allowed on WITHOUT ROWID tables"},
           Case{"CREATE TABLE t(id int primary key) RANDOM ROWID, WITHOUT ROWID",
                "RANDOM ROWID not allowed on WITHOUT ROWID tables"},
       }) {
    try {
      db_.execute_script(c.sql);
      ADD_FAILURE() << c.sql << " should have failed";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), c.message) << c.sql;
      EXPECT_EQ(e.primary_code(), PrimaryCode::kError) << c.sql;
    }
    EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM sqlite_schema"), 0) << c.sql;
  }
}

TEST_F(DialectTest, RandomStaysAFunctionAndAColumnName) {
  db_.execute_script(
      "CREATE TABLE r(random int, rowid_ text); INSERT INTO r VALUES (random(), 'x'), (7, 'y')");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM r WHERE random IS NOT NULL"), 2);
  EXPECT_EQ(query_integers(db_, "SELECT rowid FROM r ORDER BY rowid"),
            (std::vector<std::int64_t>{1, 2}));
}

// ---------------------------------------------------------------------------------------
// RANDOM ROWID: inserting

TEST_F(DialectTest, RowidsOfAThousandRowsAreRandomWithinLibsqlsRange) {
  db_.execute_script("CREATE TABLE t(id int, v text) RANDOM ROWID; BEGIN");
  engine::Statement insert = db_.prepare("INSERT INTO t(id, v) VALUES (?, 'x')");
  for (int i = 1; i <= 1000; ++i) {
    insert.reset();
    insert.bind(1, ValueView(std::int64_t{i}));
    insert.step();
  }
  db_.execute_script("COMMIT");
  const std::vector<std::int64_t> rowids = query_integers(db_, "SELECT rowid FROM t ORDER BY id");
  ASSERT_EQ(rowids.size(), 1000u);
  std::vector<std::int64_t> sequential(1000);
  for (int i = 0; i < 1000; ++i) sequential[i] = i + 1;
  EXPECT_NE(rowids, sequential);
  EXPECT_EQ(std::set<std::int64_t>(rowids.begin(), rowids.end()).size(), 1000u);
  int large = 0;
  for (std::int64_t rowid : rowids) {
    EXPECT_GE(rowid, 1);
    EXPECT_LE(rowid, kMaxRandomRowid);
    if (rowid > (std::int64_t{1} << 40)) ++large;
  }
  EXPECT_GT(large, 990) << "rowids are spread over [1, 2^62], not clustered low";
}

TEST_F(DialectTest, APlainTableNumbersRowsAsAlways) {
  db_.execute_script(
      "CREATE TABLE r(id int) RANDOM ROWID; CREATE TABLE p(id int);"
      "INSERT INTO p VALUES (1); INSERT INTO p VALUES (2), (3)");
  EXPECT_EQ(query_integers(db_, "SELECT rowid FROM p ORDER BY rowid"),
            (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(db_.last_insert_rowid(), 3);
}

TEST_F(DialectTest, MultiRowValuesGetARandomRowidEach) {
  db_.execute_script(
      "CREATE TABLE t(id int, v text) RANDOM ROWID;"
      "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  const std::vector<std::int64_t> rowids = query_integers(db_, "SELECT rowid FROM t");
  ASSERT_EQ(rowids.size(), 3u);
  for (std::int64_t rowid : rowids) EXPECT_TRUE(looks_random(rowid)) << rowid;
}

TEST_F(DialectTest, InsertSelectAndTheXferFormGetRandomRowids) {
  db_.execute_script(
      "CREATE TABLE src(id int, v text); INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c');"
      "CREATE TABLE t(id int, v text) RANDOM ROWID;"
      "INSERT INTO t(id, v) SELECT id, v FROM src;"
      "CREATE TABLE s(id int, v text) RANDOM ROWID;"
      "INSERT INTO s SELECT * FROM src");
  for (const std::string_view table : {"t", "s"}) {
    const std::vector<std::int64_t> rowids =
        query_integers(db_, "SELECT rowid FROM " + std::string(table));
    ASSERT_EQ(rowids.size(), 3u) << table;
    for (std::int64_t rowid : rowids) EXPECT_TRUE(looks_random(rowid)) << table << ": " << rowid;
  }
  EXPECT_EQ(query_value(db_, "SELECT group_concat(v, '') FROM (SELECT v FROM s ORDER BY id)"),
            Value("abc"))
      << "the rows themselves are copied as they are";
}

TEST_F(DialectTest, UpsertsGetARandomRowidForANewRowAndKeepItOnUpdate) {
  db_.execute_script(
      "CREATE TABLE u(k text UNIQUE, n int) RANDOM ROWID;"
      "INSERT INTO u VALUES ('a', 1) ON CONFLICT(k) DO UPDATE SET n = n + 1");
  const std::int64_t first = query_integer(db_, "SELECT rowid FROM u WHERE k = 'a'");
  EXPECT_TRUE(looks_random(first)) << first;
  db_.execute_script("INSERT INTO u VALUES ('a', 1) ON CONFLICT(k) DO UPDATE SET n = n + 1");
  EXPECT_EQ(query_integer(db_, "SELECT n FROM u WHERE k = 'a'"), 2);
  EXPECT_EQ(query_integer(db_, "SELECT rowid FROM u WHERE k = 'a'"), first);
  db_.execute_script("INSERT INTO u VALUES ('a', 50) ON CONFLICT DO NOTHING");
  EXPECT_EQ(query_integer(db_, "SELECT n FROM u WHERE k = 'a'"), 2);
  db_.execute_script(
      "INSERT INTO u SELECT 'b', 1 WHERE true ON CONFLICT(k) DO UPDATE SET n = n + 1;"
      "INSERT INTO u VALUES ('c', 1) ON CONFLICT DO NOTHING");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM u"), 3);
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM u WHERE k = 'b'")));
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM u WHERE k = 'c'")));
}

TEST_F(DialectTest, InsertOrReplaceAndReplaceIntoGetRandomRowids) {
  db_.execute_script(
      "CREATE TABLE u(k text UNIQUE, n int) RANDOM ROWID;"
      "INSERT INTO u VALUES ('a', 1), ('b', 1)");
  db_.execute_script("INSERT OR REPLACE INTO u VALUES ('a', 2)");
  db_.execute_script("REPLACE INTO u VALUES ('b', 3)");
  db_.execute_script("REPLACE INTO u(k, n) VALUES ('c', 4)");
  EXPECT_EQ(query_integers(db_, "SELECT n FROM u ORDER BY k"),
            (std::vector<std::int64_t>{2, 3, 4}));
  for (std::int64_t rowid : query_integers(db_, "SELECT rowid FROM u")) {
    EXPECT_TRUE(looks_random(rowid)) << rowid;
  }
}

TEST_F(DialectTest, DefaultValuesGetARandomRowid) {
  db_.execute_script(
      "CREATE TABLE t(id int DEFAULT 5, v text DEFAULT 'd') RANDOM ROWID;"
      "INSERT INTO t DEFAULT VALUES");
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM t")));
  EXPECT_EQ(query_value(db_, "SELECT v FROM t"), Value("d"));
  EXPECT_EQ(query_integer(db_, "SELECT id FROM t"), 5);
}

TEST_F(DialectTest, AnExplicitRowidIsKeptAndANullOneIsRandom) {
  db_.execute_script(
      "CREATE TABLE t(id int) RANDOM ROWID;"
      "INSERT INTO t(rowid, id) VALUES (42, 1);"
      "INSERT INTO t(_rowid_, id) VALUES (NULL, 2);"
      "INSERT INTO t(oid, id) VALUES (43, 3)");
  EXPECT_EQ(query_integer(db_, "SELECT rowid FROM t WHERE id = 1"), 42);
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM t WHERE id = 2")));
  EXPECT_EQ(query_integer(db_, "SELECT rowid FROM t WHERE id = 3"), 43);
}

TEST_F(DialectTest, IntegerPrimaryKeyNullIsRandomAndAValueIsKept) {
  db_.execute_script(
      "CREATE TABLE k(id INTEGER PRIMARY KEY, v text) RANDOM ROWID;"
      "INSERT INTO k VALUES (NULL, 'null');"
      "INSERT INTO k VALUES (7, 'seven');"
      "INSERT INTO k(v) VALUES ('omitted')");
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT id FROM k WHERE v = 'null'")));
  EXPECT_EQ(query_integer(db_, "SELECT id FROM k WHERE v = 'seven'"), 7);
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT id FROM k WHERE v = 'omitted'")));
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM k WHERE id = rowid"), 3);
}

TEST_F(DialectTest, ReturningAndLastInsertRowidReportTheRandomRowid) {
  db_.execute_script("CREATE TABLE t(id int) RANDOM ROWID");
  engine::Statement insert = db_.prepare("INSERT INTO t(id) VALUES (1) RETURNING rowid");
  ASSERT_TRUE(insert.step());
  const std::int64_t returned = insert.column_integer(0);
  EXPECT_FALSE(insert.step());
  EXPECT_TRUE(looks_random(returned)) << returned;
  EXPECT_EQ(returned, query_integer(db_, "SELECT rowid FROM t WHERE id = 1"));
  EXPECT_EQ(db_.last_insert_rowid(), returned);

  db_.execute_script("INSERT INTO t VALUES (2)");
  EXPECT_EQ(db_.last_insert_rowid(), query_integer(db_, "SELECT rowid FROM t WHERE id = 2"));
}

TEST_F(DialectTest, AnInsertWithAWithPrefixGetsRandomRowids) {
  db_.execute_script(
      "CREATE TABLE t(id int) RANDOM ROWID;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) "
      "INSERT INTO t(id) SELECT i FROM n");
  const std::vector<std::int64_t> rowids = query_integers(db_, "SELECT rowid FROM t");
  ASSERT_EQ(rowids.size(), 5u);
  for (std::int64_t rowid : rowids) EXPECT_TRUE(looks_random(rowid)) << rowid;
}

TEST_F(DialectTest, ParametersBindAsWrittenInARewrittenInsert) {
  // SQLite numbers ?3, then :name as 4 (the largest so far plus one), then ?1.
  db_.execute_script("CREATE TABLE t(a int, b text, c int) RANDOM ROWID; CREATE TABLE p(a, b, c)");
  for (const std::string_view table : {"t", "p"}) {
    engine::Statement insert =
        db_.prepare("INSERT INTO " + std::string(table) + " VALUES (?3, :name, ?1)");
    EXPECT_EQ(insert.parameter_count(), 4) << table;
    insert.bind(1, ValueView(std::int64_t{1}));
    insert.bind(3, ValueView(std::int64_t{3}));
    insert.bind(4, ValueView("four"));
    insert.step();
  }
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t JOIN p USING (a, b, c)"), 1)
      << "the RANDOM ROWID table got the same values as the plain one";
  EXPECT_EQ(query_value(db_, "SELECT b FROM t"), Value("four"));
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM t")));
}

TEST_F(DialectTest, AWrongValueCountFailsWithSqlitesMessage) {
  db_.execute_script("CREATE TABLE t(a int, b int) RANDOM ROWID");
  EXPECT_EQ(error_of(db_, "INSERT INTO t VALUES (1)"),
            "table t has 2 columns but 1 values were supplied");
  EXPECT_EQ(error_of(db_, "INSERT INTO t(a) VALUES (1, 2)"), "2 values for 1 columns");
  EXPECT_EQ(error_of(db_, "INSERT INTO t VALUES (1, 2), (3)"),
            "all VALUES must have the same number of terms");
}

TEST_F(DialectTest, ATempRandomRowidTableGetsRandomRowids) {
  db_.execute_script("CREATE TEMP TABLE tt(a) RANDOM ROWID; INSERT INTO tt VALUES (1), (2)");
  EXPECT_EQ(stored_sql(db_, "tt", "temp"), "CREATE TABLE tt(/*libsql:RANDOM ROWID*/ a)");
  for (std::int64_t rowid : query_integers(db_, "SELECT rowid FROM temp.tt")) {
    EXPECT_TRUE(looks_random(rowid)) << rowid;
  }
}

TEST_F(DialectTest, AnUnqualifiedNameReachesATempTableShadowingARandomRowidOne) {
  db_.execute_script(
      "CREATE TABLE t(a) RANDOM ROWID; CREATE TEMP TABLE t(a);"
      "INSERT INTO t VALUES (1); INSERT INTO main.t VALUES (2)");
  EXPECT_EQ(query_integers(db_, "SELECT rowid FROM temp.t"), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM main.t")));
}

TEST_F(DialectTest, ARandomRowidTableInAnAttachedDatabaseGetsRandomRowids) {
  const std::string other = dir_.file("other.db");
  open_dialect(other).execute_script("CREATE TABLE t(a) RANDOM ROWID");
  db_.execute_script("ATTACH '" + other + "' AS aux; INSERT INTO aux.t VALUES (1)");
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM aux.t")));
}

TEST_F(DialectTest, VacuumGivesFreshRandomRowids) {
  db_.execute_script(
      "CREATE TABLE t(a) RANDOM ROWID;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) "
      "INSERT INTO t SELECT i FROM n");
  const std::vector<std::int64_t> before = query_integers(db_, "SELECT rowid FROM t ORDER BY a");
  db_.execute_script("VACUUM");
  const std::vector<std::int64_t> after = query_integers(db_, "SELECT rowid FROM t ORDER BY a");
  ASSERT_EQ(after.size(), 20u);
  EXPECT_NE(after, before) << "libSQL's VACUUM re-randomizes";
  for (std::int64_t rowid : after) EXPECT_TRUE(looks_random(rowid)) << rowid;
}

// Error::sql_offset says where in the user's SQL a prepare error is; a rewrite must not
// move it (nor past the end of the text).
// SQLite's offset would point into the rewrite; the error carries none rather than a
// wrong one.
TEST_F(DialectTest, PrepareErrorsOfARewriteCarryNoOffsetIntoTextNobodyWrote) {
  db_.execute_script("CREATE TABLE r(id int, v text) RANDOM ROWID");
  for (const std::string_view sql :
       {"INSERT INTO r VALUES (1, nosuch)", "INSERT INTO r(id, v) SELECT 1, nosuch",
        "CREATE TABLE q(a, b CHECK (nosuch > 0)) RANDOM ROWID"}) {
    try {
      db_.prepare(sql);
      ADD_FAILURE() << sql << " should have failed";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "no such column: nosuch") << sql;
      EXPECT_EQ(e.sql_offset(), -1) << sql;
    }
  }
}

TEST_F(DialectTest, ExplainOfARewrittenInsertRunsNothing) {
  db_.execute_script("CREATE TABLE t(a) RANDOM ROWID");
  for (const std::string_view sql :
       {"EXPLAIN INSERT INTO t VALUES (1)", "EXPLAIN QUERY PLAN INSERT INTO t SELECT 1"}) {
    engine::Statement explain = db_.prepare(sql);
    int rows = 0;
    while (explain.step()) ++rows;
    EXPECT_GT(rows, 0) << sql;
  }
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t"), 0);
}

// ---------------------------------------------------------------------------------------
// RANDOM ROWID: other connections and reopening

TEST_F(DialectTest, ASecondConnectionSeesANewRandomRowidTableAfterAnotherStatement) {
  db_.execute_script("CREATE TABLE plain(x)");
  Connection other = open_dialect(path_);
  other.execute_script("INSERT INTO plain VALUES (1)");  // its catalog: no RANDOM ROWID table
  db_.execute_script("CREATE TABLE t(id int) RANDOM ROWID");
  EXPECT_EQ(query_integer(other, "SELECT count(*) FROM t"), 0);
  other.execute_script("INSERT INTO t VALUES (1)");
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM t")));
}

TEST_F(DialectTest, ASecondConnectionSeesANewRandomRowidTableWhenItsFirstStatementIsTheInsert) {
  db_.execute_script("CREATE TABLE plain(x)");
  Connection other = open_dialect(path_);
  other.execute_script("INSERT INTO plain VALUES (1)");
  db_.execute_script("CREATE TABLE t(id int) RANDOM ROWID");
  other.execute_script("INSERT INTO t VALUES (1)");
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM t")));
}

TEST_F(DialectTest, AConnectionThatKnowsOneRandomRowidTableSeesAnotherConnectionsNewOne) {
  db_.execute_script("CREATE TABLE first(id int) RANDOM ROWID");
  Connection other = open_dialect(path_);
  other.execute_script("INSERT INTO first VALUES (1)");  // its catalog: first only
  db_.execute_script("CREATE TABLE second(id int) RANDOM ROWID");
  other.execute_script("INSERT INTO second VALUES (1)");
  const std::int64_t rowid = query_integer(db_, "SELECT rowid FROM second");
  EXPECT_TRUE(looks_random(rowid))
      << "the other connection's INSERT must see second as RANDOM ROWID; rowid " << rowid;
}

TEST_F(DialectTest, ReopeningTheFileKeepsTheTableRandomRowid) {
  db_.execute_script("CREATE TABLE t(id int) RANDOM ROWID");
  db_ = open_dialect(dir_.file("unrelated.db"));  // closes the first connection
  Connection reopened = open_dialect(path_);
  reopened.execute_script("INSERT INTO t VALUES (1), (2)");
  for (std::int64_t rowid : query_integers(reopened, "SELECT rowid FROM t")) {
    EXPECT_TRUE(looks_random(rowid)) << rowid;
  }
  EXPECT_EQ(stored_sql(reopened, "t"), "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int)");
}

// ---------------------------------------------------------------------------------------
// ALTER TABLE ... ALTER COLUMN

TEST_F(DialectTest, AlterColumnStoresTheNewDefinitionVerbatim) {
  db_.execute_script(
      "CREATE TABLE x(a int, b text);"
      "ALTER TABLE x ALTER COLUMN a TO a INTEGER NOT NULL DEFAULT 5");
  EXPECT_EQ(stored_sql(db_, "x"), "CREATE TABLE x(a INTEGER NOT NULL DEFAULT 5, b text)");
  db_.execute_script("ALTER TABLE main.x ALTER COLUMN b TO B text collate nocase;  -- comment");
  EXPECT_EQ(stored_sql(db_, "x"),
            "CREATE TABLE x(a INTEGER NOT NULL DEFAULT 5, B text collate nocase)");
}

TEST_F(DialectTest, AlterColumnLeavesExistingRowsAndAppliesToLaterWrites) {
  db_.execute_script(
      "CREATE TABLE x(a int, b text, c int);"
      "INSERT INTO x VALUES (NULL, 'old', -5);"
      "ALTER TABLE x ALTER COLUMN a TO a INTEGER NOT NULL DEFAULT 5;"
      "ALTER TABLE x ALTER COLUMN c TO c int CHECK (c > 0)");
  EXPECT_EQ(query_value(db_, "SELECT a FROM x WHERE b = 'old'"), Value());
  EXPECT_EQ(query_integer(db_, "SELECT c FROM x WHERE b = 'old'"), -5);

  db_.execute_script("INSERT INTO x(b, c) VALUES ('new', 1)");
  EXPECT_EQ(query_integer(db_, "SELECT a FROM x WHERE b = 'new'"), 5) << "the new DEFAULT";
  try {
    db_.execute_script("INSERT INTO x VALUES (NULL, 'null', 1)");
    ADD_FAILURE() << "NOT NULL must apply";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "NOT NULL constraint failed: x.a");
    EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_NOTNULL");
  }
  EXPECT_EQ(error_of(db_, "INSERT INTO x VALUES (1, 'bad', -1)"), "CHECK constraint failed: c > 0");
  EXPECT_EQ(error_of(db_, "UPDATE x SET c = -2 WHERE b = 'new'"), "CHECK constraint failed: c > 0");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM x"), 2);
}

TEST_F(DialectTest, AlterColumnToANewTypeChangesTheAffinityOfLaterWrites) {
  db_.execute_script(
      "CREATE TABLE x(a int, b text); INSERT INTO x VALUES ('1', 'old');"
      "ALTER TABLE x ALTER COLUMN a TO a text; INSERT INTO x VALUES (2, 'new')");
  EXPECT_EQ(query_value(db_, "SELECT typeof(a) FROM x WHERE b = 'old'"), Value("integer"));
  EXPECT_EQ(query_value(db_, "SELECT typeof(a) FROM x WHERE b = 'new'"), Value("text"));
}

TEST_F(DialectTest, AlterColumnRefusalsUseLibsqlsWordsAndChangeNothing) {
  db_.execute_script(
      "CREATE TABLE t(a int, b text, d int); CREATE VIEW v AS SELECT * FROM t;"
      "CREATE VIRTUAL TABLE f USING fts5(body);"
      "CREATE TABLE p(id int PRIMARY KEY); CREATE TABLE ip(id INTEGER PRIMARY KEY);"
      "CREATE TABLE g(a int, h AS (a * 2))");
  const std::string before = schema_dump(db_);
  struct Case {
    std::string_view sql;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"ALTER TABLE t ALTER COLUMN a TO b int",
                "UPDATE cannot also rename column: \"a\" to \"b\". Use ALTER TABLE RENAME instead"},
           Case{"ALTER TABLE t ALTER COLUMN \"a\" TO a text",
                "UPDATE cannot also rename column: \"\"a\"\" to \"a\". Use ALTER TABLE RENAME "
                "instead"},
           Case{"ALTER TABLE t ALTER COLUMN zz TO zz int", "no such column: \"zz\""},
           Case{"ALTER TABLE t ALTER COLUMN \"zz\" TO zz int", "no such column: \"\"zz\"\""},
           Case{"ALTER TABLE t ALTER COLUMN rowid TO rowid int", "no such column: \"rowid\""},
           Case{"ALTER TABLE nope ALTER COLUMN a TO a int", "no such table: nope"},
           Case{"ALTER TABLE temp.t ALTER COLUMN a TO a int", "no such table: temp.t"},
           Case{"ALTER TABLE t ALTER COLUMN a TO a int primary key",
                "error in adding a int primary key to t: PRIMARY KEY constraint cannot be altered"},
           Case{"ALTER TABLE t ALTER COLUMN d TO d int constraint pk primary key",
                "error in adding d int constraint pk primary key to t: PRIMARY KEY constraint "
                "cannot be altered"},
           Case{"ALTER TABLE t ALTER COLUMN a TO a int unique",
                "error in adding a int unique to t: UNIQUE constraint cannot be altered"},
           Case{"ALTER TABLE t ALTER COLUMN a TO a int generated always as (1)",
                "error in adding a int generated always as (1) to t: GENERATED constraint cannot "
                "be altered"},
           Case{"ALTER TABLE t ALTER COLUMN d TO d int as (1)",
                "error in adding d int as (1) to t: GENERATED constraint cannot be altered"},
           Case{"ALTER TABLE p ALTER COLUMN id TO id",
                "error in adding id to p: PRIMARY KEY constraint cannot be altered"},
           Case{"ALTER TABLE p ALTER COLUMN id TO id UNIQUE",
                "error in adding id UNIQUE to p: PRIMARY KEY constraint cannot be altered"},
           Case{"ALTER TABLE ip ALTER COLUMN id TO id INT PRIMARY KEY",
                "error in adding id INT PRIMARY KEY to ip: UNIQUE constraint cannot be altered"},
           Case{"ALTER TABLE g ALTER COLUMN h TO h int",
                "error in adding h int to g: GENERATED constraint cannot be altered"},
           Case{"ALTER TABLE g ALTER COLUMN h TO h AS (a * 3) STORED",
                "error in adding h AS (a * 3) STORED to g: GENERATED constraint cannot be altered"},
           Case{"ALTER TABLE v ALTER COLUMN a TO a int", "cannot rename columns of view \"v\""},
           Case{"ALTER TABLE f ALTER COLUMN body TO body text",
                "cannot rename columns of virtual table \"f\""},
           Case{"ALTER TABLE sqlite_schema ALTER COLUMN sql TO sql text",
                "table sqlite_master may not be altered"},
           Case{"ALTER TABLE t ALTER a TO a int", "near \"a\": syntax error"},
           Case{"ALTER TABLE t ALTER COLUMN a TO", "incomplete input"},
           Case{"ALTER TABLE t ALTER COLUMN a", "incomplete input"},
       }) {
    try {
      db_.execute_script(c.sql);
      ADD_FAILURE() << c.sql << " should have failed";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), c.message) << c.sql;
      EXPECT_EQ(e.primary_code(), PrimaryCode::kError) << c.sql;
    }
    EXPECT_EQ(schema_dump(db_), before) << c.sql;
  }
}

TEST_F(DialectTest, AlterColumnAcceptsWhatLibsqlAccepts) {
  db_.execute_script(
      "CREATE TABLE p(id int PRIMARY KEY, v);"
      "ALTER TABLE p ALTER COLUMN id TO id int PRIMARY KEY NOT NULL;"
      "CREATE TABLE g(a int, h AS (a * 2));"
      "ALTER TABLE g ALTER COLUMN h TO h AS (a * 3);"
      "CREATE TABLE i(a int, b int); CREATE INDEX i_a ON i(a);"
      "ALTER TABLE i ALTER COLUMN a TO a TEXT");
  EXPECT_EQ(stored_sql(db_, "p"), "CREATE TABLE p(id int PRIMARY KEY NOT NULL, v)");
  EXPECT_EQ(stored_sql(db_, "g"), "CREATE TABLE g(a int, h AS (a * 3))");
  db_.execute_script("INSERT INTO g(a) VALUES (2)");
  EXPECT_EQ(query_integer(db_, "SELECT h FROM g"), 6) << "a changed expression is accepted";
  EXPECT_EQ(stored_sql(db_, "i"), "CREATE TABLE i(a TEXT, b int)");
  EXPECT_EQ(stored_sql(db_, "i_a"), "CREATE INDEX i_a ON i(a)") << "indexes are not touched";
}

TEST_F(DialectTest, QuotedNamesHoldingSemicolonsCommasAndParens) {
  db_.execute_script(
      "CREATE TABLE \"q;t,1)\"(\"a;b\" int, \"c,d)\" text, [e)f] int, `g;h` int);"
      "ALTER TABLE \"q;t,1)\" ALTER COLUMN \"c,d)\" TO \"c,d)\" text not null default 'x;)';"
      "ALTER TABLE \"q;t,1)\" ALTER COLUMN [e)f] TO [e)f] text");
  EXPECT_EQ(stored_sql(db_, "q;t,1)"),
            "CREATE TABLE \"q;t,1)\"(\"a;b\" int, \"c,d)\" text not null default 'x;)', [e)f] "
            "text, `g;h` int)");
  db_.execute_script("INSERT INTO \"q;t,1)\" DEFAULT VALUES");
  EXPECT_EQ(query_value(db_, "SELECT \"c,d)\" FROM \"q;t,1)\""), Value("x;)"));
}

TEST_F(DialectTest, AnAlterThatLeavesTheSchemaUnreadableFailsAndChangesNothing) {
  db_.execute_script("CREATE TABLE t(a int, b int); INSERT INTO t VALUES (1, 2)");
  const std::string before = schema_dump(db_);
  error_of(db_, "ALTER TABLE t ALTER COLUMN a TO a int CHECK (no_such_column > 0)");
  EXPECT_EQ(schema_dump(db_), before);
  EXPECT_EQ(query_integer(db_, "PRAGMA writable_schema"), 0) << "left off again";
  db_.execute_script("INSERT INTO t VALUES (3, 4)");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t"), 2) << "the table is still usable";
  EXPECT_TRUE(db_.is_autocommit());
  Connection other = open_dialect(path_);
  EXPECT_EQ(query_integer(other, "SELECT sum(a) FROM t"), 4);
}

// libSQL takes the definition up to the end of the input when no ';' ends it (see
// sql-extensions.md §1.1); tests/compat/dialect.test.mjs pins the stored texts.
// A deliberate difference from native libSQL, which takes everything up to the end of
// the input as the definition when no ';' ends it (its latent bug, sql-extensions.md
// §1.1; tests/compat/README.md): here the definition ends at its last token either way.
TEST_F(DialectTest, TrailingSpacesAndCommentsStayOutOfTheDefinitionWithOrWithoutASemicolon) {
  db_.execute_script("CREATE TABLE t(a int, b int)");
  db_.execute_script("ALTER TABLE t ALTER COLUMN a TO a text   ");
  EXPECT_EQ(stored_sql(db_, "t"), "CREATE TABLE t(a text, b int)");
  db_.execute_script("ALTER TABLE t ALTER COLUMN a TO a int /* c */");
  EXPECT_EQ(stored_sql(db_, "t"), "CREATE TABLE t(a int, b int)");
  db_.execute_script("ALTER TABLE t ALTER COLUMN a TO a text;  -- after the ';': not stored");
  EXPECT_EQ(stored_sql(db_, "t"), "CREATE TABLE t(a text, b int)");
  // A line comment cannot swallow the table's closing parenthesis.
  db_.execute_script("ALTER TABLE t ALTER COLUMN a TO a int -- c");
  EXPECT_EQ(stored_sql(db_, "t"), "CREATE TABLE t(a int, b int)");
}

TEST_F(DialectTest, ASecondConnectionSeesTheAlteredSchemaAtOnce) {
  db_.execute_script("CREATE TABLE x(a int, b text); INSERT INTO x VALUES (1, 'before')");
  Connection other = open_dialect(path_);
  EXPECT_EQ(query_integer(other, "SELECT count(*) FROM x"), 1);  // loads the old schema
  db_.execute_script("ALTER TABLE x ALTER COLUMN a TO a int NOT NULL DEFAULT 5");
  other.execute_script("INSERT INTO x(b) VALUES ('other')");
  EXPECT_EQ(query_integer(db_, "SELECT a FROM x WHERE b = 'other'"), 5);
  EXPECT_EQ(error_of(other, "INSERT INTO x VALUES (NULL, 'null')"),
            "NOT NULL constraint failed: x.a");
}

TEST_F(DialectTest, AlterColumnRolledBackWithItsTransactionLeavesTheOldSchema) {
  db_.execute_script("CREATE TABLE x(a int, b text)");
  const std::string before = schema_dump(db_);
  db_.execute_script("BEGIN; ALTER TABLE x ALTER COLUMN a TO a int NOT NULL");
  EXPECT_EQ(stored_sql(db_, "x"), "CREATE TABLE x(a int NOT NULL, b text)");
  EXPECT_FALSE(db_.is_autocommit()) << "the ALTER stays inside the user's transaction";
  db_.execute_script("ROLLBACK");
  EXPECT_EQ(schema_dump(db_), before);
  db_.execute_script("INSERT INTO x VALUES (NULL, 'allowed again')");

  db_.execute_script("BEGIN; ALTER TABLE x ALTER COLUMN a TO a int NOT NULL; COMMIT");
  EXPECT_EQ(stored_sql(db_, "x"), "CREATE TABLE x(a int NOT NULL, b text)");
}

TEST_F(DialectTest, PreparingAnAlterColumnRunsNothing) {
  db_.execute_script("CREATE TABLE x(a int, b text)");
  const std::string before = schema_dump(db_);
  {
    engine::Statement alter = db_.prepare("ALTER TABLE x ALTER COLUMN a TO a text NOT NULL");
    EXPECT_EQ(schema_dump(db_), before) << "prepared, not stepped";
  }
  EXPECT_EQ(schema_dump(db_), before) << "finalized without a step";
}

TEST_F(DialectTest, AnAlterColumnSteppedTwiceAfterResetIsHarmless) {
  db_.execute_script("CREATE TABLE x(a int, b text)");
  engine::Statement alter = db_.prepare("ALTER TABLE x ALTER COLUMN a TO a text NOT NULL");
  EXPECT_FALSE(alter.step());
  EXPECT_EQ(alter.column_count(), 0);
  alter.reset();
  EXPECT_FALSE(alter.step());
  EXPECT_EQ(stored_sql(db_, "x"), "CREATE TABLE x(a text NOT NULL, b text)");
  EXPECT_EQ(query_value(db_, "PRAGMA integrity_check"), Value("ok"));
  EXPECT_EQ(error_of(db_, "INSERT INTO x VALUES (NULL, 'b')"), "NOT NULL constraint failed: x.a");
}

TEST_F(DialectTest, ExplainOfAnAlterColumnRunsNothing) {
  db_.execute_script("CREATE TABLE x(a int, b text)");
  const std::string before = schema_dump(db_);
  for (const std::string_view sql : {"EXPLAIN ALTER TABLE x ALTER COLUMN a TO a text NOT NULL",
                                     "EXPLAIN QUERY PLAN ALTER TABLE x ALTER COLUMN a TO a text"}) {
    engine::Statement explain = db_.prepare(sql);
    while (explain.step()) {
    }
    EXPECT_EQ(schema_dump(db_), before) << sql;
  }
}

TEST_F(DialectTest, AlterColumnOfARandomRowidTableKeepsItRandomRowid) {
  db_.execute_script(
      "CREATE TABLE t(id int, v text) RANDOM ROWID;"
      "ALTER TABLE t ALTER COLUMN v TO v text NOT NULL DEFAULT 'd';"
      "ALTER TABLE t ALTER COLUMN id TO id int");
  EXPECT_EQ(stored_sql(db_, "t"),
            "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text NOT NULL DEFAULT 'd')");
  db_.execute_script("INSERT INTO t(id) VALUES (1)");
  EXPECT_TRUE(looks_random(query_integer(db_, "SELECT rowid FROM t")));
  EXPECT_EQ(query_value(db_, "SELECT v FROM t"), Value("d"));
}

TEST_F(DialectTest, AlterColumnOfATempTableAndOfAnAttachedOne) {
  const std::string other = dir_.file("other.db");
  open_dialect(other).execute_script("CREATE TABLE a(x int, y int)");
  db_.execute_script("CREATE TEMP TABLE tt(x int, y int); ATTACH '" + other +
                     "' AS aux;"
                     "ALTER TABLE tt ALTER COLUMN x TO x text NOT NULL;"
                     "ALTER TABLE aux.a ALTER COLUMN y TO y int DEFAULT 3");
  EXPECT_EQ(stored_sql(db_, "tt", "temp"), "CREATE TABLE tt(x text NOT NULL, y int)");
  EXPECT_EQ(stored_sql(db_, "a", "aux"), "CREATE TABLE a(x int, y int DEFAULT 3)");
  EXPECT_EQ(error_of(db_, "INSERT INTO tt VALUES (NULL, 1)"), "NOT NULL constraint failed: tt.x");
  db_.execute_script("INSERT INTO aux.a(x) VALUES (1)");
  EXPECT_EQ(query_integer(db_, "SELECT y FROM aux.a"), 3);
}

TEST_F(DialectTest, AlterColumnAddingReferencesEnforcesTheForeignKeyOnLaterWrites) {
  db_.execute_script(
      "CREATE TABLE parent(id INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1);"
      "CREATE TABLE child(a int, b int); INSERT INTO child VALUES (1, 99);"
      "ALTER TABLE child ALTER COLUMN b TO b int REFERENCES parent(id)");
  EXPECT_EQ(error_of(db_, "INSERT INTO child VALUES (2, 5)"), "FOREIGN KEY constraint failed");
  db_.execute_script("INSERT INTO child VALUES (3, 1)");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM child"), 2) << "the old dangling row stays";
}

TEST_F(DialectTest, AFailedAlterInsideATransactionKeepsTheTransactionAndItsWrites) {
  db_.execute_script("CREATE TABLE t(a int, b int)");
  const std::string before = schema_dump(db_);
  db_.execute_script("BEGIN; INSERT INTO t VALUES (1, 1)");
  error_of(db_, "ALTER TABLE t ALTER COLUMN a TO a int CHECK (no_such_column > 0)");
  EXPECT_FALSE(db_.is_autocommit()) << "the user's transaction is still open";
  db_.execute_script("INSERT INTO t VALUES (2, 2); COMMIT");
  EXPECT_EQ(query_integer(db_, "SELECT count(*) FROM t"), 2);
  EXPECT_EQ(schema_dump(db_), before);
}

// ---------------------------------------------------------------------------------------
// Files real libSQL wrote

class LibsqlFileTest : public ::testing::Test {
 protected:
  // A file as real libSQL leaves it: "... ) RANDOM ROWID" in sqlite_schema, which stock
  // SQLite cannot parse, with two rows and an index.
  void SetUp() override {
    Connection plain = Connection::open(path_);
    plain.execute_script(
        "CREATE TABLE t(id int, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b');"
        "CREATE INDEX t_v ON t(v)");
    const std::int64_t version = query_integer(plain, "PRAGMA schema_version");
    plain.execute_script(
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_schema SET sql = 'CREATE TABLE t(id int, v text) RANDOM ROWID' "
        "WHERE name = 't';"
        "PRAGMA schema_version = " +
        std::to_string(version + 1) + "; PRAGMA writable_schema = OFF");
    // The fixture is what it claims to be: stock SQLite refuses its schema.
    const std::string refusal = error_of(plain, "SELECT count(*) FROM t");
    ASSERT_NE(refusal.find("malformed database schema (t)"), std::string::npos) << refusal;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("native.db");
};

TEST_F(LibsqlFileTest, OpensAndIsMigratedToTheMarkerForm) {
  Connection db = open_dialect(path_);
  EXPECT_EQ(stored_sql(db, "t"), "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)");
  EXPECT_EQ(query_integers(db, "SELECT rowid FROM t ORDER BY id"),
            (std::vector<std::int64_t>{1, 2}))
      << "existing rows keep their rowids";
  db.execute_script("INSERT INTO t VALUES (3, 'c')");
  EXPECT_TRUE(looks_random(query_integer(db, "SELECT rowid FROM t WHERE id = 3")));
  EXPECT_EQ(query_integer(db, "SELECT id FROM t WHERE v = 'c'"), 3) << "the index works";
  EXPECT_EQ(query_value(db, "PRAGMA integrity_check"), Value("ok"));

  // Stock SQLite (no dialect) now reads the file too.
  Connection plain = Connection::open(path_);
  EXPECT_EQ(query_integer(plain, "SELECT count(*) FROM t"), 3);
}

TEST_F(LibsqlFileTest, ReadOnlyOpenFailsNamingTheMigrationAndLeavesTheFileAlone) {
  try {
    open_dialect(path_, OpenMode::kReadOnly);
    ADD_FAILURE() << "a read-only open cannot migrate the schema";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path_), std::string::npos) << message;
    EXPECT_NE(message.find("RANDOM ROWID"), std::string::npos) << message;
    EXPECT_NE(message.find("open it writable once"), std::string::npos) << message;
  }
  // Nothing was rewritten: stock SQLite still cannot read it.
  try {
    Connection plain = Connection::open(path_, {.mode = OpenMode::kReadOnly});
    plain.execute_script("SELECT count(*) FROM t");
    ADD_FAILURE() << "the schema must still be libSQL's";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("malformed database schema (t)"), std::string::npos)
        << e.what();
  }
  // And a writable open afterwards still migrates it.
  Connection db = open_dialect(path_);
  EXPECT_EQ(stored_sql(db, "t"), "CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text)");
}

}  // namespace
}  // namespace libsql::sql
