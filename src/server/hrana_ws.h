// hrana_ws.h: Hrana over WebSocket on sqld's HTTP port: the upgrade handshake
// (subprotocol negotiation, sqld's headers) and, per connection, the socket side of a
// hrana::WsSession: reading frames, writing responses in order, closing with sqld's
// codes (1003 wrong frame type, 1007 undecodable, 1008 protocol error, 1011 internal).
//
// Each connection lives on its own strand (the listener accepts onto one); SQLite work
// goes to the blocking pool. Reading pauses while too many requests are unanswered or
// too many response bytes wait to be written, so a client that sends without reading
// cannot make the server buffer without bound.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "hrana/json_results.h"
#include "server/http_listener.h"
#include "server/metrics.h"
#include "server/request_gate.h"

namespace libsql::server {

class HranaWs {
 public:
  // `open_sockets` counts the WebSocket connections open.
  HranaWs(boost::asio::thread_pool& blocking, RequestGate& gate, Gauge& open_sockets,
          hrana::json::ResponseBudget budget)
      : blocking_(blocking), gate_(gate), open_sockets_(open_sockets), budget_(budget) {}

  // Serves one upgrade request to its end (an HttpListener UpgradeHandler). The
  // request's headers choose the namespace (a missing one is answered 404 before the
  // upgrade); the hello's jwt, the credential.
  boost::asio::awaitable<void> accept(boost::beast::tcp_stream stream, HttpRequest request);

 private:
  boost::asio::thread_pool& blocking_;
  RequestGate& gate_;
  Gauge& open_sockets_;
  hrana::json::ResponseBudget budget_;
};

}  // namespace libsql::server
