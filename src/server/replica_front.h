// replica_front.h: what a read replica (--primary-grpc-url) answers from its own copy,
// and what it sends to its primary.
//
// A Hrana request runs here when all it does is read in autocommit: every statement
// read-only and none a BEGIN that writes (BEGIN READONLY stays). Anything else goes to
// the primary whole: writes, transactions, requests on streams the primary made (their
// batons are not ours), and the replication and write-forwarding gRPC calls of embedded
// replicas (sqld proxies those to its primary too). A stream that read here and then
// writes goes on at the primary as a new stream: the replica's stream has nothing the
// primary needs, being read-only and in autocommit.
//
// Read-your-writes, as sqld gives it: after a forwarded request, the answer waits until
// the replica has applied everything the primary had committed once it answered.
//
// With namespaces, a namespace the primary has and this replica does not is made here on
// its first request, as sqld's replicas make theirs, and that request is answered once
// the new copy has caught up.
//
// Must not: run a statement that writes (the replica's file changes only through its
// replicator), or hold a network thread while waiting for replication.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "replication/grpc_web_client.h"
#include "server/http_listener.h"
#include "server/namespaces.h"
#include "server/primary_forwarder.h"
#include "server/request_gate.h"

namespace libsql::server {

// Whether `sql` (a script) must run on the primary: it has a statement that is not
// read-only, a BEGIN that is not READONLY, or one the classifier does not know.
bool sql_needs_primary(std::string_view sql);

class ReplicaFront {
 public:
  ReplicaFront(PrimaryForwarder& primary, replication::GrpcWebClientOptions primary_options,
               NamespaceStore& namespaces, RequestGate& gate, boost::asio::thread_pool& blocking)
      : primary_(primary),
        primary_options_(std::move(primary_options)),
        namespaces_(namespaces),
        gate_(gate),
        blocking_(blocking) {}

  // What to do with `request`: nullopt to answer it here; otherwise the primary's answer
  // (the request may have been rewritten on the way: a local baton dropped).
  boost::asio::awaitable<std::optional<HttpResponse>> handle(HttpRequest& request);

 private:
  enum class Route { kLocal, kPrimary, kPrimaryWithoutBaton };
  Route route(const HttpRequest& request) const;
  // Waits until the request's namespace has applied the primary's last commit.
  boost::asio::awaitable<void> catch_up(const HttpRequest& request);
  // Makes the request's namespace here if this server has none of that name and the
  // primary has one; returns whether it made it.
  boost::asio::awaitable<bool> adopt_namespace(const HttpRequest& request);
  // Whether `log_id` is the one the default namespace follows. Blocking-work thread.
  bool is_default_log(std::string_view log_id);

  PrimaryForwarder& primary_;
  const replication::GrpcWebClientOptions primary_options_;
  NamespaceStore& namespaces_;
  RequestGate& gate_;
  boost::asio::thread_pool& blocking_;
};

}  // namespace libsql::server
