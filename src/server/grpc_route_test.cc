// grpc_route_test.cc: the gRPC-Web services on sqld's HTTP port, driven with raw HTTP/1.1
// as the native client sends it (chunked bodies, x-authorization, x-namespace-bin,
// x-session-token): framing and trailers, sqld's statuses, replication after writes,
// write forwarding, streams.

#include "server/grpc_route.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <thread>

#include "proto/proxy.pb.h"
#include "proto/replication_log.pb.h"
#include "replication/bincode_value.h"
#include "replication/grpc_web.h"
#include "server/server.h"
#include "server/server_test_support.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace libsql::server {
namespace {

namespace http = boost::beast::http;
namespace grpc_web = replication::grpc_web;
using testing::HttpClient;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A request as tonic-web sends it: POST, application/grpc-web, chunked body (in two
// chunks, to exercise the reassembly), `x-authorization: Bearer ` even without a token.
std::string grpc_request(std::string_view path, std::string_view message,
                         const Headers& headers = {},
                         std::string_view content_type = "application/grpc-web") {
  std::string body;
  grpc_web::append_message(body, message);
  std::string out = "POST " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  out += "content-type: " + std::string(content_type) + "\r\nte: trailers\r\n";
  bool has_auth = false;
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
    has_auth = has_auth || name == "x-authorization" || name == "authorization";
  }
  if (!has_auth) out += "x-authorization: Bearer \r\n";
  out += "transfer-encoding: chunked\r\n\r\n";
  const std::size_t half = body.size() / 2;
  for (const std::string_view chunk :
       {std::string_view(body).substr(0, half), std::string_view(body).substr(half)}) {
    if (chunk.empty()) continue;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    out += size + std::string(chunk) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

struct GrpcReply {
  unsigned http = 0;
  int status = -1;
  std::string message;
  std::vector<std::string> messages;
  bool trailers_only = false;
  std::string body;
};

GrpcReply parse_reply(const testing::HttpReply& reply) {
  GrpcReply out;
  out.http = reply.result_int();
  out.body = reply.body();
  if (const auto found = reply.find("grpc-status"); found != reply.end()) {
    out.trailers_only = true;
    out.status = std::stoi(std::string(found->value()));
    if (const auto text = reply.find("grpc-message"); text != reply.end()) {
      out.message = grpc_web::percent_decode(std::string(text->value()));
    }
    return out;
  }
  std::string_view body = reply.body();
  while (body.size() >= 5) {
    std::uint32_t length = 0;
    for (int i = 1; i <= 4; ++i) length = length << 8 | static_cast<unsigned char>(body[i]);
    const std::string payload(body.substr(5, length));
    if (static_cast<unsigned char>(body[0]) == 0x80) {
      for (std::size_t start = 0; start < payload.size();) {
        const std::size_t end = payload.find("\r\n", start);
        const std::string line = payload.substr(start, end - start);
        const std::size_t colon = line.find(':');
        if (line.substr(0, colon) == "grpc-status") out.status = std::stoi(line.substr(colon + 1));
        if (line.substr(0, colon) == "grpc-message")
          out.message = grpc_web::percent_decode(line.substr(colon + 1));
        start = end + 2;
      }
    } else {
      out.messages.push_back(payload);
    }
    body.remove_prefix(std::min<std::size_t>(body.size(), 5 + length));
  }
  return out;
}

class GrpcRouteTest : public test_support::RunningServerTest {
 protected:
  GrpcReply call(std::string_view path, const google::protobuf::MessageLite& message,
                 const Headers& headers = {}) {
    HttpClient client(server_->http_port());
    return parse_reply(client.send_raw(grpc_request(path, message.SerializeAsString(), headers)));
  }
  // Hello; skips the test while namespaces have no replication log to serve.
  wal_log::HelloResponse hello(const Headers& headers = {}) {
    wal_log::HelloRequest request;
    request.set_handshake_version(1);
    const GrpcReply reply = call("/wal_log.ReplicationLog/Hello", request, headers);
    wal_log::HelloResponse response;
    if (reply.status == 3 && reply.message == "not a primary") {
      no_log_ = true;
      return response;
    }
    EXPECT_EQ(reply.status, 0) << reply.message;
    EXPECT_EQ(reply.messages.size(), 1u);
    if (!reply.messages.empty()) {
      EXPECT_TRUE(response.ParseFromString(reply.messages[0]));
    }
    return response;
  }
  GrpcReply batch(std::uint64_t next, const std::string& token) {
    wal_log::LogOffset offset;
    offset.set_next_offset(next);
    return call("/wal_log.ReplicationLog/BatchLogEntries", offset, {{"x-session-token", token}});
  }
  void sql(std::string_view statement) {
    HttpClient client(server_->http_port());
    const auto reply = client.request(
        http::verb::post, "/v2/pipeline",
        R"({"requests":[{"type":"execute","stmt":{"sql":")" + std::string(statement) + R"("}}]})");
    ASSERT_EQ(reply.result(), http::status::ok) << reply.body();
    ASSERT_EQ(reply.body().find("\"error\""), std::string::npos) << reply.body();
  }

  bool no_log_ = false;
};

#define SKIP_WITHOUT_LOG() \
  if (no_log_) GTEST_SKIP() << "namespaces have no replication log yet"

TEST_F(GrpcRouteTest, InfoIs404SoTheNativeClientSpeaksGrpc) {
  HttpClient client(server_->http_port());
  EXPECT_EQ(client.get("/info").result(), http::status::not_found)
      << "a 2xx would switch the client to the v2 sync protocol";
  EXPECT_EQ(client.get("/sync/0/0/0").result(), http::status::not_found) << "0.9.1-0.9.9's probe";
}

TEST_F(GrpcRouteTest, HelloAnswersOverAChunkedBodyWithTrailers) {
  const wal_log::HelloResponse response = hello();
  SKIP_WITHOUT_LOG();
  EXPECT_TRUE(replication::LogId::parse(response.log_id())) << response.log_id();
  EXPECT_TRUE(replication::LogId::parse(response.session_token())) << response.session_token();
  wal_log::HelloRequest request;
  request.set_handshake_version(1);
  HttpClient client(server_->http_port());
  const auto raw =
      client.send_raw(grpc_request("/wal_log.ReplicationLog/Hello", request.SerializeAsString()));
  EXPECT_EQ(raw.result(), http::status::ok);
  EXPECT_EQ(raw[http::field::content_type], "application/grpc-web+proto");
  EXPECT_TRUE(raw.body().ends_with(std::string("\x80\x00\x00\x00\x0fgrpc-status:0\r\n", 20)))
      << "the trailers frame, no space after the colon";
}

TEST_F(GrpcRouteTest, BatchLogEntriesWithoutTheSessionTokenIsNoHello) {
  hello();
  SKIP_WITHOUT_LOG();
  const GrpcReply reply = batch(0, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(reply.status, 9);
  EXPECT_EQ(reply.message, "NO_HELLO");
  EXPECT_TRUE(reply.trailers_only);
}

TEST_F(GrpcRouteTest, ReplicatesWritesInBatchesThatEndOnACommit) {
  const wal_log::HelloResponse empty = hello();
  SKIP_WITHOUT_LOG();
  sql("CREATE TABLE t (x)");
  sql("INSERT INTO t VALUES (1)");
  const wal_log::HelloResponse after = hello();
  ASSERT_TRUE(after.has_current_replication_index());
  EXPECT_EQ(after.log_id(), empty.log_id());
  const GrpcReply reply = batch(0, after.session_token());
  ASSERT_EQ(reply.status, 0) << reply.message;
  ASSERT_EQ(reply.messages.size(), 1u);
  wal_log::Frames frames;
  ASSERT_TRUE(frames.ParseFromString(reply.messages[0]));
  ASSERT_GT(frames.frames_size(), 0);
  const auto& last = frames.frames(frames.frames_size() - 1).data();
  ASSERT_EQ(last.size(), replication::kFrameSize);
  const auto header =
      replication::decode_frame_header(reinterpret_cast<const std::uint8_t*>(last.data()));
  EXPECT_EQ(header.frame_no, after.current_replication_index()) << "the batch reaches the index";
  EXPECT_TRUE(header.is_commit());
  const GrpcReply nothing = batch(after.current_replication_index() + 1, after.session_token());
  wal_log::Frames none;
  ASSERT_EQ(nothing.messages.size(), 1u);
  ASSERT_TRUE(none.ParseFromString(nothing.messages[0]));
  EXPECT_EQ(none.frames_size(), 0) << "nothing new is an empty Frames";
}

// The HTTP chunks of a reply to `request`, read off the wire (the connection closes after it).
std::vector<std::string> reply_chunks(std::uint16_t port, const std::string& request) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string wire;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::dynamic_buffer(wire), ec);
  std::vector<std::string> chunks;
  std::size_t at = wire.find("\r\n\r\n");
  if (at == std::string::npos) return chunks;
  at += 4;
  while (at < wire.size()) {
    const std::size_t line_end = wire.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const std::size_t size = std::stoul(wire.substr(at, line_end - at), nullptr, 16);
    chunks.push_back(wire.substr(line_end + 2, size));
    at = line_end + 2 + size + 2;
    if (size == 0) break;
  }
  return chunks;
}

// tonic's wire shape, which the official client is fastest with and reads reliably: the
// whole Frames message in one HTTP chunk (here ~1 MB, written in pieces), the trailers
// in a chunk of their own, then the last chunk.
TEST_F(GrpcRouteTest, ABatchIsOneHttpChunkAndItsTrailersAnother) {
  const wal_log::HelloResponse empty = hello();
  SKIP_WITHOUT_LOG();
  sql("CREATE TABLE t (x)");
  sql("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 250) "
      "INSERT INTO t SELECT randomblob(4000) FROM c");
  const wal_log::HelloResponse after = hello();
  wal_log::LogOffset offset;
  offset.set_next_offset(0);
  const std::vector<std::string> chunks = reply_chunks(
      server_->http_port(),
      grpc_request("/wal_log.ReplicationLog/BatchLogEntries", offset.SerializeAsString(),
                   {{"x-session-token", after.session_token()}, {"connection", "close"}}));
  ASSERT_EQ(chunks.size(), 3u) << "message, trailers, last chunk";
  ASSERT_GT(chunks[0].size(), 1'000'000u) << "250 rows of 4000 bytes";
  std::uint32_t length = 0;
  for (int i = 1; i <= 4; ++i) length = length << 8 | static_cast<unsigned char>(chunks[0][i]);
  EXPECT_EQ(chunks[0][0], '\0');
  EXPECT_EQ(chunks[0].size(), 5 + std::size_t{length}) << "exactly one whole message";
  wal_log::Frames frames;
  ASSERT_TRUE(frames.ParseFromString(chunks[0].substr(5)));
  const auto& last = frames.frames(frames.frames_size() - 1).data();
  EXPECT_EQ(
      replication::decode_frame_header(reinterpret_cast<const std::uint8_t*>(last.data())).frame_no,
      after.current_replication_index());
  EXPECT_EQ(chunks[1], std::string("\x80\x00\x00\x00\x0fgrpc-status:0\r\n", 20));
  EXPECT_TRUE(chunks[2].empty());
}

TEST_F(GrpcRouteTest, RefusesTheLibsqlWalFlavor) {
  wal_log::LogOffset offset;
  offset.set_wal_flavor(wal_log::LogOffset::Libsql);
  const GrpcReply reply = call("/wal_log.ReplicationLog/BatchLogEntries", offset);
  EXPECT_EQ(reply.status, 3);
  EXPECT_EQ(reply.message, "libsql wal not supported");
}

TEST_F(GrpcRouteTest, AMissingSnapshotIsUnavailable) {
  const wal_log::HelloResponse response = hello();
  SKIP_WITHOUT_LOG();
  wal_log::LogOffset offset;
  offset.set_next_offset(1'000'000);
  const GrpcReply reply = call("/wal_log.ReplicationLog/Snapshot", offset,
                               {{"x-session-token", response.session_token()}});
  EXPECT_EQ(reply.status, 14);
  EXPECT_EQ(reply.message, "snapshot not found");
}

TEST_F(GrpcRouteTest, ForwardsWritesAndKeepsTransactionsAcrossCalls) {
  sql("CREATE TABLE t (x)");
  const auto execute = [&](std::string statement) {
    proxy::ProgramReq request;
    request.set_client_id("0d3e3c4e-8a43-4f4e-9a0e-2f3a6d1c5b7a");
    auto& query = *request.mutable_pgm()->add_steps()->mutable_query();
    query.set_stmt(std::move(statement));
    query.mutable_positional();
    const GrpcReply reply = call("/proxy.Proxy/Execute", request);
    EXPECT_EQ(reply.status, 0) << reply.message;
    proxy::ExecuteResults results;
    if (reply.messages.size() == 1) {
      EXPECT_TRUE(results.ParseFromString(reply.messages[0]));
    }
    return results;
  };
  EXPECT_EQ(execute("BEGIN").state(), proxy::TXN);
  const auto inserted = execute("INSERT INTO t VALUES (42)");
  EXPECT_EQ(inserted.results(0).row().affected_row_count(), 1u);
  EXPECT_EQ(execute("COMMIT").state(), proxy::INIT);
  const auto selected = execute("SELECT x FROM t");
  ASSERT_EQ(selected.results(0).row().rows_size(), 1);
  EXPECT_EQ(replication::decode_bincode(selected.results(0).row().rows(0).values(0).data()),
            Value(42));

  proxy::DescribeRequest describe;
  describe.set_client_id("0d3e3c4e-8a43-4f4e-9a0e-2f3a6d1c5b7a");
  describe.set_stmt("SELECT x FROM t WHERE x = ?");
  const GrpcReply described = call("/proxy.Proxy/Describe", describe);
  ASSERT_EQ(described.status, 0) << described.message;
  proxy::DescribeResult result;
  ASSERT_TRUE(result.ParseFromString(described.messages.at(0)));
  EXPECT_EQ(result.description().param_count(), 1u);
}

TEST_F(GrpcRouteTest, AnswersWhatIsNotAGrpcWebCallPlainly) {
  HttpClient client(server_->http_port());
  EXPECT_EQ(client.get("/wal_log.ReplicationLog/Hello").result(), http::status::method_not_allowed);
  wal_log::HelloRequest request;
  EXPECT_EQ(
      client.send_raw(grpc_request("/wal_log.ReplicationLog/Hello", "", {}, "application/json"))
          .result(),
      http::status::unsupported_media_type);
  const GrpcReply unknown = call("/proxy.Proxy/Nope", request);
  EXPECT_EQ(unknown.status, 12);
  const GrpcReply stream_exec = call("/proxy.Proxy/StreamExec", request);
  EXPECT_EQ(stream_exec.status, 12) << "no bidirectional streams over gRPC-Web";
  std::string compressed =
      "POST /wal_log.ReplicationLog/Hello HTTP/1.1\r\nHost: x\r\n"
      "content-type: application/grpc-web\r\ncontent-length: 6\r\n\r\n";
  compressed += std::string("\x01\x00\x00\x00\x01\x00", 6);
  const GrpcReply refused = parse_reply(client.send_raw(compressed));
  EXPECT_EQ(refused.status, 12) << refused.message;
  EXPECT_EQ(client.get("/health").result(), http::status::ok) << "the connection stays usable";
}

TEST_F(GrpcRouteTest, StreamsLogEntriesAsCommitsHappen) {
  const wal_log::HelloResponse response = hello();
  SKIP_WITHOUT_LOG();
  wal_log::LogOffset offset;
  offset.set_next_offset(
      response.has_current_replication_index() ? response.current_replication_index() + 1 : 0);
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), server_->http_port()});
  stream.expires_after(std::chrono::seconds(20));
  boost::asio::write(stream, boost::asio::buffer(grpc_request(
                                 "/wal_log.ReplicationLog/LogEntries", offset.SerializeAsString(),
                                 {{"x-session-token", response.session_token()}})));
  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  http::read_header(stream, buffer, parser);
  EXPECT_EQ(parser.get().result(), http::status::ok);
  EXPECT_TRUE(parser.get().chunked());
  std::thread writer([&] { sql("CREATE TABLE streamed (x)"); });
  std::string body;
  char data[8192];
  while (body.size() < 5 + 4123) {
    parser.get().body().data = data;
    parser.get().body().size = sizeof data;
    boost::beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec && ec != http::error::need_buffer) {
      ADD_FAILURE() << "the stream broke: " << ec.message();
      break;
    }
    body.append(data, sizeof data - parser.get().body().size);
  }
  writer.join();
  ASSERT_GE(body.size(), 5u + 4123u);
  EXPECT_EQ(body[0], '\0') << "a message frame";
  wal_log::Frame frame;
  ASSERT_TRUE(frame.ParseFromString(body.substr(5, 4123)));
  EXPECT_EQ(
      replication::decode_frame_header(reinterpret_cast<const std::uint8_t*>(frame.data().data()))
          .frame_no,
      offset.next_offset());
}

// A LogEntries stream waits for commits without a thread: more streams than the server
// has blocking threads (16) wait at once, SQL is still answered meanwhile, and one
// commit reaches every stream.
TEST_F(GrpcRouteTest, ManyLogEntriesStreamsWaitWithoutHoldingThreads) {
  hello();
  SKIP_WITHOUT_LOG();
  sql("CREATE TABLE t (x)");
  const wal_log::HelloResponse response = hello();
  wal_log::LogOffset offset;
  offset.set_next_offset(response.current_replication_index() + 1);  // only what comes next
  const std::string request =
      grpc_request("/wal_log.ReplicationLog/LogEntries", offset.SerializeAsString(),
                   {{"x-session-token", response.session_token()}});
  boost::asio::io_context io;
  struct Open {
    std::unique_ptr<boost::beast::tcp_stream> stream;
    boost::beast::flat_buffer buffer;
    std::unique_ptr<http::response_parser<http::buffer_body>> parser;
  };
  constexpr int kStreams = 40;
  std::vector<Open> open(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    Open& o = open[i];
    o.stream = std::make_unique<boost::beast::tcp_stream>(io);
    o.stream->connect({boost::asio::ip::make_address("127.0.0.1"), server_->http_port()});
    o.stream->expires_after(std::chrono::seconds(10));
    boost::asio::write(*o.stream, boost::asio::buffer(request));
    o.parser = std::make_unique<http::response_parser<http::buffer_body>>();
    http::read_header(*o.stream, o.buffer, *o.parser);
    ASSERT_EQ(o.parser->get().find("grpc-status"), o.parser->get().end())
        << "stream " << i << " was refused";
  }
  const auto started = std::chrono::steady_clock::now();
  sql("INSERT INTO t VALUES (1)");  // answered while every stream waits
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  for (int i = 0; i < kStreams; ++i) {
    Open& o = open[i];
    char bytes[8192];
    o.parser->get().body().data = bytes;
    o.parser->get().body().size = sizeof bytes;
    // The frame's message: its 5-byte header and 4123 bytes; read until they are in.
    std::size_t got = 0;
    while (got < 5u + 4120u) {
      boost::system::error_code ec;
      http::read_some(*o.stream, o.buffer, *o.parser, ec);
      ASSERT_TRUE(!ec || ec == http::error::need_buffer) << "stream " << i << ": " << ec.message();
      got = sizeof bytes - o.parser->get().body().size;
    }
    ASSERT_GE(got, 5u + 4120u) << "stream " << i << " got the commit's frame";
    EXPECT_EQ(bytes[0], 0) << "a message frame";
  }
}

class CompactingGrpcTest : public GrpcRouteTest {
 protected:
  void configure(ServerConfig& config) override { config.max_log_size_mb = 1; }
};

TEST_F(CompactingGrpcTest, CompactedFramesNeedASnapshotWhichStreamsNewestFirst) {
  hello();
  SKIP_WITHOUT_LOG();
  sql("CREATE TABLE s (data BLOB)");
  for (int i = 0; i < 20; ++i) {
    sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20) "
        "INSERT INTO s SELECT randomblob(3000) FROM c");
  }
  const wal_log::HelloResponse response = hello();
  const GrpcReply batch_reply = batch(0, response.session_token());
  EXPECT_EQ(batch_reply.status, 9) << "1 MB of log is compacted past frame 0";
  EXPECT_EQ(batch_reply.message, "NEED_SNAPSHOT");
  wal_log::LogOffset offset;
  offset.set_next_offset(0);
  GrpcReply snapshot;
  for (int attempt = 0; attempt < 100; ++attempt) {  // UNAVAILABLE while it is being made
    snapshot = call("/wal_log.ReplicationLog/Snapshot", offset,
                    {{"x-session-token", response.session_token()}});
    if (snapshot.status != 14) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(snapshot.status, 0) << snapshot.message;
  ASSERT_GT(snapshot.messages.size(), 1u);
  std::uint64_t previous = UINT64_MAX;
  for (std::size_t i = 0; i < snapshot.messages.size(); ++i) {
    wal_log::Frame frame;
    ASSERT_TRUE(frame.ParseFromString(snapshot.messages[i]));
    const auto header = replication::decode_frame_header(
        reinterpret_cast<const std::uint8_t*>(frame.data().data()));
    EXPECT_LT(header.frame_no, previous) << "frames come newest first";
    previous = header.frame_no;
    EXPECT_EQ(header.is_commit(), i + 1 == snapshot.messages.size())
        << "only the last frame carries the size";
  }
}

class NamespacedGrpcTest : public GrpcRouteTest {
 protected:
  void configure(ServerConfig& config) override { config.enable_namespaces = true; }
};

TEST_F(NamespacedGrpcTest, AnUnknownNamespaceIsNamespaceDoesntExist) {
  wal_log::HelloRequest request;
  // The client takes "127" from 127.0.0.1 when it is given no namespace.
  const GrpcReply reply =
      call("/wal_log.ReplicationLog/Hello", request, {{"x-namespace-bin", "MTI3"}});
  EXPECT_EQ(reply.status, 9);
  EXPECT_EQ(reply.message, "NAMESPACE_DOESNT_EXIST");
  const GrpcReply missing = call("/wal_log.ReplicationLog/Hello", request);
  EXPECT_EQ(missing.status, 3);
  EXPECT_EQ(missing.message, "Missing x-namespace-bin metadata");
  const GrpcReply padded =
      call("/wal_log.ReplicationLog/Hello", request, {{"x-namespace-bin", "ZGVmYXVsdA=="}});
  EXPECT_NE(padded.status, 9) << "\"default\" with padding is accepted: " << padded.message;
  EXPECT_NE(padded.status, 3) << padded.message;
}

class BasicAuthGrpcTest : public GrpcRouteTest {
 protected:
  void configure(ServerConfig& config) override { config.http_auth = "basic:dXNlcjpwYXNz"; }
};

TEST_F(BasicAuthGrpcTest, ABadOrMissingCredentialIsRefusedAsSqld) {
  wal_log::HelloRequest request;
  const GrpcReply bad =
      call("/wal_log.ReplicationLog/Hello", request, {{"x-authorization", "Bearer nope"}});
  EXPECT_EQ(bad.status, 16);
  EXPECT_EQ(bad.message, "AuthError: The `Basic` HTTP authentication credentials were rejected");
  const GrpcReply none =
      call("/proxy.Proxy/Describe", request, {{"x-other", "1"}, {"authorization", ""}});
  EXPECT_EQ(none.status, 16) << "an empty Authorization is malformed: " << none.message;
  HttpClient client(server_->http_port());
  std::string raw = grpc_request("/wal_log.ReplicationLog/Hello", "", {{"x-dummy", "1"}});
  raw.replace(raw.find("x-authorization: Bearer \r\n"), 26, "");
  const GrpcReply missing = parse_reply(client.send_raw(raw));
  EXPECT_EQ(missing.status, 13);
  EXPECT_EQ(missing.message,
            "Error parsing auth header: Expected authorization header but none given");
  const GrpcReply good =
      call("/wal_log.ReplicationLog/Hello", request, {{"x-authorization", "Bearer dXNlcjpwYXNz"}});
  EXPECT_TRUE(good.status == 0 || good.message == "not a primary") << good.message;
}

}  // namespace
}  // namespace libsql::server
