// router.h: maps an HTTP method and path to the coroutine that answers it.
//
// Unknown paths get 404 and known paths with another method 405, both with an empty
// body, as sqld (axum) answers. Routes are added before the server starts; dispatch()
// is then safe from any network thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/http_listener.h"

namespace libsql::server {

class Router {
 public:
  void add(boost::beast::http::verb method, std::string path, HttpHandler handler);
  // Every path that starts with `prefix` and has no exact route of its own.
  void add_prefix(boost::beast::http::verb method, std::string prefix, HttpHandler handler);
  boost::asio::awaitable<HttpResponse> dispatch(HttpRequest& request) const;

 private:
  using Routes = std::vector<std::pair<boost::beast::http::verb, HttpHandler>>;
  const Routes* find(std::string_view path) const;

  // path -> (method, handler) pairs; few methods per path, so a vector is enough.
  std::unordered_map<std::string, Routes> routes_;
  std::vector<std::pair<std::string, Routes>> prefixes_;
};

// The path part of a request target ("/v2/pipeline?x=1" -> "/v2/pipeline").
std::string_view target_path(std::string_view target);

}  // namespace libsql::server
