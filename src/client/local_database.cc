// local_database.cc: local files through the engine.

#include "client/local_database.h"

#include "libsql/error.h"

namespace libsql::client {

StatementState::StatementState(std::shared_ptr<LocalConnection> owner, engine::Statement prepared)
    : connection(std::move(owner)), statement(std::move(prepared)) {}

StatementState::~StatementState() = default;

void LocalRows::finish() noexcept {
  // Rows dropped before their end still hold a read transaction: release it.
  if (is_current()) state_->statement.reset();
}

LocalRows::~LocalRows() { finish(); }

void LocalRows::release() noexcept {
  finish();
  if (state_->recycles_rows && state_->spare_rows == nullptr) {
    state_->spare_rows = this;
    return;
  }
  delete this;
}

void LocalRows::throw_ended() {
  throw Error(PrimaryCode::kMisuse,
              "these rows have ended: their prepared statement was run or reset again");
}

void LocalRows::throw_unreadable(int column) const {
  const int count = column_count();
  if (column < 0 || column >= count) throw_column_out_of_range(column, count);
  throw Error(PrimaryCode::kMisuse, "no current row: the rows have all been read");
}

bool LocalRows::next() {
  check_current();
  if (done_) return false;
  done_ = !state_->statement.step();
  return !done_;
}

LocalStatement::LocalStatement(std::shared_ptr<StatementState> state) : state_(std::move(state)) {
  state_->recycles_rows = true;
}

LocalStatement::~LocalStatement() {
  state_->recycles_rows = false;
  delete std::exchange(state_->spare_rows, nullptr);
}

std::uint64_t LocalStatement::execute(ParamsView params) {
  ++state_->run;
  return state_->statement.run_to_completion(params);
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

std::uint64_t LocalConnection::execute(std::string_view sql, ParamsView params) {
  return connection_.prepare(sql).run_to_completion(params);
}

RowsPtr LocalConnection::query(std::string_view sql, ParamsView params) {
  auto state = std::make_shared<StatementState>(shared_from_this(), connection_.prepare(sql));
  state->statement.bind(params);
  return RowsPtr(new LocalRows(std::move(state)));
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
