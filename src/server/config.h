// config.h: sqld's settings, read from its command line and SQLD_* environment
// variables with the names and defaults of Turso's sqld, so scripts written for one
// start the other.
//
// Only flags this server implements are accepted; an unknown flag is an error, never
// silently ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace libsql::server {

struct ListenAddress {
  std::string host;  // IPv4 or IPv6 literal, or a name such as "localhost"
  std::uint16_t port = 0;

  // "127.0.0.1:8080", "[::1]:8080", "localhost:0". Throws std::invalid_argument naming
  // what is wrong.
  static ListenAddress parse(std::string_view text);
  std::string to_string() const;
};

struct ServerConfig {
  // The data directory; the default namespace's database is <db_path>/dbs/default/data,
  // as in sqld.
  std::filesystem::path db_path = "data.sqld";
  ListenAddress http_listen_addr{"127.0.0.1", 8080};
  // A second port that accepts only Hrana over WebSocket (sqld's --hrana-listen-addr);
  // the HTTP port serves WebSocket too.
  std::optional<ListenAddress> hrana_listen_addr;
  bool no_welcome = false;
  // Largest response body, in bytes (sqld's --max-response-size, default 10MB).
  std::uint64_t max_response_size = 10'000'000;
  // Largest total of all responses being built at once (sqld's --max-total-response-size,
  // default 32MB); a response that would pass it fails with RESPONSE_TOO_LARGE.
  std::uint64_t max_total_response_size = 32'000'000;
  // Returned to HTTP clients as `base_url` (sqld's --http-self-url).
  std::optional<std::string> http_self_url;
  // Database connections open at once (HTTP streams, WebSocket streams, single
  // requests); more wait for one to close (sqld's --max-concurrent-connections).
  std::uint32_t max_concurrent_connections = 128;
  // Requests that may wait for a connection; more are answered 429 (sqld's
  // --max-concurrent-requests).
  std::uint32_t max_concurrent_requests = 128;

  // Authentication (auth.h): HTTP Basic (--http-auth basic:<credential>) wins over JWT
  // (--auth-jwt-key-file, else SQLD_AUTH_JWT_KEY holding the key text); neither: open.
  std::optional<std::string> http_auth;
  std::optional<std::filesystem::path> auth_jwt_key_file;
  std::optional<std::string> auth_jwt_key;
  // Namespaces chosen per request (x-namespace-bin, x-namespace, Host); off: every
  // request uses `default`.
  bool enable_namespaces = false;
  // The admin API (create/delete/fork/config/stats of namespaces, /metrics); none: off.
  std::optional<ListenAddress> admin_listen_addr;
  // With it, admin requests need `Authorization: basic <key>`.
  std::optional<std::string> admin_auth_key;
  // GET /metrics on the admin port answers an empty body.
  bool disable_metrics = false;
  // Replication. A primary compacts its log into a snapshot once it passes this many
  // megabytes (sqld's --max-log-size, default 200).
  std::uint64_t max_log_size_mb = 200;
  // Every this many seconds, each primary namespace is vacuumed if mostly free space
  // and checkpointed (sqld's --checkpoint-interval-s); none: only the WAL's own
  // checkpoints, every 1000 frames.
  std::optional<std::uint64_t> checkpoint_interval_s;
  // Set: this server is a read replica of the sqld at this URL (its HTTP port, which
  // serves gRPC-Web), following its log and forwarding writes to it.
  std::optional<std::string> primary_grpc_url;
  // The token the replica's own calls to that primary carry (x-authorization: Bearer), for
  // a primary that requires one: its replication log is served on its HTTP port, behind
  // the same authentication as everything else there. Clients' forwarded requests carry
  // their own credentials.
  std::optional<std::string> primary_grpc_auth_token;

  std::filesystem::path default_database_file() const {
    return db_path / "dbs" / "default" / "data";
  }
};

// The outcome of reading the command line: settings to run with, or an exit status
// when the command line asked for help or a version, or was wrong (the text is already
// written to `out` or `err`).
struct ExitWith {
  int status;
};
using ParsedCommandLine = std::variant<ServerConfig, ExitWith>;

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err);

// A size as sqld's flags write it: "10MB", "5KB", "10MiB", "1048576" (bytes). Throws
// std::invalid_argument naming the problem.
std::uint64_t parse_byte_size(std::string_view text);

// "sqld 0.1.0 (1a2b3c4d 2026-11-23)": the shape of sqld's own version line.
std::string version_line();

}  // namespace libsql::server
