// statement_test.cc: script splitting (sqlite3_complete's rules) and the classification
// of statements drawn from SQLite's syntax diagrams and libSQL's extensions.

#include "sql/statement.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace libsql::sql {

// Lets GoogleTest print kinds by name (found by argument-dependent lookup).
void PrintTo(StatementKind kind, std::ostream* os) { *os << to_string(kind); }

namespace {

using K = StatementKind;

// The text of each statement split_statements() finds in `sql`.
std::vector<std::string> split(std::string_view sql) {
  std::vector<std::string> out;
  for (const StatementSpan& span : split_statements(sql)) out.emplace_back(span.text(sql));
  return out;
}

using Texts = std::vector<std::string>;

// ---------------------------------------------------------------------------------------
// split_statements

TEST(SplitStatements, NoStatementsInEmptyInput) {
  EXPECT_TRUE(split_statements("").empty());
  EXPECT_TRUE(split_statements(" \n\t ").empty());
  EXPECT_TRUE(split_statements(";").empty());
  EXPECT_TRUE(split_statements(" ; ;; ").empty());
  EXPECT_TRUE(split_statements("-- a comment\n; /* another */ ;").empty());
  EXPECT_TRUE(split_statements("/* unterminated ; comment").empty());
}

TEST(SplitStatements, SplitsAtSemicolonsAndTrimsTrivia) {
  EXPECT_EQ(split("SELECT 1; SELECT 2"), (Texts{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 1;"), (Texts{"SELECT 1"}));
  EXPECT_EQ(split("  SELECT 1  ;\n\n  SELECT 2 ;  "), (Texts{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(split("/* lead */ SELECT 1 /* trail */; -- c\nSELECT 2 -- end"),
            (Texts{"SELECT 1", "SELECT 2"}));
}

TEST(SplitStatements, ReportsExactByteRanges) {
  const std::string_view sql = " SELECT 1 ;;\nDELETE FROM t";
  const std::vector<StatementSpan> spans = split_statements(sql);
  const std::vector<StatementSpan> expected = {{1, 8}, {13, 13}};
  EXPECT_EQ(spans, expected);
  EXPECT_EQ(spans[1].end(), sql.size());
}

TEST(SplitStatements, SkipsEmptyStatementsBetweenOthers) {
  EXPECT_EQ(split(";;SELECT 1;;; ;SELECT 2;;"), (Texts{"SELECT 1", "SELECT 2"}));
}

TEST(SplitStatements, SemicolonsInsideStringsNamesAndCommentsDoNotSplit) {
  EXPECT_EQ(split("SELECT ';'; SELECT \"a;b\"; SELECT [c;d]; SELECT `e;f`"),
            (Texts{"SELECT ';'", "SELECT \"a;b\"", "SELECT [c;d]", "SELECT `e;f`"}));
  EXPECT_EQ(split("SELECT 1 -- ; not a split\n, 2; SELECT 3"),
            (Texts{"SELECT 1 -- ; not a split\n, 2", "SELECT 3"}));
  EXPECT_EQ(split("SELECT 1 /* ; */ + 2; SELECT 3"), (Texts{"SELECT 1 /* ; */ + 2", "SELECT 3"}));
  EXPECT_EQ(split("SELECT 'it''s; fine'; SELECT 2"), (Texts{"SELECT 'it''s; fine'", "SELECT 2"}));
}

TEST(SplitStatements, UnterminatedTokensRunToTheEnd) {
  EXPECT_EQ(split("SELECT 'a; SELECT 2"), (Texts{"SELECT 'a; SELECT 2"}));
  EXPECT_EQ(split("SELECT \"a; SELECT 2"), (Texts{"SELECT \"a; SELECT 2"}));
  EXPECT_EQ(split("SELECT [a; SELECT 2"), (Texts{"SELECT [a; SELECT 2"}));
  EXPECT_EQ(split("SELECT 1; /* SELECT 2;"), (Texts{"SELECT 1"}));
}

TEST(SplitStatements, TriggerBodyKeepsItsSemicolons) {
  const std::string trigger =
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO a VALUES (1); "
      "UPDATE b SET x = 1; END";
  EXPECT_EQ(split(trigger + "; SELECT 1"), (Texts{trigger, "SELECT 1"}));
  EXPECT_EQ(split(trigger), (Texts{trigger}));
  EXPECT_EQ(split(trigger + ";"), (Texts{trigger}));
}

TEST(SplitStatements, TriggerVariants) {
  for (const std::string trigger :
       {"CREATE TEMP TRIGGER tr BEFORE DELETE ON t BEGIN DELETE FROM u; END",
        "CREATE TEMPORARY TRIGGER IF NOT EXISTS main.tr INSTEAD OF INSERT ON v FOR EACH ROW "
        "BEGIN INSERT INTO t VALUES (new.a); END",
        "create trigger tr after update of a on t when new.a > 0 begin select 1; end",
        "EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END",
        "EXPLAIN QUERY PLAN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "CREATE TRIGGER tr AFTER DELETE ON t BEGIN DELETE FROM u;END",
        "CREATE TRIGGER tr AFTER DELETE ON t BEGIN SELECT 1; /* c */ END -- c\n"}) {
    const std::string trimmed = trigger.substr(0, trigger.find(" -- c"));
    EXPECT_EQ(split(trigger + ";SELECT 9;"), (Texts{trimmed, "SELECT 9"})) << trigger;
  }
}

TEST(SplitStatements, CaseEndInsideATriggerDoesNotEndIt) {
  const std::string trigger =
      "CREATE TRIGGER tr BEFORE UPDATE ON t "
      "WHEN CASE WHEN new.a IS NULL THEN 1 ELSE 0 END "
      "BEGIN SELECT CASE WHEN new.a < 0 THEN RAISE(ABORT, 'negative') END; "
      "UPDATE u SET b = CASE a WHEN 1 THEN 2 END; END";
  EXPECT_EQ(split(trigger + "; INSERT INTO t VALUES (1)"),
            (Texts{trigger, "INSERT INTO t VALUES (1)"}));
}

TEST(SplitStatements, QuotedEndInsideATriggerDoesNotEndIt) {
  const std::string trigger =
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT '; END;'; SELECT \"end\"; "
      "SELECT [end]; SELECT 1 -- ; END;\n; END";
  EXPECT_EQ(split(trigger + "; SELECT 2"), (Texts{trigger, "SELECT 2"}));
}

TEST(SplitStatements, EndMustFollowASemicolonToCloseATrigger) {
  // ";;END" and "; END" close it; "x END" does not.
  const std::string trigger = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;; END";
  EXPECT_EQ(split(trigger + "; SELECT 2"), (Texts{trigger, "SELECT 2"}));
  EXPECT_EQ(split("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1 END; SELECT 2"),
            (Texts{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1 END; SELECT 2"}));
}

TEST(SplitStatements, UnfinishedTriggerSwallowsTheRestOfTheScript) {
  // Like sqlite3_complete(): the whole remainder is one (incomplete) statement, which
  // SQLite then refuses to prepare. The span keeps the trigger's trailing ';'.
  EXPECT_EQ(split("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; DELETE FROM t;"),
            (Texts{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; DELETE FROM t;"}));
}

TEST(SplitStatements, TriggerOnlyRightAfterCreateAndTemp) {
  EXPECT_EQ(split("CREATE TABLE trigger_log(a); SELECT 1"),
            (Texts{"CREATE TABLE trigger_log(a)", "SELECT 1"}));
  EXPECT_EQ(split("CREATE TABLE \"trigger\"(a); SELECT 1"),
            (Texts{"CREATE TABLE \"trigger\"(a)", "SELECT 1"}));
  EXPECT_EQ(split("CREATE VIEW v AS SELECT 1 AS \"trigger\"; SELECT 2"),
            (Texts{"CREATE VIEW v AS SELECT 1 AS \"trigger\"", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 1 AS create_trigger; SELECT 2"),
            (Texts{"SELECT 1 AS create_trigger", "SELECT 2"}));
}

TEST(SplitStatements, NulByteStaysInsideItsStatement) {
  using namespace std::string_literals;
  EXPECT_EQ(split("SELECT 1\0; SELECT 2"s), (Texts{"SELECT 1\0"s, "SELECT 2"}));
}

// ---------------------------------------------------------------------------------------
// classify: kinds and flags

struct Expected {
  std::string_view sql;
  StatementKind kind;
  bool read_only;
  bool iud = false;
  bool insert = false;
  bool ddl = false;
  bool temp = false;
};

void expect_classes(const std::vector<Expected>& cases) {
  for (const Expected& e : cases) {
    const StatementInfo info = classify(e.sql);
    EXPECT_EQ(to_string(info.kind), to_string(e.kind)) << e.sql;
    EXPECT_EQ(info.is_read_only, e.read_only) << "is_read_only of " << e.sql;
    EXPECT_EQ(info.is_iud, e.iud) << "is_iud of " << e.sql;
    EXPECT_EQ(info.is_insert, e.insert) << "is_insert of " << e.sql;
    EXPECT_EQ(info.is_ddl, e.ddl) << "is_ddl of " << e.sql;
    EXPECT_EQ(info.is_temp, e.temp) << "is_temp of " << e.sql;
    EXPECT_FALSE(info.has_error) << e.sql;
  }
}

TEST(Classify, QueriesAreReads) {
  expect_classes({
      {"SELECT 1", K::kSelect, true},
      {"select * from t where x = 'a;b'", K::kSelect, true},
      {"  /* comment */ SELECT 1 -- trailing", K::kSelect, true},
      {"SELECT DISTINCT a FROM t GROUP BY a HAVING count(*) > 1 ORDER BY 1 LIMIT 5 OFFSET 2",
       K::kSelect, true},
      {"SELECT a FROM t UNION ALL SELECT b FROM u EXCEPT SELECT c FROM v", K::kSelect, true},
      {"SELECT sum(x) OVER (PARTITION BY y ORDER BY z) FROM t WINDOW w AS (ORDER BY x)", K::kSelect,
       true},
      {"SELECT * FROM pragma_table_info('t')", K::kSelect, true},
      {"SELECT replace('a', 'b', 'c')", K::kSelect, true},
      {"VALUES (1, 2), (3, 4)", K::kSelect, true},
      {"\xef\xbb\xbfSELECT 1", K::kSelect, true},
  });
}

TEST(Classify, WritesAreIud) {
  expect_classes({
      {"INSERT INTO t VALUES (1)", K::kInsert, false, true, true},
      {"insert or replace into main.t(a) values (1)", K::kInsert, false, true, true},
      {"INSERT OR IGNORE INTO t DEFAULT VALUES", K::kInsert, false, true, true},
      {"INSERT OR ROLLBACK INTO t SELECT * FROM u RETURNING *", K::kInsert, false, true, true},
      {"INSERT INTO t(a) VALUES (1) ON CONFLICT(a) DO UPDATE SET a = excluded.a", K::kInsert, false,
       true, true},
      {"INSERT INTO t AS x VALUES (1) ON CONFLICT DO NOTHING", K::kInsert, false, true, true},
      {"REPLACE INTO t VALUES (1)", K::kReplace, false, true, true},
      {"UPDATE t SET a = 1 WHERE b = 2", K::kUpdate, false, true},
      {"UPDATE OR FAIL t SET a = 1", K::kUpdate, false, true},
      {"UPDATE t SET a = u.a FROM u WHERE t.id = u.id RETURNING a", K::kUpdate, false, true},
      {"DELETE FROM t", K::kDelete, false, true},
      {"DELETE FROM temp.t WHERE a = ?1 AND b = :b RETURNING a", K::kDelete, false, true},
  });
}

TEST(Classify, WithFindsTheMainStatementPastTheCteList) {
  expect_classes({
      {"WITH x AS (SELECT 1) SELECT * FROM x", K::kSelect, true},
      {"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) "
       "SELECT n FROM c",
       K::kSelect, true},
      {"WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (SELECT 2) SELECT * FROM a, b",
       K::kSelect, true},
      {"WITH x(a, b) AS (VALUES (1, 2)) VALUES (3)", K::kSelect, true},
      {"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", K::kInsert, false, true, true},
      {"WITH x AS (SELECT 1) REPLACE INTO t SELECT * FROM x", K::kReplace, false, true, true},
      {"WITH x AS (SELECT 1) UPDATE t SET a = (SELECT * FROM x)", K::kUpdate, false, true},
      {"WITH x AS (SELECT 1), y AS (SELECT 2) DELETE FROM t WHERE a IN x", K::kDelete, false, true},
      // Parentheses, quotes and verbs inside the CTEs do not confuse it.
      {"WITH x AS (SELECT ')' AS a, (SELECT 1) AS b) DELETE FROM t", K::kDelete, false, true},
      {"WITH x AS (SELECT 1 FROM (SELECT 2)) SELECT 3", K::kSelect, true},
      // A CTE may be named like a verb: REPLACE falls back to a name there.
      {"WITH replace AS (SELECT 1) SELECT * FROM replace", K::kSelect, true},
      {"WITH \"delete\" AS (SELECT 1) SELECT * FROM \"delete\"", K::kSelect, true},
      {"WITH 'x' AS (SELECT 1) SELECT * FROM x", K::kSelect, true},
  });
}

TEST(Classify, MalformedWithIsOther) {
  expect_classes({
      {"WITH x AS (SELECT 1", K::kOther, false},
      {"WITH x (SELECT 1) SELECT 2", K::kOther, false},
      {"WITH x AS SELECT 1", K::kOther, false},
      {"WITH x AS (SELECT 1) CREATE TABLE t(a)", K::kOther, false},
      {"WITH", K::kOther, false},
  });
}

TEST(Classify, CreateStatementsAreDdl) {
  expect_classes({
      {"CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT NOT NULL DEFAULT 'x')", K::kCreateTable, false,
       false, false, true},
      {"CREATE TABLE IF NOT EXISTS main.t(a)", K::kCreateTable, false, false, false, true},
      {"CREATE TABLE t AS SELECT 1", K::kCreateTable, false, false, false, true},
      {"CREATE TABLE t(a) STRICT, WITHOUT ROWID", K::kCreateTable, false, false, false, true},
      {"CREATE VIRTUAL TABLE f USING fts5(body)", K::kCreateVirtualTable, false, false, false,
       true},
      {"CREATE VIRTUAL TABLE IF NOT EXISTS r USING rtree(id, x0, x1)", K::kCreateVirtualTable,
       false, false, false, true},
      {"CREATE INDEX i ON t(a)", K::kCreateIndex, false, false, false, true},
      {"CREATE UNIQUE INDEX IF NOT EXISTS i ON t(a COLLATE NOCASE DESC) WHERE a > 0",
       K::kCreateIndex, false, false, false, true},
      {"CREATE INDEX v_idx ON t(libsql_vector_idx(v, 'metric=cos'))", K::kCreateIndex, false, false,
       false, true},
      {"CREATE VIEW v AS SELECT 1", K::kCreateView, false, false, false, true},
      {"CREATE VIEW IF NOT EXISTS v(a, b) AS SELECT 1, 2", K::kCreateView, false, false, false,
       true},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END",
       K::kCreateTrigger, false, false, false, true},
      {"CREATE FUNCTION f LANGUAGE wasm AS 'x'", K::kCreateFunction, false, false, false, true},
  });
}

TEST(Classify, TempObjectsAreMarked) {
  expect_classes({
      {"CREATE TEMP TABLE t(a)", K::kCreateTable, false, false, false, true, true},
      {"CREATE TEMPORARY TABLE t(a)", K::kCreateTable, false, false, false, true, true},
      {"create temp table if not exists t as select 1", K::kCreateTable, false, false, false, true,
       true},
      {"CREATE TABLE temp.t(a)", K::kCreateTable, false, false, false, true, true},
      {"CREATE TABLE \"TEMP\".t(a)", K::kCreateTable, false, false, false, true, true},
      {"CREATE TEMP VIEW v AS SELECT 1", K::kCreateView, false, false, false, true, true},
      {"CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", K::kCreateTrigger, false,
       false, false, true, true},
      {"CREATE INDEX temp.i ON t(a)", K::kCreateIndex, false, false, false, true, true},
      {"CREATE VIRTUAL TABLE temp.f USING fts5(x)", K::kCreateVirtualTable, false, false, false,
       true, true},
      {"CREATE TABLE temporary.t(a)", K::kCreateTable, false, false, false, true, false},
      {"CREATE TABLE main.t(a)", K::kCreateTable, false, false, false, true, false},
  });
}

TEST(Classify, TempOnlyBeforeTableViewOrTrigger) {
  expect_classes({
      {"CREATE TEMP INDEX i ON t(a)", K::kOther, false},
      {"CREATE TEMP VIRTUAL TABLE f USING fts5(x)", K::kOther, false},
      {"CREATE TEMP FUNCTION f LANGUAGE wasm AS 'x'", K::kOther, false},
      {"CREATE foo", K::kOther, false},
      {"CREATE", K::kOther, false},
      {"CREATE UNIQUE TABLE t(a)", K::kOther, false},
      {"CREATE VIRTUAL t USING fts5(x)", K::kOther, false},
  });
}

TEST(Classify, DropStatementsAreDdl) {
  expect_classes({
      {"DROP TABLE t", K::kDropTable, false, false, false, true},
      {"DROP TABLE IF EXISTS main.t", K::kDropTable, false, false, false, true},
      {"DROP INDEX i", K::kDropIndex, false, false, false, true},
      {"DROP VIEW IF EXISTS v", K::kDropView, false, false, false, true},
      {"DROP TRIGGER temp.tr", K::kDropTrigger, false, false, false, true},
      {"DROP FUNCTION fib", K::kDropFunction, false, false, false, true},
      {"DROP FUNCTION IF EXISTS fib", K::kDropFunction, false, false, false, true},
      {"DROP COLUMN c", K::kOther, false},
  });
}

TEST(Classify, AlterTableIsDdl) {
  expect_classes({
      {"ALTER TABLE t RENAME TO u", K::kAlterTable, false, false, false, true},
      {"ALTER TABLE t RENAME COLUMN a TO b", K::kAlterTable, false, false, false, true},
      {"ALTER TABLE t RENAME a TO b", K::kAlterTable, false, false, false, true},
      {"ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x'", K::kAlterTable, false, false, false, true},
      {"ALTER TABLE main.t DROP COLUMN c", K::kAlterTable, false, false, false, true},
      {"ALTER TABLE t ALTER COLUMN c TO c INTEGER", K::kAlterTable, false, false, false, true},
      {"ALTER t RENAME TO u", K::kOther, false},
  });
}

TEST(Classify, TransactionControlCountsAsRead) {
  expect_classes({
      {"BEGIN", K::kBegin, true},
      {"BEGIN TRANSACTION", K::kBegin, true},
      {"BEGIN DEFERRED TRANSACTION t1", K::kBegin, true},
      {"begin immediate", K::kBegin, true},
      {"BEGIN EXCLUSIVE", K::kBegin, true},
      {"BEGIN READONLY", K::kBegin, true},
      {"BEGIN TRANSACTION READONLY", K::kBegin, true},
      {"COMMIT", K::kCommit, true},
      {"COMMIT TRANSACTION", K::kCommit, true},
      {"END", K::kCommit, true},
      {"END TRANSACTION", K::kCommit, true},
      {"ROLLBACK", K::kRollback, true},
      {"ROLLBACK TRANSACTION", K::kRollback, true},
      {"ROLLBACK TRANSACTION t1", K::kRollback, true},
      {"ROLLBACK TO sp", K::kRollbackTo, true},
      {"ROLLBACK TRANSACTION TO SAVEPOINT sp", K::kRollbackTo, true},
      {"ROLLBACK TRANSACTION t1 TO sp", K::kRollbackTo, true},
      {"SAVEPOINT sp", K::kSavepoint, true},
      {"RELEASE sp", K::kRelease, true},
      {"RELEASE SAVEPOINT sp", K::kRelease, true},
  });
}

TEST(Classify, AttachWritesDetachDoesNot) {
  expect_classes({
      {"ATTACH 'other.db' AS other", K::kAttach, false},
      {"ATTACH DATABASE ':memory:' AS m", K::kAttach, false},
      {"DETACH other", K::kDetach, true},
      {"DETACH DATABASE other", K::kDetach, true},
  });
}

TEST(Classify, PragmasReadOnlyWhenTheyOnlyQuery) {
  expect_classes({
      {"PRAGMA user_version", K::kPragma, true},
      {"PRAGMA main.user_version", K::kPragma, true},
      {"PRAGMA \"user_version\"", K::kPragma, true},
      {"PRAGMA USER_VERSION", K::kPragma, true},
      {"PRAGMA foreign_keys", K::kPragma, true},
      {"PRAGMA schema_version", K::kPragma, true},
      {"PRAGMA table_list", K::kPragma, true},
      {"PRAGMA integrity_check", K::kPragma, true},
      {"PRAGMA quick_check", K::kPragma, true},
      {"PRAGMA foreign_key_check", K::kPragma, true},
      {"PRAGMA database_list", K::kPragma, true},
      {"PRAGMA compile_options", K::kPragma, true},
      {"PRAGMA page_count", K::kPragma, true},
      {"PRAGMA data_version", K::kPragma, true},
      {"PRAGMA writable_schema", K::kPragma, true},
      {"PRAGMA table_info(t)", K::kPragma, true},
      {"PRAGMA main.table_xinfo('t')", K::kPragma, true},
      {"PRAGMA table_info = t", K::kPragma, true},
      {"PRAGMA index_list(t)", K::kPragma, true},
      {"PRAGMA index_info(i)", K::kPragma, true},
      {"PRAGMA index_xinfo(i)", K::kPragma, true},
      {"PRAGMA foreign_key_list(t)", K::kPragma, true},
      {"PRAGMA foreign_key_check(t)", K::kPragma, true},
      {"PRAGMA integrity_check(10)", K::kPragma, true},
      {"PRAGMA quick_check(t)", K::kPragma, true},
      {"PRAGMA table_list(t)", K::kPragma, true},
  });
}

TEST(Classify, PragmasThatSetOrActAreWrites) {
  expect_classes({
      {"PRAGMA user_version = 5", K::kPragma, false},
      // SQLite compiles even the query form as a write (OP_JournalMode).
      {"PRAGMA journal_mode", K::kPragma, false},
      {"PRAGMA journal_mode = WAL", K::kPragma, false},
      {"PRAGMA journal_mode(WAL)", K::kPragma, false},
      {"PRAGMA foreign_keys = ON", K::kPragma, false},
      {"PRAGMA query_only = 0", K::kPragma, false},
      {"PRAGMA writable_schema = 1", K::kPragma, false},
      {"PRAGMA cache_size = -2000", K::kPragma, false},
      {"PRAGMA schema_version = 10", K::kPragma, false},
      {"PRAGMA optimize", K::kPragma, false},
      {"PRAGMA optimize(0x10002)", K::kPragma, false},
      {"PRAGMA wal_checkpoint", K::kPragma, false},
      {"PRAGMA wal_checkpoint(TRUNCATE)", K::kPragma, false},
      {"PRAGMA incremental_vacuum", K::kPragma, false},
      {"PRAGMA incremental_vacuum(10)", K::kPragma, false},
      {"PRAGMA shrink_memory", K::kPragma, false},
      {"PRAGMA case_sensitive_like", K::kPragma, false},
      {"PRAGMA case_sensitive_like = 1", K::kPragma, false},
      {"PRAGMA no_such_pragma", K::kPragma, false},
  });
}

TEST(Classify, MaintenanceStatementsWrite) {
  expect_classes({
      {"VACUUM", K::kVacuum, false},
      {"VACUUM main", K::kVacuum, false},
      {"VACUUM INTO '/tmp/copy.db'", K::kVacuum, false},
      {"VACUUM main INTO 'copy.db'", K::kVacuum, false},
      {"ANALYZE", K::kAnalyze, false},
      {"ANALYZE main.t", K::kAnalyze, false},
      {"REINDEX", K::kReindex, false},
      {"REINDEX i", K::kReindex, false},
  });
}

TEST(Classify, ExplainRunsNothing) {
  expect_classes({
      {"EXPLAIN SELECT 1", K::kExplain, true},
      {"EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = 1", K::kExplain, true},
      {"EXPLAIN INSERT INTO t VALUES (1)", K::kExplain, true},
      {"EXPLAIN QUERY PLAN DELETE FROM t", K::kExplain, true},
      {"EXPLAIN CREATE TABLE t(a)", K::kExplain, true},
      {"EXPLAIN CREATE TEMP TABLE t(a)", K::kExplain, true},
      {"EXPLAIN VACUUM", K::kExplain, true},
      {"EXPLAIN PRAGMA user_version", K::kExplain, true},
      {"EXPLAIN WITH x AS (SELECT 1) DELETE FROM t", K::kExplain, true},
  });
}

TEST(Classify, ExplainOfASettingPragmaIsAWrite) {
  // SQLite applies flag pragmas while compiling them, so EXPLAIN does not stop them.
  expect_classes({
      {"EXPLAIN PRAGMA writable_schema = ON", K::kExplain, false},
      {"EXPLAIN QUERY PLAN PRAGMA query_only = 0", K::kExplain, false},
      {"EXPLAIN PRAGMA optimize", K::kExplain, false},
  });
}

TEST(Classify, MalformedExplainIsOther) {
  expect_classes({
      {"EXPLAIN", K::kOther, false},
      {"EXPLAIN QUERY PLAN", K::kOther, false},
      {"EXPLAIN EXPLAIN SELECT 1", K::kOther, false},
      {"EXPLAIN QUERY SELECT 1", K::kOther, false},
      {"EXPLAIN nonsense", K::kOther, false},
  });
}

TEST(Classify, EmptyStatementsAreReads) {
  expect_classes({
      {"", K::kEmpty, true},
      {"   ", K::kEmpty, true},
      {"-- only a comment", K::kEmpty, true},
      {";;", K::kEmpty, true},
      {"/* unterminated", K::kEmpty, true},
  });
}

TEST(Classify, UnknownStatementsAreOtherAndNotReadOnly) {
  expect_classes({
      {"foo bar", K::kOther, false},
      {"(SELECT 1)", K::kOther, false},
      {"\"SELECT\" 1", K::kOther, false},
      {"'SELECT' 1", K::kOther, false},
      {"INSERT t VALUES (1)", K::kOther, false},
      {"INSERT OR REPLACE t VALUES (1)", K::kOther, false},
      {"REPLACE t VALUES (1)", K::kOther, false},
      {"DELETE t", K::kOther, false},
      {"GRANT ALL ON t TO u", K::kOther, false},
      {"1", K::kOther, false},
  });
}

TEST(Classify, SkipsLeadingEmptyStatementsLikeSqlite) {
  // sqlite3_prepare() skips empty statements, so the first real one is what runs.
  expect_classes({
      {"; ; DELETE FROM t", K::kDelete, false, true},
      {"-- c\n;/* d */; INSERT INTO t VALUES (1)", K::kInsert, false, true, true},
  });
}

TEST(Classify, LooksOnlyAtTheFirstStatement) {
  expect_classes({
      {"SELECT 1; DELETE FROM t", K::kSelect, true},
      {"DELETE FROM t; SELECT 1", K::kDelete, false, true},
  });
}

TEST(Classify, FlagsTokensSqliteRefuses) {
  EXPECT_TRUE(classify("SELECT 'unterminated").has_error);
  EXPECT_TRUE(classify("SELECT 1 \x01").has_error);
  EXPECT_TRUE(classify("SELECT 12ab").has_error);
  EXPECT_TRUE(classify("SELECT [x").has_error);
  EXPECT_FALSE(classify("SELECT 1; SELECT 'unterminated").has_error)
      << "the error is in the second statement";
  EXPECT_EQ(classify("SELECT 'unterminated").kind, K::kSelect);
}

// ---------------------------------------------------------------------------------------
// classify: details

TEST(Classify, ExplainNamesWhatItExplains) {
  const StatementInfo plain = classify("EXPLAIN UPDATE t SET a = 1");
  EXPECT_EQ(plain.explained, K::kUpdate);
  EXPECT_FALSE(plain.explain_query_plan);
  EXPECT_EQ(plain.object_name, "t");

  const StatementInfo plan = classify("EXPLAIN QUERY PLAN SELECT 1");
  EXPECT_EQ(plan.explained, K::kSelect);
  EXPECT_TRUE(plan.explain_query_plan);

  EXPECT_EQ(classify("SELECT 1").explained, K::kEmpty) << "only EXPLAIN sets it";
  EXPECT_FALSE(classify("EXPLAIN QUERY PLAN").explain_query_plan);
}

TEST(Classify, BeginReportsItsMode) {
  struct Case {
    std::string_view sql;
    TransactionMode mode;
    LibsqlSyntax syntax;
  };
  for (const Case& c : std::vector<Case>{
           {"BEGIN", TransactionMode::kDeferred, LibsqlSyntax::kNone},
           {"BEGIN TRANSACTION", TransactionMode::kDeferred, LibsqlSyntax::kNone},
           {"BEGIN DEFERRED", TransactionMode::kDeferred, LibsqlSyntax::kNone},
           {"BEGIN IMMEDIATE TRANSACTION", TransactionMode::kImmediate, LibsqlSyntax::kNone},
           {"begin exclusive", TransactionMode::kExclusive, LibsqlSyntax::kNone},
           {"BEGIN READONLY", TransactionMode::kReadOnly, LibsqlSyntax::kBeginReadOnly},
           {"begin readonly transaction", TransactionMode::kReadOnly, LibsqlSyntax::kBeginReadOnly},
           // Stock SQLite reads this as a deferred transaction named READONLY: it runs
           // unchanged, but its intent (the JS client's read mode) is read-only.
           {"BEGIN TRANSACTION READONLY", TransactionMode::kReadOnly, LibsqlSyntax::kNone},
           {"BEGIN TRANSACTION readonly", TransactionMode::kReadOnly, LibsqlSyntax::kNone},
           {"BEGIN TRANSACTION \"READONLY\"", TransactionMode::kDeferred, LibsqlSyntax::kNone},
           {"BEGIN TRANSACTION t1", TransactionMode::kDeferred, LibsqlSyntax::kNone},
           {"BEGIN IMMEDIATE TRANSACTION READONLY", TransactionMode::kImmediate,
            LibsqlSyntax::kNone},
       }) {
    const StatementInfo info = classify(c.sql);
    EXPECT_EQ(info.kind, K::kBegin) << c.sql;
    EXPECT_EQ(to_string(info.transaction_mode), to_string(c.mode)) << c.sql;
    EXPECT_EQ(to_string(info.libsql_syntax), to_string(c.syntax)) << c.sql;
  }
}

TEST(Classify, FindsLibsqlOnlySyntax) {
  struct Case {
    std::string_view sql;
    LibsqlSyntax syntax;
  };
  for (const Case& c : std::vector<Case>{
           {"CREATE TABLE t(id) RANDOM ROWID", LibsqlSyntax::kRandomRowid},
           {"CREATE TABLE IF NOT EXISTS t(id INTEGER, v TEXT) random rowid",
            LibsqlSyntax::kRandomRowid},
           {"CREATE TABLE t(id) STRICT, RANDOM ROWID", LibsqlSyntax::kRandomRowid},
           {"CREATE TABLE t(id) RANDOM ROWID, STRICT", LibsqlSyntax::kRandomRowid},
           {"CREATE TABLE t(id) /* c */ RANDOM /* c */ ROWID", LibsqlSyntax::kRandomRowid},
           {"CREATE TABLE t(random, rowid_x)", LibsqlSyntax::kNone},
           {"CREATE TABLE t(a DEFAULT 'RANDOM ROWID')", LibsqlSyntax::kNone},
           {"CREATE TABLE t(random rowid)", LibsqlSyntax::kNone},
           {"CREATE TABLE t(a) WITHOUT ROWID", LibsqlSyntax::kNone},
           {"CREATE TABLE t AS SELECT random() rowid", LibsqlSyntax::kNone},
           {"ALTER TABLE t ALTER COLUMN c TO c INTEGER", LibsqlSyntax::kAlterColumn},
           {"alter table main.t alter column c to c text not null default 'x'",
            LibsqlSyntax::kAlterColumn},
           {"ALTER TABLE t RENAME COLUMN alter TO b", LibsqlSyntax::kNone},
           {"ALTER TABLE t ADD COLUMN c", LibsqlSyntax::kNone},
           {"BEGIN READONLY", LibsqlSyntax::kBeginReadOnly},
           {"CREATE FUNCTION IF NOT EXISTS fib LANGUAGE wasm AS X'0061736d'",
            LibsqlSyntax::kCreateFunction},
           {"DROP FUNCTION fib", LibsqlSyntax::kDropFunction},
           {"EXPLAIN CREATE TABLE t(id) RANDOM ROWID", LibsqlSyntax::kRandomRowid},
           {"EXPLAIN BEGIN READONLY", LibsqlSyntax::kBeginReadOnly},
           {"SELECT 'RANDOM ROWID'", LibsqlSyntax::kNone},
           {"CREATE TEMP FUNCTION f LANGUAGE wasm AS 'x'", LibsqlSyntax::kNone},
       }) {
    EXPECT_EQ(to_string(classify(c.sql).libsql_syntax), to_string(c.syntax)) << c.sql;
  }
}

TEST(Classify, NamesTheObjectItActsOn) {
  struct Case {
    std::string_view sql;
    std::string_view schema;
    std::string_view object;
  };
  for (const Case& c : std::vector<Case>{
           {"INSERT INTO t VALUES (1)", "", "t"},
           {"INSERT OR REPLACE INTO main.t(a) VALUES (1)", "main", "t"},
           {"REPLACE INTO \"my table\" VALUES (1)", "", "my table"},
           {"UPDATE OR IGNORE [s].`t``x` SET a = 1", "s", "t`x"},
           {"DELETE FROM 'quoted' WHERE 1", "", "quoted"},
           {"WITH x AS (SELECT 1) DELETE FROM aux.t", "aux", "t"},
           {"CREATE TABLE IF NOT EXISTS main.t(a)", "main", "t"},
           {"CREATE TEMP VIEW v AS SELECT 1", "", "v"},
           {"CREATE UNIQUE INDEX IF NOT EXISTS i ON t(a)", "", "i"},
           {"CREATE VIRTUAL TABLE temp.f USING fts5(x)", "temp", "f"},
           {"CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT 1; END", "", "tr"},
           {"CREATE FUNCTION fib LANGUAGE wasm AS 'x'", "", "fib"},
           {"DROP TABLE IF EXISTS main.t", "main", "t"},
           {"DROP INDEX i", "", "i"},
           {"ALTER TABLE aux.t RENAME TO u", "aux", "t"},
           {"SAVEPOINT \"sp 1\"", "", "sp 1"},
           {"RELEASE SAVEPOINT sp", "", "sp"},
           {"ROLLBACK TO SAVEPOINT sp", "", "sp"},
           {"ANALYZE main.t", "main", "t"},
           {"REINDEX i", "", "i"},
           {"VACUUM aux INTO 'copy.db'", "aux", ""},
           {"VACUUM INTO 'copy.db'", "", ""},
           {"SELECT * FROM t", "", ""},
       }) {
    const StatementInfo info = classify(c.sql);
    EXPECT_EQ(info.schema_name, c.schema) << c.sql;
    EXPECT_EQ(info.object_name, c.object) << c.sql;
  }
}

TEST(Classify, ReadsPragmaNameAndValue) {
  struct Case {
    std::string_view sql;
    std::string_view schema;
    std::string_view name;
    bool has_value;
    std::string_view value;
  };
  for (const Case& c : std::vector<Case>{
           {"PRAGMA user_version", "", "user_version", false, ""},
           {"PRAGMA Main.User_Version", "Main", "user_version", false, ""},
           {"PRAGMA user_version = 5", "", "user_version", true, "5"},
           {"PRAGMA user_version == 5", "", "user_version", true, "5"},
           {"PRAGMA cache_size = -2000", "", "cache_size", true, "-2000"},
           {"PRAGMA cache_size(-2000)", "", "cache_size", true, "-2000"},
           {"PRAGMA journal_mode = 'wal'", "", "journal_mode", true, "'wal'"},
           {"PRAGMA aux.table_info(\"t 1\")", "aux", "table_info", true, "\"t 1\""},
           {"PRAGMA table_info ( t ) ", "", "table_info", true, "t"},
           {"PRAGMA \"Foreign_Keys\" = on", "", "foreign_keys", true, "on"},
           {"PRAGMA foo = 1 -- comment", "", "foo", true, "1"},
       }) {
    const StatementInfo info = classify(c.sql);
    EXPECT_EQ(info.kind, K::kPragma) << c.sql;
    EXPECT_EQ(info.schema_name, c.schema) << c.sql;
    EXPECT_EQ(info.pragma_name, c.name) << c.sql;
    EXPECT_EQ(info.pragma_has_value, c.has_value) << c.sql;
    EXPECT_EQ(info.pragma_value, c.value) << c.sql;
  }
  const StatementInfo explained = classify("EXPLAIN PRAGMA foreign_keys = OFF");
  EXPECT_EQ(explained.pragma_name, "foreign_keys");
  EXPECT_EQ(explained.pragma_value, "OFF");
}

TEST(Classify, ReadsAttachTargetAndAlias) {
  struct Case {
    std::string_view sql;
    StatementKind kind;
    std::string_view target;
    std::string_view alias;
  };
  for (const Case& c : std::vector<Case>{
           {"ATTACH 'other.db' AS other", K::kAttach, "other.db", "other"},
           {"ATTACH DATABASE \"ns\" AS alias", K::kAttach, "ns", "alias"},
           {"ATTACH foo AS bar", K::kAttach, "foo", "bar"},
           {"attach database 'file:x.db?mode=ro' as \"x y\"", K::kAttach, "file:x.db?mode=ro",
            "x y"},
           {"ATTACH 'x.db' AS x KEY 'secret'", K::kAttach, "x.db", "x"},
           {"ATTACH 'a' || '.db' AS b", K::kAttach, "", "b"},
           {"ATTACH ? AS b", K::kAttach, "", "b"},
           {"ATTACH (SELECT 'x' AS y) AS z", K::kAttach, "", "z"},
           {"ATTACH 'x.db'", K::kAttach, "x.db", ""},
           {"DETACH other", K::kDetach, "", "other"},
           {"DETACH DATABASE \"x y\"", K::kDetach, "", "x y"},
       }) {
    const StatementInfo info = classify(c.sql);
    EXPECT_EQ(info.kind, c.kind) << c.sql;
    EXPECT_EQ(info.attach_target, c.target) << c.sql;
    EXPECT_EQ(info.attach_alias, c.alias) << c.sql;
  }
}

TEST(Classify, ClassifiesEachSplitStatementOfAScript) {
  const std::string_view script =
      "BEGIN; CREATE TABLE t(a); INSERT INTO t VALUES (1); "
      "CREATE TRIGGER tr AFTER DELETE ON t BEGIN INSERT INTO t VALUES (0); END; "
      "SELECT * FROM t; COMMIT;";
  std::vector<std::string> kinds;
  for (const StatementSpan& span : split_statements(script)) {
    kinds.emplace_back(to_string(classify(span.text(script)).kind));
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"kBegin", "kCreateTable", "kInsert", "kCreateTrigger",
                                             "kSelect", "kCommit"}));
}

TEST(Classify, KindNames) {
  EXPECT_EQ(to_string(K::kCreateVirtualTable), "kCreateVirtualTable");
  EXPECT_EQ(to_string(K::kRollbackTo), "kRollbackTo");
  EXPECT_EQ(to_string(TransactionMode::kReadOnly), "kReadOnly");
  EXPECT_EQ(to_string(LibsqlSyntax::kAlterColumn), "kAlterColumn");
}

}  // namespace
}  // namespace libsql::sql
