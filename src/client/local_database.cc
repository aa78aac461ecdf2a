// local_database.cc: local files through the engine.

#include "client/local_database.h"

#include "libsql/error.h"

namespace libsql::client {

StatementState::StatementState(std::shared_ptr<LocalConnection> owner, engine::Statement prepared)
    : connection(std::move(owner)), statement(std::move(prepared)) {}

StatementState::~StatementState() = default;

void LocalRows::finish() noexcept {
  // Rows dropped before their end still hold a read transaction: release it.
  if (state_ && is_current()) state_->statement.reset();
}

LocalRows::~LocalRows() { finish(); }

RowsPtr LocalRows::for_run(const std::shared_ptr<StatementState>& state) {
  if (auto rows = std::move(state->spare_rows)) {
    rows->state_ = state;
    rows->run_ = state->run;
    rows->done_ = false;
    return RowsPtr(rows.release());
  }
  return RowsPtr(new LocalRows(state, /*recycle=*/true));
}

void LocalRows::release() noexcept {
  finish();
  if (!recycle_ || state_->spare_rows) {
    delete this;
    return;
  }
  // The spare must not own its statement (that would be a cycle). If `state` is the
  // last owner, dropping it at the end of this scope deletes this object through
  // spare_rows: nothing below may touch a member.
  const std::shared_ptr<StatementState> state = std::move(state_);
  state->spare_rows.reset(this);
}

void LocalRows::throw_ended() {
  throw Error(PrimaryCode::kMisuse,
              "these rows have ended: their prepared statement was run or reset again");
}

void LocalRows::throw_no_row() {
  throw Error(PrimaryCode::kMisuse, "no current row: the rows have all been read");
}

bool LocalRows::next() {
  check_current();
  if (done_) return false;
  done_ = !state_->statement.step();
  return !done_;
}

std::uint64_t LocalStatement::execute(ParamsView params) {
  ++state_->run;
  state_->statement.reset();
  return state_->connection->run_to_completion(state_->statement, params);
}

RowsPtr LocalStatement::query(ParamsView params) {
  ++state_->run;
  state_->statement.reset();
  // The rows are read after this call returns, when `params` may be gone: copy them.
  state_->statement.bind(params, engine::Statement::Lifetime::kCopy);
  return LocalRows::for_run(state_);
}

void LocalStatement::reset() {
  ++state_->run;
  state_->statement.reset();
}

std::uint64_t LocalConnection::run_to_completion(engine::Statement& statement, ParamsView params) {
  // The run ends inside this call, so `params` outlive it: no copies. The next run
  // binds every parameter again before it steps, so nothing reads them afterwards.
  struct ResetOnExit {
    engine::Statement& statement;
    ~ResetOnExit() { statement.reset(); }
  } reset_on_exit{statement};
  statement.bind(params, engine::Statement::Lifetime::kBorrow);
  const std::int64_t before = connection_.total_changes();
  while (statement.step()) {
  }
  // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so a statement
  // that changed nothing (DDL, a SELECT, an UPDATE matching no row) must report 0 itself.
  return connection_.total_changes() == before ? 0 : changes();
}

std::uint64_t LocalConnection::execute(std::string_view sql, ParamsView params) {
  engine::Statement statement = connection_.prepare(sql);
  return run_to_completion(statement, params);
}

RowsPtr LocalConnection::query(std::string_view sql, ParamsView params) {
  auto state = std::make_shared<StatementState>(shared_from_this(), connection_.prepare(sql));
  state->statement.bind(params);
  return RowsPtr(new LocalRows(std::move(state), /*recycle=*/false));
}

std::shared_ptr<StatementImpl> LocalConnection::prepare(std::string_view sql) {
  return std::make_shared<LocalStatement>(
      std::make_shared<StatementState>(shared_from_this(), connection_.prepare(sql)));
}

void LocalConnection::begin(TransactionBehavior behavior) {
  switch (behavior) {
    case TransactionBehavior::kDeferred:
      return connection_.execute_script("BEGIN DEFERRED");
    case TransactionBehavior::kImmediate:
      return connection_.execute_script("BEGIN IMMEDIATE");
    case TransactionBehavior::kExclusive:
      return connection_.execute_script("BEGIN EXCLUSIVE");
  }
}

std::uint64_t LocalConnection::changes() const {
  return static_cast<std::uint64_t>(connection_.changes());
}

std::uint64_t LocalConnection::total_changes() const {
  return static_cast<std::uint64_t>(connection_.total_changes());
}

std::shared_ptr<ConnectionImpl> LocalDatabase::connect() {
  return std::make_shared<LocalConnection>(database_.connect());
}

}  // namespace libsql::client
