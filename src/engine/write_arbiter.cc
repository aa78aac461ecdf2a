// write_arbiter.cc: the busy handler, the release signal, and taking expired locks.

#include "engine/write_arbiter.h"

#include <sqlite3.h>

#include <algorithm>

namespace libsql::engine {

namespace {

// A waiter re-checks at least this often: a holder may pass its deadline while busy,
// or end a transaction in a way no hook reports (a ROLLBACK statement mid-request).
constexpr auto kMaxSleep = std::chrono::milliseconds(100);

}  // namespace

std::shared_ptr<WriteArbiter::Member> WriteArbiter::join(sqlite3* db) {
  auto member = std::make_shared<Member>();
  member->arbiter = shared_from_this();
  member->db = db;
  sqlite3_busy_handler(db, &WriteArbiter::on_busy, member.get());
  std::lock_guard lock(mutex_);
  members_.push_back(member.get());
  return member;
}

void WriteArbiter::leave(Member& member) noexcept {
  // The handle may outlive the Connection as a zombie (close_v2 with statements left).
  sqlite3_busy_handler(member.db, nullptr, nullptr);
  std::lock_guard lock(mutex_);
  std::erase(members_, &member);
  member.db = nullptr;  // a Use still held by the closing thread must not touch it
  if (member.write_since) {
    // Closing rolls its transaction back.
    ++releases_;
    released_.notify_all();
  }
}

void WriteArbiter::use_ended(Member& member) noexcept {
  if (member.db == nullptr) return;  // closed during the use
  if (sqlite3_txn_state(member.db, nullptr) == SQLITE_TXN_WRITE) {
    if (!member.write_since) member.write_since = member.use_began;
  } else if (member.write_since) {
    member.write_since.reset();
    notify_lock_released();
  }
}

void WriteArbiter::notify_lock_released() {
  std::lock_guard lock(mutex_);
  ++releases_;
  released_.notify_all();
}

int WriteArbiter::on_busy(void* member, int attempt) {
  auto* waiter = static_cast<Member*>(member);
  return waiter->arbiter->wait_for_lock(*waiter, attempt) ? 1 : 0;
}

bool WriteArbiter::wait_for_lock(Member& waiter, int attempt) {
  const auto now = Clock::now();
  std::unique_lock lock(mutex_);
  if (attempt == 0) {
    // Retry at once: the lock may have gone since SQLite tried. Releases from here on
    // are counted, so none is missed while SQLite tries again.
    waiter.wait_began = now;
    waiter.seen_releases = releases_;
    return true;
  }
  const auto give_up = waiter.wait_began + options_.max_wait;
  if (now >= give_up) return false;
  const auto wake = std::min({give_up, now + kMaxSleep, take_expired_locks(waiter, now)});
  released_.wait_until(lock, wake, [&] { return releases_ != waiter.seen_releases; });
  waiter.seen_releases = releases_;
  return true;
}

WriteArbiter::Clock::time_point WriteArbiter::take_expired_locks(const Member& waiter,
                                                                 Clock::time_point now) {
  auto next_deadline = Clock::time_point::max();
  for (Member* holder : members_) {
    if (holder == &waiter) continue;
    // A connection in use is left alone; it is taken when idle, after its request.
    std::unique_lock use(holder->in_use, std::try_to_lock);
    if (!use || !holder->write_since) continue;
    const auto deadline = *holder->write_since + options_.transaction_timeout;
    if (now < deadline) {
      next_deadline = std::min(next_deadline, deadline);
      continue;
    }
    if (sqlite3_txn_state(holder->db, nullptr) == SQLITE_TXN_WRITE) {
      sqlite3_exec(holder->db, "ROLLBACK", nullptr, nullptr, nullptr);
      holder->lost_transaction = true;
    }
    holder->write_since.reset();
    ++releases_;
    released_.notify_all();
  }
  return next_deadline;
}

}  // namespace libsql::engine
