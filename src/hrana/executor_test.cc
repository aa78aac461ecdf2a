// executor_test.cc: statements and batches run with sqld's semantics, checked through
// the JSON that clients would receive.

#include "hrana/executor.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "hrana/json_reader.h"
#include "hrana/json_results.h"

namespace libsql::hrana {
namespace {

namespace bj = boost::json;

class ExecutorTest : public ::testing::Test {
 protected:
  // Runs `stmt` and returns the StmtResult, or {"error": Error} when it failed.
  bj::value execute(const Stmt& stmt, Version version = Version::kHrana3) {
    std::string out;
    json::StmtResultWriter writer(out, budget_);
    Executor(db_, sqls_, version).execute(stmt, writer);
    if (writer.error()) {
      std::string error;
      json::append_error(error, *writer.error());
      return bj::parse(R"({"error":)" + error + "}");
    }
    return bj::parse(out);
  }

  bj::value execute(const std::string& sql, std::vector<Value> args = {}) {
    Stmt stmt;
    stmt.sql = sql;
    stmt.args = std::move(args);
    return execute(stmt);
  }

  // Runs a batch given as JSON steps and returns the BatchResult, or {"batch_error":...}.
  bj::value batch(std::string_view steps_json, Version version = Version::kHrana3) {
    const Batch batch = json::parse_cursor_request(std::string(R"({"batch":{"steps":)") +
                                                   std::string(steps_json) + "}}")
                            .batch;
    std::string out;
    json::BatchResultWriter writer(out, batch.steps.size(), budget_);
    if (auto error = Executor(db_, sqls_, version).batch(batch, writer)) {
      std::string text;
      json::append_error(text, *error);
      return bj::parse(R"({"batch_error":)" + text + "}");
    }
    writer.finish();
    return bj::parse(out);
  }

  static std::string code_of(const bj::value& result) {
    return std::string(result.at("error").at("code").as_string());
  }
  static std::string message_of(const bj::value& result) {
    return std::string(result.at("error").at("message").as_string());
  }

  engine::Connection db_ = engine::Connection::open(":memory:");
  SqlStore sqls_{50, 5000};
  json::ResponseBudget budget_;
};

TEST_F(ExecutorTest, ExecuteReturnsColumnsRowsAndEveryKeySqldSends) {
  execute("CREATE TABLE t(x INT, y TEXT)");
  execute("INSERT INTO t VALUES (42, 'foo')");
  const bj::value result = execute("SELECT x, y, 1.5 AS z FROM t");
  EXPECT_EQ(
      bj::serialize(result.at("cols")),
      R"([{"name":"x","decltype":"INT"},{"name":"y","decltype":"TEXT"},{"name":"z","decltype":null}])");
  EXPECT_EQ(
      bj::serialize(result.at("rows")),
      R"([[{"type":"integer","value":"42"},{"type":"text","value":"foo"},{"type":"float","value":1.5E0}]])");
  for (const char* key : {"affected_row_count", "last_insert_rowid", "replication_index",
                          "rows_read", "rows_written", "query_duration_ms"}) {
    EXPECT_TRUE(result.as_object().contains(key)) << key;
  }
  EXPECT_EQ(result.at("affected_row_count").as_int64(), 0);
  EXPECT_TRUE(result.at("last_insert_rowid").is_null());
}

TEST_F(ExecutorTest, AffectedRowsAndLastRowidFollowTheStatementKind) {
  execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
  bj::value insert = execute("INSERT INTO t(v) VALUES (1)");
  EXPECT_EQ(insert.at("affected_row_count").as_int64(), 1);
  EXPECT_EQ(insert.at("last_insert_rowid").as_string(), "1");
  insert = execute("INSERT INTO t(v) VALUES (2), (3)");
  EXPECT_EQ(insert.at("affected_row_count").as_int64(), 2);
  EXPECT_EQ(insert.at("last_insert_rowid").as_string(), "3");
  const bj::value update = execute("UPDATE t SET v = v + 1");
  EXPECT_EQ(update.at("affected_row_count").as_int64(), 3);
  EXPECT_TRUE(update.at("last_insert_rowid").is_null()) << "clients keep their previous rowid";
  const bj::value select = execute("SELECT * FROM t");
  EXPECT_EQ(select.at("affected_row_count").as_int64(), 0) << "changes() is stale after a SELECT";
  const bj::value with_insert = execute("WITH n(x) AS (SELECT 9) INSERT INTO t(v) SELECT x FROM n");
  EXPECT_EQ(with_insert.at("last_insert_rowid").as_string(), "4");
  const bj::value deleted = execute("DELETE FROM t WHERE id > 2");
  EXPECT_EQ(deleted.at("affected_row_count").as_int64(), 2);
  EXPECT_TRUE(deleted.at("last_insert_rowid").is_null());
}

TEST_F(ExecutorTest, ReturningRowsComeBackEvenWithWantRowsFalse) {
  execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
  Stmt stmt;
  stmt.sql = "INSERT INTO t(v) VALUES ('a') RETURNING id, v";
  stmt.want_rows = false;
  const bj::value result = execute(stmt);
  EXPECT_EQ(result.at("rows").as_array().size(), 1u)
      << "sqld ignores want_rows and clients rely on it";
}

TEST_F(ExecutorTest, StatementErrorsHaveSqldsCodesAndMessages) {
  execute("CREATE TABLE t(x UNIQUE)");
  execute("INSERT INTO t VALUES (1)");
  bj::value result = execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(code_of(result), "SQLITE_CONSTRAINT");
  EXPECT_EQ(message_of(result), "SQLite error: UNIQUE constraint failed: t.x");
  result = execute("SELECT * FROM no_such_table");
  EXPECT_EQ(code_of(result), "SQLITE_UNKNOWN");
  EXPECT_EQ(message_of(result), "SQLite error: no such table: no_such_table");
  result = execute("SELECT no_such_function(1)");
  EXPECT_EQ(code_of(result), "SQL_INPUT_ERROR");
  EXPECT_EQ(message_of(result),
            "SQL input error: no such function: no_such_function (at offset 7)");
  result = execute("SELEC 1");
  EXPECT_EQ(code_of(result), "SQL_PARSE_ERROR");
  EXPECT_EQ(code_of(execute("SELECT 1; SELECT 2")), "SQL_MANY_STATEMENTS");
  EXPECT_EQ(code_of(execute("   -- only a comment")), "SQL_NO_STATEMENT");
  EXPECT_EQ(code_of(execute("")), "SQL_NO_STATEMENT");
  result = execute("SELECT ?", {1, 2});
  EXPECT_EQ(code_of(result), "ARGS_INVALID");
  EXPECT_EQ(message_of(result),
            "Arguments do not match SQL parameters: too many parameters, expected 1 found 2");
  result = execute("SELECT ?, ?", {1});
  EXPECT_EQ(message_of(result),
            "Arguments do not match SQL parameters: value for parameter 2 not found");
  Stmt both;
  both.sql = "SELECT ?";
  both.args = {1};
  both.named_args = {{"a", 1}};
  EXPECT_EQ(code_of(execute(both)), "ARGS_BOTH_POSITIONAL_AND_NAMED");
}

TEST_F(ExecutorTest, StatementsSqldDoesNotSupportAreRefusedAsItRefusesThem) {
  for (const char* sql :
       {"vacuum", "analyze", "pragma journal_mode=delete", "create temp table tt(x)",
        "attach 'other.db' as other", "pragma cache_size = 10", "pragma wal_checkpoint"}) {
    const bj::value result = execute(sql);
    EXPECT_EQ(code_of(result), "SQL_PARSE_ERROR") << sql;
    EXPECT_EQ(message_of(result),
              std::string("SQL string could not be parsed: unsupported statement: ") + sql);
  }
  for (const char* sql :
       {"pragma foreign_keys", "pragma foreign_keys = off", "pragma journal_mode",
        "pragma user_version = 3", "pragma table_info(sqlite_schema)", "explain select 1"}) {
    EXPECT_FALSE(execute(sql).as_object().contains("error")) << sql << " is allowed";
  }
}

TEST_F(ExecutorTest, NamedArgumentsMatchWithOrWithoutPrefix) {
  Stmt stmt;
  stmt.sql = "SELECT :a, @b, $c";
  stmt.named_args = {{"a", 1}, {"@b", 2}, {"c", 3}};
  const bj::value result = execute(stmt);
  EXPECT_EQ(
      bj::serialize(result.at("rows")),
      R"([[{"type":"integer","value":"1"},{"type":"integer","value":"2"},{"type":"integer","value":"3"}]])");
}

TEST_F(ExecutorTest, SqlIdsNeedAStoredTextAndHrana2) {
  ASSERT_FALSE(sqls_.store(7, "SELECT 7"));
  Stmt stmt;
  stmt.sql_id = 7;
  EXPECT_EQ(execute(stmt).at("rows").at(0).at(0).at("value").as_string(), "7");
  stmt.sql_id = 8;
  EXPECT_THROW(execute(stmt), ProtocolError);
  stmt.sql_id = 7;
  stmt.sql = "SELECT 1";
  try {
    execute(stmt);
    FAIL() << "sql and sql_id together must be refused";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "Either `sql` or `sql_id` are required, but not both");
  }
  Stmt neither;
  EXPECT_THROW(execute(neither), ProtocolError);
  Stmt old;
  old.sql_id = 7;
  try {
    execute(old, Version::kHrana1);
    FAIL() << "sql_id is not Hrana 1";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "`sql_id` is only supported in protocol version hrana2 and higher");
  }
}

TEST_F(ExecutorTest, SqlStoreLimitsAreClientErrorsAndDuplicatesProtocolErrors) {
  SqlStore small(2, 10);
  EXPECT_FALSE(small.store(1, "a"));
  EXPECT_THROW(small.store(1, "b"), ProtocolError);
  const auto too_large = small.store(2, std::string(11, 'x'));
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->code, "SQL_STORE_TOO_LARGE");
  EXPECT_FALSE(small.store(3, "c"));
  const auto too_many = small.store(4, "d");
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->code, "SQL_STORE_TOO_MANY");
  EXPECT_EQ(too_many->message, "The server already stores 2 SQL texts, it cannot store more");
  small.close(3);
  small.close(3);  // closing twice is fine
  EXPECT_FALSE(small.store(4, "d"));
}

TEST_F(ExecutorTest, BatchRunsClientStyleTransactions) {
  execute("CREATE TABLE t(x UNIQUE)");
  const bj::value result = batch(R"j([
      {"stmt":{"sql":"BEGIN"}},
      {"condition":{"type":"ok","step":0},"stmt":{"sql":"INSERT INTO t VALUES (1)"}},
      {"condition":{"type":"ok","step":1},"stmt":{"sql":"INSERT INTO t VALUES (1)"}},
      {"condition":{"type":"ok","step":2},"stmt":{"sql":"COMMIT"}},
      {"condition":{"type":"not","cond":{"type":"ok","step":3}},"stmt":{"sql":"ROLLBACK"}}])j");
  const auto& results = result.at("step_results").as_array();
  const auto& errors = result.at("step_errors").as_array();
  ASSERT_EQ(results.size(), 5u);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_TRUE(results[0].is_object());
  EXPECT_TRUE(results[1].is_object());
  EXPECT_TRUE(results[2].is_null());
  EXPECT_EQ(errors[2].at("code").as_string(), "SQLITE_CONSTRAINT");
  EXPECT_TRUE(results[3].is_null() && errors[3].is_null()) << "COMMIT skipped";
  EXPECT_TRUE(results[4].is_object()) << "ROLLBACK ran";
  EXPECT_TRUE(db_.is_autocommit());
  EXPECT_EQ(execute("SELECT count(*) FROM t").at("rows").at(0).at(0).at("value").as_string(), "0");
}

TEST_F(ExecutorTest, ConditionsFollowSqldsSemantics) {
  const bj::value result = batch(R"j([
      {"stmt":{"sql":"SELECT nope"}},
      {"condition":{"type":"error","step":0},"stmt":{"sql":"SELECT 1"}},
      {"condition":{"type":"ok","step":0},"stmt":{"sql":"SELECT 2"}},
      {"condition":{"type":"error","step":2},"stmt":{"sql":"SELECT 3"}},
      {"condition":{"type":"and","conds":[]},"stmt":{"sql":"SELECT 4"}},
      {"condition":{"type":"or","conds":[]},"stmt":{"sql":"SELECT 5"}},
      {"condition":{"type":"is_autocommit"},"stmt":{"sql":"SELECT 6"}}])j");
  const auto& results = result.at("step_results").as_array();
  EXPECT_TRUE(results[1].is_object()) << "error(0): step 0 failed";
  EXPECT_TRUE(results[2].is_null()) << "ok(0) is false";
  EXPECT_TRUE(results[3].is_object()) << "sqld: error(step) also holds for a skipped step";
  EXPECT_TRUE(results[4].is_object()) << "and [] is true";
  EXPECT_TRUE(results[5].is_null()) << "or [] is false";
  EXPECT_TRUE(results[6].is_object()) << "is_autocommit outside a transaction";
}

TEST_F(ExecutorTest, BatchProtocolRulesFailTheWholeRequest) {
  try {
    batch(
        R"j([{"stmt":{"sql":"SELECT 1"}},{"condition":{"type":"ok","step":1},"stmt":{"sql":"SELECT 2"}}])j");
    FAIL() << "a condition on its own step is invalid";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "Invalid reference to step in a batch condition");
  }
  try {
    batch(R"j([{"condition":{"type":"is_autocommit"},"stmt":{"sql":"SELECT 1"}}])j",
          Version::kHrana2);
    FAIL() << "is_autocommit needs Hrana 3";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "BatchCond of type `is_autocommit` is only supported in protocol version hrana3 "
                 "and higher");
  }
}

TEST_F(ExecutorTest, AStepThatIsNotOneStatementFailsTheBatchBeforeAnythingRuns) {
  execute("CREATE TABLE t(x)");
  const bj::value result = batch(
      R"j([{"stmt":{"sql":"INSERT INTO t VALUES (1)"}},{"stmt":{"sql":"SELECT 1; SELECT 2"}}])j");
  EXPECT_EQ(result.at("batch_error").at("code").as_string(), "SQL_MANY_STATEMENTS");
  EXPECT_EQ(execute("SELECT count(*) FROM t").at("rows").at(0).at(0).at("value").as_string(), "0");
}

TEST_F(ExecutorTest, ResponseTooLargeAbortsTheStatement) {
  budget_.max_bytes = 1000;
  const bj::value result = execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT i "
      "FROM n");
  EXPECT_EQ(code_of(result), "RESPONSE_TOO_LARGE");
  const bj::value batched = batch(
      R"j([{"stmt":{"sql":"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT i FROM n"}}])j");
  EXPECT_EQ(batched.at("batch_error").at("code").as_string(), "RESPONSE_TOO_LARGE");
}

TEST_F(ExecutorTest, SequenceRunsEveryStatementAndStopsAtTheFirstFailure) {
  Executor executor(db_, sqls_, Version::kHrana3);
  EXPECT_FALSE(
      executor.sequence(std::string("CREATE TABLE s(x); INSERT INTO s VALUES (1);"), std::nullopt));
  const auto error = executor.sequence(
      std::string(
          "INSERT INTO s VALUES (2); INSERT INTO nope VALUES (3); INSERT INTO s VALUES (4)"),
      std::nullopt);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "SQLITE_UNKNOWN");
  EXPECT_EQ(execute("SELECT group_concat(x) FROM s").at("rows").at(0).at(0).at("value").as_string(),
            "1,2");
  EXPECT_FALSE(executor.sequence(std::string(""), std::nullopt)) << "an empty sequence is fine";
}

TEST_F(ExecutorTest, DescribeReportsParametersColumnsAndFlags) {
  execute("CREATE TABLE t(x INT, y)");
  Executor executor(db_, sqls_, Version::kHrana3);
  auto outcome = executor.describe(
      std::string("SELECT x, y FROM t WHERE x = ? AND y = :name AND x > ?3"), std::nullopt);
  const auto& result = std::get<DescribeResult>(outcome);
  ASSERT_EQ(result.params.size(), 3u);
  EXPECT_FALSE(result.params[0]);
  EXPECT_EQ(result.params[1], ":name");
  EXPECT_EQ(result.params[2], "?3");
  ASSERT_EQ(result.cols.size(), 2u);
  EXPECT_EQ(result.cols[0].decltype_, "INT");
  EXPECT_FALSE(result.cols[1].decltype_);
  EXPECT_TRUE(result.is_readonly);
  EXPECT_FALSE(result.is_explain);
  outcome = executor.describe(std::string("INSERT INTO t VALUES (1, 2); SELECT 2"), std::nullopt);
  EXPECT_FALSE(std::get<DescribeResult>(outcome).is_readonly)
      << "only the first statement is described";
  outcome = executor.describe(std::string("EXPLAIN SELECT 1"), std::nullopt);
  EXPECT_TRUE(std::get<DescribeResult>(outcome).is_explain);
  outcome = executor.describe(std::string("SELEC 1"), std::nullopt);
  EXPECT_EQ(std::get<Error>(outcome).code, "SQL_INPUT_ERROR")
      << "describe reports SQLite's own prepare error";
}

TEST_F(ExecutorTest, DescribeRefusesWhatExecuteRefusesWithoutPreparingIt) {
  Executor executor(db_, sqls_, Version::kHrana3);
  // Preparing this pragma would set the process-wide heap limit: it must not happen.
  auto outcome = executor.describe(std::string("PRAGMA hard_heap_limit = 1"), std::nullopt);
  const auto& error = std::get<Error>(outcome);
  EXPECT_EQ(error.code, "SQL_PARSE_ERROR");
  EXPECT_NE(error.message.find("unsupported statement"), std::string::npos) << error.message;
  EXPECT_EQ(execute("PRAGMA hard_heap_limit").at("rows").at(0).at(0).at("value").as_string(), "0")
      << "the limit is untouched";
}

}  // namespace
}  // namespace libsql::hrana
