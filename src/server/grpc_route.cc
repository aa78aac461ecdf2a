// grpc_route.cc: implements grpc_route.h. Status codes and messages are sqld's
// (tursodatabase/libsql f8fb14f3, libsql-server/src/rpc/): see admit() and each call.

#include "server/grpc_route.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "libsql/error.h"
#include "server/admission.h"
#include "server/blocking.h"
#include "server/commit_signal.h"
#include "server/grpc_reply.h"
#include "server/request_gate.h"
#include "server/router.h"

namespace libsql::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace grpc_web = replication::grpc_web;
using grpc_web::Status;
using grpc_web::StatusCode;

namespace {

// Frames a BatchLogEntries reply encodes per step: about 66 KB.
constexpr std::size_t kFramesPerPiece = 16;
// A Snapshot's HTTP chunks: 64 Frame messages, about 264 KB. Fewer chunks cost the
// official client fewer task switches; each still ends on a message's end, where its
// gRPC-Web decoder yields.
constexpr std::size_t kSnapshotFramesPerPiece = 64;
// A BatchLogEntries message (one HTTP chunk) is read and written in pieces of about this
// size.
constexpr std::size_t kBatchPieceBytes = 128 * 1024;
// How long a LogEntries stream waits for a commit before it looks whether its namespace
// was deleted.
constexpr auto kLogWaitSlice = std::chrono::seconds(1);
constexpr auto kCollectEvery = std::chrono::seconds(5);
constexpr std::string_view kReplicationPrefix = "/wal_log.ReplicationLog/";
constexpr std::string_view kProxyPrefix = "/proxy.Proxy/";

std::optional<std::string_view> header(const HttpRequest& request, std::string_view name) {
  const auto found = request.find(name);
  if (found == request.end()) return std::nullopt;
  return std::string_view(found->value().data(), found->value().size());
}

Status namespace_doesnt_exist() {
  return {StatusCode::kFailedPrecondition, std::string(grpc_web::kNamespaceDoesntExist)};
}

Status decode_error(std::string_view type) {
  // tonic answers an undecodable message so.
  return {StatusCode::kInternal, "failed to decode Protobuf message: invalid " + std::string(type)};
}

}  // namespace

struct GrpcRoute::Call {
  beast::tcp_stream& stream;
  HttpRequest& request;
  std::string_view method;   // "Hello", "Execute", ...
  std::string_view message;  // the request message
  std::shared_ptr<Namespace> ns;
  Access rights;
  std::optional<RequestRecord> record;

  asio::awaitable<bool> reply(HttpResponse response) {
    co_return co_await write_response(stream, std::move(response));
  }
  asio::awaitable<bool> fail(const Status& status) {
    if (record) record->fail();
    HttpResponse response = grpc_status_only(request, status);
    co_return co_await write_response(stream, std::move(response));
  }
};

GrpcRoute::GrpcRoute(asio::io_context& io, asio::thread_pool& blocking, NamespaceStore& namespaces,
                     AuthStrategy auth, GrpcRouteOptions options)
    : io_(io),
      blocking_(blocking),
      namespaces_(namespaces),
      auth_(std::move(auth)),
      options_(options),
      proxy_(options.proxy),
      collect_timer_(io) {}

GrpcRoute::~GrpcRoute() = default;

StreamingRoute GrpcRoute::route() {
  return {
      [](const HttpRequest& request) {
        const std::string_view path = target_path(request.target());
        return path.starts_with(kReplicationPrefix) || path.starts_with(kProxyPrefix);
      },
      [this](beast::tcp_stream& stream, HttpRequest& request) { return serve(stream, request); }};
}

void GrpcRoute::start() { schedule_collection(); }

void GrpcRoute::stop() { collect_timer_.cancel(); }

void GrpcRoute::schedule_collection() {
  collect_timer_.expires_after(kCollectEvery);
  collect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the server is stopping
    asio::post(blocking_, [this] { proxy_.collect_garbage(); });
    schedule_collection();
  });
}

asio::awaitable<bool> GrpcRoute::serve(beast::tcp_stream& stream, HttpRequest& request) {
  if (request.method() != http::verb::post) {
    HttpResponse response(http::status::method_not_allowed, request.version());
    response.set(http::field::allow, "POST");
    response.keep_alive(request.keep_alive());
    co_return co_await write_response(stream, std::move(response));
  }
  // application/grpc-web and application/grpc-web+proto; not the base64 -text variant.
  const std::string_view type = header(request, "content-type").value_or("");
  if (!type.starts_with("application/grpc-web") || type.starts_with("application/grpc-web-text")) {
    HttpResponse response(http::status::unsupported_media_type, request.version());
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "gRPC calls here are gRPC-Web: content-type application/grpc-web\n";
    response.keep_alive(request.keep_alive());
    co_return co_await write_response(stream, std::move(response));
  }
  Call call{stream, request};
  auto unary = grpc_web::parse_unary(request.body(), options_.max_message_bytes);
  const std::string_view path = target_path(request.target());
  const bool replication = path.starts_with(kReplicationPrefix);
  call.method = path.substr(replication ? kReplicationPrefix.size() : kProxyPrefix.size());
  if (const auto* status = std::get_if<Status>(&unary)) co_return co_await call.fail(*status);
  call.message = std::get<std::string_view>(unary);
  // An if, not a conditional expression: GCC 12 destroys the awaitable such an
  // expression yields twice.
  if (replication) co_return co_await serve_replication(call);
  co_return co_await serve_proxy(call);
}

Status GrpcRoute::admit(Call& call, bool hide_unreadable) {
  std::string name = "default";
  if (options_.namespaces_enabled) {
    // rpc/mod.rs extract_namespace; ignored without namespaces, as sqld ignores it.
    const auto encoded = header(call.request, "x-namespace-bin");
    if (!encoded) return {StatusCode::kInvalidArgument, "Missing x-namespace-bin metadata"};
    // Padding optional: tonic decodes binary metadata so.
    auto decoded = decode_base64_text(*encoded, /*padded=*/true);
    if (!decoded) return {StatusCode::kInvalidArgument, "Metadata can't be converted into Bytes"};
    if (namespace_name_error(*decoded))
      return {StatusCode::kInvalidArgument, "Invalid namespace name"};
    name = std::move(*decoded);
  }
  // The credential is checked before the namespace's existence: sqld falls back to the
  // server's strategy for a namespace it cannot find (allow_user_auth_fallback).
  const AuthResult result = auth_.authenticate(select_auth_header(
      header(call.request, "authorization"), header(call.request, "x-authorization")));
  if (const auto* error = std::get_if<AuthError>(&result)) {
    // parse_grpc_auth_header's failures are INTERNAL, the strategy's UNAUTHENTICATED.
    if (error->kind == AuthErrorKind::kAuthHeaderNotFound ||
        error->kind == AuthErrorKind::kAuthHeaderNonAscii) {
      return {StatusCode::kInternal, "Error parsing auth header: " + std::string(error->message())};
    }
    return {StatusCode::kUnauthenticated, grpc_unauthenticated_message(*error)};
  }
  std::shared_ptr<Namespace> ns = namespaces_.find(name);
  if (!ns || ns->deleted()) return namespace_doesnt_exist();
  call.rights = std::get<Principal>(result).access_to(ns->name());
  // sqld lets any valid credential replicate any namespace; a credential that may not
  // read it is told it does not exist here, as the rest of this server answers it.
  if (hide_unreadable && !call.rights.can_read) return namespace_doesnt_exist();
  call.ns = std::move(ns);
  return {};
}

asio::awaitable<bool> GrpcRoute::serve_replication(Call& call) {
  const std::string_view method = call.method;
  const bool hello = method == "Hello";
  if (!hello && method != "BatchLogEntries" && method != "Snapshot" && method != "LogEntries") {
    const Status unknown{StatusCode::kUnimplemented,
                         "Method not found: wal_log.ReplicationLog/" + std::string(method)};
    co_return co_await call.fail(unknown);
  }
  wal_log::LogOffset offset;
  if (hello) {
    wal_log::HelloRequest request;
    if (!request.ParseFromArray(call.message.data(), static_cast<int>(call.message.size()))) {
      const Status undecodable = decode_error("HelloRequest");
      co_return co_await call.fail(undecodable);
    }
  } else {
    if (!offset.ParseFromArray(call.message.data(), static_cast<int>(call.message.size()))) {
      const Status undecodable = decode_error("LogOffset");
      co_return co_await call.fail(undecodable);
    }
    // sqld refuses the flavor before it looks at the namespace or the credential.
    if (Status status = replication::LogService::check_flavor(offset); !status.ok()) {
      co_return co_await call.fail(status);
    }
  }
  if (Status status = admit(call, /*hide_unreadable=*/true); !status.ok()) {
    co_return co_await call.fail(status);
  }
  call.record.emplace(call.ns->metrics(), RequestKind::kReplication);
  const replication::FrameLog* log = call.ns->frame_log();
  if (log == nullptr) {
    // A replica's namespace: sqld's words when it has no logger to serve.
    const Status not_primary{StatusCode::kInvalidArgument, "not a primary"};
    co_return co_await call.fail(not_primary);
  }
  std::optional<std::string> token;
  if (const auto sent = header(call.request, "x-session-token")) token.emplace(*sent);

  if (hello) {
    const NamespaceConfig config = call.ns->config();
    metadata::DatabaseConfig database;
    database.set_block_reads(config.block_reads);
    database.set_block_writes(config.block_writes);
    if (config.block_reason) database.set_block_reason(*config.block_reason);
    if (config.max_db_size) database.set_max_db_pages(*config.max_db_size / replication::kPageSize);
    auto say_hello = [&] { return log_service_.hello(*log, database); };
    const wal_log::HelloResponse response = co_await run_blocking(blocking_, std::move(say_hello));
    HttpResponse reply = grpc_unary_reply(call.request, response);
    co_return co_await call.reply(std::move(reply));
  }

  if (method == "BatchLogEntries") co_return co_await serve_batch(call, *log, token, offset);
  if (method == "Snapshot") co_return co_await serve_snapshot(call, *log, token, offset);

  co_return co_await serve_log_entries(call, *log, token, offset);
}

asio::awaitable<bool> GrpcRoute::serve_batch(Call& call, const replication::FrameLog& log,
                                             const std::optional<std::string>& token,
                                             const wal_log::LogOffset& offset) {
  struct Opened {
    Status status;
    std::optional<replication::FramesReply> reply;
  };
  auto open = [&]() -> Opened {
    if (Status status = log_service_.check_session(log, token); !status.ok()) return {status, {}};
    auto batch = log_service_.batch_log_entries(log, offset);
    if (auto* status = std::get_if<Status>(&batch)) return {std::move(*status), {}};
    return {{}, std::move(std::get<replication::FramesReply>(batch))};
  };
  Opened opened = co_await run_blocking(blocking_, std::move(open));
  if (!opened.reply) co_return co_await call.fail(opened.status);
  replication::FramesReply& reply = *opened.reply;

  // The wire shape is tonic's: the whole Frames message in ONE HTTP chunk, then the
  // trailers in a chunk of their own. The official client hands every chunk on through
  // a task switch and its gRPC-Web decoder yields only at a message's end, so smaller
  // chunks cost it CPU; and it can misread trailers that arrive in one read with the end
  // of a message ("Invalid header bit"). The chunk's size is known up front, so it is
  // written in pieces, each read from the log on a blocking thread just before it goes
  // out: the batch is never held whole, and no blocking thread waits on the client.
  ChunkedGrpcReply out(call.stream, call.request);
  if (!co_await out.start()) co_return false;
  std::string piece = ChunkedGrpcReply::open_chunk(reply.message_size());
  while (true) {
    auto read_piece = [&] {
      while (!reply.at_trailers() && piece.size() < kBatchPieceBytes)
        reply.next_piece(piece, kFramesPerPiece);
      if (reply.at_trailers()) piece += ChunkedGrpcReply::kCloseChunk;
      return 0;
    };
    try {
      co_await run_blocking(blocking_, std::move(read_piece));
    } catch (const std::exception& e) {
      // A message has begun: no status can follow it. The connection is cut, which the
      // client reports as a broken stream and retries.
      std::fprintf(stderr, "BatchLogEntries of namespace %s cut: %s\n", call.ns->name().c_str(),
                   e.what());
      if (call.record) call.record->fail();
      co_return false;
    }
    if (!co_await out.raw(piece)) co_return false;
    if (reply.at_trailers()) break;
    piece.clear();
  }
  std::string trailers;
  reply.next_piece(trailers, 0);
  co_return co_await out.chunk(trailers) && co_await out.finish();
}

asio::awaitable<bool> GrpcRoute::serve_snapshot(Call& call, const replication::FrameLog& log,
                                                const std::optional<std::string>& token,
                                                const wal_log::LogOffset& offset) {
  struct Opened {
    Status status;
    std::unique_ptr<replication::SnapshotReader> snapshot;
  };
  auto open = [&]() -> Opened {
    if (Status status = log_service_.check_session(log, token); !status.ok()) return {status, {}};
    auto opened = log_service_.open_snapshot(log, offset);
    if (auto* status = std::get_if<Status>(&opened)) return {std::move(*status), {}};
    return {{}, std::move(std::get<std::unique_ptr<replication::SnapshotReader>>(opened))};
  };
  Opened opened = co_await run_blocking(blocking_, std::move(open));
  if (!opened.snapshot) co_return co_await call.fail(opened.status);

  // One Frame message per page, newest first; each chunk read on a blocking thread just
  // before it goes out, and ending on a message's end, where the client's decoder yields.
  ChunkedGrpcReply out(call.stream, call.request);
  if (!co_await out.start()) co_return false;
  Status ended;
  std::string piece;
  while (true) {
    piece.clear();
    auto read_piece = [&] {
      return replication::LogService::next_snapshot_piece(*opened.snapshot, kSnapshotFramesPerPiece,
                                                          piece);
    };
    std::size_t frames = 0;
    try {
      frames = co_await run_blocking(blocking_, std::move(read_piece));
    } catch (const std::exception& e) {
      ended = {StatusCode::kInternal, e.what()};  // between messages: a stream may end so
      break;
    }
    if (frames == 0) break;
    if (!co_await out.chunk(piece)) co_return false;
  }
  if (!ended.ok() && call.record) call.record->fail();
  std::string trailers;
  grpc_web::append_trailers(trailers, ended);
  co_return co_await out.chunk(trailers) && co_await out.finish();
}

asio::awaitable<bool> GrpcRoute::serve_log_entries(Call& call, const replication::FrameLog& log,
                                                   const std::optional<std::string>& token,
                                                   const wal_log::LogOffset& offset) {
  using namespace asio::experimental::awaitable_operators;
  auto check = [&] { return log_service_.check_session(log, token); };
  if (Status session = co_await run_blocking(blocking_, std::move(check)); !session.ok()) {
    co_return co_await call.fail(session);
  }
  // The headers go out now, as tonic sends a stream's before its first item: a replica
  // may wait long for one.
  ChunkedGrpcReply out(call.stream, call.request);
  if (!co_await out.start()) co_return false;
  CommitSignal& commits = call.ns->commit_signal();
  replication::LogTail tail(log, offset.next_offset());
  Status ended;
  // It ends when its client leaves, the server stops, or the namespace is deleted (sqld
  // ends it when the namespace goes away too). Between commits it holds no thread.
  while (!call.ns->deleted()) {
    const std::uint64_t seen = commits.generation();
    std::string piece;
    auto read_new = [&] { return tail.next(piece, std::chrono::steady_clock::now()); };
    std::variant<std::size_t, Status> next;
    try {
      next = co_await run_blocking(blocking_, std::move(read_new));
    } catch (const std::exception& e) {
      ended = {StatusCode::kInternal, e.what()};
      break;
    }
    if (!co_await out.chunk(piece)) break;
    if (auto* status = std::get_if<Status>(&next)) {
      ended = *status;
      break;
    }
    if (std::get<std::size_t>(next) > 0) continue;
    auto waiting = commits.wait(seen, kLogWaitSlice);
    auto watching = client_gone(call.stream.socket());
    if ((co_await (std::move(waiting) || std::move(watching))).index() != 0) {
      if (call.record) call.record->fail();
      co_return false;  // the client hung up
    }
  }
  if (!ended.ok() && call.record) call.record->fail();
  // The trailers come in a chunk of their own, never with a message's end (tonic-web's
  // decoder can misread those).
  std::string trailers;
  grpc_web::append_trailers(trailers, ended);
  co_return co_await out.chunk(trailers) && co_await out.finish();
}

asio::awaitable<bool> GrpcRoute::serve_proxy(Call& call) {
  using namespace asio::experimental::awaitable_operators;
  const std::string_view method = call.method;
  if (method == "StreamExec") {
    const Status unsupported{StatusCode::kUnimplemented,
                             "StreamExec needs a bidirectional HTTP/2 stream, which gRPC-Web "
                             "cannot carry: use Execute"};
    co_return co_await call.fail(unsupported);
  }
  if (method != "Execute" && method != "Describe" && method != "Disconnect") {
    const Status unknown{StatusCode::kUnimplemented,
                         "Method not found: proxy.Proxy/" + std::string(method)};
    co_return co_await call.fail(unknown);
  }
  proxy::ProgramReq program;
  proxy::DescribeRequest describe;
  proxy::DisconnectMessage disconnect;
  google::protobuf::MessageLite& request =
      method == "Execute"    ? static_cast<google::protobuf::MessageLite&>(program)
      : method == "Describe" ? static_cast<google::protobuf::MessageLite&>(describe)
                             : disconnect;
  if (!request.ParseFromArray(call.message.data(), static_cast<int>(call.message.size()))) {
    const Status undecodable = decode_error(request.GetTypeName());
    co_return co_await call.fail(undecodable);
  }
  // sqld's Disconnect checks nothing; ours needs the same credential as the others.
  if (Status status = admit(call, /*hide_unreadable=*/false); !status.ok()) {
    co_return co_await call.fail(status);
  }
  call.record.emplace(call.ns->metrics(), RequestKind::kProxy);
  if (method != "Disconnect" && call.ns->frame_log() == nullptr) {
    // A replica's namespace takes no writes of its own (sqld's refusal, word for word).
    const Status replica{StatusCode::kFailedPrecondition,
                         "cannot run schema migration against a replica from a replica"};
    co_return co_await call.fail(replica);
  }

  engine::ConnectionPool::Ticket ticket;
  const std::string& client_id = method == "Execute" ? program.client_id() : describe.client_id();
  if (method != "Disconnect" && proxy_.needs_connection(*call.ns, client_id)) {
    auto admitted = co_await server::admit(call.ns->pool());
    if (!admitted) {
      const Status refused{StatusCode::kResourceExhausted, "Too many concurrent requests"};
      co_return co_await call.fail(refused);
    }
    ticket = std::move(*admitted);
  }
  auto cancellation = std::make_shared<hrana::Cancellation>();
  const ProxyService::Caller caller{call.ns, namespace_access_policy(call.ns, call.rights),
                                    cancellation.get()};
  struct Outcome {
    Status status;
    std::string reply;  // the serialized reply message when status is OK
  };
  auto work = [&, ticket = std::move(ticket)]() mutable -> Outcome {
    try {
      const auto finish = [](auto result) -> Outcome {
        if (auto* status = std::get_if<Status>(&result)) return {std::move(*status), {}};
        return {{}, std::get<0>(result).SerializeAsString()};
      };
      if (method == "Execute") return finish(proxy_.execute(caller, program, std::move(ticket)));
      if (method == "Describe") return finish(proxy_.describe(caller, describe, std::move(ticket)));
      if (Status status = proxy_.disconnect(disconnect); !status.ok()) return {status, {}};
      return {{}, proxy::Ack().SerializeAsString()};
    } catch (const hrana::RequestCancelled&) {
      return {{StatusCode::kCancelled, "the client went away"}, {}};
    } catch (const std::exception& e) {
      return {{StatusCode::kInternal, e.what()}, {}};
    }
  };
  auto on_cancel = [cancellation] { cancellation->cancel(); };
  auto running = run_blocking(blocking_, std::move(work), std::move(on_cancel));
  auto watching = client_gone(call.stream.socket());
  auto outcome = co_await (std::move(running) || std::move(watching));
  if (outcome.index() != 0) {
    if (call.record) call.record->fail();
    co_return false;  // nobody to answer
  }
  Outcome& result = std::get<0>(outcome);
  if (!result.status.ok()) co_return co_await call.fail(result.status);
  HttpResponse response = grpc_response(call.request);
  grpc_web::append_message(response.body(), result.reply);
  grpc_web::append_trailers(response.body(), {});
  co_return co_await call.reply(std::move(response));
}

}  // namespace libsql::server
