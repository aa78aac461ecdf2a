// server.cc: wiring of sqld's pieces.

#include "server/server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include "libsql/error.h"
#include "server/jwt.h"
#include "sql/dialect.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// sqld's per-connection defaults: values up to 5 MB (its max_row_size), and its
// 5-second transaction timeout for whoever holds the write lock while others wait. Each
// namespace gets its own write arbiter.
engine::OpenOptions namespace_open_options() {
  return {.max_value_bytes = 5'000'000,
          .arbiter = engine::WriteArbiter::make({.transaction_timeout = std::chrono::seconds(5),
                                                 .max_wait = std::chrono::seconds(15)}),
          .dialect = sql::libsql_dialect()};
}

std::string read_key_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(PrimaryCode::kCantOpen,
                "Could not read file with JWT key(s): " + path.string() + ": " +
                    std::error_code(errno, std::generic_category()).message());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// sqld's order: HTTP Basic, else JWT (the key file before SQLD_AUTH_JWT_KEY), else open.
AuthStrategy auth_strategy(const ServerConfig& config) {
  try {
    if (config.http_auth) {
      // The official clients send `Bearer <authToken>`: let them in with the credential.
      return AuthStrategy::http_basic(parse_http_auth_flag(*config.http_auth),
                                      AuthStrategy::BasicSchemes::kBasicOrBearer);
    }
    if (config.auth_jwt_key_file) {
      return AuthStrategy::jwt(parse_jwt_keys(read_key_file(*config.auth_jwt_key_file)));
    }
    if (config.auth_jwt_key) return AuthStrategy::jwt(parse_jwt_keys(*config.auth_jwt_key));
  } catch (const std::invalid_argument& e) {
    throw Error(
        PrimaryCode::kMisuse,
        std::string(config.http_auth ? "--http-auth: " : "Could not parse JWT decoding key(s): ") +
            e.what());
  }
  return AuthStrategy::disabled();
}

// How a replica's namespaces reach their primary; nullopt for a primary.
std::optional<replication::GrpcWebClientOptions> primary_options(const ServerConfig& config) {
  if (!config.primary_grpc_url) return std::nullopt;
  return replication::GrpcWebClientOptions{
      .url = *config.primary_grpc_url, .auth_token = config.primary_grpc_auth_token.value_or("")};
}

NamespaceStore& with_default_namespace(NamespaceStore& store) {
  // The default namespace always exists, as in sqld; opening it proves the file is a
  // database (or fails the start with a clear error).
  std::shared_ptr<Namespace> ns = store.find("default");
  if (!ns) ns = store.create("default", {});
  engine::PooledConnection proof(ns->pool());
  return store;
}

}  // namespace

// SQLite work waits on locks (a writer may wait out another's 5-second transaction)
// and disks, so there are many more blocking threads than cores.
unsigned blocking_threads() { return std::max(16u, 4 * std::thread::hardware_concurrency()); }

Server::Server(ServerConfig config)
    : config_(std::move(config)),
      namespaces_({.db_path = config_.db_path,
                   .open_options = namespace_open_options,
                   .limits = {.max_idle = 64,
                              .max_open = config_.max_concurrent_connections,
                              .max_waiting = config_.max_concurrent_requests},
                   .metrics = &metrics_,
                   // sqld's arithmetic: megabytes of 4120-byte frames.
                   .max_log_frames = std::max<std::uint64_t>(
                       1, config_.max_log_size_mb * 1'000'000 / replication::kFrameSize),
                   .primary = primary_options(config_)}),
      auth_(auth_strategy(config_)),
      gate_(with_default_namespace(namespaces_), auth_, config_.enable_namespaces),
      responses_(config_.max_total_response_size),
      blocking_(blocking_threads()),
      hrana_http_(io_, blocking_, namespaces_, gate_,
                  HranaHttpOptions{response_budget(), config_.http_self_url}),
      hrana_ws_(blocking_, gate_, metrics_.server().websocket_connections, response_budget()),
      admin_api_(blocking_, namespaces_, metrics_,
                 {.auth_key = config_.admin_auth_key, .metrics_enabled = !config_.disable_metrics}),
      dump_route_(blocking_, gate_),
      grpc_route_(io_, blocking_, namespaces_, auth_,
                  {.namespaces_enabled = config_.enable_namespaces,
                   .proxy = {.max_response_bytes = config_.max_response_size}}) {
  add_routes();
  if (config_.primary_grpc_url) {
    primary_ = std::make_unique<PrimaryForwarder>(io_, *config_.primary_grpc_url);
    replica_front_ = std::make_unique<ReplicaFront>(*primary_, *primary_options(config_),
                                                    namespaces_, gate_, blocking_);
  }
  listener_ = std::make_unique<HttpListener>(
      io_, config_.http_listen_addr, [this](HttpRequest& request) { return handle(request); },
      [this](boost::beast::tcp_stream stream, HttpRequest request) {
        // A replica's WebSocket streams live on its primary, reads and writes alike.
        if (primary_) return primary_->tunnel(std::move(stream), std::move(request));
        return hrana_ws_.accept(std::move(stream), std::move(request));
      });
  listener_->add_streaming_route(dump_route_.route());
  // A replica passes gRPC calls on to its primary (replica_front.h), as sqld does.
  if (!primary_) listener_->add_streaming_route(grpc_route_.route());
  listener_->set_connection_gauge(metrics_.server().http_connections);
  if (config_.admin_listen_addr) {
    admin_api_.add_routes(admin_router_);
    admin_listener_ = std::make_unique<HttpListener>(
        io_, *config_.admin_listen_addr,
        [this](HttpRequest& request) { return admin_api_.handle(request, admin_router_); });
  }
  if (config_.hrana_listen_addr) {
    // sqld drops anything but a WebSocket handshake here; we say why.
    hrana_listener_ = std::make_unique<HttpListener>(
        io_, *config_.hrana_listen_addr,
        [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
          HttpResponse response(http::status::bad_request, request.version());
          response.set(http::field::content_type, "text/plain; charset=utf-8");
          response.body() = "This port accepts only Hrana over WebSocket\n";
          co_return response;
        },
        [this](boost::beast::tcp_stream stream, HttpRequest request) {
          return hrana_ws_.accept(std::move(stream), std::move(request));
        });
  }
}

std::optional<std::uint16_t> Server::admin_port() const {
  if (!admin_listener_) return std::nullopt;
  return admin_listener_->port();
}

std::optional<std::uint16_t> Server::hrana_port() const {
  if (!hrana_listener_) return std::nullopt;
  return hrana_listener_->port();
}

hrana::json::ResponseBudget Server::response_budget() {
  return {.max_bytes = config_.max_response_size, .meter = &responses_};
}

Server::~Server() {
  stop();
  blocking_.join();
}

void Server::add_routes() {
  router_.add(http::verb::get, "/health",
              [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
                co_return HttpResponse(http::status::ok, request.version());
              });
  router_.add(http::verb::get, "/version",
              [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
                // sqld sends its version line without a content type.
                HttpResponse response(http::status::ok, request.version());
                response.body() = version_line();
                co_return response;
              });
  // GET /dump is streamed (dump_route.h) and never reaches the router; HEAD does, and is
  // answered with the headers a GET would get, after the same checks.
  router_.add(http::verb::get, "/dump",
              [this](HttpRequest& request) -> asio::awaitable<HttpResponse> {
                auto gate = gate_.admit(request);
                if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
                HttpResponse response(http::status::ok, request.version());
                response.set(http::field::content_type, "text/plain; charset=utf-8");
                co_return response;
              });
  hrana_http_.add_routes(router_);
}

asio::awaitable<HttpResponse> Server::handle(HttpRequest& request) {
  if (replica_front_) {
    if (std::optional<HttpResponse> answer = co_await replica_front_->handle(request)) {
      co_return std::move(*answer);
    }
  }
  co_return co_await router_.dispatch(request);
}

void Server::schedule_checkpoints() {
  if (!config_.checkpoint_interval_s) return;
  checkpoint_timer_.expires_after(std::chrono::seconds(*config_.checkpoint_interval_s));
  checkpoint_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    // The namespaces one at a time, on a blocking thread; the next round is timed from
    // the end of this one, as sqld delays a missed tick.
    asio::post(blocking_, [this] {
      for (const std::shared_ptr<Namespace>& ns : namespaces_.open_namespaces()) {
        try {
          ns->checkpoint();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "checkpoint of namespace %s failed: %s\n", ns->name().c_str(),
                       e.what());
        }
      }
      asio::post(io_, [this] { schedule_checkpoints(); });
    });
  });
}

void Server::run(unsigned threads) {
  listener_->start();
  if (hrana_listener_) hrana_listener_->start();
  if (admin_listener_) admin_listener_->start();
  hrana_http_.start();
  grpc_route_.start();
  schedule_checkpoints();
  std::vector<std::jthread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([this] { io_.run(); });
  io_.run();
}

void Server::stop() {
  dump_route_.stop();
  grpc_route_.stop();
  listener_->stop();
  if (hrana_listener_) hrana_listener_->stop();
  if (admin_listener_) admin_listener_->stop();
  hrana_http_.stop();
  checkpoint_timer_.cancel();
  io_.stop();
}

}  // namespace libsql::server
