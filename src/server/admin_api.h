// admin_api.h: sqld's admin API, served on --admin-listen-addr: namespaces (create,
// optionally from a dump; fork; delete; config; stats; checkpoint; list) and /metrics.
//
// Answers as sqld does (200 with an empty body on success, 404 JSON for a namespace that
// does not exist, 400 JSON for one that already exists) and stricter where sqld is loose:
// names are checked (namespaces.h) after percent-decoding, so "..", "a%2Fb", NUL bytes or
// a 300-byte name are a 400, never a path; unknown paths are 404 (sqld: gRPC status 12).
// With an admin key, every request needs `Authorization: basic <key>` (compared in
// constant time), else 401 with an empty body.
//
// Must not: serve user traffic, or run SQLite work on a network thread (it goes to the
// blocking pool).
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>

#include "server/metrics.h"
#include "server/namespaces.h"
#include "server/router.h"

namespace libsql::server {

struct AdminApiOptions {
  std::optional<std::string> auth_key;
  bool metrics_enabled = true;
};

class AdminApi {
 public:
  AdminApi(boost::asio::thread_pool& blocking, NamespaceStore& namespaces, Metrics& metrics,
           AdminApiOptions options);

  void add_routes(Router& router);
  // Checks the admin key, then dispatches to `router` (an HttpListener handler).
  boost::asio::awaitable<HttpResponse> handle(HttpRequest& request, const Router& router) const;

 private:
  boost::asio::awaitable<HttpResponse> namespaces_route(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> metrics(HttpRequest& request);

  boost::asio::thread_pool& blocking_;
  NamespaceStore& namespaces_;
  Metrics& metrics_;
  AdminApiOptions options_;
};

// "%2E%2E" -> ".."; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace libsql::server
