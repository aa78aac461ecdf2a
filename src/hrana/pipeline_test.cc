// pipeline_test.cc: whole pipeline and cursor bodies, as clients receive them.

#include "hrana/pipeline.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "hrana/json_reader.h"
#include "tests/support/temp_dir.h"

namespace libsql::hrana {
namespace {

namespace bj = boost::json;

class PipelineTest : public ::testing::Test {
 protected:
  bj::value pipeline(const std::string& body, Version version = Version::kHrana3) {
    return bj::parse(
        run_json_pipeline(streams_, json::parse_pipeline_request(body), version, {}, {}));
  }

  testing::TempDir dir_;
  engine::ConnectionPool pool_{engine::Database(dir_.file("p.db")), 8};
  HttpStreams streams_{pool_};
};

TEST_F(PipelineTest, EveryRequestGetsAResultEvenAfterAFailure) {
  const bj::value response = pipeline(
      R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT nope"}},{"type":"execute","stmt":{"sql":"SELECT 1"}},)"
      R"({"type":"close"}]})");
  const auto& results = response.at("results").as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("type").as_string(), "error");
  EXPECT_EQ(results[1].at("type").as_string(), "ok");
  EXPECT_EQ(results[1].at("response").at("type").as_string(), "execute");
  EXPECT_EQ(results[2].at("response").at("type").as_string(), "close");
  EXPECT_TRUE(response.at("baton").is_null()) << "closed streams have no baton";
  EXPECT_TRUE(response.at("base_url").is_null());
}

TEST_F(PipelineTest, AnInteractiveTransactionSpansRequests) {
  pipeline(
      R"json({"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE t(x)"}},{"type":"close"}]})json");
  const bj::value first = pipeline(
      R"json({"requests":[{"type":"execute","stmt":{"sql":"BEGIN"}},{"type":"execute","stmt":{"sql":"INSERT INTO t VALUES (1)"}},)json"
      R"({"type":"get_autocommit"}]})");
  EXPECT_FALSE(first.at("results").at(2).at("response").at("is_autocommit").as_bool());
  const std::string baton(first.at("baton").as_string());
  const bj::value second = pipeline(
      R"({"baton":")" + baton +
      R"json(","requests":[{"type":"execute","stmt":{"sql":"SELECT count(*) FROM t"}},)json"
      R"({"type":"execute","stmt":{"sql":"ROLLBACK"}},{"type":"close"}]})");
  EXPECT_EQ(second.at("results")
                .at(0)
                .at("response")
                .at("result")
                .at("rows")
                .at(0)
                .at(0)
                .at("value")
                .as_string(),
            "1")
      << "the stream sees its own uncommitted write";
  const bj::value after = pipeline(
      R"json({"requests":[{"type":"execute","stmt":{"sql":"SELECT count(*) FROM t"}}]})json");
  EXPECT_EQ(after.at("results")
                .at(0)
                .at("response")
                .at("result")
                .at("rows")
                .at(0)
                .at(0)
                .at("value")
                .as_string(),
            "0");
}

TEST_F(PipelineTest, RequestsAfterCloseNeedingTheStreamFailTheWholePipeline) {
  try {
    pipeline(R"({"requests":[{"type":"close"},{"type":"execute","stmt":{"sql":"SELECT 1"}}]})");
    FAIL() << "execute after close must fail";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "Stream for this baton was closed");
  }
  const bj::value stored =
      pipeline(R"({"requests":[{"type":"close"},{"type":"store_sql","sql_id":1,"sql":"x"},)"
               R"({"type":"close_sql","sql_id":1}]})");
  EXPECT_EQ(stored.at("results").at(1).at("type").as_string(), "ok") << "stored SQL still works";
}

TEST_F(PipelineTest, Hrana3OnlyRequestsAreRefusedOnV2) {
  try {
    pipeline(R"({"requests":[{"type":"get_autocommit"}]})", Version::kHrana2);
    FAIL() << "get_autocommit is Hrana 3";
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(
        e.what(),
        "The `get_autocommit` request is only supported in protocol version hrana3 and higher");
  }
}

TEST_F(PipelineTest, StoredSqlIsPerStream) {
  const bj::value first =
      pipeline(R"({"requests":[{"type":"store_sql","sql_id":1,"sql":"SELECT 11"},)"
               R"({"type":"execute","stmt":{"sql_id":1}}]})");
  EXPECT_EQ(first.at("results")
                .at(1)
                .at("response")
                .at("result")
                .at("rows")
                .at(0)
                .at(0)
                .at("value")
                .as_string(),
            "11");
  EXPECT_THROW(pipeline(R"({"requests":[{"type":"execute","stmt":{"sql_id":1}}]})"), ProtocolError)
      << "a new stream has no stored SQL";
}

TEST_F(PipelineTest, ACursorStreamsEntriesAfterTheBatonLine) {
  const std::string body = run_json_cursor(
      streams_,
      json::parse_cursor_request(
          R"({"batch":{"steps":[{"stmt":{"sql":"SELECT 1 AS one UNION ALL SELECT 2"}},)"
          R"({"stmt":{"sql":"SELECT nope"}}]}})"),
      {});
  std::vector<bj::value> lines;
  std::size_t start = 0;
  for (std::size_t end = body.find('\n'); end != std::string::npos; end = body.find('\n', start)) {
    lines.push_back(bj::parse(std::string_view(body).substr(start, end - start)));
    start = end + 1;
  }
  EXPECT_EQ(start, body.size()) << "every entry ends with a newline";
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_TRUE(lines[0].at("baton").is_string());
  EXPECT_EQ(lines[1].at("type").as_string(), "step_begin");
  EXPECT_EQ(lines[1].at("cols").at(0).at("name").as_string(), "one");
  EXPECT_EQ(lines[2].at("type").as_string(), "row");
  EXPECT_EQ(lines[3].at("type").as_string(), "row");
  EXPECT_EQ(lines[4].at("type").as_string(), "step_end");
  EXPECT_EQ(lines[5].at("type").as_string(), "step_error");
  EXPECT_EQ(lines[5].at("step").as_int64(), 1);
}

TEST_F(PipelineTest, V1ExecuteAnswersWithTheResultOrTheError) {
  Stmt stmt;
  stmt.sql = "SELECT 42";
  auto ok = run_v1_execute(pool_, stmt, {}, {});
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(bj::parse(ok.body).at("result").at("rows").at(0).at(0).at("value").as_string(), "42");
  stmt.sql = "SELECT nope";
  auto failed = run_v1_execute(pool_, stmt, {}, {});
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(bj::parse(failed.body).at("code").as_string(), "SQL_INPUT_ERROR");
}

}  // namespace
}  // namespace libsql::hrana
