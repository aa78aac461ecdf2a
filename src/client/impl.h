// impl.h: the seam behind the public API. Each kind of database (a local file today;
// a remote sqld and an embedded replica later) implements these interfaces, and
// the public classes in include/libsql/ forward to them.
//
// Implementations report failures as libsql::Error. Threading follows the public API:
// a ConnectionImpl, and the statements and rows made from it, are used by one thread at
// a time, except interrupt(); a DatabaseImpl may be used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "libsql/params.h"
#include "libsql/rows.h"
#include "libsql/statement.h"
#include "libsql/transaction.h"
#include "libsql/value.h"

namespace libsql::client {

// RowsImpl and StatementImpl are declared in libsql/rows.h and libsql/statement.h:
// reading a column, or running a prepared statement, inlines down to one virtual call.

class ConnectionImpl {
 public:
  virtual ~ConnectionImpl() = default;

  virtual std::uint64_t execute(std::string_view sql, ParamsView params) = 0;
  virtual void execute_batch(std::string_view sql) = 0;
  virtual RowsPtr query(std::string_view sql, ParamsView params) = 0;
  virtual std::shared_ptr<StatementImpl> prepare(std::string_view sql) = 0;

  virtual void begin(TransactionBehavior behavior) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  virtual std::int64_t last_insert_rowid() const = 0;
  virtual std::uint64_t changes() const = 0;
  virtual std::uint64_t total_changes() const = 0;
  virtual bool is_autocommit() const = 0;
  virtual void interrupt() = 0;
};

class DatabaseImpl {
 public:
  virtual ~DatabaseImpl() = default;

  virtual std::shared_ptr<ConnectionImpl> connect() = 0;
};

}  // namespace libsql::client
