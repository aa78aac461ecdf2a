// config_test.cc: sqld's flags, environment variables and defaults.

#include "server/config.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace libsql::server {
namespace {

ParsedCommandLine parse(std::vector<std::string> args, std::string* out_text = nullptr,
                        std::string* err_text = nullptr) {
  args.insert(args.begin(), "sqld");
  std::ostringstream out, err;
  auto parsed = parse_command_line(args, out, err);
  if (out_text) *out_text = out.str();
  if (err_text) *err_text = err.str();
  return parsed;
}

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(Config, DefaultsAreSqlds) {
  const auto parsed = parse({});
  ASSERT_TRUE(std::holds_alternative<ServerConfig>(parsed));
  const auto& config = std::get<ServerConfig>(parsed);
  EXPECT_EQ(config.db_path, "data.sqld");
  EXPECT_EQ(config.http_listen_addr.to_string(), "127.0.0.1:8080");
  EXPECT_FALSE(config.no_welcome);
  EXPECT_EQ(config.default_database_file(), "data.sqld/dbs/default/data");
  EXPECT_EQ(config.max_concurrent_connections, 128u);
  EXPECT_EQ(config.max_concurrent_requests, 128u);
}

TEST(Config, ReadsConnectionLimits) {
  ScopedEnv requests("SQLD_MAX_CONCURRENT_REQUESTS", "7");
  const auto config = std::get<ServerConfig>(parse({"--max-concurrent-connections", "3"}));
  EXPECT_EQ(config.max_concurrent_connections, 3u);
  EXPECT_EQ(config.max_concurrent_requests, 7u);
  EXPECT_TRUE(std::holds_alternative<ExitWith>(parse({"--max-concurrent-connections", "0"})))
      << "no connection at all would serve nothing";
}

TEST(Config, ReadsTheTotalResponseSizeLimit) {
  EXPECT_EQ(std::get<ServerConfig>(parse({})).max_total_response_size, 32'000'000u)
      << "sqld's default, 32MB";
  EXPECT_EQ(
      std::get<ServerConfig>(parse({"--max-total-response-size", "100KB"})).max_total_response_size,
      100'000u);
  ScopedEnv total("SQLD_MAX_TOTAL_RESPONSE_SIZE", "2MiB");
  EXPECT_EQ(std::get<ServerConfig>(parse({})).max_total_response_size, 2u * 1024 * 1024);
  EXPECT_TRUE(std::holds_alternative<ExitWith>(parse({"--max-total-response-size", "lots"})));
}

TEST(Config, ReadsTheWebSocketOnlyListenAddress) {
  EXPECT_FALSE(std::get<ServerConfig>(parse({})).hrana_listen_addr) << "none unless asked";
  auto config = std::get<ServerConfig>(parse({"-l", "127.0.0.1:5001"}));
  ASSERT_TRUE(config.hrana_listen_addr);
  EXPECT_EQ(config.hrana_listen_addr->to_string(), "127.0.0.1:5001");
  ScopedEnv env("SQLD_HRANA_LISTEN_ADDR", "127.0.0.1:5002");
  config = std::get<ServerConfig>(parse({}));
  ASSERT_TRUE(config.hrana_listen_addr);
  EXPECT_EQ(config.hrana_listen_addr->port, 5002);
  EXPECT_TRUE(std::holds_alternative<ExitWith>(parse({"--hrana-listen-addr", "nope"})));
}

TEST(Config, ReadsFlagsInBothSpellings) {
  auto config = std::get<ServerConfig>(
      parse({"-d", "/tmp/x", "--http-listen-addr", "0.0.0.0:9000", "--no-welcome"}));
  EXPECT_EQ(config.db_path, "/tmp/x");
  EXPECT_EQ(config.http_listen_addr.host, "0.0.0.0");
  EXPECT_EQ(config.http_listen_addr.port, 9000);
  EXPECT_TRUE(config.no_welcome);
  config = std::get<ServerConfig>(parse({"--db-path=/tmp/y", "--http-listen-addr=[::1]:0"}));
  EXPECT_EQ(config.db_path, "/tmp/y");
  EXPECT_EQ(config.http_listen_addr.host, "::1");
  EXPECT_EQ(config.http_listen_addr.to_string(), "[::1]:0");
}

TEST(Config, ReadsSqldEnvironmentVariables) {
  ScopedEnv db("SQLD_DB_PATH", "/var/lib/sqld");
  ScopedEnv addr("SQLD_HTTP_LISTEN_ADDR", "127.0.0.1:7777");
  auto config = std::get<ServerConfig>(parse({}));
  EXPECT_EQ(config.db_path, "/var/lib/sqld");
  EXPECT_EQ(config.http_listen_addr.port, 7777);
  // A flag wins over the environment.
  config = std::get<ServerConfig>(parse({"--http-listen-addr", "127.0.0.1:1"}));
  EXPECT_EQ(config.http_listen_addr.port, 1);
}

TEST(Config, ReadsTheReplicationFlags) {
  const auto defaults = std::get<ServerConfig>(parse({}));
  EXPECT_EQ(defaults.max_log_size_mb, 200u) << "sqld's default --max-log-size";
  EXPECT_FALSE(defaults.checkpoint_interval_s);
  EXPECT_FALSE(defaults.primary_grpc_url);
  const auto parsed =
      parse({"--max-log-size", "5", "--checkpoint-interval-s", "30", "--primary-grpc-url",
             "http://127.0.0.1:5001", "--primary-grpc-auth-token", "eyJ.a.b"});
  ASSERT_TRUE(std::holds_alternative<ServerConfig>(parsed));
  const auto& config = std::get<ServerConfig>(parsed);
  EXPECT_EQ(config.max_log_size_mb, 5u);
  EXPECT_EQ(config.checkpoint_interval_s, 30u);
  EXPECT_EQ(config.primary_grpc_url, "http://127.0.0.1:5001");
  EXPECT_EQ(config.primary_grpc_auth_token, "eyJ.a.b");
}

TEST(Config, RefusesAPrimaryTokenWithoutAPrimary) {
  std::string err;
  const auto parsed = parse({"--primary-grpc-auth-token", "eyJ.a.b"}, nullptr, &err);
  ASSERT_TRUE(std::holds_alternative<ExitWith>(parsed));
  EXPECT_NE(std::get<ExitWith>(parsed).status, 0);
  EXPECT_NE(err.find("needs --primary-grpc-url"), std::string::npos) << err;
}

TEST(Config, RefusesAPrimaryUrlItCannotSpeakTo) {
  std::string err;
  const auto parsed = parse({"--primary-grpc-url", "https://primary:5001"}, nullptr, &err);
  ASSERT_TRUE(std::holds_alternative<ExitWith>(parsed));
  EXPECT_NE(std::get<ExitWith>(parsed).status, 0);
  EXPECT_NE(err.find("only http:// URLs"), std::string::npos) << err;
}

TEST(Config, RefusesUnknownFlags) {
  std::string err;
  const auto parsed = parse({"--no-such-flag"}, nullptr, &err);
  ASSERT_TRUE(std::holds_alternative<ExitWith>(parsed));
  EXPECT_NE(std::get<ExitWith>(parsed).status, 0);
  EXPECT_NE(err.find("no-such-flag"), std::string::npos) << err;
}

TEST(Config, RefusesBadListenAddressesWithTheReason) {
  for (const char* bad :
       {"8080", "127.0.0.1:", "127.0.0.1:99999", ":8080", "::1:8080", "host:port"}) {
    std::string err;
    const auto parsed = parse({"--http-listen-addr", bad}, nullptr, &err);
    ASSERT_TRUE(std::holds_alternative<ExitWith>(parsed)) << bad;
    EXPECT_EQ(std::get<ExitWith>(parsed).status, 2) << bad;
    EXPECT_NE(err.find("invalid listen address"), std::string::npos) << err;
  }
}

TEST(Config, VersionAndHelpExitZeroWithTheirText) {
  std::string out;
  auto parsed = parse({"--version"}, &out);
  ASSERT_TRUE(std::holds_alternative<ExitWith>(parsed));
  EXPECT_EQ(std::get<ExitWith>(parsed).status, 0);
  EXPECT_EQ(out.rfind("sqld ", 0), 0u) << out;
  parsed = parse({"--help"}, &out);
  EXPECT_EQ(std::get<ExitWith>(parsed).status, 0);
  EXPECT_NE(out.find("--http-listen-addr"), std::string::npos) << out;
}

TEST(Config, VersionLineHasSqldsShape) {
  const std::string line = version_line();
  // "sqld 0.24.32 (40c272de 2025-02-14)"
  EXPECT_TRUE(std::regex_match(line, std::regex(R"(sqld \d+\.\d+\.\d+ \(\w+ \d{4}-\d{2}-\d{2}\))")))
      << line;
}

}  // namespace
}  // namespace libsql::server
