// json_results.cc: sqld's JSON result shapes.

#include "hrana/json_results.h"

#include "hrana/json_writer.h"

namespace libsql::hrana::json {

void append_error(std::string& out, const Error& error) {
  out.append(R"({"message":)");
  append_string(out, error.message);
  out.append(R"(,"code":)");
  append_string(out, error.code);
  out.push_back('}');
}

void append_columns(std::string& out, const engine::Statement& statement) {
  out.push_back('[');
  const int count = statement.column_count();
  for (int i = 0; i < count; ++i) {
    if (i > 0) out.push_back(',');
    out.append(R"({"name":)");
    append_string(out, statement.column_name(i));
    out.append(R"(,"decltype":)");
    const std::string_view declared = statement.column_decltype(i);
    if (declared.empty()) {
      out.append("null");
    } else {
      append_string(out, declared);
    }
    out.push_back('}');
  }
  out.push_back(']');
}

void append_row(std::string& out, const engine::Statement& statement) {
  out.push_back('[');
  const int count = statement.column_count();
  for (int i = 0; i < count; ++i) {
    if (i > 0) out.push_back(',');
    append_value(out, statement.column_view(i));
  }
  out.push_back(']');
}

void append_stmt_result_end(std::string& out, const StepStats& stats) {
  out.append(R"(],"affected_row_count":)");
  append_uint(out, stats.affected_row_count);
  out.append(R"(,"last_insert_rowid":)");
  if (stats.last_insert_rowid) {
    out.push_back('"');
    append_int(out, *stats.last_insert_rowid);
    out.push_back('"');
  } else {
    out.append("null");
  }
  out.append(R"(,"replication_index":null,"rows_read":)");
  append_uint(out, stats.rows_read);
  out.append(R"(,"rows_written":)");
  append_uint(out, stats.rows_written);
  out.append(R"(,"query_duration_ms":)");
  append_double(out, stats.query_duration_ms);
  out.push_back('}');
}

void append_describe_result(std::string& out, const DescribeResult& result) {
  out.append(R"({"params":[)");
  for (std::size_t i = 0; i < result.params.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(R"({"name":)");
    if (result.params[i]) {
      append_string(out, *result.params[i]);
    } else {
      out.append("null");
    }
    out.push_back('}');
  }
  out.append(R"(],"cols":[)");
  for (std::size_t i = 0; i < result.cols.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(R"({"name":)");
    append_string(out, result.cols[i].name);
    out.append(R"(,"decltype":)");
    if (result.cols[i].decltype_) {
      append_string(out, *result.cols[i].decltype_);
    } else {
      out.append("null");
    }
    out.push_back('}');
  }
  out.append(R"(],"is_explain":)");
  out.append(result.is_explain ? "true" : "false");
  out.append(R"(,"is_readonly":)");
  out.append(result.is_readonly ? "true" : "false");
  out.push_back('}');
}

// --- StmtResultWriter ------------------------------------------------------------

void StmtResultWriter::step_begin(std::uint32_t, const engine::Statement& statement) {
  first_row_ = true;
  out_.append(R"({"cols":)");
  append_columns(out_, statement);
  out_.append(R"(,"rows":[)");
}

void StmtResultWriter::step_row(const engine::Statement& statement) {
  if (!first_row_) out_.push_back(',');
  first_row_ = false;
  append_row(out_, statement);
  const std::size_t bytes = out_.size() - start_;
  if (bytes > budget_.max_bytes) throw ResponseTooLarge();
  charge_.update(bytes);
}

void StmtResultWriter::step_end(const StepStats& stats) { append_stmt_result_end(out_, stats); }

void StmtResultWriter::step_error(std::uint32_t, const Error& error) {
  out_.resize(start_);
  error_ = error;
}

// --- BatchResultWriter -----------------------------------------------------------

BatchResultWriter::BatchResultWriter(std::string& out, std::size_t step_count,
                                     ResponseBudget budget)
    : out_(out), budget_(budget), charge_(budget.meter), start_(out.size()), errors_(step_count) {
  out_.append(R"({"step_results":[)");
}

void BatchResultWriter::pad_results_to(std::size_t step) {
  while (results_written_ < step) {
    if (results_written_ > 0) out_.push_back(',');
    out_.append("null");
    ++results_written_;
  }
}

void BatchResultWriter::step_begin(std::uint32_t step, const engine::Statement& statement) {
  pad_results_to(step);
  step_start_ = out_.size();
  step_open_ = true;
  first_row_ = true;
  if (results_written_ > 0) out_.push_back(',');
  out_.append(R"({"cols":)");
  append_columns(out_, statement);
  out_.append(R"(,"rows":[)");
}

void BatchResultWriter::step_row(const engine::Statement& statement) {
  if (!first_row_) out_.push_back(',');
  first_row_ = false;
  append_row(out_, statement);
  const std::size_t bytes = out_.size() - start_;
  if (bytes > budget_.max_bytes) throw ResponseTooLarge();
  charge_.update(bytes);
}

void BatchResultWriter::step_end(const StepStats& stats) {
  append_stmt_result_end(out_, stats);
  step_open_ = false;
  ++results_written_;
}

void BatchResultWriter::step_error(std::uint32_t step, const Error& error) {
  // A step that failed after it began leaves no result: its entry becomes null.
  if (step_open_) out_.resize(step_start_);
  step_open_ = false;
  pad_results_to(step);
  errors_[step] = error;
}

void BatchResultWriter::finish() {
  pad_results_to(errors_.size());
  out_.append(R"(],"step_errors":[)");
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    if (i > 0) out_.push_back(',');
    if (errors_[i]) {
      append_error(out_, *errors_[i]);
    } else {
      out_.append("null");
    }
  }
  out_.append(R"(],"replication_index":null})");
}

// --- CursorEntryWriter -----------------------------------------------------------

void CursorEntryWriter::step_begin(std::uint32_t step, const engine::Statement& statement) {
  out_.append(R"({"type":"step_begin","step":)");
  append_uint(out_, step);
  out_.append(R"(,"cols":)");
  append_columns(out_, statement);
  out_.append("}\n");
}

void CursorEntryWriter::step_row(const engine::Statement& statement) {
  out_.append(R"({"type":"row","row":)");
  append_row(out_, statement);
  out_.append("}\n");
}

void CursorEntryWriter::step_end(const StepStats& stats) {
  out_.append(R"({"type":"step_end","affected_row_count":)");
  append_uint(out_, stats.affected_row_count);
  // A number here, unlike StmtResult's string: sqld's cursor entries say so.
  out_.append(R"(,"last_insert_rowid":)");
  if (stats.last_insert_rowid) {
    append_int(out_, *stats.last_insert_rowid);
  } else {
    out_.append("null");
  }
  out_.append("}\n");
}

void CursorEntryWriter::step_error(std::uint32_t step, const Error& error) {
  out_.append(R"({"type":"step_error","step":)");
  append_uint(out_, step);
  out_.append(R"(,"error":)");
  append_error(out_, error);
  out_.append("}\n");
}

void CursorEntryWriter::batch_error(const Error& error) {
  out_.append(R"({"type":"error","error":)");
  append_error(out_, error);
  out_.append("}\n");
}

}  // namespace libsql::hrana::json
