// json_reader_test.cc: decoding Hrana JSON requests, and refusing malformed ones.

#include "hrana/json_reader.h"

#include <gtest/gtest.h>

namespace libsql::hrana::json {
namespace {

// The message of the ProtocolError `body` raises as a pipeline request.
std::string pipeline_error(std::string_view body) {
  try {
    parse_pipeline_request(body);
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ProtocolError::Kind::kDecode);
    return e.what();
  }
  ADD_FAILURE() << "expected a protocol error for " << body;
  return "";
}

TEST(JsonReader, ReadsWhatClientHttpSends) {
  const auto request = parse_pipeline_request(
      R"({"requests":[{"type":"execute","stmt":{"sql":"select ? as a, :b","args":[{"type":"float","value":1},)"
      R"({"type":"text","value":"two"}],"named_args":[],"want_rows":true}},{"type":"close"}]})");
  EXPECT_FALSE(request.baton);
  ASSERT_EQ(request.requests.size(), 2u);
  const auto& stmt = std::get<ExecuteRequest>(request.requests[0]).stmt;
  EXPECT_EQ(stmt.sql, "select ? as a, :b");
  ASSERT_EQ(stmt.args.size(), 2u);
  EXPECT_EQ(stmt.args[0], Value(1.0)) << "JSON numbers are floats";
  EXPECT_EQ(stmt.args[1], Value("two"));
  EXPECT_TRUE(std::holds_alternative<CloseRequest>(request.requests[1]));
}

TEST(JsonReader, AcceptsExplicitNullsAsTheRustClientSends) {
  const auto request = parse_pipeline_request(
      R"({"baton":null,"requests":[{"type":"describe","sql":"select 1","sql_id":null,"replication_index":null},)"
      R"({"type":"batch","batch":{"steps":[{"condition":null,"stmt":{"sql":"SELECT 1;","sql_id":null,"args":[],)"
      R"("named_args":[],"want_rows":null,"replication_index":null}}],"replication_index":null}}]})");
  EXPECT_FALSE(request.baton);
  const auto& describe = std::get<DescribeRequest>(request.requests[0]);
  EXPECT_EQ(describe.sql, "select 1");
  EXPECT_FALSE(describe.sql_id);
  const auto& step = std::get<BatchRequest>(request.requests[1]).batch.steps.at(0);
  EXPECT_FALSE(step.condition);
  EXPECT_TRUE(step.stmt.want_rows) << "null want_rows means the default, true";
}

TEST(JsonReader, ReadsEveryValueType) {
  const auto request = parse_pipeline_request(
      R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"null"},)"
      R"({"type":"integer","value":"-9223372036854775808"},{"type":"integer","value":"+42"},)"
      R"({"type":"float","value":-0.5},{"type":"text","value":"t\u00e9"},{"type":"blob","base64":"AAE="},)"
      R"({"type":"blob","base64":"AAE"}]}}]})");
  const auto& args = std::get<ExecuteRequest>(request.requests[0]).stmt.args;
  ASSERT_EQ(args.size(), 7u);
  EXPECT_EQ(args[0], Value());
  EXPECT_EQ(args[1], Value(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(args[2], Value(42)) << "a leading + is allowed, as Rust's parser allows it";
  EXPECT_EQ(args[3], Value(-0.5));
  EXPECT_EQ(args[4], Value("té"));
  EXPECT_EQ(args[5], Value(Blob{0, 1})) << "padded base64";
  EXPECT_EQ(args[6], Value(Blob{0, 1})) << "unpadded base64";
}

TEST(JsonReader, ReadsConditionsAndStoredSql) {
  const auto request = parse_pipeline_request(
      R"({"baton":"abc","requests":[{"type":"store_sql","sql_id":3,"sql":"select 1"},{"type":"close_sql","sql_id":3},)"
      R"({"type":"batch","batch":{"steps":[{"stmt":{"sql_id":3}},{"condition":{"type":"and","conds":[)"
      R"({"type":"ok","step":0},{"type":"not","cond":{"type":"error","step":0}},{"type":"or","conds":[]},)"
      R"({"type":"is_autocommit"}]},"stmt":{"sql":"y"}}]}},{"type":"get_autocommit"},{"type":"sequence","sql":"s"}]})");
  EXPECT_EQ(request.baton, "abc");
  EXPECT_EQ(std::get<StoreSqlRequest>(request.requests[0]).sql_id, 3);
  EXPECT_EQ(std::get<CloseSqlRequest>(request.requests[1]).sql_id, 3);
  const auto& batch = std::get<BatchRequest>(request.requests[2]).batch;
  EXPECT_EQ(batch.steps[0].stmt.sql_id, 3);
  const auto& cond = *batch.steps[1].condition;
  EXPECT_EQ(cond.kind, BatchCond::Kind::kAnd);
  ASSERT_EQ(cond.conds.size(), 4u);
  EXPECT_EQ(cond.conds[1].kind, BatchCond::Kind::kNot);
  EXPECT_EQ(cond.conds[1].conds[0].kind, BatchCond::Kind::kError);
  EXPECT_EQ(cond.conds[3].kind, BatchCond::Kind::kIsAutocommit);
  EXPECT_TRUE(std::holds_alternative<GetAutocommitRequest>(request.requests[3]));
  EXPECT_EQ(std::get<SequenceRequest>(request.requests[4]).sql, "s");
}

TEST(JsonReader, NestsAsDeepAsSerdeAndNoDeeper) {
  const auto nested = [](int levels) {
    return std::string(levels, '[') + std::string(levels, ']');
  };
  // The document itself is one level: 126 more make serde's 127.
  EXPECT_TRUE(parse_pipeline_request(R"({"ignored":)" + nested(126) + R"(,"requests":[]})")
                  .requests.empty());
  for (const int levels : {127, 100'000}) {
    try {
      parse_pipeline_request(R"({"ignored":)" + nested(levels) + R"(,"requests":[]})");
      ADD_FAILURE() << levels << " levels were accepted";
    } catch (const ProtocolError& e) {
      EXPECT_STREQ(e.what(),
                   "Cannot deserialize client message from JSON: recursion limit exceeded");
    }
  }
}

TEST(JsonReader, IgnoresUnknownFields) {
  const auto request =
      parse_pipeline_request(R"({"requests":[{"type":"close","extra":1}],"future":{"x":[]}})");
  EXPECT_EQ(request.requests.size(), 1u);
}

TEST(JsonReader, RefusesMalformedRequestsInSerdesWords) {
  const std::string prefix = "Cannot deserialize client message from JSON: ";
  EXPECT_EQ(pipeline_error(R"({"requests":[{"type":"bogus"}]})"),
            prefix +
                "unknown variant `bogus`, expected one of `close`, `execute`, `batch`, `sequence`, "
                "`describe`, `store_sql`, `close_sql`, `get_autocommit`");
  EXPECT_EQ(pipeline_error(R"({"baton":null})"), prefix + "missing field `requests`");
  EXPECT_EQ(pipeline_error(R"({"requests":[{"type":"execute"}]})"),
            prefix + "missing field `stmt`");
  EXPECT_EQ(pipeline_error(R"({"requests":"nope"})"),
            prefix + "invalid type: string \"nope\", expected a sequence");
  EXPECT_EQ(pipeline_error(R"({"requests":[{"type":"execute","stmt":{"sql":1}}]})"),
            prefix + "invalid type: integer `1`, expected a string");
  EXPECT_NE(pipeline_error("{not json").find(prefix), std::string::npos);
  EXPECT_NE(pipeline_error("[]").find(prefix), std::string::npos);
  EXPECT_EQ(
      pipeline_error(
          R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"integer","value":"1.5"}]}}]})"),
      prefix + "invalid value: string \"1.5\", expected decimal integer as a string");
  EXPECT_EQ(
      pipeline_error(
          R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"integer","value":1}]}}]})"),
      prefix + "invalid type: integer `1`, expected a borrowed string")
      << "sqld takes integers only as strings";
  EXPECT_NE(
      pipeline_error(
          R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"integer","value":"9223372036854775808"}]}}]})")
          .find("expected decimal integer"),
      std::string::npos);
  EXPECT_NE(
      pipeline_error(
          R"({"requests":[{"type":"execute","stmt":{"sql":"x","args":[{"type":"blob","base64":"!!"}]}}]})")
          .find("base64"),
      std::string::npos);
  EXPECT_NE(pipeline_error(R"({"requests":[{"type":"store_sql","sql_id":4294967296,"sql":"x"}]})")
                .find("i32"),
            std::string::npos);
}

}  // namespace
}  // namespace libsql::hrana::json
