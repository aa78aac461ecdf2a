// executor.h: runs Hrana requests on one SQLite connection, with sqld's semantics.
//
// An Executor is made per request for a stream: it borrows the stream's connection and
// stored SQL, and reports results through a ResultSink. It decides what is a
// statement error (reported to the client, the stream goes on) and what is a protocol
// error (thrown as ProtocolError: the exchange fails). It does blocking SQLite work:
// call it only from a blocking-work thread, never from a network thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "engine/connection.h"
#include "hrana/access.h"
#include "hrana/protocol.h"
#include "hrana/request_context.h"
#include "hrana/result_sink.h"

namespace libsql::hrana {

// SQL texts kept by `store_sql` for later `sql_id` references: one store per HTTP
// stream, one per WebSocket connection. Not thread-safe; its owner serialises use.
class SqlStore {
 public:
  // `max_text_bytes` 0 means no limit on one text.
  SqlStore(std::size_t max_count, std::size_t max_text_bytes)
      : max_count_(max_count), max_text_bytes_(max_text_bytes) {}

  // A duplicate id is a protocol error (thrown); going over the limits is an Error for
  // the client (returned), as sqld reports them.
  std::optional<Error> store(std::int32_t id, std::string sql);
  void close(std::int32_t id) noexcept { texts_.erase(id); }
  const std::string* find(std::int32_t id) const noexcept;

 private:
  std::size_t max_count_;
  std::size_t max_text_bytes_;
  std::unordered_map<std::int32_t, std::string> texts_;
};

// The SQL text a request names, by text or by stored id. Throws ProtocolError for
// neither or both, an unknown id, or an id before Hrana 2.
const std::string& resolve_sql(const std::optional<std::string>& sql,
                               const std::optional<std::int32_t>& sql_id, const SqlStore& sqls,
                               Version version);
// Replaces a stored-SQL reference by its text, checked as resolve_sql() does. A
// WebSocket connection's store changes as its messages arrive, while its streams run
// requests later, so references are resolved at arrival.
void inline_stored_sql(std::optional<std::string>& sql, std::optional<std::int32_t>& sql_id,
                       const SqlStore& sqls, Version version);

class Executor {
 public:
  // Holds the connection (engine::Connection::Use) until destroyed. A cancelled
  // `cancellation` (may be null) interrupts the running statement, and throws
  // RequestCancelled where the next one would start. `access` (may be null: anything
  // goes) is asked about every statement before any of a request's runs; its
  // AccessDenied escapes from every call.
  Executor(engine::Connection& connection, const SqlStore& sqls, Version version,
           Cancellation* cancellation = nullptr, const AccessPolicy* access = nullptr)
      : connection_(connection),
        use_(connection),
        watch_(cancellation, connection),
        cancellation_(cancellation),
        access_(access),
        sqls_(sqls),
        version_(version) {}

  // `execute`, `batch` and `sequence` fail with TRANSACTION_TIMEOUT (every step of a
  // batch) when the connection's transaction was taken away for running too long.

  // `execute`: the statement runs as step 0 of `sink`; its failure is a step_error.
  void execute(const Stmt& stmt, ResultSink& sink);
  // `batch`: checks every step against the protocol, then runs the steps whose
  // conditions hold. Returns an error when the batch fails as a whole (a step that is
  // not exactly one statement, mixed argument kinds, a response too large).
  std::optional<Error> batch(const Batch& batch, ResultSink& sink);
  // `sequence`: every statement of a script, rows discarded, stopping at the first
  // failure (earlier statements stay applied).
  std::optional<Error> sequence(const std::optional<std::string>& sql,
                                const std::optional<std::int32_t>& sql_id);
  // `describe`: the first statement's parameters and columns, without running it.
  std::variant<DescribeResult, Error> describe(const std::optional<std::string>& sql,
                                               const std::optional<std::int32_t>& sql_id);
  bool is_autocommit() const noexcept { return connection_.is_autocommit(); }

 private:
  // The statement error that keeps `stmt` from running at all, if any.
  std::optional<Error> check_statement(const Stmt& stmt, const std::string& sql) const;
  // sqld parses all of a request's SQL before running any of it, so a syntax error
  // anywhere means nothing runs. SQLite's prepare finds syntax errors whatever the
  // schema; other prepare errors may depend on earlier statements and wait their turn.
  std::optional<Error> find_syntax_error(std::string_view sql);
  void check_condition(const BatchCond& cond, std::size_t step) const;
  bool evaluate(const BatchCond& cond, const std::vector<bool>& succeeded) const;
  // Runs one statement into `sink` as step `step`; returns whether it succeeded, and
  // tells `access_` how it ended.
  bool run_step(std::uint32_t step, const Stmt& stmt, const std::string& sql, ResultSink& sink);
  // run_step() without the telling; `stats` gets the statement's counts when it succeeds.
  bool run_statement(std::uint32_t step, const Stmt& stmt, const std::string& sql, ResultSink& sink,
                     StepStats& stats);

  void check_cancelled() const;

  engine::Connection& connection_;
  engine::Connection::Use use_;
  Cancellation::Watch watch_;
  Cancellation* cancellation_;
  const AccessPolicy* access_;
  const SqlStore& sqls_;
  Version version_;
};

}  // namespace libsql::hrana
