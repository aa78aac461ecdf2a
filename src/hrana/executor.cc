// executor.cc: statements, batches, sequences and describes, as sqld runs them.

#include "hrana/executor.h"

#include <chrono>
#include <unordered_set>
#include <vector>

#include "hrana/errors.h"
#include "hrana/statement_policy.h"
#include "sql/statement.h"

namespace libsql::hrana {

namespace {

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

std::optional<Error> SqlStore::store(std::int32_t id, std::string sql) {
  if (texts_.contains(id)) protocol_error("SQL text " + std::to_string(id) + " already exists");
  if (texts_.size() >= max_count_) return sql_store_too_many(texts_.size());
  if (max_text_bytes_ != 0 && sql.size() > max_text_bytes_) return sql_store_too_large(sql.size());
  texts_.emplace(id, std::move(sql));
  return std::nullopt;
}

const std::string* SqlStore::find(std::int32_t id) const noexcept {
  const auto found = texts_.find(id);
  return found == texts_.end() ? nullptr : &found->second;
}

const std::string& resolve_sql(const std::optional<std::string>& sql,
                               const std::optional<std::int32_t>& sql_id, const SqlStore& sqls,
                               Version version) {
  // The order of these checks is sqld's, so the same bad request gets the same message.
  if (sql_id) require_version(version, Version::kHrana2, "`sql_id`");
  if (sql && sql_id) protocol_error("Either `sql` or `sql_id` are required, but not both");
  if (sql) return *sql;
  if (!sql_id) protocol_error("Either `sql` or `sql_id` are required");
  const std::string* text = sqls.find(*sql_id);
  if (text == nullptr) protocol_error("SQL text " + std::to_string(*sql_id) + " not found");
  return *text;
}

void inline_stored_sql(std::optional<std::string>& sql, std::optional<std::int32_t>& sql_id,
                       const SqlStore& sqls, Version version) {
  if (!sql_id) return;
  sql = resolve_sql(sql, sql_id, sqls, version);
  sql_id.reset();
}

std::optional<Error> Executor::check_statement(const Stmt& stmt, const std::string& sql) const {
  const std::size_t statements = sql::split_statements(sql).size();
  if (statements == 0) return sql_no_statement();
  if (statements > 1) return sql_many_statements();
  if (auto reason = unsupported_statement(sql)) return sql_unsupported(*reason);
  if (!stmt.args.empty() && !stmt.named_args.empty()) return args_both_positional_and_named();
  if (access_ != nullptr) return access_->check(sql);
  return std::nullopt;
}

void Executor::check_condition(const BatchCond& cond, std::size_t step) const {
  switch (cond.kind) {
    case BatchCond::Kind::kOk:
    case BatchCond::Kind::kError:
      if (cond.step >= step) protocol_error("Invalid reference to step in a batch condition");
      break;
    case BatchCond::Kind::kIsAutocommit:
      require_version(version_, Version::kHrana3, "BatchCond of type `is_autocommit`");
      break;
    case BatchCond::Kind::kNot:
    case BatchCond::Kind::kAnd:
    case BatchCond::Kind::kOr:
      for (const auto& inner : cond.conds) check_condition(inner, step);
      break;
  }
}

bool Executor::evaluate(const BatchCond& cond, const std::vector<bool>& succeeded) const {
  switch (cond.kind) {
    case BatchCond::Kind::kOk:
      return succeeded[cond.step];
    case BatchCond::Kind::kError:
      // sqld's reading: "did not succeed", which also holds for a skipped step.
      return !succeeded[cond.step];
    case BatchCond::Kind::kNot:
      return !evaluate(cond.conds.front(), succeeded);
    case BatchCond::Kind::kAnd:
      for (const auto& inner : cond.conds) {
        if (!evaluate(inner, succeeded)) return false;
      }
      return true;
    case BatchCond::Kind::kOr:
      for (const auto& inner : cond.conds) {
        if (evaluate(inner, succeeded)) return true;
      }
      return false;
    case BatchCond::Kind::kIsAutocommit:
      return connection_.is_autocommit();
  }
  return false;
}

void Executor::check_cancelled() const {
  if (cancellation_ != nullptr && cancellation_->cancelled()) throw RequestCancelled();
}

bool Executor::run_step(std::uint32_t step, const Stmt& stmt, const std::string& sql,
                        ResultSink& sink) {
  StepStats stats;
  const bool succeeded = run_statement(step, stmt, sql, sink, stats);
  if (access_ != nullptr) access_->statement_ran(succeeded, stats.rows_read, stats.rows_written);
  return succeeded;
}

bool Executor::run_statement(std::uint32_t step, const Stmt& stmt, const std::string& sql,
                             ResultSink& sink, StepStats& stats) {
  check_cancelled();
  const auto start = std::chrono::steady_clock::now();
  std::optional<engine::Statement> statement;
  try {
    statement = std::move(connection_.prepare_first(sql).statement);
  } catch (const libsql::Error& e) {
    sink.step_error(step, from_statement_prepare_failure(e, sql));
    return false;
  }
  if (!statement) {
    sink.step_error(step, sql_no_statement());
    return false;
  }

  // Columns are reported before arguments are bound, as sqld does (a cursor sees the
  // step begin even when binding then fails).
  sink.step_begin(step, *statement);
  std::vector<ValueView> positional(stmt.args.begin(), stmt.args.end());
  std::vector<NamedValueView> named;
  named.reserve(stmt.named_args.size());
  for (const auto& arg : stmt.named_args) named.push_back({arg.name, arg.value});
  try {
    // The request outlives the run: the values need no copies.
    statement->bind(ParamsView{positional, named}, engine::Statement::Lifetime::kBorrow);
  } catch (const libsql::Error& e) {
    sink.step_error(step, from_bind_failure(e));
    return false;
  }

  const std::int64_t changes_before = connection_.total_changes();
  std::uint64_t rows = 0;
  try {
    while (statement->step()) {
      sink.step_row(*statement);
      ++rows;
    }
  } catch (const libsql::Error& e) {
    sink.step_error(step, from_sqlite_failure(e));
    return false;
  }

  const sql::StatementInfo info = sql::classify(sql);
  // sqlite3_changes() keeps its value across other statements: only an INSERT, UPDATE or
  // DELETE reports it, and only an INSERT a rowid (as sqld does).
  if (info.is_iud) stats.affected_row_count = static_cast<std::uint64_t>(connection_.changes());
  if (info.is_insert) stats.last_insert_rowid = connection_.last_insert_rowid();
  // libSQL counts rows inside its VDBE; stock SQLite exposes full-scan steps and row
  // changes, the closest measures it has.
  stats.rows_written = static_cast<std::uint64_t>(connection_.total_changes() - changes_before);
  stats.rows_read = std::max(static_cast<std::uint64_t>(statement->fullscan_steps()), rows);
  stats.query_duration_ms = milliseconds_since(start);
  sink.step_end(stats);
  return true;
}

void Executor::execute(const Stmt& stmt, ResultSink& sink) {
  const std::string& sql = resolve_sql(stmt.sql, stmt.sql_id, sqls_, version_);
  if (auto error = check_statement(stmt, sql)) {
    sink.step_error(0, *error);
    return;
  }
  if (use_.take_lost_transaction()) {
    sink.step_error(0, transaction_timeout());
    return;
  }
  try {
    run_step(0, stmt, sql, sink);
  } catch (const ResponseTooLarge&) {
    sink.step_error(0, response_too_large());
  }
}

std::optional<Error> Executor::find_syntax_error(std::string_view sql) {
  try {
    connection_.prepare_first(sql);
  } catch (const libsql::Error& e) {
    if (is_syntax_error(e) && sql.find('\0') == std::string_view::npos) {
      return from_statement_prepare_failure(e, sql);
    }
  }
  return std::nullopt;
}

std::optional<Error> Executor::batch(const Batch& batch, ResultSink& sink) {
  std::vector<const std::string*> texts;
  texts.reserve(batch.steps.size());
  for (std::size_t i = 0; i < batch.steps.size(); ++i) {
    const BatchStep& step = batch.steps[i];
    texts.push_back(&resolve_sql(step.stmt.sql, step.stmt.sql_id, sqls_, version_));
    if (auto error = check_statement(step.stmt, *texts.back())) return error;
    if (step.condition) check_condition(*step.condition, i);
  }
  // With one step there is nothing to protect: its own prepare reports the error.
  if (batch.steps.size() > 1) {
    std::unordered_set<std::string_view> checked_texts;
    for (const std::string* text : texts) {
      if (!checked_texts.insert(*text).second) continue;  // clients repeat statements
      if (auto error = find_syntax_error(*text)) return error;
    }
  }
  if (use_.take_lost_transaction()) {
    // The whole program was meant for the transaction that is gone.
    for (std::size_t i = 0; i < batch.steps.size(); ++i)
      sink.step_error(static_cast<std::uint32_t>(i), transaction_timeout());
    return std::nullopt;
  }
  std::vector<bool> succeeded(batch.steps.size(), false);
  try {
    for (std::size_t i = 0; i < batch.steps.size(); ++i) {
      const BatchStep& step = batch.steps[i];
      if (step.condition && !evaluate(*step.condition, succeeded)) continue;
      succeeded[i] = run_step(static_cast<std::uint32_t>(i), step.stmt, *texts[i], sink);
    }
  } catch (const ResponseTooLarge&) {
    return response_too_large();
  }
  return std::nullopt;
}

std::optional<Error> Executor::sequence(const std::optional<std::string>& sql,
                                        const std::optional<std::int32_t>& sql_id) {
  std::string_view rest = resolve_sql(sql, sql_id, sqls_, version_);
  for (const sql::StatementSpan& span : sql::split_statements(rest)) {
    if (auto reason = unsupported_statement(span.text(rest))) return sql_unsupported(*reason);
    if (access_ != nullptr) {
      if (auto error = access_->check(span.text(rest))) return error;
    }
    if (auto error = find_syntax_error(span.text(rest))) return error;
  }
  if (use_.take_lost_transaction()) return transaction_timeout();
  const auto failed = [this](Error error) {
    if (access_ != nullptr) access_->statement_ran(false, 0, 0);
    return error;
  };
  while (true) {
    check_cancelled();
    engine::PreparedPrefix next;
    try {
      next = connection_.prepare_first(rest);
    } catch (const libsql::Error& e) {
      return failed(from_statement_prepare_failure(e, rest));
    }
    if (!next.statement) return std::nullopt;
    try {
      // A sequence carries no arguments: a parameter fails as sqld fails it.
      next.statement->bind(ParamsView{});
    } catch (const libsql::Error& e) {
      return failed(from_bind_failure(e));
    }
    const std::int64_t changes_before = connection_.total_changes();
    std::uint64_t rows = 0;
    try {
      while (next.statement->step()) ++rows;
    } catch (const libsql::Error& e) {
      return failed(from_sqlite_failure(e));
    }
    if (access_ != nullptr) {
      access_->statement_ran(
          true, std::max(static_cast<std::uint64_t>(next.statement->fullscan_steps()), rows),
          static_cast<std::uint64_t>(connection_.total_changes() - changes_before));
    }
    rest = next.rest;
  }
}

std::variant<DescribeResult, Error> Executor::describe(const std::optional<std::string>& sql,
                                                       const std::optional<std::int32_t>& sql_id) {
  const std::string& text = resolve_sql(sql, sql_id, sqls_, version_);
  if (access_ != nullptr) {
    if (auto error = access_->check_describe()) return *error;
  }
  // A pragma acts while it is prepared (a heap limit, on the whole process): describe
  // refuses the pragmas execute refuses. Other statements only compile, as in sqld.
  sql::FirstStatement first;
  if (sql::first_statement(text, first)) {
    const std::string_view statement = first.span.text(text);
    const sql::StatementInfo info = sql::classify(statement);
    const bool pragma =
        info.kind == sql::StatementKind::kPragma || (info.kind == sql::StatementKind::kExplain &&
                                                     info.explained == sql::StatementKind::kPragma);
    if (auto reason = unsupported_statement(statement); reason && pragma) {
      return sql_unsupported(*reason);
    }
  }
  std::optional<engine::Statement> statement;
  try {
    statement = std::move(connection_.prepare_first(text).statement);
  } catch (const libsql::Error& e) {
    return from_prepare_failure(e);
  }
  DescribeResult result;
  if (!statement) {
    result.is_readonly = true;  // SQLite's answer for "no statement"
    return result;
  }
  for (int i = 1; i <= statement->parameter_count(); ++i) {
    const std::string_view name = statement->parameter_name(i);
    result.params.push_back(name.empty() ? std::nullopt : std::optional<std::string>(name));
  }
  for (int i = 0; i < statement->column_count(); ++i) {
    const std::string_view declared = statement->column_decltype(i);
    result.cols.push_back({std::string(statement->column_name(i)),
                           declared.empty() ? std::nullopt : std::optional<std::string>(declared)});
  }
  result.is_explain = statement->is_explain();
  result.is_readonly = statement->is_readonly();
  return result;
}

}  // namespace libsql::hrana
