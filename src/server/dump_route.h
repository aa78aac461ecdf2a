// dump_route.h: GET /dump, streamed. The namespace's SQL dump (sql/dump.h) is written
// on a blocking thread in 64 KiB chunks, and each chunk goes out with HTTP chunked
// encoding before the next is made: a database of any size is dumped in bounded memory,
// and a client that stops reading stops the dump.
//
// The request passes the RequestGate like any other (it needs read access). A failure
// before the first chunk is answered with a status; after it, the only way left to say
// so is to end the connection without the final chunk, which clients report as a
// truncated body.
//
// Must not: hold a dump in memory, or block a network thread.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "server/http_listener.h"
#include "server/request_gate.h"

namespace libsql::server {

class DumpRoute {
 public:
  DumpRoute(boost::asio::thread_pool& blocking, RequestGate& gate)
      : blocking_(blocking), gate_(gate) {}

  // GET /dump (with `?preserve_row_ids=true`: every row's rowid is written).
  StreamingRoute route();
  // Ends the dumps in progress (their connections close): the server is stopping and
  // its blocking threads must finish.
  void stop();

  class Transfer;  // one dump's chunks on their way from the blocking thread

 private:
  boost::asio::awaitable<bool> serve(boost::beast::tcp_stream& stream, HttpRequest& request);

  boost::asio::thread_pool& blocking_;
  RequestGate& gate_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<Transfer>> transfers_;
  bool stopping_ = false;
};

}  // namespace libsql::server
