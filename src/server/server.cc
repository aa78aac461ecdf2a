// server.cc: wiring of sqld's pieces.

#include "server/server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/http/field.hpp>

#include <filesystem>
#include <system_error>
#include <thread>
#include <vector>

#include "libsql/error.h"

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
  engine::Database database(file.string());
  database.connect();  // creates the file, or proves an existing one is a database
  return database;
}

}  // namespace

Server::Server(ServerConfig config)
    : config_(std::move(config)), database_(open_default_database(config_)) {
  add_routes();
  listener_ = std::make_unique<HttpListener>(
      io_, config_.http_listen_addr,
      [this](HttpRequest& request) { return router_.dispatch(request); });
}

Server::~Server() { stop(); }

void Server::add_routes() {
  router_.add(http::verb::get, "/health",
              [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
                co_return HttpResponse(http::status::ok, request.version());
              });
  router_.add(http::verb::get, "/version",
              [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
                HttpResponse response(http::status::ok, request.version());
                response.set(http::field::content_type, "text/plain; charset=utf-8");
                response.body() = version_line();
                co_return response;
              });
}

void Server::run(unsigned threads) {
  listener_->start();
  std::vector<std::jthread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([this] { io_.run(); });
  io_.run();
}

void Server::stop() {
  listener_->stop();
  io_.stop();
}

}  // namespace libsql::server
