// admin_api.cc: implements admin_api.h.

#include "server/admin_api.h"

#include <openssl/crypto.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <vector>

#include "hrana/json_writer.h"
#include "libsql/error.h"
#include "server/blocking.h"
#include "server/config.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

// What a blocking admin operation answers; becomes the HTTP response on the network
// thread.
struct Answer {
  http::status status = http::status::ok;
  std::string body;
  std::string content_type;
};

Answer ok() { return {}; }

Answer json_answer(http::status status, std::string body) {
  return {status, std::move(body), "application/json"};
}

Answer error_answer(http::status status, std::string_view message) {
  std::string body = hrana::json::error_body(message);
  return json_answer(status, std::move(body));
}

Answer namespace_error_answer(const NamespaceError& error) {
  switch (error.kind()) {
    case NamespaceError::Kind::kNotFound:
      return error_answer(http::status::not_found, error.what());
    case NamespaceError::Kind::kAlreadyExists:
    case NamespaceError::Kind::kInvalid:
      return error_answer(http::status::bad_request, error.what());
  }
  return error_answer(http::status::internal_server_error, error.what());
}

HttpResponse to_response(const HttpRequest& request, Answer answer) {
  HttpResponse response(answer.status, request.version());
  if (!answer.content_type.empty()) response.set(http::field::content_type, answer.content_type);
  response.body() = std::move(answer.body);
  return response;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// sqld's admin key check: "basic <key>", the scheme in any case, exact key.
bool admin_authorized(const HttpRequest& request, const std::string& key) {
  const auto found = request.find(http::field::authorization);
  if (found == request.end()) return false;
  const std::string_view value(found->value().data(), found->value().size());
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos) return false;
  std::string scheme(value.substr(0, space));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view token = value.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return scheme == "basic" && constant_time_equal(token, key);
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error("cannot read " + path.string());
  return text.str();
}

// The dump a create request names: a file: URL with an absolute path. sqld also fetches
// http(s) URLs; this server does not fetch from the network on an admin's behalf.
std::string load_dump_url(std::string_view url) {
  std::string_view path;
  if (url.starts_with("file://")) {
    path = url.substr(7);
  } else if (url.starts_with("file:")) {
    path = url.substr(5);
  } else {
    const std::size_t colon = url.find(':');
    const std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
    throw NamespaceError(NamespaceError::Kind::kInvalid, "Unsupported dump url scheme `" + scheme +
                                                             "`, supported schemes are: `file`");
  }
  if (path.empty() || path.front() != '/') {
    throw NamespaceError(NamespaceError::Kind::kInvalid,
                         "The passed dump file path is not absolute");
  }
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(path), ec)) {
    throw NamespaceError(NamespaceError::Kind::kInvalid, "The passed dump file path doesn't exist");
  }
  return read_whole_file(fs::path(path));
}

// A JSON object body, or the 400 that refuses it.
std::variant<boost::json::object, Answer> json_body(const HttpRequest& request, bool required) {
  if (request.body().empty() && !required) return boost::json::object();
  const auto type = request.find(http::field::content_type);
  if (type == request.end() || !std::string_view(type->value().data(), type->value().size())
                                    .starts_with("application/json")) {
    return Answer{http::status::unsupported_media_type,
                  "Expected request with `Content-Type: application/json`",
                  "text/plain; charset=utf-8"};
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body(), ec);
  if (ec || !value.is_object()) {
    return Answer{http::status::bad_request,
                  "Failed to parse the request body as a JSON object" +
                      (ec ? ": " + ec.message() : std::string()),
                  "text/plain; charset=utf-8"};
  }
  return std::move(value.as_object());
}

// Fields of a config or create body that set a NamespaceConfig; throws
// std::invalid_argument naming the bad field.
void read_config_fields(const boost::json::object& body, NamespaceConfig& config,
                        bool blocks_required) {
  const auto boolean = [&](std::string_view key, bool& out) {
    const auto* v = body.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (blocks_required) throw std::invalid_argument("missing field `" + std::string(key) + "`");
      return;
    }
    if (!v->is_bool()) throw std::invalid_argument("`" + std::string(key) + "` must be a boolean");
    out = v->as_bool();
  };
  boolean("block_reads", config.block_reads);
  boolean("block_writes", config.block_writes);
  if (const auto* v = body.if_contains("block_reason")) {
    if (v->is_string()) {
      config.block_reason = std::string(v->as_string());
    } else if (v->is_null()) {
      config.block_reason.reset();
    } else {
      throw std::invalid_argument("`block_reason` must be a string or null");
    }
  } else if (blocks_required) {
    config.block_reason.reset();  // as sqld: leaving it out clears it
  }
  if (const auto* v = body.if_contains("max_db_size"); v && !v->is_null()) {
    if (v->is_string()) {
      config.max_db_size = parse_byte_size(v->as_string());
    } else if (v->is_uint64() || (v->is_int64() && v->as_int64() >= 0)) {
      config.max_db_size = v->to_number<std::uint64_t>();
    } else {
      throw std::invalid_argument("`max_db_size` must be a size such as \"5mb\"");
    }
  }
}

std::string stats_body(Namespace& ns) {
  boost::json::object out;
  out["id"] = ns.name();
  out["storage_bytes_used"] = ns.size_bytes();
  out["open_connections"] = ns.pool().open_count();
  return boost::json::serialize(out);
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int high = hex(text[i + 1]);
    const int low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

AdminApi::AdminApi(asio::thread_pool& blocking, NamespaceStore& namespaces, Metrics& metrics,
                   AdminApiOptions options)
    : blocking_(blocking),
      namespaces_(namespaces),
      metrics_(metrics),
      options_(std::move(options)) {}

void AdminApi::add_routes(Router& router) {
  router.add(http::verb::get, "/", [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
    co_return to_response(
        request, {http::status::ok, "Welcome to the sqld admin API", "text/plain; charset=utf-8"});
  });
  router.add(http::verb::get, "/v1/namespaces",
             [this](HttpRequest& request) -> asio::awaitable<HttpResponse> {
               boost::json::array names;
               for (const std::string& name : namespaces_.list()) names.emplace_back(name);
               boost::json::object out;
               out["namespaces"] = std::move(names);
               co_return to_response(request,
                                     json_answer(http::status::ok, boost::json::serialize(out)));
             });
  for (const auto method : {http::verb::get, http::verb::post, http::verb::delete_}) {
    router.add_prefix(method, "/v1/namespaces/",
                      [this](HttpRequest& request) { return namespaces_route(request); });
  }
  router.add(http::verb::get, "/metrics",
             [this](HttpRequest& request) { return metrics(request); });
}

asio::awaitable<HttpResponse> AdminApi::handle(HttpRequest& request, const Router& router) const {
  if (options_.auth_key && !admin_authorized(request, *options_.auth_key)) {
    co_return HttpResponse(http::status::unauthorized, request.version());
  }
  co_return co_await router.dispatch(request);
}

asio::awaitable<HttpResponse> AdminApi::metrics(HttpRequest& request) {
  if (!options_.metrics_enabled) {
    co_return to_response(request, {http::status::ok, "", std::string(kMetricsContentType)});
  }
  // Gauges that describe state are read now, off the network thread (file sizes).
  auto text = co_await run_blocking(blocking_, [this] {
    for (const auto& ns : namespaces_.open_namespaces()) {
      const auto& series = ns->metrics();
      series->database_size_bytes.set(static_cast<std::int64_t>(ns->size_bytes()));
      series->open_connections.set(static_cast<std::int64_t>(ns->pool().open_count()));
      series->open_streams.set(static_cast<std::int64_t>(ns->streams().open_count()));
    }
    return metrics_.render();
  });
  co_return to_response(request,
                        {http::status::ok, std::move(text), std::string(kMetricsContentType)});
}

asio::awaitable<HttpResponse> AdminApi::namespaces_route(HttpRequest& request) {
  // /v1/namespaces/<name>[/<action>[/<to>]]
  const std::string_view path =
      target_path(request.target()).substr(std::string_view("/v1/namespaces/").size());
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t slash = path.find('/', start);
    std::optional<std::string> part = percent_decode(path.substr(start, slash - start));
    if (!part) {
      co_return to_response(request,
                            error_answer(http::status::bad_request, "Invalid percent-encoding"));
    }
    parts.push_back(std::move(*part));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  const http::verb method = request.method();
  const std::string& name = parts[0];
  const std::string action = parts.size() > 1 ? parts[1] : "";
  const bool known = (parts.size() == 1 && method == http::verb::delete_) ||
                     (parts.size() == 2 && action == "create" && method == http::verb::post) ||
                     (parts.size() == 3 && action == "fork" && method == http::verb::post) ||
                     (parts.size() == 2 && action == "config" &&
                      (method == http::verb::get || method == http::verb::post)) ||
                     (parts.size() == 2 && action == "stats" && method == http::verb::get) ||
                     (parts.size() == 2 && action == "checkpoint" && method == http::verb::post);
  if (!known) co_return HttpResponse(http::status::not_found, request.version());
  // The names in the path: the namespace, and a fork's target.
  for (const std::string* named : {&parts[0], action == "fork" ? &parts[2] : &parts[0]}) {
    if (auto why = namespace_name_error(*named)) {
      co_return to_response(request,
                            error_answer(http::status::bad_request, "Invalid namespace: " + *why));
    }
  }

  std::optional<boost::json::object> body;
  if (method == http::verb::post && action != "checkpoint") {
    auto parsed = json_body(request, /*required=*/action == "create" || action == "config");
    if (auto* refused = std::get_if<Answer>(&parsed)) {
      co_return to_response(request, std::move(*refused));
    }
    body = std::move(std::get<boost::json::object>(parsed));
  }

  Answer answer = co_await run_blocking(blocking_, [&]() -> Answer {
    try {
      if (parts.size() == 1) {
        namespaces_.remove(name);
        return ok();
      }
      if (action == "create") {
        NamespaceConfig config;
        read_config_fields(*body, config, /*blocks_required=*/false);
        std::optional<std::string> dump;
        if (const auto* url = body->if_contains("dump_url"); url && !url->is_null()) {
          if (!url->is_string()) throw std::invalid_argument("`dump_url` must be a string");
          dump = load_dump_url(url->as_string());
        }
        namespaces_.create(name, config, dump);
        return ok();
      }
      if (action == "fork") {
        namespaces_.fork(name, parts[2]);
        return ok();
      }
      std::shared_ptr<Namespace> ns = namespaces_.find(name);
      if (!ns) throw NamespaceError::not_found(name);
      if (action == "config" && method == http::verb::get) {
        return json_answer(http::status::ok, namespace_config_json(ns->config()));
      }
      if (action == "config") {
        NamespaceConfig config = ns->config();
        read_config_fields(*body, config, /*blocks_required=*/true);
        ns->set_config(std::move(config));
        return ok();
      }
      if (action == "stats") return json_answer(http::status::ok, stats_body(*ns));
      // A checkpoint never runs ahead of the replication log (namespaces.h).
      ns->checkpoint();
      return ok();
    } catch (const NamespaceError& e) {
      return namespace_error_answer(e);
    } catch (const std::invalid_argument& e) {
      return error_answer(http::status::bad_request, e.what());
    } catch (const Error& e) {
      return error_answer(http::status::internal_server_error, e.what());
    } catch (const std::exception& e) {
      return error_answer(http::status::internal_server_error,
                          std::string("Internal error: ") + e.what());
    }
  });
  co_return to_response(request, std::move(answer));
}

}  // namespace libsql::server
