// request_context.h: what a Hrana request brings besides its body: the server settings
// that shape its answer, its place among the open connections, and the means to stop it
// when its client goes away.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/connection.h"
#include "engine/connection_pool.h"
#include "hrana/access.h"

namespace libsql::hrana {

// Stops a request's SQLite work from another thread: the statement running is
// interrupted, and no further one starts (RequestCancelled). Thread-safe.
class Cancellation {
 public:
  void cancel() noexcept;
  bool cancelled() const noexcept;

  // While one is alive, cancel() interrupts `connection`. A null Cancellation is fine.
  class Watch {
   public:
    Watch(Cancellation* cancellation, engine::Connection& connection);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    Cancellation* cancellation_;
  };

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  engine::Connection* watched_ = nullptr;
};

// Thrown where a cancelled request would start a statement. The request's stream is
// dropped (its transaction rolls back): nobody is left to continue it.
class RequestCancelled : public std::runtime_error {
 public:
  RequestCancelled() : std::runtime_error("the client went away") {}
};

struct RequestContext {
  // Where clients send the stream's next requests (sqld's --http-self-url), or null.
  std::optional<std::string> base_url;
  // A place among the open connections, for a request that opens one; without one
  // the connection counts beyond the limit.
  engine::ConnectionPool::Ticket ticket;
  std::shared_ptr<Cancellation> cancellation;  // may be null
  // Asked about every statement before it runs (access.h); null lets everything run.
  std::shared_ptr<const AccessPolicy> access;
};

}  // namespace libsql::hrana
