// primary_forwarder.h: a replica's HTTP connection to its primary: requests the replica
// must not answer itself (writes, streams that live on the primary, replication calls of
// embedded replicas) are sent on as they came, and the primary's answer goes back as is.
//
// Connections are kept alive and reused; a request on a connection the primary closed
// meanwhile is retried once on a new one (it never reached the primary). Runs on the
// network threads: it only does network I/O.
//
// Must not: decide what to forward (replica_front.h does), or change a request beyond
// its Host header.
//
// Thread-safety: forward() may be called from any network thread at any time.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/http_listener.h"

namespace libsql::server {

class PrimaryForwarder {
 public:
  // `url`: the primary's HTTP address, "http://host:port". Throws std::invalid_argument
  // for another form.
  PrimaryForwarder(boost::asio::io_context& io, const std::string& url);

  // The primary's response to `request`. Throws std::system_error when the primary
  // cannot be reached or answers nothing readable.
  boost::asio::awaitable<HttpResponse> forward(const HttpRequest& request);

  // Hands a WebSocket connection over to the primary: sends it `upgrade` (the client's
  // upgrade request) and then copies bytes both ways until either side closes. Hrana
  // over WebSocket keeps its streams on the primary, reads included.
  boost::asio::awaitable<void> tunnel(boost::beast::tcp_stream client, HttpRequest upgrade);

  const std::string& host() const noexcept { return host_; }
  const std::string& port() const noexcept { return port_; }

 private:
  boost::asio::awaitable<std::unique_ptr<boost::beast::tcp_stream>> take_connection(bool fresh);
  void give_back(std::unique_ptr<boost::beast::tcp_stream> connection);

  boost::asio::io_context& io_;
  std::string host_;
  std::string port_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<boost::beast::tcp_stream>> idle_;
};

}  // namespace libsql::server
