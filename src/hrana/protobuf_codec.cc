// protobuf_codec.cc: Hrana 3 protobuf requests and responses.

#include "hrana/protobuf_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "hrana/json_writer.h"
#include "proto/hrana.pb.h"
#include "proto/hrana_http.pb.h"

namespace libsql::hrana::protobuf {

namespace {

[[noreturn]] void not_recognized(std::string_view what) {
  throw ProtocolError(ProtocolError::Kind::kSemantic, std::string(what) + " type not recognized");
}

template <class Message>
Message parse(std::string_view body) {
  Message message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    throw ProtocolError(ProtocolError::Kind::kDecode,
                        "Could not decode client message from Protobuf: failed to decode Protobuf message: " +
                            std::string(Message::descriptor()->name()));
  }
  return message;
}

Value from_proto(const ::hrana::Value& value) {
  switch (value.value_case()) {
    case ::hrana::Value::kNull:
      return Value();
    case ::hrana::Value::kInteger:
      return Value(static_cast<std::int64_t>(value.integer()));
    case ::hrana::Value::kFloat:
      return Value(value.float_());
    case ::hrana::Value::kText:
      return Value(value.text());
    case ::hrana::Value::kBlob:
      return Value(Blob(value.blob().begin(), value.blob().end()));
    case ::hrana::Value::VALUE_NOT_SET:
      break;
  }
  not_recognized("Value");
}

Stmt from_proto(const ::hrana::Stmt& proto) {
  Stmt stmt;
  if (proto.has_sql()) stmt.sql = proto.sql();
  if (proto.has_sql_id()) stmt.sql_id = proto.sql_id();
  for (const auto& arg : proto.args()) stmt.args.push_back(from_proto(arg));
  for (const auto& arg : proto.named_args()) stmt.named_args.push_back({arg.name(), from_proto(arg.value())});
  if (proto.has_want_rows()) stmt.want_rows = proto.want_rows();
  if (proto.has_replication_index()) stmt.replication_index = proto.replication_index();
  return stmt;
}

BatchCond from_proto(const ::hrana::BatchCond& proto) {
  BatchCond cond;
  switch (proto.cond_case()) {
    case ::hrana::BatchCond::kStepOk:
      cond.kind = BatchCond::Kind::kOk;
      cond.step = proto.step_ok();
      break;
    case ::hrana::BatchCond::kStepError:
      cond.kind = BatchCond::Kind::kError;
      cond.step = proto.step_error();
      break;
    case ::hrana::BatchCond::kNot:
      cond.kind = BatchCond::Kind::kNot;
      cond.conds.push_back(from_proto(proto.not_()));
      break;
    case ::hrana::BatchCond::kAnd:
    case ::hrana::BatchCond::kOr: {
      const bool is_and = proto.cond_case() == ::hrana::BatchCond::kAnd;
      cond.kind = is_and ? BatchCond::Kind::kAnd : BatchCond::Kind::kOr;
      for (const auto& inner : (is_and ? proto.and_() : proto.or_()).conds()) cond.conds.push_back(from_proto(inner));
      break;
    }
    case ::hrana::BatchCond::kIsAutocommit:
      cond.kind = BatchCond::Kind::kIsAutocommit;
      break;
    case ::hrana::BatchCond::COND_NOT_SET:
      not_recognized("BatchCond");
  }
  return cond;
}

Batch from_proto(const ::hrana::Batch& proto) {
  Batch batch;
  for (const auto& step : proto.steps()) {
    BatchStep converted;
    if (step.has_condition()) converted.condition = from_proto(step.condition());
    converted.stmt = from_proto(step.stmt());
    batch.steps.push_back(std::move(converted));
  }
  if (proto.has_replication_index()) batch.replication_index = proto.replication_index();
  return batch;
}

StreamRequest from_proto(const ::hrana::http::StreamRequest& proto) {
  using Proto = ::hrana::http::StreamRequest;
  switch (proto.request_case()) {
    case Proto::kClose:
      return CloseRequest{};
    case Proto::kExecute:
      return ExecuteRequest{from_proto(proto.execute().stmt())};
    case Proto::kBatch:
      return BatchRequest{from_proto(proto.batch().batch())};
    case Proto::kSequence: {
      SequenceRequest request;
      if (proto.sequence().has_sql()) request.sql = proto.sequence().sql();
      if (proto.sequence().has_sql_id()) request.sql_id = proto.sequence().sql_id();
      return request;
    }
    case Proto::kDescribe: {
      DescribeRequest request;
      if (proto.describe().has_sql()) request.sql = proto.describe().sql();
      if (proto.describe().has_sql_id()) request.sql_id = proto.describe().sql_id();
      return request;
    }
    case Proto::kStoreSql:
      return StoreSqlRequest{proto.store_sql().sql_id(), proto.store_sql().sql()};
    case Proto::kCloseSql:
      return CloseSqlRequest{proto.close_sql().sql_id()};
    case Proto::kGetAutocommit:
      return GetAutocommitRequest{};
    case Proto::REQUEST_NOT_SET:
      break;
  }
  not_recognized("StreamRequest");
}

// Protobuf strings must be UTF-8; SQLite TEXT may not be (invalid bytes become U+FFFD,
// as in the JSON encoding).
std::string utf8(std::string_view text) { return json::to_valid_utf8(text); }

void to_proto(ValueView value, ::hrana::Value* out) {
  switch (value.type()) {
    case ValueType::kNull:
      out->mutable_null();
      break;
    case ValueType::kInteger:
      out->set_integer(value.integer_value());
      break;
    case ValueType::kReal:
      out->set_float_(value.real_value());
      break;
    case ValueType::kText:
      out->set_text(utf8(value.text_value()));
      break;
    case ValueType::kBlob: {
      const auto bytes = value.blob_value();
      out->set_blob(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      break;
    }
  }
}

void to_proto(const Error& error, ::hrana::Error* out) {
  out->set_message(utf8(error.message));
  if (!error.code.empty()) out->set_code(error.code);
}

void add_columns(const engine::Statement& statement,
                 google::protobuf::RepeatedPtrField<::hrana::Col>* cols) {
  for (int i = 0; i < statement.column_count(); ++i) {
    ::hrana::Col* col = cols->Add();
    col->set_name(utf8(statement.column_name(i)));
    if (const auto declared = statement.column_decltype(i); !declared.empty()) col->set_decltype_(utf8(declared));
  }
}

void add_row(const engine::Statement& statement, ::hrana::Row* row) {
  for (int i = 0; i < statement.column_count(); ++i) to_proto(statement.column_view(i), row->add_values());
}

void set_stats(const StepStats& stats, ::hrana::StmtResult* result) {
  result->set_affected_row_count(stats.affected_row_count);
  if (stats.last_insert_rowid) result->set_last_insert_rowid(*stats.last_insert_rowid);
  result->set_rows_read(stats.rows_read);
  result->set_rows_written(stats.rows_written);
  result->set_query_duration_ms(stats.query_duration_ms);
}

std::string serialize(const google::protobuf::MessageLite& message) {
  // Deterministic: BatchResult's maps then come out in step order, as sqld sends them.
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

void append_delimited(std::string& out, const google::protobuf::MessageLite& message) {
  const std::string bytes = serialize(message);
  std::uint64_t size = bytes.size();
  do {
    const auto byte = static_cast<char>((size & 0x7F) | (size >= 0x80 ? 0x80 : 0));
    out.push_back(byte);
    size >>= 7;
  } while (size != 0);
  out.append(bytes);
}

// One StmtResult message, filled as the statement runs.
class StmtResultSink final : public ResultSink {
 public:
  StmtResultSink(::hrana::StmtResult* result, json::ResponseBudget budget) : result_(result), budget_(budget) {}

  void step_begin(std::uint32_t, const engine::Statement& statement) override {
    add_columns(statement, result_->mutable_cols());
  }
  void step_row(const engine::Statement& statement) override {
    add_row(statement, result_->add_rows());
    // Measuring walks the message: do it every 64 rows.
    if ((result_->rows_size() & 63) == 0 && result_->ByteSizeLong() > budget_.max_bytes) throw ResponseTooLarge();
  }
  void step_end(const StepStats& stats) override { set_stats(stats, result_); }
  void step_error(std::uint32_t, const Error& error) override { error_ = error; }

  const std::optional<Error>& error() const { return error_; }

 private:
  ::hrana::StmtResult* result_;
  json::ResponseBudget budget_;
  std::optional<Error> error_;
};

// One BatchResult message: a StmtResult or an Error per step that ran.
class BatchResultSink final : public ResultSink {
 public:
  explicit BatchResultSink(::hrana::BatchResult* result, json::ResponseBudget budget)
      : result_(result), budget_(budget) {}

  void step_begin(std::uint32_t step, const engine::Statement& statement) override {
    current_ = ::hrana::StmtResult();
    rows_ = 0;
    step_ = step;
    add_columns(statement, current_.mutable_cols());
  }
  void step_row(const engine::Statement& statement) override {
    add_row(statement, current_.add_rows());
    if ((++rows_ & 63) == 0 && current_.ByteSizeLong() + result_->ByteSizeLong() > budget_.max_bytes) {
      throw ResponseTooLarge();
    }
  }
  void step_end(const StepStats& stats) override {
    set_stats(stats, &current_);
    (*result_->mutable_step_results())[step_] = std::move(current_);
  }
  void step_error(std::uint32_t step, const Error& error) override {
    to_proto(error, &(*result_->mutable_step_errors())[step]);
  }

 private:
  ::hrana::BatchResult* result_;
  json::ResponseBudget budget_;
  ::hrana::StmtResult current_;
  std::uint32_t step_ = 0;
  std::size_t rows_ = 0;
};

class ProtoPipelineWriter final : public PipelineWriter {
 public:
  explicit ProtoPipelineWriter(json::ResponseBudget budget) : budget_(budget) {}

  void error(const Error& error) override { to_proto(error, body_.add_results()->mutable_error()); }
  void close() override { ok()->mutable_close(); }
  void sequence() override { ok()->mutable_sequence(); }
  void store_sql() override { ok()->mutable_store_sql(); }
  void close_sql() override { ok()->mutable_close_sql(); }
  void get_autocommit(bool is_autocommit) override {
    ok()->mutable_get_autocommit()->set_is_autocommit(is_autocommit);
  }
  void describe(const DescribeResult& result) override {
    ::hrana::DescribeResult* out = ok()->mutable_describe()->mutable_result();
    for (const auto& param : result.params) {
      ::hrana::DescribeParam* p = out->add_params();
      if (param) p->set_name(utf8(*param));
    }
    for (const auto& col : result.cols) {
      ::hrana::DescribeCol* c = out->add_cols();
      c->set_name(utf8(col.name));
      if (col.decltype_) c->set_decltype_(utf8(*col.decltype_));
    }
    out->set_is_explain(result.is_explain);
    out->set_is_readonly(result.is_readonly);
  }

  ResultSink& begin_execute() override {
    pending_ = body_.add_results();
    return stmt_.emplace(pending_->mutable_ok()->mutable_execute()->mutable_result(), budget_);
  }
  void end_execute() override {
    if (stmt_->error()) {
      pending_->Clear();
      to_proto(*stmt_->error(), pending_->mutable_error());
    }
    stmt_.reset();
  }

  ResultSink& begin_batch(std::size_t) override {
    pending_ = body_.add_results();
    return batch_.emplace(pending_->mutable_ok()->mutable_batch()->mutable_result(), budget_);
  }
  void end_batch(const std::optional<Error>& batch_error) override {
    if (batch_error) {
      pending_->Clear();
      to_proto(*batch_error, pending_->mutable_error());
    }
    batch_.reset();
  }

  void finish(const std::optional<std::string>& baton, const std::optional<std::string>& base_url) override {
    if (baton) body_.set_baton(*baton);
    if (base_url) body_.set_base_url(*base_url);
  }

  std::string take() const { return serialize(body_); }

 private:
  ::hrana::http::StreamResponse* ok() { return body_.add_results()->mutable_ok(); }

  json::ResponseBudget budget_;
  ::hrana::http::PipelineRespBody body_;
  ::hrana::http::StreamResult* pending_ = nullptr;
  std::optional<StmtResultSink> stmt_;
  std::optional<BatchResultSink> batch_;
};

// CursorRespBody, then one CursorEntry per event, each prefixed by its length.
class ProtoCursorWriter final : public CursorWriter {
 public:
  void begin(const std::optional<std::string>& baton, const std::optional<std::string>& base_url) override {
    ::hrana::http::CursorRespBody head;
    if (baton) head.set_baton(*baton);
    if (base_url) head.set_base_url(*base_url);
    append_delimited(head_, head);
  }
  void step_begin(std::uint32_t step, const engine::Statement& statement) override {
    ::hrana::CursorEntry entry;
    entry.mutable_step_begin()->set_step(step);
    add_columns(statement, entry.mutable_step_begin()->mutable_cols());
    append_delimited(body_, entry);
  }
  void step_row(const engine::Statement& statement) override {
    ::hrana::CursorEntry entry;
    add_row(statement, entry.mutable_row());
    append_delimited(body_, entry);
  }
  void step_end(const StepStats& stats) override {
    ::hrana::CursorEntry entry;
    entry.mutable_step_end()->set_affected_row_count(stats.affected_row_count);
    if (stats.last_insert_rowid) entry.mutable_step_end()->set_last_insert_rowid(*stats.last_insert_rowid);
    append_delimited(body_, entry);
  }
  void step_error(std::uint32_t step, const Error& error) override {
    ::hrana::CursorEntry entry;
    entry.mutable_step_error()->set_step(step);
    to_proto(error, entry.mutable_step_error()->mutable_error());
    append_delimited(body_, entry);
  }
  void batch_error(const Error& error) override {
    ::hrana::CursorEntry entry;
    to_proto(error, entry.mutable_error());
    append_delimited(body_, entry);
  }

  std::string take() const { return head_ + body_; }

 private:
  std::string head_;
  std::string body_;
};

}  // namespace

std::string encode_error(const Error& error) {
  ::hrana::Error proto;
  to_proto(error, &proto);
  return serialize(proto);
}

PipelineRequest decode_pipeline_request(std::string_view body) {
  const auto proto = parse<::hrana::http::PipelineReqBody>(body);
  PipelineRequest request;
  if (proto.has_baton()) request.baton = proto.baton();
  for (const auto& r : proto.requests()) request.requests.push_back(from_proto(r));
  return request;
}

CursorRequest decode_cursor_request(std::string_view body) {
  const auto proto = parse<::hrana::http::CursorReqBody>(body);
  CursorRequest request;
  if (proto.has_baton()) request.baton = proto.baton();
  request.batch = from_proto(proto.batch());
  return request;
}

std::string run_pipeline(HttpStreams& streams, const PipelineRequest& request, json::ResponseBudget budget,
                         const std::optional<std::string>& base_url) {
  ProtoPipelineWriter writer(budget);
  hrana::run_pipeline(streams, request, Version::kHrana3, writer, base_url);
  return writer.take();
}

std::string run_cursor(HttpStreams& streams, const CursorRequest& request,
                       const std::optional<std::string>& base_url) {
  ProtoCursorWriter writer;
  hrana::run_cursor(streams, request, writer, base_url);
  return writer.take();
}

}  // namespace libsql::hrana::protobuf
