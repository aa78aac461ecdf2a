// dump_test.cc: SQL dumps written and loaded through engine::Connection with the libSQL
// dialect, as sqld's GET /dump and admin create-from-dump use them: what a user sees in
// the text, and that a loaded copy is the same database, checked row by row and with
// sqlite3's own .dump (the Debian CLI, when installed).

#include "sql/dump.h"

#include <stdio.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/connection.h"
#include "libsql/error.h"
#include "sql/dialect.h"
#include "tests/support/temp_dir.h"

namespace libsql::sql {
namespace {

using engine::Connection;

constexpr const char* kSqliteCli = "/usr/bin/sqlite3";

Connection open_db(const std::string& path) {
  return Connection::open(path, {.dialect = libsql_dialect()});
}

std::int64_t query_integer(Connection& db, std::string_view sql) {
  engine::Statement statement = db.prepare(sql);
  EXPECT_TRUE(statement.step()) << sql << " returned no row";
  return statement.column_integer(0);
}

// Runs `statement` once with `value` as ?1.
void run_with(engine::Statement& statement, const ValueView& value) {
  statement.reset();
  statement.bind(1, value);
  while (statement.step()) {
  }
}

// One value exactly: its type and its bytes (reals as their bit pattern).
std::string describe(const ValueView& value) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [](std::string_view bytes) {
    std::string out;
    for (const unsigned char c : bytes) (out += kHex[c >> 4]) += kHex[c & 15];
    return out;
  };
  switch (value.type()) {
    case ValueType::kNull:
      return "null";
    case ValueType::kInteger:
      return "integer:" + std::to_string(value.integer_value());
    case ValueType::kReal: {
      const auto bits = std::bit_cast<std::uint64_t>(value.real_value());
      return "real:" + hex(std::string_view(reinterpret_cast<const char*>(&bits), 8));
    }
    case ValueType::kText:
      return "text:" + hex(value.text_value());
    case ValueType::kBlob: {
      const auto blob = value.blob_value();
      return "blob:" + hex({reinterpret_cast<const char*>(blob.data()), blob.size()});
    }
  }
  return "?";
}

// Every row of every ordinary table (rowid first where there is one), in a stable
// order, with exact values, plus the schema rows: two databases with equal contents()
// hold the same data.
std::string contents(Connection& db) {
  std::string out;
  std::vector<std::string> tables;
  {
    engine::Statement schema =
        db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
    while (schema.step()) {
      for (int i = 0; i < 4; ++i) (out += describe(schema.column_view(i))) += '|';
      out += '\n';
      if (schema.column_text(0) == "table" && !schema.column_text(3).starts_with("CREATE VIRTUAL"))
        tables.emplace_back(schema.column_text(1));
    }
  }
  for (const std::string& table : tables) {
    std::string quoted = "\"";
    for (const char c : table) (c == '"' ? quoted += "\"\"" : quoted += c);
    quoted += '"';
    std::vector<std::string> rows;
    std::string sql = "SELECT _rowid_, * FROM " + quoted;
    try {
      db.prepare(sql);
    } catch (const Error&) {
      sql = "SELECT * FROM " + quoted;  // WITHOUT ROWID
    }
    engine::Statement select = db.prepare(sql);
    while (select.step()) {
      std::string row;
      for (int i = 0; i < select.column_count(); ++i)
        (row += describe(select.column_view(i))) += ',';
      rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end());
    out += "table " + table + ":\n";
    for (const std::string& row : rows) out += row + '\n';
  }
  return out;
}

// `sqlite3 <path> .dump`, or "" with a test failure if it cannot run.
std::string cli_dump(const std::string& path) {
  const std::string command = std::string(kSqliteCli) + " '" + path + "' .dump";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return out;
}

// The message of the DumpError load_dump throws, with its kind; "" if it does not throw.
std::string load_error(Connection& db, std::string_view dump, DumpErrorKind expected_kind) {
  try {
    load_dump(db, dump);
  } catch (const DumpError& e) {
    EXPECT_EQ(e.kind(), expected_kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "load_dump accepted:\n" << dump;
  return "";
}

class DumpTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string source_path_ = dir_.file("source.db");
  std::string copy_path_ = dir_.file("copy.db");
  Connection source_ = open_db(source_path_);
  Connection copy_ = open_db(copy_path_);
};

// Values SQLite can store, including the ones a naive dump gets wrong.
std::vector<Value> every_kind_of_value() {
  std::vector<Value> values = {
      nullptr,
      0,
      1,
      -1,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(),
      0.1,
      1.0,
      -2.5,
      1e308,
      -0.0,
      5e-324,
      2.2250738585072014e-308,
      std::numeric_limits<double>::max(),
      1e16,
      123456789012345678.0,
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      "",
      "plain",
      "it's 'quoted'",
      "line one\nline two\n",
      "crlf\r\nend\r",
      "holds \\n and \\012 and a newline\n",
      std::string("nul\0inside", 10),
      "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e",  // héllo ✓ 𝄞
      std::string("\xff\xfe not utf-8"),
      "tab\tand\x01control",
      Blob{},
      Blob{0x00, 0xff, 0x27, 0x0a},
      Blob(1000, 0xab),
  };
  // Doubles that SQLite's own text-to-double conversion misreads from their shortest
  // decimal form (see dump.cc).
  for (const double d : {4.1752050594835e+78, 3.484060486691407e+210, -1.706777165336792e-07})
    values.emplace_back(d);
  return values;
}

TEST_F(DumpTest, SqldsExportSnapshotIsReproducedExactly) {
  // libsql-server/tests/namespaces/snapshots/tests__namespaces__dumps__export_dump.snap
  source_.execute_script(
      "create table test (x); insert into test values (42); "
      "insert into test values ('foo'); insert into test values ('bar')");
  EXPECT_EQ(dump_to_string(source_),
            "PRAGMA foreign_keys=OFF;\n"
            "BEGIN TRANSACTION;\n"
            "CREATE TABLE IF NOT EXISTS test (x);\n"
            "INSERT INTO test VALUES(42);\n"
            "INSERT INTO test VALUES('foo');\n"
            "INSERT INTO test VALUES('bar');\n"
            "COMMIT;\n");
}

TEST_F(DumpTest, ValuesAreWrittenAsSqldWritesThem) {
  source_.execute_script(
      R"(CREATE TABLE "limit"(a, "b c", [d"e]); CREATE TABLE t2(x);
         INSERT INTO t2 VALUES (1.5), (2.0), ('a''b'), (X'00FF'), (NULL), ('x' || char(10) || 'y'),
                               (9e999), (-9e999))");
  const std::string dump = dump_to_string(source_);
  EXPECT_NE(dump.find("CREATE TABLE IF NOT EXISTS \"limit\"(a, \"b c\", [d\"e]);\n"),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("INSERT INTO t2 VALUES(1.5);\nINSERT INTO t2 VALUES(2.0);\n"
                      "INSERT INTO t2 VALUES('a''b');\nINSERT INTO t2 VALUES(X'00ff');\n"
                      "INSERT INTO t2 VALUES(NULL);\n"
                      "INSERT INTO t2 VALUES(replace('x\\ny','\\n',char(10)));\n"
                      "INSERT INTO t2 VALUES(1e999);\nINSERT INTO t2 VALUES(-1e999);\n"),
            std::string::npos)
      << dump;
}

TEST_F(DumpTest, EveryValueTypeLoadsBackExactly) {
  source_.execute_script("CREATE TABLE vals(id INTEGER PRIMARY KEY, v)");
  engine::Statement insert = source_.prepare("INSERT INTO vals(v) VALUES (?1)");
  const std::vector<Value> values = every_kind_of_value();
  for (const Value& value : values) run_with(insert, value);
  load_dump(copy_, dump_to_string(source_));

  engine::Statement read = copy_.prepare("SELECT v FROM vals ORDER BY id");
  for (const Value& value : values) {
    ASSERT_TRUE(read.step());
    EXPECT_EQ(describe(read.column_view(0)), describe(ValueView(value)))
        << "value " << describe(ValueView(value)) << " changed in the copy";
  }
  EXPECT_FALSE(read.step());
  EXPECT_EQ(contents(copy_), contents(source_));
}

TEST_F(DumpTest, RandomDoublesLoadBackBitForBit) {
  source_.execute_script("CREATE TABLE r(v)");
  std::mt19937_64 random(20240611);
  std::vector<double> doubles;
  while (doubles.size() < 20000) {
    std::uint64_t bits = random();
    if (doubles.size() % 8 == 0) bits &= 0x800fffffffffffffULL;  // subnormals
    const double d = std::bit_cast<double>(bits);
    if (!std::isnan(d)) doubles.push_back(d);
  }
  engine::Statement insert = source_.prepare("INSERT INTO r VALUES (?1)");
  for (const double d : doubles) run_with(insert, d);

  load_dump(copy_, dump_to_string(source_));
  engine::Statement read = copy_.prepare("SELECT v FROM r ORDER BY rowid");
  for (const double d : doubles) {
    ASSERT_TRUE(read.step());
    ASSERT_EQ(std::bit_cast<std::uint64_t>(read.column_real(0)), std::bit_cast<std::uint64_t>(d))
        << "the copy misreads " << d;
  }
}

// The user-visible criterion: a database with every value type and a schema with
// indexes, views and triggers loads back into an identical database.
TEST_F(DumpTest, FullDatabaseLoadsBackIdenticalToSqlite3sOwnDump) {
  source_.execute_script(R"sql(
    CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
    CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE typed(i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, any_ ANY);
    CREATE TABLE vals(v);
    CREATE TABLE auto(id INTEGER PRIMARY KEY AUTOINCREMENT, x);
    CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
    CREATE TABLE "odd ""name"" 'x'"("select" INTEGER, "a b" TEXT, "ü", [x.y]);
    CREATE TABLE "order"(rowid_ TEXT);
    CREATE TABLE gaps(x, y);
    CREATE TABLE strict_t(a INTEGER, b TEXT) STRICT;
    CREATE TABLE gen(a INTEGER, b AS (a * 2), c AS (a + 1) STORED);
    CREATE TABLE log(what);
    CREATE TABLE desc_pk(id INTEGER PRIMARY KEY DESC, v);
    INSERT INTO parent VALUES (10, 'ten'), (20, 'twenty');
    INSERT INTO child VALUES (1, 10), (2, 20);
    INSERT INTO typed VALUES (1, 2.5, 'three', X'04', '5.0', 6), ('x', 'y', 7, 8.5, 'n', NULL),
                             (3, 3, '3', '3', 3e0, 0.5);
    INSERT INTO auto(x) VALUES ('a'), ('b'), ('c');
    DELETE FROM auto WHERE x = 'c';
    INSERT INTO kv VALUES ('b', 2), ('a', 1), ('c', NULL);
    INSERT INTO "odd ""name"" 'x'" VALUES (1, 'one', 'ü', 'dot');
    INSERT INTO "order" VALUES ('o');
    INSERT INTO gaps VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');
    DELETE FROM gaps WHERE x IN (2, 4);
    INSERT INTO gaps(rowid, x, y) VALUES (-7, 'negative', NULL), (1000, 'far', NULL);
    INSERT INTO strict_t VALUES (1, 'a');
    INSERT INTO gen(a) VALUES (1), (2);
    INSERT INTO desc_pk VALUES (5, 'five'), (3, 'three');
    CREATE INDEX gaps_x ON gaps(x);
    CREATE UNIQUE INDEX parent_name ON parent(name);
    CREATE INDEX vals_partial ON vals(v) WHERE v IS NOT NULL;
    CREATE INDEX typed_expr ON typed(lower(t), i + 1);
    CREATE VIEW parent_names AS SELECT name FROM parent ORDER BY name;
    CREATE VIEW joined AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.parent_id;
    CREATE TRIGGER gaps_log AFTER INSERT ON gaps BEGIN INSERT INTO log VALUES ('gaps ' || new.x); END;
    CREATE TRIGGER joined_insert INSTEAD OF INSERT ON joined
      BEGIN INSERT INTO log VALUES ('joined'); END;
    INSERT INTO gaps VALUES (6, 'f');
  )sql");
  engine::Statement insert = source_.prepare("INSERT INTO vals VALUES (?1)");
  for (const Value& value : every_kind_of_value()) run_with(insert, value);
  source_.execute_script("ANALYZE");
  ASSERT_GT(query_integer(source_, "SELECT count(*) FROM sqlite_stat1"), 0);

  load_dump(copy_, dump_to_string(source_));

  EXPECT_EQ(contents(copy_), contents(source_));
  EXPECT_EQ(query_integer(copy_, "SELECT seq FROM sqlite_sequence WHERE name = 'auto'"), 3)
      << "AUTOINCREMENT would reuse id 3";
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM log"), 1) << "triggers fired during load";
  EXPECT_EQ(query_integer(copy_, "PRAGMA foreign_keys"), 1) << "the dump's pragma leaked";
  copy_.execute_script("INSERT INTO gaps VALUES (7, 'g')");
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM log"), 2) << "the copy's trigger";

  if (!std::filesystem::exists(kSqliteCli)) {
    GTEST_SKIP() << kSqliteCli << " is not installed (apt-get install sqlite3): rows were "
                 << "compared, sqlite3's .dump was not";
  }
  source_.execute_script("INSERT INTO gaps VALUES (7, 'g')");  // as in the copy
  EXPECT_EQ(cli_dump(copy_path_), cli_dump(source_path_));
}

TEST_F(DumpTest, RowidsAreKeptOnlyWhereACopyWouldRenumberThem) {
  source_.execute_script(
      "CREATE TABLE dense(x); INSERT INTO dense VALUES (1), (2);"
      "CREATE TABLE sparse(x); INSERT INTO sparse VALUES (1), (2), (3); DELETE FROM sparse "
      "WHERE x = 2;"
      "CREATE TABLE shadowed(rowid, _rowid_, oid); INSERT INTO shadowed VALUES (1, 2, 3);");
  const std::string dump = dump_to_string(source_);
  EXPECT_NE(dump.find("INSERT INTO dense VALUES(1);\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("INSERT INTO sparse(rowid,x) VALUES(1,1);\n"
                      "INSERT INTO sparse(rowid,x) VALUES(3,3);\n"),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("INSERT INTO shadowed VALUES(1,2,3);\n"), std::string::npos) << dump;

  const std::string never = dump_to_string(source_, {.rowids = RowidPolicy::kNever});
  EXPECT_NE(never.find("INSERT INTO sparse VALUES(3);\n"), std::string::npos) << never;
  const std::string always = dump_to_string(source_, {.rowids = RowidPolicy::kAlways});
  EXPECT_NE(always.find("INSERT INTO dense(rowid,x) VALUES(1,1);\n"), std::string::npos) << always;
}

TEST_F(DumpTest, SqldsPreserveRowidsSnapshotIsReproducedExactly) {
  // libsql-server/src/connection/dump/snapshots/..._table_preserve_rowids.snap
  source_.execute_script(
      "create table test ( id TEXT PRIMARY KEY ); insert into test values ( 'a' ), ( 'b' ), "
      "( 'c' ); delete from test where id = 'a'");
  const std::string expected =
      "PRAGMA foreign_keys=OFF;\n"
      "BEGIN TRANSACTION;\n"
      "CREATE TABLE IF NOT EXISTS test ( id TEXT PRIMARY KEY );\n"
      "INSERT INTO test(rowid,id) VALUES(2,'b');\n"
      "INSERT INTO test(rowid,id) VALUES(3,'c');\n"
      "COMMIT;\n";
  EXPECT_EQ(dump_to_string(source_, {.rowids = RowidPolicy::kAlways}), expected);
  EXPECT_EQ(dump_to_string(source_), expected) << "rowids 2, 3 would load as 1, 2";
}

TEST_F(DumpTest, RandomRowidTableKeepsItsRowidsAndStaysRandom) {
  source_.execute_script(
      "CREATE TABLE r(x) RANDOM ROWID; INSERT INTO r VALUES ('a'), ('b'), ('c');");
  load_dump(copy_, dump_to_string(source_));
  EXPECT_EQ(contents(copy_), contents(source_));
  copy_.execute_script("INSERT INTO r VALUES ('d')");
  EXPECT_GT(copy_.last_insert_rowid(), 1'000'000) << "the copy lost RANDOM ROWID";
}

TEST_F(DumpTest, VirtualTableLoadsBackThroughWritableSchema) {
  source_.execute_script(
      "CREATE VIRTUAL TABLE docs USING fts5(body);"
      "CREATE VIRTUAL TABLE docs_vocab USING fts5vocab(docs, 'row');"
      "INSERT INTO docs VALUES ('hello world'), ('it''s a dump');");
  const std::string dump = dump_to_string(source_);
  EXPECT_NE(
      dump.find("PRAGMA writable_schema=ON;\nINSERT INTO sqlite_schema(type,name,tbl_name,"
                "rootpage,sql)VALUES('table','docs','docs',0,'CREATE VIRTUAL TABLE docs USING "
                "fts5(body)');\n"),
      std::string::npos)
      << dump;
  EXPECT_NE(dump.find("''row''"), std::string::npos) << dump;
  Connection other = open_db(copy_path_);
  EXPECT_EQ(query_integer(other, "SELECT count(*) FROM sqlite_schema"), 0);  // schema cached
  load_dump(copy_, dump);

  EXPECT_EQ(contents(copy_), contents(source_));
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM docs WHERE docs MATCH 'dump'"), 1);
  EXPECT_EQ(query_integer(other, "SELECT count(*) FROM docs_vocab"), 6);
  Connection reopened = open_db(copy_path_);
  EXPECT_EQ(query_integer(reopened, "SELECT count(*) FROM docs WHERE docs MATCH 'hello'"), 1);
  EXPECT_EQ(query_integer(reopened, "SELECT count(*) FROM docs_vocab"), 6);
  EXPECT_EQ(query_integer(reopened, "PRAGMA integrity_check = 1"), 0);
}

TEST_F(DumpTest, LargeTableStreamsInBoundedChunks) {
  source_.execute_script(
      "CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
      "INSERT INTO big SELECT i, 'row ' || i FROM n;"
      "INSERT INTO big VALUES (100001, printf('%.*c', 200000, 'x'));");  // one 200 KB value
  constexpr std::size_t kChunk = 64 * 1024;
  std::size_t chunks = 0, largest = 0, total = 0;
  bool only_last_short = true, saw_short = false;
  std::string dump;
  write_dump(source_, [&](std::string_view chunk) {
    only_last_short = only_last_short && !saw_short;
    saw_short = chunk.size() < kChunk;
    ++chunks;
    largest = std::max(largest, chunk.size());
    total += chunk.size();
    dump += chunk;
  });
  EXPECT_EQ(largest, kChunk) << "a chunk went over the bound";
  EXPECT_TRUE(only_last_short) << "a chunk before the last was short";
  EXPECT_GT(chunks, total / kChunk) << "the dump did not stream";
  load_dump(copy_, dump);
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM big"), 100001);
  EXPECT_EQ(query_integer(copy_, "SELECT length(v) FROM big WHERE id = 100001"), 200000);
}

TEST_F(DumpTest, SinkErrorStopsTheDumpAndEndsItsTransaction) {
  source_.execute_script("CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  EXPECT_THROW(
      write_dump(source_, [](std::string_view) { throw Error(PrimaryCode::kAbort, "gone"); },
                 {.chunk_bytes = 8}),
      Error);
  EXPECT_TRUE(source_.is_autocommit());
}

TEST_F(DumpTest, Sqlite3ShellsDumpLoads) {
  if (!std::filesystem::exists(kSqliteCli)) GTEST_SKIP() << kSqliteCli << " is not installed";
  source_.execute_script(
      "CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT, w REAL);"
      "INSERT INTO a(v, w) VALUES ('x''y', 1.5), ('line\nbreak', NULL), (NULL, 0.1);"
      "CREATE TABLE \"b c\"(k PRIMARY KEY, v) WITHOUT ROWID; INSERT INTO \"b c\" VALUES (1, X'00');"
      "CREATE INDEX a_v ON a(v); CREATE VIEW av AS SELECT v FROM a;"
      "CREATE TRIGGER a_t AFTER DELETE ON a BEGIN DELETE FROM \"b c\"; END;");
  load_dump(copy_, cli_dump(source_path_));
  EXPECT_EQ(contents(copy_), contents(source_));
}

// ---------------------------------------------------------------------------------------
// Loading: sqld's checks and messages (libsql-server/tests/namespaces/dumps.rs)

class DumpLoadTest : public DumpTest {
 protected:
  void SetUp() override {
    copy_.execute_script("CREATE TABLE existing(x); INSERT INTO existing VALUES ('kept')");
    before_ = contents(copy_);
  }
  void expect_unchanged() { EXPECT_EQ(contents(copy_), before_) << "a failed load left changes"; }

  std::string before_;
};

TEST_F(DumpLoadTest, SqldsDumpLoads) {
  load_dump(copy_,
            "\n        PRAGMA foreign_keys=OFF;\n    BEGIN TRANSACTION;\n    CREATE TABLE test "
            "(x);\n    INSERT INTO test VALUES(42);\n    COMMIT;");
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM test"), 1);
  EXPECT_TRUE(copy_.is_autocommit());
}

TEST_F(DumpLoadTest, TriggerWithStatementsInItsBodyLoads) {
  load_dump(copy_,
            "BEGIN TRANSACTION;\nCREATE TABLE test (x);\nCREATE TRIGGER simple_trigger\n"
            "AFTER INSERT ON test\nBEGIN\n    INSERT INTO test VALUES (999);\nEND;\n"
            "INSERT INTO test VALUES (1);\nCOMMIT;");
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM test"), 2);
}

TEST_F(DumpLoadTest, MissingBeginIsRefused) {
  EXPECT_EQ(load_error(copy_,
                       "PRAGMA foreign_keys=OFF;\nCREATE TABLE test (x);\n"
                       "INSERT INTO test VALUES(42);\nCOMMIT;\n",
                       DumpErrorKind::kNoTransaction),
            "A dump should execute within a transaction.");
  expect_unchanged();
  EXPECT_EQ(load_error(copy_, "CREATE TABLE test (x);", DumpErrorKind::kNoTransaction),
            "A dump should execute within a transaction.");
  expect_unchanged();
  EXPECT_EQ(query_integer(copy_, "PRAGMA foreign_keys"), 1);
}

TEST_F(DumpLoadTest, MissingCommitIsRefused) {
  EXPECT_EQ(load_error(copy_,
                       "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE test (x);\n"
                       "INSERT INTO test VALUES(42);\n",
                       DumpErrorKind::kNoCommit),
            "The dump should commit the transaction.");
  expect_unchanged();
  EXPECT_EQ(load_error(copy_, "BEGIN;\nINSERT INTO existing VALUES (1);\nROLLBACK;",
                       DumpErrorKind::kNoCommit),
            "The dump should commit the transaction.");
  expect_unchanged();
}

TEST_F(DumpLoadTest, StatementsAfterTheCommitAreRefusedWithEverythingBeforeThem) {
  EXPECT_EQ(load_error(copy_,
                       "BEGIN;\nINSERT INTO existing VALUES (1);\nCOMMIT;\n"
                       "INSERT INTO existing VALUES (2);\n",
                       DumpErrorKind::kNoTransaction),
            "A dump should execute within a transaction.");
  expect_unchanged();
}

TEST_F(DumpLoadTest, AttachAndDetachAreRefusedAnywhere) {
  constexpr std::string_view kMessage =
      "The passed dump sql is invalid: attach statements are not allowed in dumps";
  EXPECT_EQ(load_error(copy_,
                       "\n        PRAGMA foreign_keys=OFF;\n    BEGIN TRANSACTION;\n    CREATE "
                       "TABLE test (x);\n    INSERT INTO test VALUES(42);\n    ATTACH "
                       "foo/bar.sql\n    COMMIT;",
                       DumpErrorKind::kInvalidSql),
            kMessage);
  EXPECT_EQ(load_error(copy_, "BEGIN; ATTACH 'x.db' AS x; COMMIT;", DumpErrorKind::kInvalidSql),
            kMessage);
  EXPECT_EQ(load_error(copy_, "BEGIN; DETACH x; COMMIT;", DumpErrorKind::kInvalidSql), kMessage);
  expect_unchanged();
  // Only statements count, unlike sqld's search of the whole text for "attach".
  load_dump(copy_, "BEGIN; INSERT INTO existing VALUES ('attach me'); COMMIT;");
  EXPECT_EQ(query_integer(copy_, "SELECT count(*) FROM existing"), 2);
}

TEST_F(DumpLoadTest, SyntaxErrorMidDumpNamesItsPlaceAndLeavesTheTargetUnchanged) {
  EXPECT_EQ(load_error(copy_,
                       "\n        PRAGMA foreign_keys=OFF;\n    BEGIN TRANSACTION;\n    CREATE "
                       "TABLE test (x);\n    INSERT INTO test VALUES(42);\n    SELECT "
                       "abs(-9223372036854775808) \n    COMMIT;",
                       DumpErrorKind::kInvalidSql),
            "The passed dump sql is invalid: syntax error near 'COMMIT' at line 7, column 11");
  expect_unchanged();
  EXPECT_EQ(query_integer(copy_, "PRAGMA foreign_keys"), 1);
}

TEST_F(DumpLoadTest, FailingStatementRollsBackEverything) {
  EXPECT_EQ(load_error(copy_,
                       "BEGIN;\nINSERT INTO existing VALUES (1);\nCREATE TABLE u(x UNIQUE);\n"
                       "INSERT INTO u VALUES (1);\nINSERT INTO u VALUES (1);\nCOMMIT;",
                       DumpErrorKind::kInternal),
            "Internal error: statement: 5, error: UNIQUE constraint failed: u.x");
  expect_unchanged();
  // SQLite's refusals that point into the statement are "invalid", as in sqld.
  EXPECT_EQ(
      load_error(copy_, "BEGIN;\nSELECT zz FROM existing;\nCOMMIT;", DumpErrorKind::kInvalidSql),
      "The passed dump sql is invalid: msg: no such column: zz, sql: SELECT zz FROM "
      "existing, offset: 7");
  EXPECT_EQ(load_error(copy_, "BEGIN;\nINSERT INTO missing VALUES (1);\nCOMMIT;",
                       DumpErrorKind::kInternal),
            "Internal error: statement: 2, error: no such table: missing");
  EXPECT_EQ(load_error(copy_, "BEGIN;\nBEGIN;\nCOMMIT;", DumpErrorKind::kInternal),
            "Internal error: statement: 2, error: cannot start a transaction within a "
            "transaction");
  expect_unchanged();
  EXPECT_TRUE(copy_.is_autocommit());
}

TEST_F(DumpLoadTest, EmptyDumpDoesNothing) {
  load_dump(copy_, "  -- nothing here\n ; ");
  expect_unchanged();
}

}  // namespace
}  // namespace libsql::sql
