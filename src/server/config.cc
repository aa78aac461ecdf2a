// config.cc: sqld's command line, with CLI11.

#include "server/config.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include "server/build_info.h"

namespace libsql::server {

ListenAddress ListenAddress::parse(std::string_view text) {
  const auto fail = [&](std::string_view why) -> ListenAddress {
    throw std::invalid_argument("invalid listen address \"" + std::string(text) +
                                "\": " + std::string(why));
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("expected host:port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("an IPv6 host must be in brackets, e.g. [::1]:8080");
  }
  if (host.empty()) return fail("the host is empty");
  std::uint16_t port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    return fail("the port must be a number from 0 to 65535");
  }
  return ListenAddress{std::string(host), port};
}

std::string ListenAddress::to_string() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::uint64_t parse_byte_size(std::string_view text) {
  const auto fail = [&]() -> std::uint64_t {
    throw std::invalid_argument("invalid size \"" + std::string(text) +
                                "\": expected a number of bytes with an optional unit (KB, MB, GB, "
                                "KiB, MiB, GiB)");
  };
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return fail();
  std::string unit(end, text.data() + text.size());
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, std::uint64_t> kUnits[] = {{"", 1},
                                                                 {"B", 1},
                                                                 {"KB", 1000},
                                                                 {"MB", 1000'000},
                                                                 {"GB", 1000'000'000},
                                                                 {"KIB", 1 << 10},
                                                                 {"MIB", 1 << 20},
                                                                 {"GIB", 1 << 30},
                                                                 {"K", 1000},
                                                                 {"M", 1000'000},
                                                                 {"G", 1000'000'000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return number * factor;
  }
  return fail();
}

std::string version_line() {
  return "sqld " + std::string(kBuildVersion) + " (" + std::string(kBuildCommit) + " " +
         std::string(kBuildDate) + ")";
}

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err) {
  ServerConfig config;
  std::string http_listen_addr = config.http_listen_addr.to_string();
  std::string db_path = config.db_path.string();

  CLI::App app("sqld: a libSQL server (Hrana over HTTP and WebSocket)", "sqld");
  app.set_version_flag("-V,--version", version_line());
  app.add_option("-d,--db-path", db_path, "Data directory")
      ->envname("SQLD_DB_PATH")
      ->capture_default_str();
  app.add_option("--http-listen-addr", http_listen_addr, "Address and port of the HTTP API")
      ->envname("SQLD_HTTP_LISTEN_ADDR")
      ->capture_default_str();
  std::string hrana_listen_addr;
  app.add_option("-l,--hrana-listen-addr", hrana_listen_addr,
                 "Address and port of a WebSocket-only Hrana listener")
      ->envname("SQLD_HRANA_LISTEN_ADDR");
  app.add_flag("--no-welcome", config.no_welcome, "Do not print the welcome message");
  std::string max_response_size = "10MB";
  app.add_option("--max-response-size", max_response_size, "Largest response body (e.g. 10MB)")
      ->envname("SQLD_MAX_RESPONSE_SIZE")
      ->capture_default_str();
  std::string max_total_response_size = "32MB";
  app.add_option("--max-total-response-size", max_total_response_size,
                 "Largest total of all responses being built at once (e.g. 32MB)")
      ->envname("SQLD_MAX_TOTAL_RESPONSE_SIZE")
      ->capture_default_str();
  std::string http_self_url;
  app.add_option("--http-self-url", http_self_url,
                 "This server's URL, returned to clients as base_url")
      ->envname("SQLD_HTTP_SELF_URL");
  app.add_option("--max-concurrent-connections", config.max_concurrent_connections,
                 "Database connections open at once; more requests wait")
      ->envname("SQLD_MAX_CONCURRENT_CONNECTIONS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-concurrent-requests", config.max_concurrent_requests,
                 "Requests waiting for a connection; more are answered 429")
      ->envname("SQLD_MAX_CONCURRENT_REQUESTS")
      ->capture_default_str();

  std::string http_auth;
  app.add_option("--http-auth", http_auth, "HTTP Basic authentication: basic:<base64 user:pass>")
      ->envname("SQLD_HTTP_AUTH");
  std::string auth_jwt_key_file;
  app.add_option("--auth-jwt-key-file", auth_jwt_key_file,
                 "File with the Ed25519 public key(s) JWTs are verified with (PEM or raw "
                 "base64url); SQLD_AUTH_JWT_KEY may hold the key text instead")
      ->envname("SQLD_AUTH_JWT_KEY_FILE");
  app.add_flag("--enable-namespaces", config.enable_namespaces,
               "Serve many databases, chosen per request by x-namespace-bin, x-namespace or "
               "the Host header's first label");
  std::string admin_listen_addr;
  app.add_option("--admin-listen-addr", admin_listen_addr, "Address and port of the admin API")
      ->envname("SQLD_ADMIN_LISTEN_ADDR");
  std::string admin_auth_key;
  app.add_option("--admin-auth-key", admin_auth_key,
                 "Key admin requests must send as `Authorization: basic <key>`")
      ->envname("LIBSQL_ADMIN_AUTH_KEY");
  app.add_flag("--disable-metrics", config.disable_metrics, "Serve no metrics")
      ->envname("LIBSQL_DISABLE_METRICS");
  app.add_option("--max-log-size", config.max_log_size_mb,
                 "Size in MB past which the replication log is compacted into a snapshot")
      ->envname("SQLD_MAX_LOG_SIZE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  std::uint64_t checkpoint_interval_s = 0;
  app.add_option("--checkpoint-interval-s", checkpoint_interval_s,
                 "Seconds between checkpoints of each database, each first vacuuming a "
                 "database of 256 MiB or more that is over half free space")
      ->envname("SQLD_CHECKPOINT_INTERVAL_S")
      ->check(CLI::PositiveNumber);
  std::string primary_grpc_url;
  app.add_option("--primary-grpc-url", primary_grpc_url,
                 "Be a read replica of the primary at this URL (its HTTP port, e.g. "
                 "http://127.0.0.1:8080), forwarding writes to it")
      ->envname("SQLD_PRIMARY_GRPC_URL");
  std::string primary_grpc_auth_token;
  app.add_option("--primary-grpc-auth-token", primary_grpc_auth_token,
                 "The token (a JWT) a replica presents to a primary that requires "
                 "authentication, to follow its log")
      ->envname("SQLD_PRIMARY_GRPC_AUTH_TOKEN");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();  // the program name
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return ExitWith{app.exit(e, out, err)};
  }
  try {
    config.http_listen_addr = ListenAddress::parse(http_listen_addr);
  } catch (const std::invalid_argument& e) {
    err << "error: --http-listen-addr: " << e.what() << "\n";
    return ExitWith{2};
  }
  try {
    if (!hrana_listen_addr.empty())
      config.hrana_listen_addr = ListenAddress::parse(hrana_listen_addr);
  } catch (const std::invalid_argument& e) {
    err << "error: --hrana-listen-addr: " << e.what() << "\n";
    return ExitWith{2};
  }
  try {
    config.max_response_size = parse_byte_size(max_response_size);
  } catch (const std::invalid_argument& e) {
    err << "error: --max-response-size: " << e.what() << "\n";
    return ExitWith{2};
  }
  try {
    config.max_total_response_size = parse_byte_size(max_total_response_size);
  } catch (const std::invalid_argument& e) {
    err << "error: --max-total-response-size: " << e.what() << "\n";
    return ExitWith{2};
  }
  if (!http_self_url.empty()) config.http_self_url = http_self_url;
  if (!http_auth.empty()) config.http_auth = http_auth;
  if (!auth_jwt_key_file.empty()) config.auth_jwt_key_file = auth_jwt_key_file;
  if (const char* key = std::getenv("SQLD_AUTH_JWT_KEY"); key != nullptr && *key != '\0') {
    config.auth_jwt_key = key;
  }
  try {
    if (!admin_listen_addr.empty())
      config.admin_listen_addr = ListenAddress::parse(admin_listen_addr);
  } catch (const std::invalid_argument& e) {
    err << "error: --admin-listen-addr: " << e.what() << "\n";
    return ExitWith{2};
  }
  if (!admin_auth_key.empty()) {
    if (!config.admin_listen_addr) {
      err << "error: --admin-auth-key needs --admin-listen-addr\n";
      return ExitWith{2};
    }
    config.admin_auth_key = admin_auth_key;
  }
  if (checkpoint_interval_s > 0) config.checkpoint_interval_s = checkpoint_interval_s;
  if (!primary_grpc_url.empty()) {
    if (!primary_grpc_url.starts_with("http://")) {
      err << "error: --primary-grpc-url: only http:// URLs are supported, not \""
          << primary_grpc_url << "\"\n";
      return ExitWith{2};
    }
    config.primary_grpc_url = primary_grpc_url;
  }
  if (!primary_grpc_auth_token.empty()) {
    if (!config.primary_grpc_url) {
      err << "error: --primary-grpc-auth-token needs --primary-grpc-url\n";
      return ExitWith{2};
    }
    config.primary_grpc_auth_token = primary_grpc_auth_token;
  }
  if (db_path.empty()) {
    err << "error: --db-path must not be empty\n";
    return ExitWith{2};
  }
  config.db_path = db_path;
  return config;
}

}  // namespace libsql::server
