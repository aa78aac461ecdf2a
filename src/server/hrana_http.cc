// hrana_http.cc: Hrana over HTTP, as sqld serves it.

#include "server/hrana_http.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <exception>
#include <set>

#include "hrana/json_reader.h"
#include "hrana/json_writer.h"
#include "hrana/legacy_api.h"
#include "hrana/pipeline.h"
#include "hrana/protobuf_codec.h"
#include "libsql/error.h"
#include "server/admission.h"
#include "server/blocking.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

HttpResponse make_response(const HttpRequest& request, http::status status,
                           std::string_view content_type, std::string body) {
  HttpResponse response(status, request.version());
  response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  return response;
}

HttpResponse json_response(const HttpRequest& request, std::string body,
                           http::status status = http::status::ok) {
  // Exactly "application/json": hrana-client compares the content type literally.
  return make_response(request, status, "application/json", std::move(body));
}

// sqld's answers to a request that failed as a whole (protocol.md §4.4, §5.3). On the
// protobuf endpoints an expired stream's Error is protobuf too.
HttpResponse error_response(const HttpRequest& request, std::exception_ptr error,
                            bool protobuf = false) {
  try {
    std::rethrow_exception(error);
  } catch (const hrana::ProtocolError& e) {
    // text/plain without a charset, exactly as sqld answers protocol errors.
    return make_response(request, http::status::bad_request, "text/plain", e.what());
  } catch (const hrana::AccessDenied& e) {
    // The whole request is refused, as sqld refuses it (its stream is gone too).
    std::string body = hrana::json::error_body(e.what());
    return json_response(request, std::move(body), http::status::forbidden);
  } catch (const NamespaceError& e) {
    std::string body = hrana::json::error_body(e.what());
    return json_response(request, std::move(body), http::status::not_found);
  } catch (const hrana::StreamExpiredError& e) {
    const hrana::Error expired{e.what(), "STREAM_EXPIRED"};
    if (protobuf) {
      return make_response(request, http::status::bad_request, "application/x-protobuf",
                           hrana::protobuf::encode_error(expired));
    }
    std::string body;
    hrana::json::append_error(body, expired);
    return json_response(request, std::move(body), http::status::bad_request);
  } catch (const std::exception& e) {
    std::string body = hrana::json::error_body(std::string("Internal Error: `") + e.what() + "`");
    return json_response(request, std::move(body), http::status::internal_server_error);
  }
}

// The HTTP status sqld gives a failed /v1/execute, by the error's code.
http::status v1_status(const std::string& code) {
  static const std::set<std::string, std::less<>> kBadRequest = {
      "SQL_PARSE_ERROR", "SQL_NO_STATEMENT", "SQL_MANY_STATEMENTS", "ARGS_INVALID",
      "SQL_INPUT_ERROR", "PROXY_ERROR",      "RESPONSE_TOO_LARGE",  "BLOCKED"};
  if (kBadRequest.contains(code)) return http::status::bad_request;
  if (code == "ARGS_BOTH_POSITIONAL_AND_NAMED") return http::status::not_implemented;
  if (code == "TRANSACTION_TIMEOUT" || code == "TRANSACTION_BUSY")
    return http::status::service_unavailable;
  return http::status::internal_server_error;
}

HttpHandler text_route(std::string text) {
  return [text = std::move(text)](HttpRequest& request) -> asio::awaitable<HttpResponse> {
    co_return make_response(request, http::status::ok, "text/plain", text);
  };
}

HttpResponse too_many_requests(const HttpRequest& request) {
  return json_response(request, kTooManyRequestsBody, http::status::too_many_requests);
}

// Paths sqld routes but answers 404 (routed, so they carry CORS headers).
asio::awaitable<HttpResponse> routed_not_found(HttpRequest& request) {
  co_return HttpResponse(http::status::not_found, request.version());
}

}  // namespace

HranaHttp::HranaHttp(asio::io_context& io, asio::thread_pool& blocking, NamespaceStore& namespaces,
                     RequestGate& gate, HranaHttpOptions options)
    : io_(io),
      blocking_(blocking),
      namespaces_(namespaces),
      gate_(gate),
      options_(std::move(options)),
      sweep_timer_(io) {}

HranaHttp::~HranaHttp() = default;

void HranaHttp::add_routes(Router& router) {
  router.add(http::verb::get, "/v1", text_route("This is sqld HTTP API v1"));
  // POST / is the legacy API (registered first: sqld's `allow` lists it first). GET / is
  // the WebSocket endpoint; without an upgrade it is a 404. /console is sqld's optional
  // web console, off by default.
  router.add(http::verb::post, "/", [this](HttpRequest& request) { return legacy(request); });
  router.add(http::verb::get, "/", routed_not_found);
  router.add(http::verb::get, "/console", routed_not_found);
  // sqld's migration jobs exist only for shared-schema namespaces.
  router.add(http::verb::get, "/v1/jobs",
             [](HttpRequest& request) -> asio::awaitable<HttpResponse> {
               co_return json_response(request, R"({"error":"Invalid namespace"})",
                                       http::status::bad_request);
             });
  for (const char* probe : {"/v2", "/v3", "/v3-protobuf"}) {
    router.add(http::verb::get, probe, text_route("Hello, this is HTTP API v2 (Hrana over HTTP)"));
  }
  router.add(http::verb::post, "/v2/pipeline",
             [this](HttpRequest& request) { return pipeline(request, hrana::Version::kHrana2); });
  router.add(http::verb::post, "/v3/pipeline",
             [this](HttpRequest& request) { return pipeline(request, hrana::Version::kHrana3); });
  router.add(http::verb::post, "/v3/cursor",
             [this](HttpRequest& request) { return cursor(request); });
  router.add(http::verb::post, "/v3-protobuf/pipeline",
             [this](HttpRequest& request) { return protobuf_pipeline(request); });
  router.add(http::verb::post, "/v3-protobuf/cursor",
             [this](HttpRequest& request) { return protobuf_cursor(request); });
  router.add(http::verb::post, "/v1/execute",
             [this](HttpRequest& request) { return v1_execute(request); });
  router.add(http::verb::post, "/v1/batch",
             [this](HttpRequest& request) { return v1_batch(request); });
  // sqld's development path: /dev/<namespace>/v2|v3/pipeline.
  router.add_prefix(http::verb::post, "/dev/",
                    [this](HttpRequest& request) { return dev_pipeline(request); });
}

template <class Work>
asio::awaitable<std::optional<std::invoke_result_t<Work&, hrana::RequestContext>>>
HranaHttp::run_request(const RequestGate::Admitted& admitted, bool opens_connection, Work work) {
  hrana::RequestContext context;
  context.base_url = options_.self_url;
  context.access = admitted.access;
  if (opens_connection) {
    auto ticket = co_await admit(admitted.ns->pool());
    if (!ticket) co_return std::nullopt;
    context.ticket = std::move(*ticket);
  }
  auto cancellation = std::make_shared<hrana::Cancellation>();
  context.cancellation = cancellation;
  // Both named, not temporaries inside the co_await: GCC 12 copies such temporaries into
  // the coroutine frame bit by bit and then destroys both copies, so the context's ticket
  // would be given back twice and the cancellation released twice (ASan: use after free).
  auto job = [&work, context = std::move(context), ns = admitted.ns]() mutable {
    try {
      return work(std::move(context));
    } catch (const Error&) {
      // Deleted while the request was on its way: its files are gone, so opening a
      // connection failed. The answer is the one a request after the delete gets.
      if (ns->deleted()) throw NamespaceError::not_found(ns->name());
      throw;
    }
  };
  auto on_cancel = [cancellation] { cancellation->cancel(); };
  co_return co_await run_blocking(blocking_, std::move(job), std::move(on_cancel));
}

asio::awaitable<HttpResponse> HranaHttp::pipeline(HttpRequest& request, hrana::Version version,
                                                  std::optional<std::string_view> named) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request, named);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kHttpPipeline);
    auto parsed = hrana::json::parse_pipeline_request(request.body());
    auto body = co_await run_request(admitted, !parsed.baton, [&](hrana::RequestContext context) {
      return hrana::run_json_pipeline(admitted.ns->streams(), parsed, version, options_.budget,
                                      std::move(context));
    });
    if (!body) co_return record.failed(too_many_requests(request));
    co_return json_response(request, std::move(*body));
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error);
}

asio::awaitable<HttpResponse> HranaHttp::cursor(HttpRequest& request) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kHttpCursor);
    auto parsed = hrana::json::parse_cursor_request(request.body());
    auto body = co_await run_request(admitted, !parsed.baton, [&](hrana::RequestContext context) {
      return hrana::run_json_cursor(admitted.ns->streams(), parsed, std::move(context));
    });
    if (!body) co_return record.failed(too_many_requests(request));
    co_return make_response(request, http::status::ok, "text/plain", std::move(*body));
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error);
}

asio::awaitable<HttpResponse> HranaHttp::protobuf_pipeline(HttpRequest& request) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kHttpPipeline);
    auto parsed = hrana::protobuf::decode_pipeline_request(request.body());
    auto body = co_await run_request(admitted, !parsed.baton, [&](hrana::RequestContext context) {
      return hrana::protobuf::run_pipeline(admitted.ns->streams(), parsed, options_.budget,
                                           std::move(context));
    });
    if (!body) co_return record.failed(too_many_requests(request));
    co_return make_response(request, http::status::ok, "application/x-protobuf", std::move(*body));
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error, /*protobuf=*/true);
}

asio::awaitable<HttpResponse> HranaHttp::protobuf_cursor(HttpRequest& request) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kHttpCursor);
    auto parsed = hrana::protobuf::decode_cursor_request(request.body());
    auto body = co_await run_request(admitted, !parsed.baton, [&](hrana::RequestContext context) {
      return hrana::protobuf::run_cursor(admitted.ns->streams(), parsed, std::move(context));
    });
    if (!body) co_return record.failed(too_many_requests(request));
    co_return make_response(request, http::status::ok, "application/octet-stream",
                            std::move(*body));
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error, /*protobuf=*/true);
}

asio::awaitable<HttpResponse> HranaHttp::v1_execute(HttpRequest& request) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kHttpV1);
    auto stmt = hrana::json::parse_v1_execute_request(request.body());
    auto response = co_await run_request(admitted, true, [&](hrana::RequestContext context) {
      return hrana::run_v1_execute(admitted.ns->pool(), stmt, options_.budget, std::move(context));
    });
    if (!response) co_return record.failed(too_many_requests(request));
    const auto status = response->error ? v1_status(response->error->code) : http::status::ok;
    if (status != http::status::ok) record.fail();
    co_return json_response(request, std::move(response->body), status);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error);
}

asio::awaitable<HttpResponse> HranaHttp::v1_batch(HttpRequest& request) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kHttpV1);
    auto batch = hrana::json::parse_v1_batch_request(request.body());
    auto response = co_await run_request(admitted, true, [&](hrana::RequestContext context) {
      return hrana::run_v1_batch(admitted.ns->pool(), batch, options_.budget, std::move(context));
    });
    if (!response) co_return record.failed(too_many_requests(request));
    const auto status = response->error ? v1_status(response->error->code) : http::status::ok;
    if (status != http::status::ok) record.fail();
    co_return json_response(request, std::move(response->body), status);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error);
}

asio::awaitable<HttpResponse> HranaHttp::legacy(HttpRequest& request) {
  std::exception_ptr error;
  try {
    auto gate = gate_.admit(request);
    if (auto* refused = std::get_if<HttpResponse>(&gate)) co_return std::move(*refused);
    const RequestGate::Admitted& admitted = std::get<RequestGate::Admitted>(gate);
    RequestRecord record(admitted.ns->metrics(), RequestKind::kLegacyHttp);
    auto response = co_await run_request(admitted, true, [&](hrana::RequestContext context) {
      return hrana::run_legacy_request(admitted.ns->pool(), request.body(), std::move(context));
    });
    if (!response) co_return record.failed(too_many_requests(request));
    co_return make_response(request, static_cast<http::status>(response->status),
                            response->content_type, std::move(response->body));
  } catch (...) {
    error = std::current_exception();
  }
  co_return error_response(request, error);
}

asio::awaitable<HttpResponse> HranaHttp::dev_pipeline(HttpRequest& request) {
  // /dev/<namespace>/v<version>/pipeline
  const std::string_view path = target_path(request.target());
  const std::string_view rest = path.substr(std::string_view("/dev/").size());
  const std::size_t slash = rest.find('/');
  const std::string_view name = rest.substr(0, slash);
  const std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (tail != "/v2/pipeline" && tail != "/v3/pipeline") {
    if (tail.starts_with("/v") && tail.ends_with("/pipeline")) {
      co_return json_response(request,
                              R"({"error":"Invalid path in URI: `invalid hrana version`"})",
                              http::status::bad_request);
    }
    co_return HttpResponse(http::status::not_found, request.version());
  }
  co_return co_await pipeline(
      request, tail == "/v2/pipeline" ? hrana::Version::kHrana2 : hrana::Version::kHrana3, name);
}

void HranaHttp::start() { schedule_sweep(); }

void HranaHttp::stop() { sweep_timer_.cancel(); }

void HranaHttp::schedule_sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the server is stopping
    asio::post(blocking_, [this] {
      for (const auto& ns : namespaces_.open_namespaces()) ns->streams().expire_idle();
    });
    schedule_sweep();
  });
}

}  // namespace libsql::server
