// router.cc: exact-path routing with sqld's HTTP conventions (CORS, HEAD, 405).

#include "server/router.h"

#include <boost/beast/http/field.hpp>

namespace libsql::server {

namespace http = boost::beast::http;

namespace {

// Browsers ask before cross-origin requests; sqld allows any origin, method and header.
HttpResponse preflight(const HttpRequest& request) {
  HttpResponse response(http::status::ok, request.version());
  response.set(http::field::access_control_allow_origin, "*");
  response.set(http::field::access_control_allow_methods, "*");
  response.set(http::field::access_control_allow_headers, "*");
  return response;
}

}  // namespace

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

void Router::add(http::verb method, std::string path, HttpHandler handler) {
  routes_[std::move(path)].emplace_back(method, std::move(handler));
}

void Router::add_prefix(http::verb method, std::string prefix, HttpHandler handler) {
  for (auto& [existing, routes] : prefixes_) {
    if (existing == prefix) {
      routes.emplace_back(method, std::move(handler));
      return;
    }
  }
  prefixes_.push_back({std::move(prefix), Routes{{method, std::move(handler)}}});
}

const Router::Routes* Router::find(std::string_view path) const {
  if (const auto exact = routes_.find(std::string(path)); exact != routes_.end())
    return &exact->second;
  for (const auto& [prefix, routes] : prefixes_) {
    if (path.starts_with(prefix)) return &routes;
  }
  return nullptr;
}

static std::string allowed_methods(const std::vector<std::pair<http::verb, HttpHandler>>& routes) {
  std::string allowed;
  for (const auto& [method, handler] : routes) {
    if (!allowed.empty()) allowed += ',';
    allowed += method == http::verb::get ? "GET,HEAD" : std::string(http::to_string(method));
  }
  return allowed;
}

boost::asio::awaitable<HttpResponse> Router::dispatch(HttpRequest& request) const {
  const Routes* found = find(target_path(request.target()));
  if (request.method() == http::verb::options) {
    HttpResponse response = preflight(request);
    if (found != nullptr) response.set(http::field::allow, allowed_methods(*found));
    co_return response;
  }
  // An unknown path: 404 with an empty body and no CORS header, as sqld answers.
  if (found == nullptr) co_return HttpResponse(http::status::not_found, request.version());

  // HEAD is answered as GET, without the body.
  const bool head = request.method() == http::verb::head;
  const http::verb method = head ? http::verb::get : request.method();
  for (const auto& [route_method, handler] : *found) {
    if (route_method != method) continue;
    HttpResponse response = co_await handler(request);
    response.set(http::field::access_control_allow_origin, "*");
    if (head) response.body().clear();
    co_return response;
  }
  HttpResponse response(http::status::method_not_allowed, request.version());
  response.set(http::field::allow, allowed_methods(*found));
  response.set(http::field::access_control_allow_origin, "*");
  co_return response;
}

}  // namespace libsql::server
