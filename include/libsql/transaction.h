// transaction.h: a transaction that rolls back unless it is committed.
//
//   auto tx = conn.transaction(libsql::TransactionBehavior::kImmediate);
//   conn.execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1");
//   conn.execute("UPDATE accounts SET balance = balance + 10 WHERE id = 2");
//   tx.commit();  // an exception before this line rolls both updates back
//
// Statements run through the connection while the Transaction is open belong to it.
#pragma once

#include <memory>

namespace libsql {

class Connection;

namespace client {
class ConnectionImpl;
}

// How BEGIN takes its locks (SQLite's BEGIN DEFERRED / IMMEDIATE / EXCLUSIVE).
enum class TransactionBehavior { kDeferred, kImmediate, kExclusive };

class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  // Rolls back if neither commit() nor rollback() finished. Never throws.
  ~Transaction();

  // If COMMIT fails (e.g. SQLITE_BUSY), the transaction stays open: commit() may be
  // retried, and the destructor rolls it back otherwise.
  void commit();
  void rollback();

  Connection connection() const;

 private:
  friend class Connection;
  Transaction(std::shared_ptr<client::ConnectionImpl> connection, TransactionBehavior behavior);

  std::shared_ptr<client::ConnectionImpl> connection_;
  bool open_ = false;
};

}  // namespace libsql
