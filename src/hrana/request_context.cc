// request_context.cc: cancelling a request's running statement.

#include "hrana/request_context.h"

namespace libsql::hrana {

void Cancellation::cancel() noexcept {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (watched_ != nullptr) watched_->interrupt();
}

bool Cancellation::cancelled() const noexcept {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

Cancellation::Watch::Watch(Cancellation* cancellation, engine::Connection& connection)
    : cancellation_(cancellation) {
  if (cancellation_ == nullptr) return;
  std::lock_guard lock(cancellation_->mutex_);
  cancellation_->watched_ = &connection;
}

Cancellation::Watch::~Watch() {
  if (cancellation_ == nullptr) return;
  std::lock_guard lock(cancellation_->mutex_);
  cancellation_->watched_ = nullptr;
}

}  // namespace libsql::hrana
