// protobuf_messages.cc: protocol.h values to and from the generated Hrana messages.

#include "hrana/protobuf_messages.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "hrana/json_writer.h"

namespace libsql::hrana::protobuf {

namespace {

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

void add_columns(const engine::Statement& statement,
                 google::protobuf::RepeatedPtrField<::hrana::Col>* cols) {
  for (int i = 0; i < statement.column_count(); ++i) {
    ::hrana::Col* col = cols->Add();
    col->set_name(utf8(statement.column_name(i)));
    if (const auto declared = statement.column_decltype(i); !declared.empty())
      col->set_decltype_(utf8(declared));
  }
}

void add_row(const engine::Statement& statement, ::hrana::Row* row) {
  for (int i = 0; i < statement.column_count(); ++i)
    to_proto(statement.column_view(i), row->add_values());
}

void set_stats(const StepStats& stats, ::hrana::StmtResult* result) {
  result->set_affected_row_count(stats.affected_row_count);
  if (stats.last_insert_rowid) result->set_last_insert_rowid(*stats.last_insert_rowid);
  result->set_rows_read(stats.rows_read);
  result->set_rows_written(stats.rows_written);
  result->set_query_duration_ms(stats.query_duration_ms);
}

}  // namespace

void not_recognized(std::string_view what) {
  throw ProtocolError(ProtocolError::Kind::kSemantic, std::string(what) + " type not recognized");
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
  for (const auto& arg : proto.named_args())
    stmt.named_args.push_back({arg.name(), from_proto(arg.value())});
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
      for (const auto& inner : (is_and ? proto.and_() : proto.or_()).conds())
        cond.conds.push_back(from_proto(inner));
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

std::string utf8(std::string_view text) { return json::to_valid_utf8(text); }

void to_proto(const Error& error, ::hrana::Error* out) {
  out->set_message(utf8(error.message));
  if (!error.code.empty()) out->set_code(error.code);
}

void to_proto(const DescribeResult& result, ::hrana::DescribeResult* out) {
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

std::string serialize(const google::protobuf::MessageLite& message) {
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

void StmtResultSink::step_begin(std::uint32_t, const engine::Statement& statement) {
  add_columns(statement, result_->mutable_cols());
}

void StmtResultSink::step_row(const engine::Statement& statement) {
  add_row(statement, result_->add_rows());
  // Measuring walks the message: do it every 64 rows.
  if ((result_->rows_size() & 63) == 0) {
    const std::size_t bytes = result_->ByteSizeLong();
    if (bytes > budget_.max_bytes) throw ResponseTooLarge();
    charge_.update(bytes);
  }
}

void StmtResultSink::step_end(const StepStats& stats) { set_stats(stats, result_); }

void StmtResultSink::step_error(std::uint32_t, const Error& error) { error_ = error; }

void BatchResultSink::step_begin(std::uint32_t step, const engine::Statement& statement) {
  current_ = ::hrana::StmtResult();
  rows_ = 0;
  step_ = step;
  add_columns(statement, current_.mutable_cols());
}

void BatchResultSink::step_row(const engine::Statement& statement) {
  add_row(statement, current_.add_rows());
  if ((++rows_ & 63) == 0) {
    const std::size_t bytes = current_.ByteSizeLong() + result_->ByteSizeLong();
    if (bytes > budget_.max_bytes) throw ResponseTooLarge();
    charge_.update(bytes);
  }
}

void BatchResultSink::step_end(const StepStats& stats) {
  set_stats(stats, &current_);
  (*result_->mutable_step_results())[step_] = std::move(current_);
}

void BatchResultSink::step_error(std::uint32_t step, const Error& error) {
  to_proto(error, &(*result_->mutable_step_errors())[step]);
}

void CursorEntrySink::step_begin(std::uint32_t step, const engine::Statement& statement) {
  ::hrana::CursorEntry entry;
  entry.mutable_step_begin()->set_step(step);
  add_columns(statement, entry.mutable_step_begin()->mutable_cols());
  emit(entry);
}

void CursorEntrySink::step_row(const engine::Statement& statement) {
  ::hrana::CursorEntry entry;
  add_row(statement, entry.mutable_row());
  emit(entry);
}

void CursorEntrySink::step_end(const StepStats& stats) {
  ::hrana::CursorEntry entry;
  entry.mutable_step_end()->set_affected_row_count(stats.affected_row_count);
  if (stats.last_insert_rowid)
    entry.mutable_step_end()->set_last_insert_rowid(*stats.last_insert_rowid);
  emit(entry);
}

void CursorEntrySink::step_error(std::uint32_t step, const Error& error) {
  ::hrana::CursorEntry entry;
  entry.mutable_step_error()->set_step(step);
  to_proto(error, entry.mutable_step_error()->mutable_error());
  emit(entry);
}

void CursorEntrySink::batch_error(const Error& error) {
  ::hrana::CursorEntry entry;
  to_proto(error, entry.mutable_error());
  emit(entry);
}

}  // namespace libsql::hrana::protobuf
