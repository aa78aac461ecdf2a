// json_results.h: Hrana results as JSON text, written while the statement runs.
//
// StmtResultWriter and BatchResultWriter are ResultSinks appending sqld's exact JSON
// shapes (every key present, integers as strings, `last_insert_rowid` null unless the
// statement inserted) to a caller's string. A failed step's partial output is cut
// back off. Sizes are checked against a limit as rows arrive (ResponseTooLarge).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hrana/protocol.h"
#include "hrana/response_meter.h"
#include "hrana/result_sink.h"

namespace libsql::hrana::json {

// Limits one response to `max_bytes` of JSON (sqld's --max-response-size), and all
// responses together to what `meter` allows (--max-total-response-size; none if null).
struct ResponseBudget {
  std::size_t max_bytes = 10'000'000;
  ResponseMeter* meter = nullptr;
};

// One StmtResult object (what `execute` returns).
class StmtResultWriter final : public ResultSink {
 public:
  StmtResultWriter(std::string& out, ResponseBudget budget)
      : out_(out), budget_(budget), charge_(budget.meter), start_(out.size()) {}

  void step_begin(std::uint32_t step, const engine::Statement& statement) override;
  void step_row(const engine::Statement& statement) override;
  void step_end(const StepStats& stats) override;
  void step_error(std::uint32_t step, const Error& error) override;

  // The statement's error, if it failed (then nothing was left in `out`).
  const std::optional<Error>& error() const { return error_; }

 private:
  std::string& out_;
  ResponseBudget budget_;
  ResponseCharge charge_;
  std::size_t start_;  // where this result begins in `out`; errors cut back to it
  bool first_row_ = true;
  std::optional<Error> error_;
};

// One BatchResult object: {"step_results":[...],"step_errors":[...],"replication_index":...}.
class BatchResultWriter final : public ResultSink {
 public:
  BatchResultWriter(std::string& out, std::size_t step_count, ResponseBudget budget);

  void step_begin(std::uint32_t step, const engine::Statement& statement) override;
  void step_row(const engine::Statement& statement) override;
  void step_end(const StepStats& stats) override;
  void step_error(std::uint32_t step, const Error& error) override;

  // Writes the skipped steps' nulls, the errors and the closing part.
  void finish();

 private:
  void pad_results_to(std::size_t step);

  std::string& out_;
  ResponseBudget budget_;
  ResponseCharge charge_;
  std::size_t start_;
  std::vector<std::optional<Error>> errors_;
  std::size_t results_written_ = 0;  // entries of step_results so far
  std::size_t step_start_ = 0;       // where the current step's entry begins
  bool step_open_ = false;           // a step began and has not ended
  bool first_row_ = true;
};

// Cursor entries as newline-delimited JSON (/v3/cursor): step_begin, row, step_end,
// step_error, and a batch-level error. Entries already written stay: a cursor's reader
// may have seen them.
class CursorEntryWriter final : public ResultSink {
 public:
  explicit CursorEntryWriter(std::string& out) : out_(out) {}

  void step_begin(std::uint32_t step, const engine::Statement& statement) override;
  void step_row(const engine::Statement& statement) override;
  void step_end(const StepStats& stats) override;
  void step_error(std::uint32_t step, const Error& error) override;
  void batch_error(const Error& error);

 private:
  std::string& out_;
};

// {"message":"...","code":"..."}
void append_error(std::string& out, const Error& error);
// The columns of a prepared statement: [{"name":"x","decltype":"INT"},...]
void append_columns(std::string& out, const engine::Statement& statement);
// A row of the statement: [value,...]
void append_row(std::string& out, const engine::Statement& statement);
// A DescribeResult object.
void append_describe_result(std::string& out, const DescribeResult& result);
// The fields after "rows" in a StmtResult, and its closing brace.
void append_stmt_result_end(std::string& out, const StepStats& stats);

}  // namespace libsql::hrana::json
