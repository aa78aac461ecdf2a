// server.cc: wiring of sqld's pieces.

#include "server/server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <thread>
#include <vector>

#include "libsql/error.h"
#include "sql/dialect.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

engine::Database open_default_database(const ServerConfig& config) {
  const auto file = config.default_database_file();
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    throw Error(PrimaryCode::kCantOpen, "cannot create data directory " +
                                            file.parent_path().string() + ": " + ec.message());
  }
  // sqld's per-connection defaults: values up to 5 MB (its max_row_size), and its
  // 5-second transaction timeout for whoever holds the write lock while others wait.
  engine::Database database(
      file.string(),
      {.max_value_bytes = 5'000'000,
       .arbiter = engine::WriteArbiter::make(
           {.transaction_timeout = std::chrono::seconds(5), .max_wait = std::chrono::seconds(15)}),
       .dialect = sql::libsql_dialect()});
  database.connect();  // creates the file, or proves an existing one is a database
  return database;
}

}  // namespace

// SQLite work waits on locks (a writer may wait out another's 5-second transaction)
// and disks, so there are many more blocking threads than cores.
unsigned blocking_threads() { return std::max(16u, 4 * std::thread::hardware_concurrency()); }

Server::Server(ServerConfig config)
    : config_(std::move(config)),
      pool_(open_default_database(config_), {.max_idle = 64,
                                             .max_open = config_.max_concurrent_connections,
                                             .max_waiting = config_.max_concurrent_requests}),
      responses_(config_.max_total_response_size),
      blocking_(blocking_threads()),
      hrana_http_(io_, blocking_, pool_,
                  HranaHttpOptions{response_budget(), config_.http_self_url}),
      hrana_ws_(blocking_, pool_, response_budget()) {
  add_routes();
  listener_ = std::make_unique<HttpListener>(
      io_, config_.http_listen_addr,
      [this](HttpRequest& request) { return router_.dispatch(request); },
      [this](boost::beast::tcp_stream stream, HttpRequest request) {
        return hrana_ws_.accept(std::move(stream), std::move(request));
      });
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
  hrana_http_.add_routes(router_);
}

void Server::run(unsigned threads) {
  listener_->start();
  if (hrana_listener_) hrana_listener_->start();
  hrana_http_.start();
  std::vector<std::jthread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([this] { io_.run(); });
  io_.run();
}

void Server::stop() {
  listener_->stop();
  if (hrana_listener_) hrana_listener_->stop();
  hrana_http_.stop();
  io_.stop();
}

}  // namespace libsql::server
