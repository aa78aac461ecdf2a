// connection_pool.h: a database's idle connections, reused so that a new Hrana stream
// does not pay for opening a connection and parsing the schema, and the limit on how
// many connections may be out at once (sqld's --max-concurrent-connections).
//
// A connection goes back into the pool only in the state a fresh one has: autocommit
// (an open transaction is rolled back first) and no session changes (Connection::
// session_changed). Anything else is closed. Thread-safe.
//
// The limit is kept with tickets: reserve() grants one, now or, when all are taken,
// later to callers in the order they came; acquire() turns a ticket into a connection,
// whose release() passes its place on to the next waiter. Waiting happens in the
// caller's own way (a network coroutine), never on a thread of this class.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "engine/connection.h"
#include "engine/database.h"

namespace libsql::engine {

class ConnectionPool {
 public:
  struct Limits {
    std::size_t max_idle = 64;
    // Connections out of the pool at once, tickets included; 0 for no limit.
    std::size_t max_open = 0;
    // Callers that may wait for a ticket; more are refused.
    std::size_t max_waiting = 0;
  };

  // One place among the max_open. Moves; given back when destroyed unused.
  class Ticket {
   public:
    Ticket() = default;  // no place: acquire() then counts the connection beyond the limit
    Ticket(Ticket&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket();
    explicit operator bool() const noexcept { return pool_ != nullptr; }

   private:
    friend class ConnectionPool;
    explicit Ticket(ConnectionPool* pool) : pool_(pool) {}
    ConnectionPool* pool_ = nullptr;
  };

  enum class Admission { kGranted, kQueued, kRefused };

  ConnectionPool(Database database, Limits limits)
      : database_(std::move(database)), limits_(limits) {}
  ConnectionPool(Database database, std::size_t max_idle)
      : ConnectionPool(std::move(database), Limits{max_idle}) {}

  // A ticket if a place is free now; an empty one otherwise.
  Ticket try_reserve();
  // kGranted: `ticket` holds a place. kQueued: all are taken; `on_granted` is called
  // with one later, on the thread that frees it (it must not block). kRefused:
  // max_waiting callers already wait.
  Admission reserve(Ticket& ticket, std::function<void(Ticket)> on_granted);
  // An idle connection, or a newly opened one (which may throw libsql::Error), in the
  // place `ticket` holds (or counted beyond the limit without one).
  Connection acquire(Ticket ticket);
  Connection acquire() { return acquire(Ticket()); }
  // Takes `connection` back. Does SQLite work (ROLLBACK when a transaction is open), so
  // call it from a blocking-work thread. Never throws.
  void release(Connection connection) noexcept;

  // Closes the idle connections, so the next ones open afresh (their on_open hook runs
  // again). Call from a blocking-work thread.
  void discard_idle() noexcept;

  const Database& database() const noexcept { return database_; }
  std::size_t idle_count() const;
  // Connections out of the pool plus unused tickets.
  std::size_t open_count() const;

 private:
  // A place came back: it goes to the first waiter, or is counted down.
  void free_place() noexcept;

  Database database_;
  const Limits limits_;
  mutable std::mutex mutex_;
  std::vector<Connection> idle_;
  std::size_t open_ = 0;
  std::deque<std::function<void(Ticket)>> waiting_;
};

// A connection from `pool` for one request, given back however the request ends.
class PooledConnection {
 public:
  explicit PooledConnection(ConnectionPool& pool, ConnectionPool::Ticket ticket = {})
      : pool_(pool), connection_(pool.acquire(std::move(ticket))) {}
  ~PooledConnection() { pool_.release(std::move(connection_)); }
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;

  Connection& get() noexcept { return connection_; }

 private:
  ConnectionPool& pool_;
  Connection connection_;
};

}  // namespace libsql::engine
