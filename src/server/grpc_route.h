// grpc_route.h: libSQL's gRPC services on sqld's HTTP port, as gRPC-Web over HTTP/1.1
// (what the native client with `syncUrl` sends; research/replication.md §2):
//   POST /wal_log.ReplicationLog/{Hello,LogEntries,BatchLogEntries,Snapshot}
//   POST /proxy.Proxy/{Execute,Describe,Disconnect}   (StreamExec: UNIMPLEMENTED)
//
// Each call is checked in sqld's order (rpc/mod.rs extract_namespace, rpc/replication/
// auth.rs, replication_log.rs, proxy.rs): the namespace from x-namespace-bin (only when
// namespaces are enabled), the credential from authorization or x-authorization, the
// namespace's existence (FAILED_PRECONDITION NAMESPACE_DOESNT_EXIST), then the service.
// Answers are HTTP 200 with application/grpc-web+proto: message frames and a trailers
// frame, or, for a call that fails before any message, the status alone in headers.
//
// Replies from the log go out with HTTP chunked encoding, piece by piece, so one of any
// size is never held whole. BatchLogEntries and Snapshot read each piece on a blocking
// thread just before it is written; a BatchLogEntries message (its length known up
// front) is one chunk, as tonic sends it. LogEntries waits for commits without a thread
// (the namespace's CommitSignal), so any number of replicas may follow. The log and
// SQLite are read on blocking threads, never on a network thread; a client that hangs up
// ends the work.
//
// Must not: decide replication or proxy semantics (replication/log_service.h,
// server/proxy_service.h do), or block a network thread. Thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "replication/log_service.h"
#include "server/auth.h"
#include "server/http_listener.h"
#include "server/namespaces.h"
#include "server/proxy_service.h"

namespace libsql::server {

struct GrpcRouteOptions {
  bool namespaces_enabled = false;
  // Largest request message accepted.
  std::size_t max_message_bytes = 64 * 1024 * 1024;
  ProxyOptions proxy;
};

class GrpcRoute {
 public:
  GrpcRoute(boost::asio::io_context& io, boost::asio::thread_pool& blocking,
            NamespaceStore& namespaces, AuthStrategy auth, GrpcRouteOptions options);
  ~GrpcRoute();

  StreamingRoute route();
  // Starts collecting idle proxy clients every few seconds.
  void start();
  // Ends the collection: the server is stopping. Streams in progress end with the
  // io_context, as they hold no blocking thread.
  void stop();

  ProxyService& proxy() noexcept { return proxy_; }

  struct Call;  // one call being answered

 private:
  boost::asio::awaitable<bool> serve(boost::beast::tcp_stream& stream, HttpRequest& request);
  // The call's namespace and credential, in sqld's order; fills `call` or says why not.
  // `hide_unreadable`: a credential that may not read the namespace is told it does not
  // exist (replication), rather than refused statement by statement (proxy).
  replication::grpc_web::Status admit(Call& call, bool hide_unreadable);
  boost::asio::awaitable<bool> serve_replication(Call& call);
  boost::asio::awaitable<bool> serve_proxy(Call& call);
  // BatchLogEntries and Snapshot: each piece read on a blocking thread just before it
  // is written, so a reply of any size is never held whole and no blocking thread waits
  // on a slow client.
  boost::asio::awaitable<bool> serve_batch(Call& call, const replication::FrameLog& log,
                                           const std::optional<std::string>& token,
                                           const wal_log::LogOffset& offset);
  boost::asio::awaitable<bool> serve_snapshot(Call& call, const replication::FrameLog& log,
                                              const std::optional<std::string>& token,
                                              const wal_log::LogOffset& offset);
  // LogEntries: the frames from the offset on, then each commit's as it happens; between
  // commits it waits on the namespace's CommitSignal, holding no thread.
  boost::asio::awaitable<bool> serve_log_entries(Call& call, const replication::FrameLog& log,
                                                 const std::optional<std::string>& token,
                                                 const wal_log::LogOffset& offset);
  void schedule_collection();

  boost::asio::io_context& io_;
  boost::asio::thread_pool& blocking_;
  NamespaceStore& namespaces_;
  const AuthStrategy auth_;
  const GrpcRouteOptions options_;
  replication::LogService log_service_;
  ProxyService proxy_;
  boost::asio::steady_timer collect_timer_;
};

}  // namespace libsql::server
