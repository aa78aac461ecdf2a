// proxy_service.h: libSQL's Proxy service (proxy.proto): the writes an embedded replica
// forwards to its primary, run as sqld runs them (libsql-server/src/rpc/proxy.rs,
// connection/program.rs; research/replication.md §6).
//
// Each client_id (one per connect() of a replica) has its own SQLite connection, so a
// transaction begun in one Execute goes on in the next. A connection with nothing open
// (autocommit, no session change) goes back to the pool between calls; one inside a
// transaction is kept, and rolled back once its client has been idle for 30 s, as sqld
// collects them.
//
// A program runs on our engine with sqld's semantics, not through hrana::Executor: the
// proxy reports SQLite's extended code and rusqlite's messages, fails every step of a
// program whose transaction timed out, and reports skipped steps as empty results.
//
// Must not: know HTTP or gRPC-Web framing, or authenticate (server/grpc_route.cc does,
// and hands each call its namespace and access policy). Every call but the constructor
// does SQLite work: call from blocking-work threads. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "engine/connection_pool.h"
#include "hrana/access.h"
#include "hrana/request_context.h"
#include "proto/proxy.pb.h"
#include "replication/grpc_web.h"
#include "server/namespaces.h"

namespace libsql::server {

struct ProxyOptions {
  // A client idle this long loses its connection (its transaction rolls back): sqld's
  // garbage_collect limit.
  std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(30);
  // Largest result of one Execute (names and values), sqld's --max-response-size.
  std::uint64_t max_response_bytes = 10'000'000;
};

class ProxyService {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ProxyService(ProxyOptions options = {}) : options_(options) {}
  // Gives every client's connection back (rolling back what is open).
  ~ProxyService();
  ProxyService(const ProxyService&) = delete;
  ProxyService& operator=(const ProxyService&) = delete;

  // Who calls, as the route decided: the namespace and what the credential may do there.
  struct Caller {
    std::shared_ptr<Namespace> ns;
    std::shared_ptr<const hrana::AccessPolicy> access;  // null: anything goes
    // Cancelled when the client hangs up: the running statement is interrupted and the
    // client's connection dropped. May be null.
    hrana::Cancellation* cancellation = nullptr;
  };

  // Whether a call of `client_id` on `ns` would open a connection (the route then waits
  // for a place among the namespace's open connections first).
  bool needs_connection(const Namespace& ns, std::string_view client_id) const;

  // Execute: the program's results, state (INIT or TXN) and the log's last frame_no
  // once it ran (clients wait for that index to read their own writes). Whole-call
  // failures are Statuses in sqld's words: INVALID_ARGUMENT for a program that does not
  // convert (an empty or unsupported statement, missing params, bad values), and
  // PERMISSION_DENIED for a statement the credential may not run or a result too large.
  // `ticket`: a place for the connection, if the client needs one.
  std::variant<proxy::ExecuteResults, replication::grpc_web::Status> execute(
      const Caller& caller, const proxy::ProgramReq& request,
      engine::ConnectionPool::Ticket ticket = {});
  // Describe: the statement's columns and parameters, compiled without running it, on
  // the client's connection. sqld answers a statement that does not compile with
  // PERMISSION_DENIED and its error, never with DescribeResult.error; so do we.
  std::variant<proxy::DescribeResult, replication::grpc_web::Status> describe(
      const Caller& caller, const proxy::DescribeRequest& request,
      engine::ConnectionPool::Ticket ticket = {});
  // Disconnect: forgets the client (its transaction rolls back). Waits for a call of
  // that client in progress.
  replication::grpc_web::Status disconnect(const proxy::DisconnectMessage& message);

  // Drops the clients idle for longer than the idle timeout at `now` (the server calls
  // it every few seconds); returns how many.
  std::size_t collect_garbage(Clock::time_point now = Clock::now());

  std::size_t client_count() const;
  // Whether `client_id` holds a connection between calls (one in a transaction does).
  bool holds_connection(std::string_view client_id) const;

 private:
  struct Client;

  // The client's state, created on first use; nullptr with `error` for a client_id that
  // is not a UUID.
  std::shared_ptr<Client> client(std::string_view client_id, replication::grpc_web::Status& error);
  void forget(const std::string& client_id, const std::shared_ptr<Client>& client);
  // Gives the client's connection back to its pool (rolling back). Call lock held.
  void release(Client& client);
  // The client's connection on the caller's namespace, opened in `ticket`'s place when
  // it has none. Call lock held.
  engine::Connection& connection_for(Client& client, const Caller& caller,
                                     engine::ConnectionPool::Ticket ticket);
  // After a call: gives the connection back when nothing needs it kept.
  void settle(Client& client);

  const ProxyOptions options_;
  mutable std::mutex mutex_;  // guards clients_ and each Client's last_used
  std::unordered_map<std::string, std::shared_ptr<Client>> clients_;
};

}  // namespace libsql::server
