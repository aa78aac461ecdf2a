// sqld: the libSQL server. Reads its flags, starts the Server, and stops it cleanly on
// SIGINT or SIGTERM. Everything else lives in src/server.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

#include "server/config.h"
#include "server/server.h"

namespace {

void print_welcome(const libsql::server::Server& server) {
  const auto& config = server.config();
  std::cout << libsql::server::version_line() << "\n"
            << "database: " << config.default_database_file().string() << "\n"
            << "HTTP API listening on http://" << config.http_listen_addr.host << ":"
            << server.http_port() << "\n";
  if (const auto port = server.hrana_port()) {
    std::cout << "Hrana WebSocket listening on ws://" << config.hrana_listen_addr->host << ":"
              << *port << "\n";
  }
  std::cout << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace libsql::server;
  auto parsed =
      parse_command_line(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr);
  if (const auto* exit = std::get_if<ExitWith>(&parsed)) return exit->status;
  const ServerConfig& config = std::get<ServerConfig>(parsed);

  // Every thread started from here on inherits the mask, so only sigwait() below sees
  // the shutdown signals.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);

  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(config);
  } catch (const std::exception& e) {
    std::cerr << "sqld: " << e.what() << std::endl;
    return 1;
  }
  if (!config.no_welcome) print_welcome(*server);

  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
  std::thread serving([&] { server->run(threads); });
  int signal_number = 0;
  sigwait(&shutdown_signals, &signal_number);
  std::cerr << "sqld: got " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down"
            << std::endl;
  server->stop();
  serving.join();
  server.reset();  // closes the database before exiting
  return 0;
}
