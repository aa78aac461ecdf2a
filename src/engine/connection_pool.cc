// connection_pool.cc: reuse of idle connections.

#include "engine/connection_pool.h"

#include "libsql/error.h"

namespace libsql::engine {

ConnectionPool::Ticket& ConnectionPool::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr) pool_->free_place();
    pool_ = std::exchange(other.pool_, nullptr);
  }
  return *this;
}

ConnectionPool::Ticket::~Ticket() {
  if (pool_ != nullptr) pool_->free_place();
}

ConnectionPool::Ticket ConnectionPool::try_reserve() {
  std::lock_guard lock(mutex_);
  if (limits_.max_open != 0 && open_ >= limits_.max_open) return Ticket();
  ++open_;
  return Ticket(this);
}

ConnectionPool::Admission ConnectionPool::reserve(Ticket& ticket,
                                                  std::function<void(Ticket)> on_granted) {
  std::lock_guard lock(mutex_);
  if (limits_.max_open == 0 || open_ < limits_.max_open) {
    ++open_;
    ticket = Ticket(this);
    return Admission::kGranted;
  }
  if (waiting_.size() >= limits_.max_waiting) return Admission::kRefused;
  waiting_.push_back(std::move(on_granted));
  return Admission::kQueued;
}

Connection ConnectionPool::acquire(Ticket ticket) {
  {
    std::lock_guard lock(mutex_);
    if (ticket) {
      ticket.pool_ = nullptr;  // its place is the connection's now
    } else {
      ++open_;
    }
    if (!idle_.empty()) {
      Connection connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  try {
    return database_.connect();
  } catch (...) {
    free_place();
    throw;
  }
}

void ConnectionPool::free_place() noexcept {
  std::unique_lock lock(mutex_);
  if (waiting_.empty()) {
    --open_;
    return;
  }
  auto granted = std::move(waiting_.front());
  waiting_.pop_front();
  lock.unlock();
  granted(Ticket(this));
}

void ConnectionPool::release(Connection connection) noexcept {
  bool reusable = false;
  {
    Connection::Use use(connection);
    use.take_lost_transaction();  // news for the user who is leaving, not the next one
    connection.rollback_quietly();
    // A reused connection must look new: the next user's INSERT OR IGNORE that inserts
    // nothing reports rowid 0, not ours.
    connection.reset_last_insert_rowid();
    // One that could not roll back, or whose session changed, is closed instead.
    reusable = connection.is_autocommit() && !connection.session_changed();
  }
  {
    std::lock_guard lock(mutex_);
    if (reusable && idle_.size() < limits_.max_idle) idle_.push_back(std::move(connection));
  }
  {
    const Connection closing = std::move(connection);
  }  // one not kept closes before its place moves on
  free_place();
}

std::size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

std::size_t ConnectionPool::open_count() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void ConnectionPool::discard_idle() noexcept {
  std::vector<Connection> closing;
  {
    const std::lock_guard lock(mutex_);
    closing.swap(idle_);
  }
}  // closed here, outside the lock

}  // namespace libsql::engine
