// grpc_web_client_test.cc: the gRPC-Web client against a scripted loopback HTTP server
// (headers it sends, statuses it reads, connection reuse, streaming, timeouts and
// cancel). Calls against the reference sqld are in replicator_test.cc.

#include "replication/grpc_web_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace libsql::replication {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using grpc_web::Status;
using grpc_web::StatusCode;
using namespace std::chrono_literals;

struct ReceivedRequest {
  std::string head;  // request line and headers
  std::string body;
};

// Answers each request on a connection with what `respond` writes; the connection
// stays open while `respond` returns true. One connection at a time.
class ScriptedServer {
 public:
  using Respond = std::function<bool(const ReceivedRequest&, tcp::socket&)>;

  explicit ScriptedServer(Respond respond)
      : respond_(std::move(respond)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    {
      std::lock_guard lock(mutex_);
      if (current_) current_->shutdown(tcp::socket::shutdown_both, ignored);
    }
    // A blocked accept() does not wake when its socket is closed: a connection does.
    tcp::socket waker(io_);
    waker.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int connections() const { return connections_.load(); }
  std::vector<ReceivedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  bool stopping() const { return stopping_.load(); }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code error;
      acceptor_.accept(socket, error);
      if (error || stopping_) return;
      ++connections_;
      {
        std::lock_guard lock(mutex_);
        current_ = &socket;
      }
      asio::streambuf buffer;
      while (!stopping_) {
        const std::size_t head_size = asio::read_until(socket, buffer, "\r\n\r\n", error);
        if (error) break;
        ReceivedRequest request;
        request.head.assign(
            asio::buffers_begin(buffer.data()),
            asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(head_size));
        buffer.consume(head_size);
        std::size_t length = 0;
        if (const auto at = request.head.find("Content-Length: "); at != std::string::npos) {
          length = std::stoul(request.head.substr(at + 16));
        }
        if (buffer.size() < length)
          asio::read(socket, buffer, asio::transfer_exactly(length - buffer.size()), error);
        if (error) break;
        request.body.assign(
            asio::buffers_begin(buffer.data()),
            asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(length));
        buffer.consume(length);
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(request);
        }
        if (!respond_(request, socket)) break;
      }
      std::lock_guard lock(mutex_);
      current_ = nullptr;
    }
  }

  Respond respond_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  tcp::socket* current_ = nullptr;
  std::vector<ReceivedRequest> requests_;
};

std::string message_frame(std::string_view payload) {
  std::string out;
  grpc_web::append_message(out, payload);
  return out;
}

std::string trailers_frame(const Status& status) {
  std::string out;
  grpc_web::append_trailers(out, status);
  return out;
}

// A 200 reply with a known length holding `body`.
std::string reply_with_body(const std::string& body, std::string_view extra_headers = "") {
  return "HTTP/1.1 200 OK\r\ncontent-type: application/grpc-web+proto\r\n" +
         std::string(extra_headers) + "content-length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string chunk(std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return size + std::string(bytes) + "\r\n";
}

constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\ncontent-type: application/grpc-web+proto\r\ntransfer-encoding: "
    "chunked\r\n\r\n";

void write_all(tcp::socket& socket, std::string_view bytes) {
  boost::system::error_code ignored;
  asio::write(socket, asio::buffer(bytes.data(), bytes.size()), ignored);
}

GrpcWebClientOptions options_for(const std::string& url) {
  GrpcWebClientOptions options;
  options.url = url;
  options.connect_timeout = 2s;
  options.io_timeout = 5s;
  return options;
}

std::string echo_reply(const ReceivedRequest& request) {
  // The request's one message, answered back: proves the request framing too.
  const std::string message = request.body.substr(grpc_web::kFrameHeaderSize);
  return reply_with_body(message_frame("echo:" + message) + trailers_frame({}));
}

TEST(GrpcWebResponseDecoder, DeliversMessagesFedOneByteAtATime) {
  const std::string body = message_frame("first") + message_frame("") + message_frame("third") +
                           trailers_frame({StatusCode::kOk, ""});
  GrpcWebResponseDecoder decoder(1024);
  std::vector<std::string> messages;
  for (char byte : body) {
    decoder.feed(std::string_view(&byte, 1), [&](std::string_view m) {
      messages.emplace_back(m);
      return true;
    });
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"first", "", "third"}));
  ASSERT_TRUE(decoder.finish().has_value()) << "the trailers frame was not seen";
  EXPECT_TRUE(decoder.finish()->ok());
}

TEST(GrpcWebResponseDecoder, ReadsTheStatusAndDecodedMessageFromTheTrailers) {
  GrpcWebResponseDecoder decoder(1024);
  decoder.feed(trailers_frame({StatusCode::kFailedPrecondition, "NEED 100% SNAPSHOT"}),
               [](std::string_view) { return true; });
  EXPECT_EQ(decoder.finish(), (Status{StatusCode::kFailedPrecondition, "NEED 100% SNAPSHOT"}));
}

TEST(GrpcWebResponseDecoder, RefusesMalformedBodies) {
  const auto feed_all = [](std::string body, std::size_t limit = 1024) {
    GrpcWebResponseDecoder decoder(limit);
    decoder.feed(body, [](std::string_view) { return true; });
    decoder.finish();
  };
  const auto code_of = [&](std::string body, std::size_t limit = 1024) {
    try {
      feed_all(std::move(body), limit);
    } catch (const GrpcError& e) {
      return e.code();
    }
    return StatusCode::kOk;
  };
  EXPECT_EQ(code_of(message_frame("abc").substr(0, 6)), StatusCode::kInternal)
      << "a truncated frame";
  EXPECT_EQ(code_of(message_frame(std::string(100, 'x')), 99), StatusCode::kResourceExhausted);
  std::string compressed = message_frame("abc");
  compressed[0] = 1;
  EXPECT_EQ(code_of(compressed), StatusCode::kInternal) << "a compressed message";
  EXPECT_EQ(code_of(trailers_frame({}) + message_frame("late")), StatusCode::kInternal)
      << "a message after the trailers";
}

TEST(GrpcWebResponseDecoder, StopsWhenTheCallbackSaysSo) {
  GrpcWebResponseDecoder decoder(1024);
  int seen = 0;
  EXPECT_FALSE(decoder.feed(message_frame("a") + message_frame("b"), [&](std::string_view) {
    ++seen;
    return false;
  }));
  EXPECT_EQ(seen, 1);
}

TEST(GrpcWebClientHelpers, TrailersStatusAndHttpMapping) {
  EXPECT_EQ(parse_trailers("grpc-status:9\r\ngrpc-message:NO_HELLO\r\n"),
            (Status{StatusCode::kFailedPrecondition, "NO_HELLO"}));
  EXPECT_EQ(parse_trailers(""), Status{}) << "no grpc-status reads as OK, as tonic infers";
  EXPECT_EQ(parse_trailers("grpc-status:banana\r\n").code, StatusCode::kUnknown);
  EXPECT_EQ(status_code_for_http(401), StatusCode::kUnauthenticated);
  EXPECT_EQ(status_code_for_http(404), StatusCode::kUnimplemented);
  EXPECT_EQ(status_code_for_http(503), StatusCode::kUnavailable);
  EXPECT_EQ(status_code_for_http(500), StatusCode::kUnknown);
}

TEST(GrpcWebClientHelpers, NamespaceHeaderIsUnpaddedBase64OfTheOfficialDefault) {
  EXPECT_EQ(base64_no_pad("default"), "ZGVmYXVsdA");
  EXPECT_EQ(base64_no_pad("ab"), "YWI");
  EXPECT_EQ(base64_no_pad("abc"), "YWJj");
  EXPECT_EQ(namespace_for_host("db1.primary.example:8080"), "db1");
  EXPECT_EQ(namespace_for_host("localhost:8080"), "default");
  EXPECT_EQ(namespace_for_host("127.0.0.1:8080"), "127")
      << "the official client's rule, quirk and all";
}

TEST(GrpcWebClient, RefusesUrlsItCannotServe) {
  EXPECT_THROW(GrpcWebClient({.url = "https://example.com"}), std::invalid_argument);
  EXPECT_THROW(GrpcWebClient({.url = "libsql://example.com"}), std::invalid_argument);
  EXPECT_THROW(GrpcWebClient({.url = "http://"}), std::invalid_argument);
  EXPECT_THROW(GrpcWebClient({.url = "http://host:99999"}), std::invalid_argument);
  EXPECT_NO_THROW(GrpcWebClient({.url = "http://[::1]:8080/ignored/path"}));
}

TEST(GrpcWebClient, UnarySendsTheOfficialHeadersAndFraming) {
  ScriptedServer server([](const ReceivedRequest& request, tcp::socket& socket) {
    write_all(socket, echo_reply(request));
    return true;
  });
  auto options = options_for(server.url());
  options.auth_token = "tok";
  options.namespace_name = "ns1";
  GrpcWebClient client(options);
  EXPECT_EQ(client.unary("/wal_log.ReplicationLog/Hello", std::string("\x08\x01", 2)),
            "echo:\x08\x01");
  client.set_session_token("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(client.unary("/wal_log.ReplicationLog/BatchLogEntries", ""), "echo:");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  const std::string& head = requests[0].head;
  EXPECT_TRUE(head.starts_with("POST /wal_log.ReplicationLog/Hello HTTP/1.1\r\n")) << head;
  for (const char* header : {"Content-Type: application/grpc-web\r\n", "TE: trailers\r\n",
                             "x-authorization: Bearer tok\r\n", "x-namespace-bin: bnMx\r\n"}) {
    EXPECT_NE(head.find(header), std::string::npos) << "missing " << header << " in\n" << head;
  }
  EXPECT_EQ(head.find("x-session-token"), std::string::npos) << "no token before Hello answers";
  EXPECT_EQ(requests[0].body, std::string("\x00\x00\x00\x00\x02\x08\x01", 7));
  EXPECT_NE(requests[1].head.find("x-session-token: 6ba7b810-9dad-11d1-80b4-00c04fd430c8\r\n"),
            std::string::npos);
  EXPECT_EQ(requests[1].body, std::string(5, '\0')) << "an empty message is still one frame";
  EXPECT_EQ(server.connections(), 1) << "keep-alive: both calls on one connection";
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(GrpcWebClient, TrailersOnlyErrorBecomesATypedError) {
  ScriptedServer server([](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket,
              "HTTP/1.1 200 OK\r\ncontent-type: application/grpc-web+proto\r\ngrpc-status: 9\r\n"
              "grpc-message: NEED_SNAPSHOT\r\ncontent-length: 0\r\n\r\n");
    return true;
  });
  GrpcWebClient client(options_for(server.url()));
  try {
    client.unary("/wal_log.ReplicationLog/BatchLogEntries", "");
    FAIL() << "an error status was taken for a reply";
  } catch (const GrpcError& e) {
    EXPECT_TRUE(e.is(StatusCode::kFailedPrecondition, grpc_web::kNeedSnapshot)) << e.what();
  }
  // The connection is still good after a clean error reply.
  EXPECT_THROW(client.unary("/x", ""), GrpcError);
  EXPECT_EQ(server.connections(), 1);
}

TEST(GrpcWebClient, ErrorInTheTrailersFrameAfterMessages) {
  ScriptedServer server([](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket,
              reply_with_body(message_frame("partial") +
                              trailers_frame({StatusCode::kUnavailable, "snapshot not found"})));
    return true;
  });
  GrpcWebClient client(options_for(server.url()));
  std::vector<std::string> seen;
  try {
    client.server_stream("/wal_log.ReplicationLog/Snapshot", "", [&](std::string_view m) {
      seen.emplace_back(m);
      return true;
    });
    FAIL() << "the trailers' error was lost";
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.status(), (Status{StatusCode::kUnavailable, "snapshot not found"}));
  }
  EXPECT_EQ(seen, std::vector<std::string>{"partial"});
}

TEST(GrpcWebClient, HttpErrorStatusMapsToGrpcStatusWithTheBody) {
  ScriptedServer server([](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket, "HTTP/1.1 401 Unauthorized\r\ncontent-length: 13\r\n\r\nbad token!!!!");
    return true;
  });
  GrpcWebClient client(options_for(server.url()));
  try {
    client.unary("/wal_log.ReplicationLog/Hello", "");
    FAIL();
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.code(), StatusCode::kUnauthenticated);
    EXPECT_NE(e.status().message.find("bad token"), std::string::npos) << e.what();
  }
}

TEST(GrpcWebClient, RetriesOnceWhenTheServerClosedTheIdleConnection) {
  ScriptedServer server([](const ReceivedRequest& request, tcp::socket& socket) {
    write_all(socket, echo_reply(request));
    return false;  // closes without saying so, as an idle timeout on the server does
  });
  GrpcWebClient client(options_for(server.url()));
  EXPECT_EQ(client.unary("/a", "1"), "echo:1");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(client.unary("/a", "2"), "echo:2") << "the stale connection was not replaced";
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(GrpcWebClient, StreamHandsOverEachMessageBeforeTheNextArrives) {
  std::atomic<int> delivered{0};
  ScriptedServer server([&](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket, kChunkedHead);
    for (int i = 0; i < 3; ++i) {
      write_all(socket, chunk(message_frame("m" + std::to_string(i))));
      // The next message only goes out once the client handed this one over.
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      while (delivered.load() <= i && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    }
    write_all(socket, chunk(trailers_frame({})) + "0\r\n\r\n");
    return true;
  });
  GrpcWebClient client(options_for(server.url()));
  std::vector<std::string> seen;
  client.server_stream("/wal_log.ReplicationLog/LogEntries", "", [&](std::string_view m) {
    seen.emplace_back(m);
    ++delivered;
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"m0", "m1", "m2"}));
}

TEST(GrpcWebClient, CallbackCanEndAStreamEarly) {
  ScriptedServer server([&](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket, std::string(kChunkedHead) + chunk(message_frame("a") + message_frame("b")));
    while (!server.stopping()) std::this_thread::sleep_for(5ms);
    return false;
  });
  GrpcWebClient client(options_for(server.url()));
  int seen = 0;
  client.server_stream("/s", "", [&](std::string_view) { return ++seen < 1; });
  EXPECT_EQ(seen, 1);
}

TEST(GrpcWebClient, CancelFromAnotherThreadEndsAWaitingStream) {
  ScriptedServer server([&](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket, kChunkedHead);
    while (!server.stopping()) std::this_thread::sleep_for(5ms);
    return false;
  });
  GrpcWebClient client(options_for(server.url()));
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    client.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    client.server_stream(
        "/s", "", [](std::string_view) { return true; }, 60s);
    FAIL() << "the stream ended without cancel";
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.code(), StatusCode::kCancelled) << e.what();
  }
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_THROW(client.unary("/a", ""), GrpcError) << "cancel holds until reset_cancel()";
  client.reset_cancel();
}

TEST(GrpcWebClient, SilentStreamEndsAtItsIdleTimeout) {
  ScriptedServer server([&](const ReceivedRequest&, tcp::socket& socket) {
    write_all(socket, std::string(kChunkedHead) + chunk(message_frame("only")));
    while (!server.stopping()) std::this_thread::sleep_for(5ms);
    return false;
  });
  GrpcWebClient client(options_for(server.url()));
  int seen = 0;
  try {
    client.server_stream(
        "/s", "", [&](std::string_view) { return ++seen > 0; }, 300ms);
    FAIL();
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.code(), StatusCode::kDeadlineExceeded) << e.what();
  }
  EXPECT_EQ(seen, 1);
}

TEST(GrpcWebClient, RefusedConnectionIsUnavailable) {
  std::string url;
  {
    ScriptedServer server([](const ReceivedRequest&, tcp::socket&) { return false; });
    url = server.url();
  }
  GrpcWebClient client(options_for(url));
  try {
    client.unary("/a", "");
    FAIL();
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.code(), StatusCode::kUnavailable) << e.what();
  }
}

}  // namespace
}  // namespace libsql::replication
