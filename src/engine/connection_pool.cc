// connection_pool.cc: reuse of idle connections.

#include "engine/connection_pool.h"

#include "libsql/error.h"

namespace libsql::engine {

Connection ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      Connection connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return database_.connect();
}

void ConnectionPool::release(Connection connection) noexcept {
  if (!connection.is_autocommit()) {
    try {
      connection.execute_script("ROLLBACK");
    } catch (const Error&) {
      return;  // closes it: a connection that cannot roll back is not reused
    }
  }
  if (!connection.is_autocommit() || connection.session_changed()) return;
  // A reused connection must look new: the next user's INSERT OR IGNORE that inserts
  // nothing reports rowid 0, not ours.
  connection.reset_last_insert_rowid();
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

std::size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

}  // namespace libsql::engine
