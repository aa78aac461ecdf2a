// result_sink.h: where execution reports results, step by step, as it produces them.
//
// Encoders (JSON, protobuf, cursor streams) implement ResultSink and write their wire
// format directly from the statement's current row, so no result is ever materialised
// as objects. A statement is reported as step_begin, step_row*, then step_end; or as
// step_error, possibly after step_begin and some rows (the sink drops those).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>

#include "engine/statement.h"
#include "hrana/protocol.h"

namespace libsql::hrana {

struct StepStats {
  std::uint64_t affected_row_count = 0;
  std::optional<std::int64_t> last_insert_rowid;  // INSERT statements only, as in sqld
  std::uint64_t rows_read = 0;
  std::uint64_t rows_written = 0;
  double query_duration_ms = 0;
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;

  // The step's statement is prepared: its columns are known.
  virtual void step_begin(std::uint32_t step, const engine::Statement& statement) = 0;
  // One row of the current step: read it with statement.column_view().
  virtual void step_row(const engine::Statement& statement) = 0;
  virtual void step_end(const StepStats& stats) = 0;
  virtual void step_error(std::uint32_t step, const Error& error) = 0;
};

// Thrown by a sink whose response would exceed its size limit; execution stops and the
// request fails with RESPONSE_TOO_LARGE.
class ResponseTooLarge : public std::runtime_error {
 public:
  ResponseTooLarge() : std::runtime_error("response too large") {}
};

}  // namespace libsql::hrana
