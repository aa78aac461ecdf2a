// ws_session.h: one Hrana-over-WebSocket connection's protocol state: the hello, its
// streams (each a SQLite connection with a FIFO queue of requests), stored SQL and
// cursors, with sqld's rules and messages (protocol.md §3).
//
// It knows nothing of sockets or threads: the server gives it a WsHost that sends
// messages and runs blocking work. A session is driven from one sequence (a strand):
// receive(), disconnect() and every `then` callback must not run concurrently. Requests
// on one stream run in arrival order; different streams run concurrently, so responses
// may go out in a different order than requests came in, as the protocol allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "engine/connection_pool.h"
#include "hrana/executor.h"
#include "hrana/ws_protocol.h"

namespace libsql::hrana {

// The WebSocket subprotocols sqld speaks, in its order of preference.
enum class WsSubprotocol { kHrana3Protobuf, kHrana3, kHrana2, kHrana1 };

std::string_view subprotocol_name(WsSubprotocol subprotocol);
// The subprotocol for a handshake whose Sec-WebSocket-Protocol header is `offered`
// (nullopt when it has none: then hrana1, and the answer names no subprotocol). The
// server's preference decides, not the client's order; names match case-insensitively.
// nullopt: no offered name is spoken here, and the handshake is refused.
std::optional<WsSubprotocol> negotiate_subprotocol(const std::optional<std::string_view>& offered);
// The body of the 400 answer to a handshake refused for its subprotocols.
inline constexpr std::string_view kUnsupportedSubprotocols =
    "Only these WebSocket subprotocols are supported: hrana3-protobuf hrana3 hrana2 hrana1";

// How a session reaches the world.
class WsHost {
 public:
  virtual ~WsHost() = default;
  // Sends one message to the client (binary for hrana3-protobuf, text otherwise).
  virtual void send(std::string message) = 0;
  // Runs `work` where blocking is allowed, then `then` back on the session's sequence.
  // `then` must run even when the connection is gone; `work` never throws.
  virtual void run_blocking(std::function<void()> work, std::function<void()> then) = 0;
  // Calls `granted`, on the session's sequence, with a ticket for one connection once
  // one is free (engine::ConnectionPool), or with nullopt if the server refuses.
  virtual void admit(
      std::function<void(std::optional<engine::ConnectionPool::Ticket>)> granted) = 0;
  // The access a hello's credentials (its `jwt`, if any) give this connection's
  // requests (null: everything), or the Error its hello_error reports.
  virtual std::variant<std::shared_ptr<const AccessPolicy>, Error> authenticate(
      const std::optional<std::string>& jwt) = 0;
  // A request failed in a way that ends the connection: a ProtocolError (close 1007 or
  // 1008 with its message), anything else (close 1011).
  virtual void fail(std::exception_ptr error) = 0;
};

class WsSession {
 public:
  WsSession(engine::ConnectionPool& pool, WsSubprotocol subprotocol, json::ResponseBudget budget,
            WsHost& host);
  ~WsSession();
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  // Whether the client's messages come in binary frames (protobuf) rather than text.
  bool binary() const noexcept { return subprotocol_ == WsSubprotocol::kHrana3Protobuf; }

  // One message from the client. Throws ProtocolError when it breaks the protocol; the
  // caller then closes the connection (1007 for kDecode, 1008 for kSemantic).
  void receive(std::string_view message);
  // Requests received and not yet answered (the server stops reading past a limit).
  std::size_t pending() const noexcept { return pending_; }
  // The client is gone: every stream's transaction rolls back and its connection goes
  // back to the pool, after its queued requests.
  void disconnect();

  struct Stream;
  struct Cursor;

 private:
  using Job = std::function<std::string(Stream&)>;

  void hello(const WsHello& hello);
  void request(WsRequest request);
  std::shared_ptr<Stream>& stream(std::int32_t stream_id);
  // Queues `job` on the stream; its result is the response to send.
  void enqueue(const std::shared_ptr<Stream>& stream, Job job);
  void run_next(const std::shared_ptr<Stream>& stream);
  void finish_job(const std::shared_ptr<Stream>& stream, std::string response,
                  std::exception_ptr error);

  // One handler per request type (the variant's alternatives).
  void handle(std::int32_t id, WsOpenStream& request);
  void handle(std::int32_t id, WsCloseStream& request);
  void handle(std::int32_t id, WsExecute& request);
  void handle(std::int32_t id, WsBatch& request);
  void handle(std::int32_t id, WsSequence& request);
  void handle(std::int32_t id, WsDescribe& request);
  void handle(std::int32_t id, StoreSqlRequest& request);
  void handle(std::int32_t id, CloseSqlRequest& request);
  void handle(std::int32_t id, WsOpenCursor& request);
  void handle(std::int32_t id, WsCloseCursor& request);
  void handle(std::int32_t id, WsFetchCursor& request);
  void handle(std::int32_t id, WsGetAutocommit& request);

  void inline_batch_sql(Batch& batch) const;

  engine::ConnectionPool& pool_;
  WsSubprotocol subprotocol_;
  Version version_;
  json::ResponseBudget budget_;
  WsHost& host_;
  std::unique_ptr<WsEncoder> encoder_;
  bool said_hello_ = false;
  // Given by the last hello; each request keeps the one it arrived under.
  std::shared_ptr<const AccessPolicy> access_;
  std::size_t pending_ = 0;
  SqlStore sqls_;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  struct CursorRef {
    std::int32_t stream_id = 0;
    std::shared_ptr<Cursor> cursor;
  };
  std::unordered_map<std::int32_t, CursorRef> cursors_;
};

}  // namespace libsql::hrana
