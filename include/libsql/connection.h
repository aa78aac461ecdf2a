// connection.h: a connection to a libSQL database, through which SQL runs.
//
//   auto conn = db.connect();
//   conn.execute("INSERT INTO users(name) VALUES (?)", {"ada"});
//   auto rows = conn.query("SELECT count(*) FROM users");
//
// Copies of a Connection share one underlying connection (and its transaction). A
// connection is used by one thread at a time; open one per thread for parallel work.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "libsql/params.h"
#include "libsql/rows.h"
#include "libsql/statement.h"
#include "libsql/transaction.h"

namespace libsql {

class Connection {
 public:
  explicit Connection(std::shared_ptr<client::ConnectionImpl> impl) : impl_(std::move(impl)) {}

  // Runs one statement to completion, discarding any rows; returns the rows changed.
  // Parameters: a braced list of values ({1, "a"}) or of names and values
  // ({{":id", 1}}), bound without copies; or Params, built at run time.
  std::uint64_t execute(std::string_view sql, const Params& params = {}) {
    return execute(sql, params.view());
  }
  std::uint64_t execute(std::string_view sql, std::initializer_list<ValueView> values) {
    return execute(sql, ParamsView{values, {}});
  }
  std::uint64_t execute(std::string_view sql, std::initializer_list<NamedValueView> named) {
    return execute(sql, ParamsView{{}, named});
  }
  std::uint64_t execute(std::string_view sql, ParamsView params);
  // Runs a script of any number of statements (no parameters), discarding rows.
  void execute_batch(std::string_view sql);
  // Runs one statement and returns its rows.
  Rows query(std::string_view sql, const Params& params = {}) { return query(sql, params.view()); }
  Rows query(std::string_view sql, std::initializer_list<ValueView> values) {
    return query(sql, ParamsView{values, {}});
  }
  Rows query(std::string_view sql, std::initializer_list<NamedValueView> named) {
    return query(sql, ParamsView{{}, named});
  }
  Rows query(std::string_view sql, ParamsView params);
  Statement prepare(std::string_view sql);
  Transaction transaction(TransactionBehavior behavior = TransactionBehavior::kDeferred);

  std::int64_t last_insert_rowid() const;
  std::uint64_t changes() const;
  std::uint64_t total_changes() const;
  bool is_autocommit() const;
  // Makes the running statement fail with SQLITE_INTERRUPT; callable from any thread.
  void interrupt();

 private:
  std::shared_ptr<client::ConnectionImpl> impl_;
};

}  // namespace libsql
