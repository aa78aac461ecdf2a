// proto_test.cc: pins the Hrana protobuf wire format of proto/*.proto with golden bytes.
//
// Client-to-server goldens are the bytes @libsql/hrana-client 0.10.0 itself writes; each says
// which of its encoders produced it. Server-to-client goldens were worked out by hand from the
// wire format and read back with the same client's decoders. proto/testdata/
// js_client_golden.cjs repeats both checks against the installed client; rerun it whenever a
// golden here changes. Field numbers: research/protocol.md §2, §3.5 and §10.

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "proto/hrana.pb.h"
#include "proto/hrana_http.pb.h"
#include "proto/hrana_ws.pb.h"

namespace libsql {
namespace {

// "10 01" -> the two bytes 0x10 0x01.
std::string Bytes(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    const int nibble = (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<char>(high << 4 | nibble));
      high = -1;
    }
  }
  return out;
}

// The inverse of Bytes(), so that a failed comparison prints readable hex.
std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// Deterministic serialization writes map entries in key order, which is the step order sqld
// uses for BatchResult; the default order of protobuf's C++ maps is unspecified.
std::string Wire(const google::protobuf::MessageLite& message) {
  std::string out;
  message.ByteSizeLong();  // SerializeWithCachedSizes needs the sizes computed first.
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&coded);
  }
  return out;
}

template <typename Message>
Message Parse(std::string_view hex) {
  Message message;
  EXPECT_TRUE(message.ParseFromString(Bytes(hex))) << "cannot parse " << hex;
  return message;
}

// message "boom", code "SQLITE_ERROR"
constexpr std::string_view kErrorBoom =
    "0a 04 62 6f 6f 6d 12 0c 53 51 4c 49 54 45 5f 45 52 52 4f 52";

hrana::Error ErrorBoom() {
  hrana::Error error;
  error.set_message("boom");
  error.set_code("SQLITE_ERROR");
  return error;
}

// ---------------------------------------------------------------------------------------------
// hrana: Value, Stmt, BatchCond (written by clients)

TEST(HranaValue, IntegerIsZigzagSint64InFieldTwo) {
  // From shared/protobuf_encode.js Value(-1n), cut out of an encoded Stmt.
  hrana::Value value;
  value.set_integer(-1);
  EXPECT_EQ(Hex(Wire(value)), "10 01") << "-1 must be zigzag-encoded, not 10 ff..ff 01";

  // From Value(-9223372036854775808n).
  constexpr std::string_view kMin = "10 ff ff ff ff ff ff ff ff ff 01";
  value.set_integer(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(Hex(Wire(value)), kMin);
  EXPECT_EQ(Parse<hrana::Value>(kMin).integer(), std::numeric_limits<std::int64_t>::min());
}

TEST(HranaValue, NullIsAnEmptyMessageInFieldOne) {
  // From shared/protobuf_encode.js Value(null).
  hrana::Value value;
  value.mutable_null();
  EXPECT_EQ(Hex(Wire(value)), "0a 00");
  EXPECT_EQ(Parse<hrana::Value>("0a 00").value_case(), hrana::Value::kNull);
}

TEST(HranaValue, FloatTextAndBlobMatchTheJsClient) {
  // From shared/protobuf_encode.js Value(1.5), Value("hello"), Value(Uint8Array[1, 2, 255]).
  hrana::Value value;
  value.set_float_(1.5);
  EXPECT_EQ(Hex(Wire(value)), "19 00 00 00 00 00 00 f8 3f");
  value.set_text("hello");
  EXPECT_EQ(Hex(Wire(value)), "22 05 68 65 6c 6c 6f");
  value.set_blob(std::string("\x01\x02\xff", 3));
  EXPECT_EQ(Hex(Wire(value)), "2a 03 01 02 ff");

  EXPECT_EQ(Parse<hrana::Value>("19 00 00 00 00 00 00 f8 3f").float_(), 1.5);
  EXPECT_EQ(Parse<hrana::Value>("22 05 68 65 6c 6c 6f").text(), "hello");
  EXPECT_EQ(Parse<hrana::Value>("2a 03 01 02 ff").blob(), std::string("\x01\x02\xff", 3));
}

TEST(HranaValue, EmptyMessageParsesWithNoTypeSoTheServerCanRejectIt) {
  // The JS client writes nothing for an undefined Value; sqld answers "Value type not
  // recognized". The schema cannot refuse it, so it must at least be visible.
  EXPECT_EQ(Parse<hrana::Value>("").value_case(), hrana::Value::VALUE_NOT_SET);
}

TEST(HranaStmt, MatchesJsClientWithArgsNamedArgsAndWantRows) {
  // From shared/protobuf_encode.js Stmt({sql: "SELECT ?, :x", args: [42n, "hi"],
  // namedArgs: [{name: ":x", value: null}], wantRows: true}).
  constexpr std::string_view kGolden =
      "0a 0c 53 45 4c 45 43 54 20 3f 2c 20 3a 78 1a 02 10 54 1a 04 22 02 68 69 "
      "22 08 0a 02 3a 78 12 02 0a 00 28 01";
  hrana::Stmt stmt;
  stmt.set_sql("SELECT ?, :x");
  stmt.add_args()->set_integer(42);
  stmt.add_args()->set_text("hi");
  hrana::NamedArg* named = stmt.add_named_args();
  named->set_name(":x");
  named->mutable_value()->mutable_null();
  stmt.set_want_rows(true);
  EXPECT_EQ(Hex(Wire(stmt)), kGolden);

  const auto parsed = Parse<hrana::Stmt>(kGolden);
  EXPECT_EQ(parsed.sql(), "SELECT ?, :x");
  EXPECT_FALSE(parsed.has_sql_id());
  ASSERT_EQ(parsed.args_size(), 2);
  EXPECT_EQ(parsed.args(0).integer(), 42);
  EXPECT_EQ(parsed.args(1).text(), "hi");
  ASSERT_EQ(parsed.named_args_size(), 1);
  EXPECT_EQ(parsed.named_args(0).name(), ":x");
  EXPECT_EQ(parsed.named_args(0).value().value_case(), hrana::Value::kNull);
  EXPECT_TRUE(parsed.has_want_rows());
  EXPECT_TRUE(parsed.want_rows());
  EXPECT_FALSE(parsed.has_replication_index());
}

TEST(HranaStmt, WantRowsFalseAndSqlIdKeepTheirPresence) {
  // From shared/protobuf_encode.js Stmt({sqlId: 3, args: [], namedArgs: [], wantRows: false}).
  // proto3 `optional` is what lets "false" differ from "absent, meaning true".
  hrana::Stmt stmt;
  stmt.set_sql_id(3);
  stmt.set_want_rows(false);
  EXPECT_EQ(Hex(Wire(stmt)), "10 03 28 00");

  const auto parsed = Parse<hrana::Stmt>("10 03 28 00");
  EXPECT_FALSE(parsed.has_sql());
  EXPECT_TRUE(parsed.has_sql_id());
  EXPECT_TRUE(parsed.has_want_rows());
  EXPECT_FALSE(parsed.want_rows());
  EXPECT_FALSE(Parse<hrana::Stmt>("").has_want_rows());
}

TEST(HranaStmt, SqldReplicationIndexExtensionIsFieldSix) {
  hrana::Stmt stmt;
  stmt.set_sql("x");
  stmt.set_replication_index(300);
  EXPECT_EQ(Hex(Wire(stmt)), "0a 01 78 30 ac 02");

  hrana::Batch batch;
  batch.set_replication_index(2);
  EXPECT_EQ(Hex(Wire(batch)), "10 02") << "Batch.replication_index is field 2";
}

TEST(HranaBatchCond, NotOkZeroKeepsTheZeroStep) {
  // From shared/protobuf_encode.js BatchCond({type: "not", cond: {type: "ok", step: 0}}), cut
  // out of an encoded Batch. A oneof member is written even when it is 0.
  hrana::BatchCond cond;
  cond.mutable_not_()->set_step_ok(0);
  EXPECT_EQ(Hex(Wire(cond)), "1a 02 08 00");

  const auto parsed = Parse<hrana::BatchCond>("1a 02 08 00");
  ASSERT_EQ(parsed.cond_case(), hrana::BatchCond::kNot);
  ASSERT_EQ(parsed.not_().cond_case(), hrana::BatchCond::kStepOk);
  EXPECT_EQ(parsed.not_().step_ok(), 0u);
}

TEST(HranaBatchCond, AndOrAndIsAutocommitMatchTheJsClient) {
  // From BatchCond({type: "and", conds: [{type: "ok", step: 1},
  // {type: "not", cond: {type: "is_autocommit"}}]}), what @libsql/client v3 batch() sends.
  constexpr std::string_view kAnd = "22 0a 0a 02 08 01 0a 04 1a 02 32 00";
  hrana::BatchCond and_cond;
  and_cond.mutable_and_()->add_conds()->set_step_ok(1);
  and_cond.mutable_and_()->add_conds()->mutable_not_()->mutable_is_autocommit();
  EXPECT_EQ(Hex(Wire(and_cond)), kAnd);
  const auto parsed = Parse<hrana::BatchCond>(kAnd);
  ASSERT_EQ(parsed.cond_case(), hrana::BatchCond::kAnd);
  ASSERT_EQ(parsed.and_().conds_size(), 2);
  EXPECT_EQ(parsed.and_().conds(1).not_().cond_case(), hrana::BatchCond::kIsAutocommit);

  // From BatchCond({type: "or", conds: [{type: "error", step: 2}]}).
  hrana::BatchCond or_cond;
  or_cond.mutable_or_()->add_conds()->set_step_error(2);
  EXPECT_EQ(Hex(Wire(or_cond)), "2a 04 0a 02 10 02");

  EXPECT_EQ(Parse<hrana::BatchCond>("").cond_case(), hrana::BatchCond::COND_NOT_SET);
}

// ---------------------------------------------------------------------------------------------
// hrana: results (written by the server, read by clients)

TEST(HranaStmtResult, WritesSpecFieldsThenSqldExtensions) {
  // Read by shared/protobuf_decode.js StmtResult as {cols: [{name: "x", decltype: "INT"}],
  // rows: [[1n, "a"]], affectedRowCount: 1, lastInsertRowid: 7n}; it skips fields 5..8.
  constexpr std::string_view kGolden =
      "0a 08 0a 01 78 12 03 49 4e 54 12 09 0a 02 10 02 0a 03 22 01 61 18 01 20 0e "
      "28 02 30 01 38 01 41 00 00 00 00 00 00 e0 3f";
  hrana::StmtResult result;
  hrana::Col* col = result.add_cols();
  col->set_name("x");
  col->set_decltype_("INT");
  hrana::Row* row = result.add_rows();
  row->add_values()->set_integer(1);
  row->add_values()->set_text("a");
  result.set_affected_row_count(1);
  result.set_last_insert_rowid(7);
  result.set_replication_index(2);
  result.set_rows_read(1);
  result.set_rows_written(1);
  result.set_query_duration_ms(0.5);
  EXPECT_EQ(Hex(Wire(result)), kGolden);

  const auto parsed = Parse<hrana::StmtResult>(kGolden);
  EXPECT_EQ(parsed.last_insert_rowid(), 7);
  EXPECT_EQ(parsed.replication_index(), 2u);
  EXPECT_EQ(parsed.query_duration_ms(), 0.5);
}

TEST(HranaStmtResult, AbsentLastInsertRowidIsNotWrittenAndZeroCountsAreOmitted) {
  hrana::StmtResult result;
  result.add_cols();  // a column without name or decltype
  EXPECT_EQ(Hex(Wire(result)), "0a 00");
  result.set_last_insert_rowid(0);
  EXPECT_EQ(Hex(Wire(result)), "0a 00 20 00") << "a present rowid 0 must stay on the wire";
}

TEST(HranaBatchResult, MapEntriesCarryTheStepIndexAndSkippedStepsAreAbsent) {
  // Step 0 succeeded with an empty result, step 1 failed, step 2 was skipped. Read by
  // shared/protobuf_decode.js BatchResult as stepResults {0 => ...}, stepErrors {1 => ...}.
  // Entries always hold both key and value, like sqld's hand-written vec_as_map encoder.
  const std::string golden = "0a 04 08 00 12 00 12 18 08 01 12 14 " + std::string(kErrorBoom);
  hrana::BatchResult result;
  (*result.mutable_step_results())[0];
  (*result.mutable_step_errors())[1] = ErrorBoom();
  EXPECT_EQ(Hex(Wire(result)), golden);

  const auto parsed = Parse<hrana::BatchResult>(golden);
  EXPECT_EQ(parsed.step_results().size(), 1u);
  EXPECT_TRUE(parsed.step_results().contains(0));
  ASSERT_TRUE(parsed.step_errors().contains(1));
  EXPECT_EQ(parsed.step_errors().at(1).code(), "SQLITE_ERROR");
  EXPECT_FALSE(parsed.step_results().contains(2));
  EXPECT_FALSE(parsed.step_errors().contains(2));
}

TEST(HranaBatchResult, DeterministicSerializationWritesStepsInOrder) {
  hrana::BatchResult result;
  for (std::uint32_t step : {2u, 0u, 1u}) {
    (*result.mutable_step_results())[step].set_affected_row_count(step + 1);
  }
  EXPECT_EQ(Hex(Wire(result)),
            "0a 06 08 00 12 02 18 01 0a 06 08 01 12 02 18 02 0a 06 08 02 12 02 18 03");
}

TEST(HranaError, CodeIsOptional) {
  hrana::Error error;
  error.set_message("boom");
  EXPECT_EQ(Hex(Wire(error)), "0a 04 62 6f 6f 6d");
  EXPECT_FALSE(Parse<hrana::Error>("0a 04 62 6f 6f 6d").has_code());
  EXPECT_EQ(Hex(Wire(ErrorBoom())), kErrorBoom);
}

TEST(HranaCursorEntry, RowStepBeginStepEndAndStepError) {
  // Read by shared/protobuf_decode.js CursorEntry as {type: "row", row: [1n, "a"]}.
  hrana::CursorEntry row;
  row.mutable_row()->add_values()->set_integer(1);
  row.mutable_row()->add_values()->set_text("a");
  EXPECT_EQ(Hex(Wire(row)), "22 09 0a 02 10 02 0a 03 22 01 61");

  // Read as {type: "step_begin", step: 0, cols: [{name: "x"}]}.
  hrana::CursorEntry begin;
  begin.mutable_step_begin()->add_cols()->set_name("x");
  EXPECT_EQ(Hex(Wire(begin)), "0a 05 12 03 0a 01 78");

  // Read as {type: "step_end", affectedRowCount: 1, lastInsertRowid: 2n}: hrana-client 0.10
  // decodes this sint64 as a uint64 (its bug); the spec and sqld say sint64.
  hrana::CursorEntry end;
  end.mutable_step_end()->set_affected_row_count(1);
  end.mutable_step_end()->set_last_insert_rowid(1);
  EXPECT_EQ(Hex(Wire(end)), "12 04 08 01 10 02");

  // Read as {type: "step_error", step: 2, error: {message: "boom", code: "SQLITE_ERROR"}}.
  hrana::CursorEntry step_error;
  step_error.mutable_step_error()->set_step(2);
  *step_error.mutable_step_error()->mutable_error() = ErrorBoom();
  EXPECT_EQ(Hex(Wire(step_error)), "1a 18 08 02 12 14 " + std::string(kErrorBoom));

  hrana::CursorEntry error;
  *error.mutable_error() = ErrorBoom();
  EXPECT_EQ(Hex(Wire(error)), "2a 14 " + std::string(kErrorBoom));
}

TEST(HranaCursorEntry, ReadsSqldReplicationIndexMarker) {
  // sqld's last cursor entry: prost's u64 message (field 1) in field 6; `None` is an empty
  // entry. Our server never sends it; our client must read Turso's sqld.
  const auto marker = Parse<hrana::CursorEntry>("32 02 08 05");
  ASSERT_EQ(marker.entry_case(), hrana::CursorEntry::kReplicationIndex);
  EXPECT_EQ(marker.replication_index().replication_index(), 5u);
  EXPECT_EQ(Parse<hrana::CursorEntry>("").entry_case(), hrana::CursorEntry::ENTRY_NOT_SET);
}

TEST(HranaDescribeResult, MatchesSpecFieldNumbers) {
  // Read by shared/protobuf_decode.js DescribeResult as {params: [{name: ":x"},
  // {name: undefined}], cols: [{name: "a", decltype: "TEXT"}], isExplain: false,
  // isReadonly: true}.
  hrana::DescribeResult result;
  result.add_params()->set_name(":x");
  result.add_params();
  hrana::DescribeCol* col = result.add_cols();
  col->set_name("a");
  col->set_decltype_("TEXT");
  result.set_is_readonly(true);
  EXPECT_EQ(Hex(Wire(result)), "0a 04 0a 02 3a 78 0a 00 12 09 0a 01 61 12 04 54 45 58 54 20 01");
}

// ---------------------------------------------------------------------------------------------
// hrana.http

TEST(HranaHttp, PipelineExecuteThenCloseFromTheJsClient) {
  // From http/protobuf_encode.js PipelineReqBody({baton: undefined, requests: [{type:
  // "execute", stmt: {sql: "SELECT 1", wantRows: true}}, {type: "close"}]}): what
  // @libsql/client sends for execute("SELECT 1") on a fresh stream.
  constexpr std::string_view kGolden =
      "12 10 12 0e 0a 0c 0a 08 53 45 4c 45 43 54 20 31 28 01 12 02 0a 00";
  const auto body = Parse<hrana::http::PipelineReqBody>(kGolden);
  EXPECT_FALSE(body.has_baton());
  ASSERT_EQ(body.requests_size(), 2);
  ASSERT_EQ(body.requests(0).request_case(), hrana::http::StreamRequest::kExecute);
  EXPECT_EQ(body.requests(0).execute().stmt().sql(), "SELECT 1");
  EXPECT_TRUE(body.requests(0).execute().stmt().want_rows());
  EXPECT_EQ(body.requests(1).request_case(), hrana::http::StreamRequest::kClose);

  hrana::http::PipelineReqBody built;
  hrana::Stmt* stmt = built.add_requests()->mutable_execute()->mutable_stmt();
  stmt->set_sql("SELECT 1");
  stmt->set_want_rows(true);
  built.add_requests()->mutable_close();
  EXPECT_EQ(Hex(Wire(built)), kGolden);
  EXPECT_EQ(Hex(Wire(body)), kGolden);
}

TEST(HranaHttp, PipelineWithBatonAndEveryOtherRequestTypeFromTheJsClient) {
  // From http/protobuf_encode.js PipelineReqBody({baton: "bt", requests: [
  //   {type: "batch", batch: {steps: [{stmt: BEGIN}, {condition: not(ok(0)), stmt: ROLLBACK}]}},
  //   {type: "sequence", sql: "x"}, {type: "describe", sqlId: 2},
  //   {type: "store_sql", sqlId: 2, sql: "y"}, {type: "close_sql", sqlId: 2},
  //   {type: "get_autocommit"}]}), both statements with wantRows: false.
  constexpr std::string_view kGolden =
      "0a 02 62 74 "
      "12 27 1a 25 0a 23 0a 0b 12 09 0a 05 42 45 47 49 4e 28 00 0a 14 0a 04 1a 02 08 00 12 0c "
      "0a 08 52 4f 4c 4c 42 41 43 4b 28 00 "
      "12 05 22 03 0a 01 78 "
      "12 04 2a 02 10 02 "
      "12 07 32 05 08 02 12 01 79 "
      "12 04 3a 02 08 02 "
      "12 02 42 00";
  const auto body = Parse<hrana::http::PipelineReqBody>(kGolden);
  EXPECT_EQ(body.baton(), "bt");
  ASSERT_EQ(body.requests_size(), 6);

  const hrana::Batch& batch = body.requests(0).batch().batch();
  ASSERT_EQ(batch.steps_size(), 2);
  EXPECT_FALSE(batch.steps(0).has_condition());
  EXPECT_EQ(batch.steps(0).stmt().sql(), "BEGIN");
  EXPECT_FALSE(batch.steps(0).stmt().want_rows());
  EXPECT_EQ(batch.steps(1).condition().not_().step_ok(), 0u);
  EXPECT_EQ(batch.steps(1).stmt().sql(), "ROLLBACK");

  EXPECT_EQ(body.requests(1).sequence().sql(), "x");
  EXPECT_FALSE(body.requests(1).sequence().has_sql_id());
  EXPECT_EQ(body.requests(2).describe().sql_id(), 2);
  EXPECT_FALSE(body.requests(2).describe().has_sql());
  EXPECT_EQ(body.requests(3).store_sql().sql_id(), 2);
  EXPECT_EQ(body.requests(3).store_sql().sql(), "y");
  EXPECT_EQ(body.requests(4).close_sql().sql_id(), 2);
  EXPECT_EQ(body.requests(5).request_case(), hrana::http::StreamRequest::kGetAutocommit);

  EXPECT_EQ(Hex(Wire(body)), kGolden) << "re-encoding must give the client's bytes back";
}

TEST(HranaHttp, StreamRequestWithNoMemberSetIsVisible) {
  EXPECT_EQ(Parse<hrana::http::StreamRequest>("").request_case(),
            hrana::http::StreamRequest::REQUEST_NOT_SET);
}

TEST(HranaHttp, SqldReplicationIndexExtensionsOnSequenceAndDescribe) {
  hrana::http::DescribeStreamReq describe;
  describe.set_sql_id(2);
  describe.set_replication_index(4);
  EXPECT_EQ(Hex(Wire(describe)), "10 02 18 04");
  hrana::http::SequenceStreamReq sequence;
  sequence.set_sql("x");
  sequence.set_replication_index(4);
  EXPECT_EQ(Hex(Wire(sequence)), "0a 01 78 18 04");
}

TEST(HranaHttp, CursorRequestBodyFromTheJsClient) {
  // From http/protobuf_encode.js CursorReqBody({baton: "bt", batch: {steps: [{stmt:
  // {sql: "SELECT 1", wantRows: true}}]}}).
  constexpr std::string_view kGolden =
      "0a 02 62 74 12 10 0a 0e 12 0c 0a 08 53 45 4c 45 43 54 20 31 28 01";
  const auto body = Parse<hrana::http::CursorReqBody>(kGolden);
  EXPECT_EQ(body.baton(), "bt");
  ASSERT_EQ(body.batch().steps_size(), 1);
  EXPECT_EQ(body.batch().steps(0).stmt().sql(), "SELECT 1");
  EXPECT_EQ(Hex(Wire(body)), kGolden);
}

TEST(HranaHttp, PipelineResponseReadByTheJsClient) {
  // Read by http/protobuf_decode.js PipelineRespBody as {baton: "b2", baseUrl: undefined,
  // results: [{type: "ok", response: {type: "execute", result: {affectedRowCount: 1,
  // lastInsertRowid: -3n, ...}}}, {type: "ok", response: {type: "close"}},
  // {type: "error", error: {message: "boom", code: "SQLITE_ERROR"}}]}.
  const std::string golden =
      "0a 02 62 32 1a 0a 0a 08 12 06 0a 04 18 01 20 05 1a 04 0a 02 0a 00 1a 16 12 14 " +
      std::string(kErrorBoom);
  hrana::http::PipelineRespBody body;
  body.set_baton("b2");
  hrana::StmtResult* result = body.add_results()->mutable_ok()->mutable_execute()->mutable_result();
  result->set_affected_row_count(1);
  result->set_last_insert_rowid(-3);
  body.add_results()->mutable_ok()->mutable_close();
  *body.add_results()->mutable_error() = ErrorBoom();
  EXPECT_EQ(Hex(Wire(body)), golden);

  const auto parsed = Parse<hrana::http::PipelineRespBody>(golden);
  EXPECT_FALSE(parsed.has_base_url());
  ASSERT_EQ(parsed.results_size(), 3);
  EXPECT_EQ(parsed.results(0).ok().execute().result().last_insert_rowid(), -3);
  EXPECT_EQ(parsed.results(1).ok().response_case(), hrana::http::StreamResponse::kClose);
  EXPECT_EQ(parsed.results(2).result_case(), hrana::http::StreamResult::kError);
}

TEST(HranaHttp, GetAutocommitResponseFalseIsAnEmptyMessage) {
  // prost's sqld writes is_autocommit even when false (`6a 02 08 00` on WS); proto3 omits it.
  // Clients default it to false either way.
  hrana::http::StreamResponse response;
  response.mutable_get_autocommit()->set_is_autocommit(false);
  EXPECT_EQ(Hex(Wire(response)), "42 00");
  response.mutable_get_autocommit()->set_is_autocommit(true);
  EXPECT_EQ(Hex(Wire(response)), "42 02 08 01");
}

// ---------------------------------------------------------------------------------------------
// hrana.ws

TEST(HranaWs, HelloWithAndWithoutJwtFromTheJsClient) {
  // From ws/protobuf_encode.js ClientMsg({type: "hello", jwt: "eyJ.x.y"}).
  constexpr std::string_view kWithJwt = "0a 09 0a 07 65 79 4a 2e 78 2e 79";
  hrana::ws::ClientMsg hello;
  hello.mutable_hello()->set_jwt("eyJ.x.y");
  EXPECT_EQ(Hex(Wire(hello)), kWithJwt);
  const auto parsed = Parse<hrana::ws::ClientMsg>(kWithJwt);
  ASSERT_EQ(parsed.msg_case(), hrana::ws::ClientMsg::kHello);
  EXPECT_EQ(parsed.hello().jwt(), "eyJ.x.y");

  // From ClientMsg({type: "hello", jwt: undefined}).
  const auto anonymous = Parse<hrana::ws::ClientMsg>("0a 00");
  ASSERT_EQ(anonymous.msg_case(), hrana::ws::ClientMsg::kHello);
  EXPECT_FALSE(anonymous.hello().has_jwt());
}

TEST(HranaWs, RequestWithIdAndOpenStreamFromTheJsClient) {
  // From ws/protobuf_encode.js ClientMsg({type: "request", requestId: 5,
  // request: {type: "open_stream", streamId: 1}}).
  constexpr std::string_view kGolden = "12 06 08 05 12 02 08 01";
  hrana::ws::ClientMsg msg;
  msg.mutable_request()->set_request_id(5);
  msg.mutable_request()->mutable_open_stream()->set_stream_id(1);
  EXPECT_EQ(Hex(Wire(msg)), kGolden);

  const auto parsed = Parse<hrana::ws::ClientMsg>(kGolden);
  ASSERT_EQ(parsed.request().request_case(), hrana::ws::RequestMsg::kOpenStream);
  EXPECT_EQ(parsed.request().request_id(), 5);
  EXPECT_EQ(parsed.request().open_stream().stream_id(), 1);
}

TEST(HranaWs, FirstRequestWritesExplicitZerosThatWeReadButDoNotWrite) {
  // From ClientMsg({type: "request", requestId: 0, request: {type: "open_stream",
  // streamId: 0}}): every connection's first request. The JS client writes proto3 defaults;
  // generated code (like sqld's prost) omits them, so re-encoding is shorter but equal.
  const auto parsed = Parse<hrana::ws::ClientMsg>("12 06 08 00 12 02 08 00");
  ASSERT_EQ(parsed.request().request_case(), hrana::ws::RequestMsg::kOpenStream);
  EXPECT_EQ(parsed.request().request_id(), 0);
  EXPECT_EQ(parsed.request().open_stream().stream_id(), 0);
  EXPECT_EQ(Hex(Wire(parsed)), "12 02 12 00");
}

TEST(HranaWs, ExecuteOpenCursorAndFetchCursorFromTheJsClient) {
  // From ClientMsg({type: "request", requestId: 6, request: {type: "execute", streamId: 1,
  // stmt: {sql: "SELECT 1", wantRows: true}}}).
  constexpr std::string_view kExecute =
      "12 14 08 06 22 10 08 01 12 0c 0a 08 53 45 4c 45 43 54 20 31 28 01";
  const auto execute = Parse<hrana::ws::ClientMsg>(kExecute);
  ASSERT_EQ(execute.request().request_case(), hrana::ws::RequestMsg::kExecute);
  EXPECT_EQ(execute.request().execute().stream_id(), 1);
  EXPECT_EQ(execute.request().execute().stmt().sql(), "SELECT 1");
  EXPECT_FALSE(execute.request().execute().has_replication_index());
  EXPECT_EQ(Hex(Wire(execute)), kExecute);

  // From ClientMsg({type: "request", requestId: 8, request: {type: "open_cursor",
  // streamId: 1, cursorId: 2, batch: {steps: [{stmt: {sql: "SELECT 1", wantRows: true}}]}}}).
  constexpr std::string_view kOpenCursor =
      "12 1a 08 08 32 16 08 01 10 02 1a 10 0a 0e 12 0c 0a 08 53 45 4c 45 43 54 20 31 28 01";
  const auto open_cursor = Parse<hrana::ws::ClientMsg>(kOpenCursor);
  ASSERT_EQ(open_cursor.request().request_case(), hrana::ws::RequestMsg::kOpenCursor);
  EXPECT_EQ(open_cursor.request().open_cursor().cursor_id(), 2);
  EXPECT_EQ(open_cursor.request().open_cursor().batch().steps(0).stmt().sql(), "SELECT 1");
  EXPECT_EQ(Hex(Wire(open_cursor)), kOpenCursor);

  // From ClientMsg({type: "request", requestId: 7, request: {type: "fetch_cursor",
  // cursorId: 3, maxCount: 1000}}).
  constexpr std::string_view kFetch = "12 09 08 07 42 05 08 03 10 e8 07";
  const auto fetch = Parse<hrana::ws::ClientMsg>(kFetch);
  ASSERT_EQ(fetch.request().request_case(), hrana::ws::RequestMsg::kFetchCursor);
  EXPECT_EQ(fetch.request().fetch_cursor().max_count(), 1000u);
  EXPECT_EQ(Hex(Wire(fetch)), kFetch);
}

TEST(HranaWs, SqldReplicationIndexExtensions) {
  hrana::ws::ExecuteReq execute;
  execute.set_stream_id(1);
  execute.mutable_stmt()->set_sql("SELECT 1");
  execute.set_replication_index(9);
  EXPECT_EQ(Hex(Wire(execute)), "08 01 12 0a 0a 08 53 45 4c 45 43 54 20 31 18 09");

  hrana::ws::SequenceReq sequence;
  sequence.set_stream_id(1);
  sequence.set_sql("x");
  sequence.set_replication_index(4);
  EXPECT_EQ(Hex(Wire(sequence)), "08 01 12 01 78 20 04");

  hrana::ws::DescribeReq describe;
  describe.set_stream_id(1);
  describe.set_sql_id(3);
  describe.set_replication_index(4);
  EXPECT_EQ(Hex(Wire(describe)), "08 01 18 03 20 04");
}

TEST(HranaWs, ServerMessagesReadByTheJsClient) {
  // Read by ws/protobuf_decode.js ServerMsg as {type: "hello_ok"}.
  hrana::ws::ServerMsg hello_ok;
  hello_ok.mutable_hello_ok();
  EXPECT_EQ(Hex(Wire(hello_ok)), "0a 00");

  // Read as {type: "hello_error", error: {message: "boom", code: "SQLITE_ERROR"}}.
  hrana::ws::ServerMsg hello_error;
  *hello_error.mutable_hello_error()->mutable_error() = ErrorBoom();
  EXPECT_EQ(Hex(Wire(hello_error)), "12 16 0a 14 " + std::string(kErrorBoom));

  // Read as {type: "response_ok", requestId: 0, response: {type: "open_stream"}}.
  hrana::ws::ServerMsg open_stream;
  open_stream.mutable_response_ok()->set_request_id(0);
  open_stream.mutable_response_ok()->mutable_open_stream();
  EXPECT_EQ(Hex(Wire(open_stream)), "1a 02 12 00");

  // Read as {type: "response_ok", requestId: 7, response: {type: "fetch_cursor",
  // entries: [{type: "row", row: [1n]}], done: true}}.
  hrana::ws::ServerMsg fetch;
  fetch.mutable_response_ok()->set_request_id(7);
  hrana::ws::FetchCursorResp* entries = fetch.mutable_response_ok()->mutable_fetch_cursor();
  entries->add_entries()->mutable_row()->add_values()->set_integer(1);
  entries->set_done(true);
  EXPECT_EQ(Hex(Wire(fetch)), "1a 0e 08 07 42 0a 0a 06 22 04 0a 02 10 02 10 01");

  // Read as {type: "response_ok", requestId: 3, response: {type: "get_autocommit",
  // isAutocommit: true}}. Field 13's key is one byte, 0x6a.
  hrana::ws::ServerMsg autocommit;
  autocommit.mutable_response_ok()->set_request_id(3);
  autocommit.mutable_response_ok()->mutable_get_autocommit()->set_is_autocommit(true);
  EXPECT_EQ(Hex(Wire(autocommit)), "1a 06 08 03 6a 02 08 01");

  // Read as {type: "response_error", requestId: 9, error: {...}}.
  hrana::ws::ServerMsg response_error;
  response_error.mutable_response_error()->set_request_id(9);
  *response_error.mutable_response_error()->mutable_error() = ErrorBoom();
  EXPECT_EQ(Hex(Wire(response_error)), "22 18 08 09 12 14 " + std::string(kErrorBoom));
}

}  // namespace
}  // namespace libsql
