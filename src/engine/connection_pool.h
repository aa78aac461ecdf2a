// connection_pool.h: a database's idle connections, reused so that a new Hrana stream
// does not pay for opening a connection and parsing the schema.
//
// A connection goes back into the pool only in the state a fresh one has: autocommit
// (an open transaction is rolled back first) and no session changes (Connection::
// session_changed). Anything else is closed. Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "engine/connection.h"
#include "engine/database.h"

namespace libsql::engine {

class ConnectionPool {
 public:
  ConnectionPool(Database database, std::size_t max_idle)
      : database_(std::move(database)), max_idle_(max_idle) {}

  // An idle connection, or a newly opened one (which may throw libsql::Error).
  Connection acquire();
  // Takes `connection` back. Does SQLite work (ROLLBACK when a transaction is open), so
  // call it from a blocking-work thread. Never throws.
  void release(Connection connection) noexcept;

  const Database& database() const noexcept { return database_; }
  std::size_t idle_count() const;

 private:
  Database database_;
  const std::size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<Connection> idle_;
};

}  // namespace libsql::engine
