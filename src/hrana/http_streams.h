// http_streams.h: Hrana-over-HTTP streams and the batons that carry them between
// requests.
//
// A stream is a SQLite connection (from the database's pool) plus its stored SQL,
// living across HTTP requests. A baton names one stream at one point in its life and
// is good for exactly one request: base64 of (stream id ‖ sequence number ‖ HMAC), so
// it cannot be forged, and every use advances the sequence. The checks and their
// messages follow sqld (protocol.md §4.2, §4.3): a stream idle for 10 s expires (its
// transaction rolls back) and is remembered as expired for 300 s.
//
// Thread-safe. acquire() and the expiry sweep do SQLite work (opening, rolling back):
// call them from blocking-work threads.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/connection_pool.h"
#include "hrana/executor.h"

namespace libsql::hrana {

struct HttpStream {
  // Empty once the client closed the stream: later requests that need it fail with
  // "Stream for this baton was closed", but stored SQL still works.
  std::optional<engine::Connection> connection;
  SqlStore sqls{50, 5000};  // sqld's per-stream limits over HTTP
};

// The stream expired: answered with a STREAM_EXPIRED error, not a protocol error.
class StreamExpiredError : public std::runtime_error {
 public:
  StreamExpiredError() : std::runtime_error("The stream has expired due to inactivity") {}
};

class HttpStreams {
 public:
  using Clock = std::chrono::steady_clock;

  struct Timeouts {
    Clock::duration idle_expiry = std::chrono::seconds(10);
    Clock::duration remember_expired = std::chrono::seconds(300);
  };

  // A stream checked out for one request.
  struct Lease {
    std::uint64_t id = 0;
    std::unique_ptr<HttpStream> stream;
  };

  explicit HttpStreams(engine::ConnectionPool& pool) : HttpStreams(pool, Timeouts{}) {}
  HttpStreams(engine::ConnectionPool& pool, Timeouts timeouts);
  ~HttpStreams();

  // The stream a request's baton names, or a new one for no baton, whose connection
  // takes `ticket`'s place (engine::ConnectionPool). Throws ProtocolError ("Received an
  // invalid baton", "Received a baton that has already been used"),
  // StreamExpiredError, or libsql::Error if no connection opens.
  Lease acquire(const std::optional<std::string>& baton,
                engine::ConnectionPool::Ticket ticket = {});
  // Returns a stream after its request; gives the baton for its next request, or
  // nullopt if the stream was closed (its connection then goes back to the pool).
  std::optional<std::string> release(Lease lease);
  // Drops a stream whose request failed as a whole: its transaction rolls back.
  void discard(Lease lease) noexcept;
  // The client's `close`: the connection goes back to the pool (rolling back).
  void close_connection(HttpStream& stream) noexcept;
  // Expires streams idle past their deadline and forgets long-expired ones.
  void expire_idle();

  std::size_t open_count() const;
  // Whether this server made `baton` (a read replica sends the others to its primary).
  bool is_own_baton(const std::string& baton) const { return parse_baton(baton).has_value(); }

 private:
  struct Entry {
    std::unique_ptr<HttpStream> stream;  // null while leased or once expired
    std::uint64_t sequence = 0;          // the one baton that is valid now
    bool leased = false;
    bool expired = false;
    Clock::time_point deadline;  // idle expiry, or when an expired entry is forgotten
  };

  std::string make_baton(std::uint64_t id, std::uint64_t sequence) const;
  // (id, sequence) from a baton this server made, or nullopt.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_baton(
      const std::string& baton) const;

  engine::ConnectionPool& pool_;
  const Timeouts timeouts_;
  std::array<unsigned char, 32> key_;  // random per process: batons die with a restart
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace libsql::hrana
