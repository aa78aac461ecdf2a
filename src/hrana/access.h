// access.h: the check a server plugs into every statement a Hrana request runs: may
// this client run it in this database, and does the database take it now. The same
// object then hears how each statement ended, for the server's counters.
//
// The executor asks before any statement of a request runs (every step of a batch,
// every statement of a sequence), so a refused program runs nothing. Implementations
// (the server's authorization and namespace blocks) decide; this file knows neither
// tokens nor namespaces.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "hrana/protocol.h"

namespace libsql::hrana {

// The client may not run a statement of the request at all: sqld answers the whole
// HTTP request 403 with this message.
class AccessDenied : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // `statement` (one statement) is about to run. Returns the statement error it fails
  // with (e.g. BLOCKED), or nullopt; throws AccessDenied when the client may not run it.
  // Classifies the statement (sql::classify) only when the answer depends on it.
  virtual std::optional<Error> check(std::string_view statement) const = 0;
  // The same for a `describe` request, which compiles a statement without running it.
  virtual std::optional<Error> check_describe() const = 0;
  // A statement that passed check() ran: whether it succeeded, and the rows it read and
  // wrote (zero when it failed).
  virtual void statement_ran(bool succeeded, std::uint64_t rows_read,
                             std::uint64_t rows_written) const noexcept = 0;
};

}  // namespace libsql::hrana
