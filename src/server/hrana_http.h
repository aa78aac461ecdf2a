// hrana_http.h: the Hrana-over-HTTP endpoints of sqld: /v1, /v2, /v3 (JSON), their
// version probes, and the streams they share.
//
// Every request passes the RequestGate first (namespace, credential), then runs on its
// namespace's pool and streams. Decoding happens on the network thread; running
// requests (SQLite) happens on the blocking pool. Errors become sqld's HTTP answers: protocol
// errors 400 text/plain with the bare message, an expired stream 400 JSON STREAM_EXPIRED, anything
// else 500 JSON
// {"error": ...}. Owns the HTTP streams and sweeps idle ones every second.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "hrana/json_results.h"
#include "hrana/request_context.h"
#include "server/request_gate.h"
#include "server/router.h"

namespace libsql::server {

struct HranaHttpOptions {
  hrana::json::ResponseBudget budget;
  std::optional<std::string> self_url;  // returned as `base_url`
};

class HranaHttp {
 public:
  HranaHttp(boost::asio::io_context& io, boost::asio::thread_pool& blocking,
            NamespaceStore& namespaces, RequestGate& gate, HranaHttpOptions options);
  ~HranaHttp();

  void add_routes(Router& router);
  // Starts the idle-stream sweeper on the io_context.
  void start();
  void stop();

 private:
  boost::asio::awaitable<HttpResponse> pipeline(HttpRequest& request, hrana::Version version,
                                                std::optional<std::string_view> named = {});
  boost::asio::awaitable<HttpResponse> cursor(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> protobuf_pipeline(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> protobuf_cursor(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> v1_execute(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> v1_batch(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> legacy(HttpRequest& request);
  boost::asio::awaitable<HttpResponse> dev_pipeline(HttpRequest& request);
  void schedule_sweep();
  // Runs a request's blocking part, work(context), with the admitted request's access.
  // One that opens a connection first waits for a place among its namespace's open
  // connections (nullopt: refused, answer 429). If the client goes away meanwhile, the
  // work is interrupted.
  template <class Work>
  boost::asio::awaitable<std::optional<std::invoke_result_t<Work&, hrana::RequestContext>>>
  run_request(const RequestGate::Admitted& admitted, bool opens_connection, Work work);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& blocking_;
  NamespaceStore& namespaces_;
  RequestGate& gate_;
  HranaHttpOptions options_;
  boost::asio::steady_timer sweep_timer_;
};

}  // namespace libsql::server
