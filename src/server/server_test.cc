// server_test.cc: sqld in-process on an ephemeral loopback port: its routes, HTTP
// edge cases, and a clean stop.

#include "server/server.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <thread>

#include "engine/connection.h"
#include "libsql/error.h"
#include "server/server_test_support.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace libsql::server {
namespace {

namespace http = boost::beast::http;
using testing::HttpClient;

class ServerTest : public test_support::RunningServerTest {};

TEST_F(ServerTest, HealthAnswers200WithAnEmptyBody) {
  HttpClient client(server_->http_port());
  const auto reply = client.get("/health");
  EXPECT_EQ(reply.result(), http::status::ok);
  EXPECT_EQ(reply.body(), "");
}

TEST_F(ServerTest, VersionAnswersTheVersionLine) {
  HttpClient client(server_->http_port());
  const auto reply = client.get("/version");
  EXPECT_EQ(reply.result(), http::status::ok);
  EXPECT_EQ(reply.body(), version_line());
}

TEST_F(ServerTest, UnknownPathsAre404AndWrongMethods405) {
  HttpClient client(server_->http_port());
  EXPECT_EQ(client.get("/nope").result(), http::status::not_found);
  EXPECT_EQ(client.request(http::verb::post, "/health", "{}").result(),
            http::status::method_not_allowed);
  EXPECT_EQ(client.get("/health?probe=1").result(), http::status::ok)
      << "a query string is not part of the path";
}

TEST_F(ServerTest, KeepsAConnectionAliveAcrossRequests) {
  HttpClient client(server_->http_port());
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(client.get("/health").result(), http::status::ok) << "request " << i;
}

TEST_F(ServerTest, MalformedRequestsGet400AndTheServerStaysUp) {
  HttpClient bad(server_->http_port());
  EXPECT_EQ(bad.send_raw("NOT AN HTTP REQUEST\r\n\r\n").result(), http::status::bad_request);
  EXPECT_TRUE(bad.closed_by_server());
  HttpClient good(server_->http_port());
  EXPECT_EQ(good.get("/health").result(), http::status::ok);
}

TEST_F(ServerTest, OversizedBodiesGet413BeforeTheBodyIsRead) {
  HttpClient client(server_->http_port());
  // Announce 1 GiB and send none of it: the server must refuse from the header alone.
  const auto reply =
      client.send_raw("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n");
  EXPECT_EQ(reply.result(), http::status::payload_too_large);
}

TEST_F(ServerTest, CreatesTheDefaultNamespaceDatabaseAsSqldLaysItOut) {
  const auto file = dir_.path() / "data.sqld" / "dbs" / "default" / "data";
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  auto db = engine::Connection::open(file.string(), {.mode = engine::OpenMode::kReadOnly});
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
}

TEST(ServerStartup, ANonDatabaseFileIsAClearErrorAtStartup) {
  testing::TempDir dir;
  ServerConfig config;
  config.db_path = dir.path();
  config.http_listen_addr = {"127.0.0.1", 0};
  std::filesystem::create_directories(config.default_database_file().parent_path());
  std::ofstream(config.default_database_file()) << std::string(4096, 'z');
  try {
    Server server(config);
    FAIL() << "a junk database file must stop startup";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_NOTADB");
  }
}

TEST(ServerStartup, ATakenPortIsAClearErrorAtStartup) {
  testing::TempDir dir;
  ServerConfig config;
  config.db_path = dir.path();
  config.http_listen_addr = {"127.0.0.1", 0};
  Server first(config);
  config.http_listen_addr.port = first.http_port();
  try {
    Server second(config);
    FAIL() << "two servers must not share a port";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos)
        << e.what();
  }
}

// One connection at a time (--max-concurrent-connections 1) and `waiting` requests
// allowed to wait for it (--max-concurrent-requests).
template <std::uint32_t waiting>
class ConnectionLimitTest : public ServerTest {
 protected:
  void configure(ServerConfig& config) override {
    config.max_concurrent_connections = 1;
    config.max_concurrent_requests = waiting;
  }

  // Opens a stream left in a transaction: it holds the one connection.
  std::string hold_the_connection(HttpClient& client) {
    const auto reply =
        client.request(http::verb::post, "/v2/pipeline",
                       R"({"requests":[{"type":"execute","stmt":{"sql":"BEGIN"}}]})");
    EXPECT_EQ(reply.result(), http::status::ok);
    const auto at = reply.body().find(R"("baton":")");
    EXPECT_NE(at, std::string::npos) << reply.body();
    return reply.body().substr(at + 9, reply.body().find('"', at + 9) - at - 9);
  }

  static constexpr const char* kSelect =
      R"({"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]})";
};

using NoWaitingTest = ConnectionLimitTest<0>;
using OneWaiterTest = ConnectionLimitTest<1>;

TEST_F(NoWaitingTest, ARequestThatCannotGetAConnectionIs429) {
  HttpClient holder(server_->http_port());
  const std::string baton = hold_the_connection(holder);
  HttpClient other(server_->http_port());
  const auto refused = other.request(http::verb::post, "/v2/pipeline", kSelect);
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(refused.body(), R"({"error":"Too many concurrent requests"})");
  EXPECT_EQ(refused[http::field::content_type], "application/json");
  // Requests on the open stream need no new connection.
  const auto on_stream =
      holder.request(http::verb::post, "/v2/pipeline",
                     R"({"baton":")" + baton + R"(","requests":[{"type":"close"}]})");
  EXPECT_EQ(on_stream.result(), http::status::ok);
  EXPECT_EQ(other.request(http::verb::post, "/v2/pipeline", kSelect).result(), http::status::ok)
      << "the closed stream gave its connection back";
}

TEST_F(OneWaiterTest, ARequestWaitsForAConnectionToBeGivenBack) {
  HttpClient holder(server_->http_port());
  const std::string baton = hold_the_connection(holder);
  auto waiting = std::async(std::launch::async, [port = server_->http_port()] {
    HttpClient client(port);
    return client.request(http::verb::post, "/v2/pipeline", kSelect);
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "no connection is free yet";
  holder.request(http::verb::post, "/v2/pipeline",
                 R"({"baton":")" + baton + R"(","requests":[{"type":"close"}]})");
  const auto reply = waiting.get();
  EXPECT_EQ(reply.result(), http::status::ok);
  EXPECT_NE(reply.body().find(R"("value":"1")"), std::string::npos) << reply.body();
}

// --max-total-response-size 100KB with a per-response limit of 1MB: one response of
// ~200 KB passes the total, not its own limit.
class TotalResponseLimitTest : public ServerTest {
 protected:
  void configure(ServerConfig& config) override {
    config.max_response_size = 1'000'000;
    config.max_total_response_size = 100'000;
  }
  static std::string select_rows(int rows) {
    return R"({"requests":[{"type":"execute","stmt":{"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<)" +
           std::to_string(rows) + R"() SELECT x FROM c"}},{"type":"close"}]})";
  }
};

TEST_F(TotalResponseLimitTest, AResponseOverTheTotalIsResponseTooLargeAndGivesItsShareBack) {
  HttpClient client(server_->http_port());
  const auto big = client.request(http::verb::post, "/v2/pipeline", select_rows(5000));
  EXPECT_EQ(big.result(), http::status::ok);
  EXPECT_NE(
      big.body().find(
          R"({"type":"error","error":{"message":"Response is too large","code":"RESPONSE_TOO_LARGE"}})"),
      std::string::npos)
      << big.body().substr(0, 300);
  for (int i = 0; i < 3; ++i) {
    const auto small = client.request(http::verb::post, "/v2/pipeline", select_rows(500));
    EXPECT_EQ(small.body().find("RESPONSE_TOO_LARGE"), std::string::npos)
        << "try " << i << ": the failed response's share was given back";
    EXPECT_NE(small.body().find(R"("value":"500")"), std::string::npos);
  }
  const auto cursor = client.request(
      http::verb::post, "/v3/cursor",
      R"({"batch":{"steps":[{"stmt":{"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<5000) SELECT x FROM c"}}]}})");
  EXPECT_EQ(cursor.result(), http::status::ok);
  EXPECT_NE(cursor.body().find(R"("value":"5000")"), std::string::npos)
      << "cursors stream and are not metered, as in sqld";
}

// --hrana-listen-addr: a second port for Hrana over WebSocket only.
class HranaPortTest : public ServerTest {
 protected:
  void configure(ServerConfig& config) override { config.hrana_listen_addr = {"127.0.0.1", 0}; }
};

TEST_F(HranaPortTest, SpeaksHranaOverWebSocketAndRefusesPlainHttp) {
  ASSERT_TRUE(server_->hrana_port());
  const std::uint16_t port = *server_->hrana_port();
  ASSERT_NE(port, server_->http_port());

  HttpClient plain(port);
  const auto refused = plain.get("/v2");
  EXPECT_EQ(refused.result(), http::status::bad_request);
  EXPECT_EQ(refused.body(), "This port accepts only Hrana over WebSocket\n");

  namespace websocket = boost::beast::websocket;
  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(http::field::sec_websocket_protocol, "hrana2");
  }));
  websocket::response_type handshake;
  ws.handshake(handshake, "127.0.0.1", "/");
  EXPECT_EQ(handshake[http::field::sec_websocket_protocol], "hrana2");
  ws.text(true);
  ws.write(boost::asio::buffer(std::string_view(R"({"type":"hello"})")));
  boost::beast::flat_buffer reply;
  ws.read(reply);
  EXPECT_EQ(boost::beast::buffers_to_string(reply.data()), R"({"type":"hello_ok"})");
  ws.close(websocket::close_code::normal);
}

}  // namespace
}  // namespace libsql::server
