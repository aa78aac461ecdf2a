// router.cc: exact-path routing.

#include "server/router.h"

namespace libsql::server {

namespace http = boost::beast::http;

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

void Router::add(http::verb method, std::string path, HttpHandler handler) {
  routes_[std::move(path)].emplace_back(method, std::move(handler));
}

boost::asio::awaitable<HttpResponse> Router::dispatch(HttpRequest& request) const {
  const auto found = routes_.find(std::string(target_path(request.target())));
  if (found == routes_.end()) co_return HttpResponse(http::status::not_found, request.version());
  for (const auto& [method, handler] : found->second) {
    if (method == request.method()) co_return co_await handler(request);
  }
  co_return HttpResponse(http::status::method_not_allowed, request.version());
}

}  // namespace libsql::server
