// connection.cc: implements include/libsql/connection.h and transaction.h over a
// ConnectionImpl.

#include "libsql/connection.h"

#include "client/impl.h"

namespace libsql {

std::uint64_t Connection::execute(std::string_view sql, ParamsView params) {
  return impl_->execute(sql, params);
}
void Connection::execute_batch(std::string_view sql) { impl_->execute_batch(sql); }
Rows Connection::query(std::string_view sql, ParamsView params) {
  return Rows(impl_->query(sql, params));
}
Statement Connection::prepare(std::string_view sql) { return Statement(impl_->prepare(sql)); }
Transaction Connection::transaction(TransactionBehavior behavior) {
  return Transaction(impl_, behavior);
}
std::int64_t Connection::last_insert_rowid() const { return impl_->last_insert_rowid(); }
std::uint64_t Connection::changes() const { return impl_->changes(); }
std::uint64_t Connection::total_changes() const { return impl_->total_changes(); }
bool Connection::is_autocommit() const { return impl_->is_autocommit(); }
void Connection::interrupt() { impl_->interrupt(); }

Transaction::Transaction(std::shared_ptr<client::ConnectionImpl> connection,
                         TransactionBehavior behavior)
    : connection_(std::move(connection)) {
  connection_->begin(behavior);
  open_ = true;
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::move(other.connection_)), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  if (!open_) return;
  // SQLite may already have rolled back (some errors end the transaction); only an
  // open transaction can be rolled back.
  try {
    if (!connection_->is_autocommit()) connection_->rollback();
  } catch (...) {
    // A destructor must not throw; the connection reports the failure on its next use.
  }
}

void Transaction::commit() {
  connection_->commit();
  open_ = false;
}

void Transaction::rollback() {
  open_ = false;
  if (!connection_->is_autocommit()) connection_->rollback();
}

Connection Transaction::connection() const { return Connection(connection_); }

}  // namespace libsql
