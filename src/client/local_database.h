// local_database.h: the public API's implementation for a local database file, on the
// engine. Statements and rows keep their connection alive, so no object handed to a
// user can outlive the sqlite3 handle it reads.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "client/impl.h"
#include "engine/connection.h"
#include "engine/database.h"

namespace libsql::client {

class LocalConnection;
class LocalRows;

// One prepared statement, shared by its LocalStatement and the LocalRows of its runs.
struct StatementState {
  StatementState(std::shared_ptr<LocalConnection> owner, engine::Statement prepared);
  ~StatementState();

  std::shared_ptr<LocalConnection> connection;  // declared first: destroyed last
  engine::Statement statement;
  std::uint64_t run = 0;  // counts the statement's runs, so older Rows know they ended
  // A released LocalRows kept for the next run, so that a hot query neither allocates
  // nor touches a reference count. The spare keeps its reference to this state: a
  // cycle, which ~LocalStatement ends by deleting the spare. So only a state that a
  // LocalStatement owns keeps a spare (`recycles_rows`).
  LocalRows* spare_rows = nullptr;
  bool recycles_rows = false;
};

class LocalRows final : public RowsImpl {
 public:
  // Rows of `state`'s current run.
  explicit LocalRows(std::shared_ptr<StatementState> state)
      : state_(std::move(state)), run_(state_->run) {}
  ~LocalRows() override;

  // Rows of `state`'s current run, reusing the statement's spare object if it has one.
  static RowsPtr for_run(const std::shared_ptr<StatementState>& state) {
    if (LocalRows* rows = std::exchange(state->spare_rows, nullptr)) {
      rows->run_ = state->run;
      rows->done_ = false;
      return RowsPtr(rows);
    }
    return RowsPtr(new LocalRows(state));
  }
  void release() noexcept override;

  bool next() override;
  int column_count() const override { return statement().column_count(); }
  std::string_view column_name(int column) const override {
    return statement().column_name(column);
  }
  std::string_view column_decltype(int column) const override {
    return statement().column_decltype(column);
  }
  ValueView column(int column) const override {
    check_current();
    // SQLite checks the bounds and whether a row is current (it has none once the run
    // ended): one test of its answer covers both.
    ValueView value;
    if (!statement().read_column(column, value)) throw_unreadable(column);
    return value;
  }

 private:
  const engine::Statement& statement() const { return state_->statement; }
  bool is_current() const { return state_->run == run_; }
  void check_current() const {
    if (!is_current()) throw_ended();
  }
  [[noreturn]] static void throw_ended();
  [[noreturn]] void throw_unreadable(int column) const;
  // Ends this run early if it is still current: releases the statement's locks.
  void finish() noexcept;

  std::shared_ptr<StatementState> state_;
  std::uint64_t run_;
  bool done_ = false;
};

class LocalStatement final : public StatementImpl {
 public:
  explicit LocalStatement(std::shared_ptr<StatementState> state);
  ~LocalStatement() override;

  std::uint64_t execute(ParamsView params) override;
  RowsPtr query(ParamsView params) override;
  void reset() override;

  int column_count() const override { return state_->statement.column_count(); }
  std::string_view column_name(int column) const override {
    return state_->statement.column_name(column);
  }
  std::string_view column_decltype(int column) const override {
    return state_->statement.column_decltype(column);
  }
  int parameter_count() const override { return state_->statement.parameter_count(); }
  std::string_view parameter_name(int index) const override {
    return state_->statement.parameter_name(index);
  }
  bool is_readonly() const override { return state_->statement.is_readonly(); }

 private:
  std::shared_ptr<StatementState> state_;
};

class LocalConnection final : public ConnectionImpl,
                              public std::enable_shared_from_this<LocalConnection> {
 public:
  explicit LocalConnection(engine::Connection connection) : connection_(std::move(connection)) {}

  std::uint64_t execute(std::string_view sql, ParamsView params) override;
  void execute_batch(std::string_view sql) override { connection_.execute_script(sql); }
  RowsPtr query(std::string_view sql, ParamsView params) override;
  std::shared_ptr<StatementImpl> prepare(std::string_view sql) override;

  void begin(TransactionBehavior behavior) override;
  void commit() override { connection_.execute_script("COMMIT"); }
  void rollback() override { connection_.execute_script("ROLLBACK"); }

  std::int64_t last_insert_rowid() const override { return connection_.last_insert_rowid(); }
  std::uint64_t changes() const override;
  std::uint64_t total_changes() const override;
  bool is_autocommit() const override { return connection_.is_autocommit(); }
  void interrupt() override { connection_.interrupt(); }

 private:
  engine::Connection connection_;
};

class LocalDatabase final : public DatabaseImpl {
 public:
  explicit LocalDatabase(engine::Database database) : database_(std::move(database)) {}

  std::shared_ptr<ConnectionImpl> connect() override;

 private:
  engine::Database database_;
};

}  // namespace libsql::client
