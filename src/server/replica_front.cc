// replica_front.cc: implements replica_front.h.

#include "server/replica_front.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <variant>

#include "hrana/json_reader.h"
#include "hrana/protobuf_codec.h"
#include "proto/hrana_http.pb.h"
#include "proto/replication_log.pb.h"
#include "server/blocking.h"
#include "server/router.h"
#include "sql/statement.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// How long a forwarded write's answer waits for the replica to catch up before it goes
// out anyway (the write is done; only its visibility here is late).
constexpr auto kCatchUpTimeout = std::chrono::seconds(5);

bool statement_is_local(std::string_view statement) {
  const sql::StatementInfo info = sql::classify(statement);
  if (info.kind == sql::StatementKind::kOther || !info.is_read_only) return false;
  // A transaction that may write has to be the primary's from its BEGIN on.
  return info.kind != sql::StatementKind::kBegin ||
         info.transaction_mode == sql::TransactionMode::kReadOnly;
}

// The SQL a Hrana statement runs, if the request itself holds it.
const std::string* statement_text(const std::optional<std::string>& sql,
                                  const std::optional<std::int32_t>& sql_id,
                                  const std::map<std::int32_t, const std::string*>& stored) {
  if (sql) return &*sql;
  if (sql_id) {
    const auto found = stored.find(*sql_id);
    if (found != stored.end()) return found->second;
  }
  return nullptr;
}

// Whether a pipeline's requests all read; SQL stored on an earlier request of a stream
// is unknown here, so a reference to it goes to the primary.
bool requests_need_primary(const std::vector<hrana::StreamRequest>& requests) {
  std::map<std::int32_t, const std::string*> stored;
  auto needs = [&](const std::optional<std::string>& sql,
                   const std::optional<std::int32_t>& sql_id) {
    const std::string* text = statement_text(sql, sql_id, stored);
    return text == nullptr || sql_needs_primary(*text);
  };
  for (const hrana::StreamRequest& request : requests) {
    const bool primary = std::visit(
        [&](const auto& r) -> bool {
          using R = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<R, hrana::ExecuteRequest>) {
            return needs(r.stmt.sql, r.stmt.sql_id);
          } else if constexpr (std::is_same_v<R, hrana::BatchRequest>) {
            for (const auto& step : r.batch.steps) {
              if (needs(step.stmt.sql, step.stmt.sql_id)) return true;
            }
            return false;
          } else if constexpr (std::is_same_v<R, hrana::SequenceRequest>) {
            return needs(r.sql, r.sql_id);
          } else if constexpr (std::is_same_v<R, hrana::StoreSqlRequest>) {
            stored[r.sql_id] = &r.sql;
            return false;
          } else {
            return false;
          }
        },
        request);
    if (primary) return true;
  }
  return false;
}

bool is_grpc_path(std::string_view path) {
  return path.starts_with("/wal_log.ReplicationLog/") || path.starts_with("/proxy.Proxy/");
}

// The JSON body without its "baton": the stream it named lives here, not on the primary.
std::string json_without_baton(const std::string& body) {
  boost::json::value value = boost::json::parse(body);
  if (auto* object = value.if_object()) object->erase("baton");
  return boost::json::serialize(value);
}

template <class Message>
std::string protobuf_without_baton(const std::string& body) {
  Message message;
  if (!message.ParseFromString(body)) return body;
  message.clear_baton();
  return message.SerializeAsString();
}

}  // namespace

bool sql_needs_primary(std::string_view sql) {
  for (const sql::StatementSpan& span : sql::split_statements(sql)) {
    if (!statement_is_local(span.text(sql))) return true;
  }
  return false;
}

ReplicaFront::Route ReplicaFront::route(const HttpRequest& request) const {
  const std::string_view path = target_path(request.target());
  if (is_grpc_path(path)) return Route::kPrimary;
  if (request.method() != http::verb::post) return Route::kLocal;
  // A body this server cannot read is answered here, with the error a primary gives.
  try {
    std::optional<std::string> baton;
    bool needs_primary = false;
    if (path == "/v2/pipeline" || path == "/v3/pipeline") {
      const hrana::PipelineRequest parsed = hrana::json::parse_pipeline_request(request.body());
      baton = parsed.baton;
      needs_primary = requests_need_primary(parsed.requests);
    } else if (path == "/v3-protobuf/pipeline") {
      const hrana::PipelineRequest parsed =
          hrana::protobuf::decode_pipeline_request(request.body());
      baton = parsed.baton;
      needs_primary = requests_need_primary(parsed.requests);
    } else if (path == "/v3/cursor" || path == "/v3-protobuf/cursor") {
      const hrana::CursorRequest parsed =
          path == "/v3/cursor" ? hrana::json::parse_cursor_request(request.body())
                               : hrana::protobuf::decode_cursor_request(request.body());
      baton = parsed.baton;
      std::vector<hrana::StreamRequest> as_requests;
      as_requests.emplace_back(hrana::BatchRequest{parsed.batch});
      needs_primary = requests_need_primary(as_requests);
    } else if (path == "/v1/execute") {
      const hrana::Stmt stmt = hrana::json::parse_v1_execute_request(request.body());
      needs_primary = !stmt.sql || sql_needs_primary(*stmt.sql);
    } else if (path == "/v1/batch") {
      for (const auto& step : hrana::json::parse_v1_batch_request(request.body()).steps) {
        needs_primary = needs_primary || !step.stmt.sql || sql_needs_primary(*step.stmt.sql);
      }
    } else if (path == "/") {
      // The legacy API ({"statements": [...]}) is old and rare: the primary answers it.
      needs_primary = true;
    } else {
      return Route::kLocal;
    }
    if (baton) {
      // A stream is the primary's unless this server made its baton.
      auto gate = gate_.namespace_of(request);
      auto* ns = std::get_if<std::shared_ptr<Namespace>>(&gate);
      const bool ours = ns != nullptr && (*ns)->streams().is_own_baton(*baton);
      if (!ours) return Route::kPrimary;
      if (needs_primary) return Route::kPrimaryWithoutBaton;
      return Route::kLocal;
    }
    return needs_primary ? Route::kPrimary : Route::kLocal;
  } catch (const std::exception&) {
    return Route::kLocal;
  }
}

asio::awaitable<std::optional<HttpResponse>> ReplicaFront::handle(HttpRequest& request) {
  if (gate_.namespaces_enabled() && !is_grpc_path(target_path(request.target())) &&
      co_await adopt_namespace(request)) {
    co_await catch_up(request);
  }
  const Route chosen = route(request);
  if (chosen == Route::kLocal) co_return std::nullopt;
  if (chosen == Route::kPrimaryWithoutBaton) {
    const std::string_view path = target_path(request.target());
    if (path == "/v3-protobuf/pipeline") {
      request.body() = protobuf_without_baton<::hrana::http::PipelineReqBody>(request.body());
    } else if (path == "/v3-protobuf/cursor") {
      request.body() = protobuf_without_baton<::hrana::http::CursorReqBody>(request.body());
    } else {
      request.body() = json_without_baton(request.body());
    }
    request.prepare_payload();
  }
  HttpResponse response;
  try {
    response = co_await primary_.forward(request);
  } catch (const std::exception& e) {
    HttpResponse unavailable(http::status::bad_gateway, request.version());
    unavailable.set(http::field::content_type, "application/json");
    unavailable.body() = boost::json::serialize(
        boost::json::object{{"error", std::string("the primary cannot be reached: ") + e.what()}});
    unavailable.prepare_payload();
    co_return unavailable;
  }
  if (!is_grpc_path(target_path(request.target()))) co_await catch_up(request);
  co_return response;
}

bool ReplicaFront::is_default_log(std::string_view log_id) {
  const std::shared_ptr<Namespace> fallback = namespaces_.find("default");
  if (!fallback || fallback->replicator() == nullptr) return false;
  const std::optional<replication::LogId> followed = fallback->replicator()->log_id();
  const std::optional<replication::LogId> answered = replication::LogId::parse(log_id);
  return followed && answered && followed->bytes == answered->bytes;
}

asio::awaitable<bool> ReplicaFront::adopt_namespace(const HttpRequest& request) {
  auto chosen = gate_.namespace_name(request);
  auto* name = std::get_if<std::string>(&chosen);
  if (name == nullptr || namespaces_.find(*name)) co_return false;
  auto adopt = [this, name = *name] {
    replication::GrpcWebClientOptions options = primary_options_;
    options.namespace_name = name;
    try {
      // NAMESPACE_DOESNT_EXIST (or an unreachable primary): nothing is made, and the
      // request gets this server's own answer for a namespace it lacks.
      wal_log::HelloRequest hello;
      hello.set_handshake_version(1);
      wal_log::HelloResponse answer;
      replication::GrpcWebClient(options).unary("/wal_log.ReplicationLog/Hello", hello, answer);
      // A primary without namespaces answers every name with its one database: no copy
      // of it is made under another name.
      if (is_default_log(answer.log_id())) return false;
      namespaces_.create(name, {});
    } catch (const replication::GrpcError&) {
      return false;
    } catch (const NamespaceError& e) {
      // Made meanwhile by a concurrent request: as good.
      return e.kind() == NamespaceError::Kind::kAlreadyExists;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cannot make namespace %s of the primary's here: %s\n", name.c_str(),
                   e.what());
      return false;
    }
    return true;
  };
  co_return co_await run_blocking(blocking_, std::move(adopt));
}

asio::awaitable<void> ReplicaFront::catch_up(const HttpRequest& request) {
  auto gate = gate_.namespace_of(request);
  auto* found = std::get_if<std::shared_ptr<Namespace>>(&gate);
  if (found == nullptr || (*found)->replicator() == nullptr) co_return;
  // Named, not a temporary inside the co_await: GCC 12 would destroy the captured
  // pointer twice (see hrana_http.cc's run_request).
  auto wait = [ns = *found] {
    try {
      const std::optional<std::uint64_t> frame_no = ns->primary_frame_no();
      if (frame_no) {
        ns->replicator()->wait_for(*frame_no, std::chrono::steady_clock::now() + kCatchUpTimeout);
      }
    } catch (const std::exception& e) {
      // The write happened; only its visibility here may lag.
      std::fprintf(stderr, "read-your-writes wait on namespace %s: %s\n", ns->name().c_str(),
                   e.what());
    }
    return 0;
  };
  co_await run_blocking(blocking_, std::move(wait));
}

}  // namespace libsql::server
