// server.h: sqld itself: the configured database, the HTTP routes, the network threads.
//
// Construction opens the database and binds the listen address, so every startup
// failure (bad data directory, not a database, port taken) surfaces there with a clear
// error. run() serves until stop(); stop() is safe from any thread, including a signal
// waiter. Signal handling belongs to the program (tools/sqld), not to this class.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <memory>

#include "hrana/response_meter.h"
#include "server/admin_api.h"
#include "server/config.h"
#include "server/dump_route.h"
#include "server/grpc_route.h"
#include "server/hrana_http.h"
#include "server/hrana_ws.h"
#include "server/http_listener.h"
#include "server/metrics.h"
#include "server/namespaces.h"
#include "server/primary_forwarder.h"
#include "server/replica_front.h"
#include "server/request_gate.h"
#include "server/router.h"

namespace libsql::server {

class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves on `threads` network threads (the caller's among them) until stop().
  void run(unsigned threads);
  void stop();

  std::uint16_t http_port() const { return listener_->port(); }
  // The WebSocket-only port, if --hrana-listen-addr was given.
  std::optional<std::uint16_t> hrana_port() const;
  // The admin API's port, if --admin-listen-addr was given.
  std::optional<std::uint16_t> admin_port() const;
  const ServerConfig& config() const { return config_; }

 private:
  void add_routes();
  // The HTTP port's requests: a replica first asks its front what goes to the primary.
  boost::asio::awaitable<HttpResponse> handle(HttpRequest& request);
  // --checkpoint-interval-s: the next round of checkpoints.
  void schedule_checkpoints();
  hrana::json::ResponseBudget response_budget();

  ServerConfig config_;
  Metrics metrics_;
  NamespaceStore namespaces_;
  const AuthStrategy auth_;
  RequestGate gate_;
  hrana::ResponseMeter responses_;  // every response being built, against the total limit
  boost::asio::io_context io_;
  // Declared after what its tasks use, so it is joined (destroyed) before them.
  boost::asio::thread_pool blocking_;
  HranaHttp hrana_http_;
  HranaWs hrana_ws_;
  AdminApi admin_api_;
  DumpRoute dump_route_;
  GrpcRoute grpc_route_;  // replication and write forwarding (gRPC-Web)
  Router router_;
  Router admin_router_;
  // A replica's (--primary-grpc-url): its connection to the primary and what uses it.
  std::unique_ptr<PrimaryForwarder> primary_;
  std::unique_ptr<ReplicaFront> replica_front_;
  boost::asio::steady_timer checkpoint_timer_{io_};
  std::unique_ptr<HttpListener> listener_;
  std::unique_ptr<HttpListener> hrana_listener_;  // --hrana-listen-addr: WebSocket only
  std::unique_ptr<HttpListener> admin_listener_;  // --admin-listen-addr
};

}  // namespace libsql::server
