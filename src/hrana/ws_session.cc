// ws_session.cc: Hrana-over-WebSocket requests, checked on arrival and run on their
// stream's queue. The order of checks in each handler is sqld's
// (libsql-server/src/hrana/ws/session.rs), so a bad request gets the same answer.

#include "hrana/ws_session.h"

#include <atomic>
#include <cctype>
#include <deque>
#include <optional>
#include <utility>
#include <variant>

#include "hrana/errors.h"
#include "libsql/error.h"

namespace libsql::hrana {

struct WsSession::Stream {
  explicit Stream(engine::ConnectionPool& p)
      : pool(p), cancellation(std::make_shared<Cancellation>()) {}
  ~Stream() { close(); }

  // Rolls back and returns the connection to the pool (blocking work).
  void close() noexcept {
    if (connection) pool.release(std::move(*connection));
    connection.reset();
  }

  engine::ConnectionPool& pool;
  // Touched only by this stream's jobs, which run one at a time. Empty before the
  // open_stream job, after it failed, and once closed.
  std::optional<engine::Connection> connection;
  // Cancelled when the client leaves: the running statement stops.
  std::shared_ptr<Cancellation> cancellation;
  // Written on the session's sequence before the open_stream job runs.
  engine::ConnectionPool::Ticket ticket;
  bool refused = false;  // no place among the open connections
  // On the session's sequence:
  std::deque<Job> queue;
  bool running = false;
  bool waiting_for_place = false;  // jobs wait for the stream's ticket
  std::optional<std::int32_t> cursor_id;
};

struct WsSession::Cursor {
  // Touched only by the jobs of the cursor's stream.
  std::unique_ptr<WsEncoder::CursorEntries> entries;
  // Set by the open_cursor job when the batch could not start (its stream had failed
  // to open, or a step does not parse); read on the session's sequence too.
  std::atomic<bool> failed = false;
};

namespace {

Version version_of(WsSubprotocol subprotocol) {
  switch (subprotocol) {
    case WsSubprotocol::kHrana3Protobuf:
    case WsSubprotocol::kHrana3:
      return Version::kHrana3;
    case WsSubprotocol::kHrana2:
      return Version::kHrana2;
    case WsSubprotocol::kHrana1:
      break;
  }
  return Version::kHrana1;
}

std::unique_ptr<WsEncoder> encoder_for(WsSubprotocol subprotocol, json::ResponseBudget budget) {
  if (subprotocol == WsSubprotocol::kHrana3Protobuf) return make_protobuf_ws_encoder(budget);
  return make_json_ws_encoder(budget);
}

// Requests reach the executor with stored SQL already inlined (inline_stored_sql).
const SqlStore& no_stored_sql() {
  static const SqlStore empty(0, 0);
  return empty;
}

constexpr WsSubprotocol kByPreference[] = {WsSubprotocol::kHrana3Protobuf, WsSubprotocol::kHrana3,
                                           WsSubprotocol::kHrana2, WsSubprotocol::kHrana1};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool is_offered(std::string_view offered, WsSubprotocol subprotocol) {
  while (true) {
    const auto comma = offered.find(',');
    if (equals_ignoring_case(trim(offered.substr(0, comma)), subprotocol_name(subprotocol)))
      return true;
    if (comma == std::string_view::npos) return false;
    offered.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string_view subprotocol_name(WsSubprotocol subprotocol) {
  switch (subprotocol) {
    case WsSubprotocol::kHrana3Protobuf:
      return "hrana3-protobuf";
    case WsSubprotocol::kHrana3:
      return "hrana3";
    case WsSubprotocol::kHrana2:
      return "hrana2";
    case WsSubprotocol::kHrana1:
      break;
  }
  return "hrana1";
}

std::optional<WsSubprotocol> negotiate_subprotocol(const std::optional<std::string_view>& offered) {
  if (!offered) return WsSubprotocol::kHrana1;
  for (const WsSubprotocol subprotocol : kByPreference) {
    if (is_offered(*offered, subprotocol)) return subprotocol;
  }
  return std::nullopt;
}

WsSession::WsSession(engine::ConnectionPool& pool, WsSubprotocol subprotocol,
                     json::ResponseBudget budget, WsHost& host)
    : pool_(pool),
      subprotocol_(subprotocol),
      version_(version_of(subprotocol)),
      budget_(budget),
      host_(host),
      encoder_(encoder_for(subprotocol, budget)),
      sqls_(150, 0) {}  // sqld's limits: 150 texts per connection, of any size

WsSession::~WsSession() = default;

void WsSession::receive(std::string_view message) {
  WsClientMessage decoded = binary() ? protobuf::decode_ws_client_message(message)
                                     : json::parse_ws_client_message(message);
  if (auto* hello_message = std::get_if<WsHello>(&decoded)) {
    hello(*hello_message);
  } else {
    request(std::move(std::get<WsRequest>(decoded)));
  }
}

void WsSession::hello(const WsHello& hello) {
  if (said_hello_) require_version(version_, Version::kHrana2, "Repeated hello message");
  auto outcome = host_.authenticate(hello.jwt);
  if (const auto* error = std::get_if<Error>(&outcome)) {
    // A failed hello ends what an earlier one granted: requests now fail as sent before
    // any hello.
    said_hello_ = false;
    access_.reset();
    host_.send(encoder_->hello_error(*error));
    return;
  }
  access_ = std::move(std::get<std::shared_ptr<const AccessPolicy>>(outcome));
  said_hello_ = true;
  host_.send(encoder_->hello_ok());
}

void WsSession::request(WsRequest request) {
  if (!said_hello_) protocol_error("Received a request before hello message");
  std::visit([&](auto& body) { handle(request.request_id, body); }, request.body);
}

void WsSession::disconnect() {
  for (auto& [id, stream] : streams_) {
    stream->cancellation->cancel();
    enqueue(stream, [](Stream& s) {
      s.close();
      return std::string();
    });
  }
  streams_.clear();
  cursors_.clear();
}

std::shared_ptr<WsSession::Stream>& WsSession::stream(std::int32_t stream_id) {
  const auto found = streams_.find(stream_id);
  if (found == streams_.end()) protocol_error("Stream " + std::to_string(stream_id) + " not found");
  return found->second;
}

void WsSession::enqueue(const std::shared_ptr<Stream>& stream, Job job) {
  ++pending_;
  stream->queue.push_back(std::move(job));
  run_next(stream);
}

void WsSession::run_next(const std::shared_ptr<Stream>& stream) {
  if (stream->running || stream->waiting_for_place || stream->queue.empty()) return;
  stream->running = true;
  struct Outcome {
    Job job;
    std::string response;
    std::exception_ptr error;
  };
  auto outcome = std::make_shared<Outcome>();
  outcome->job = std::move(stream->queue.front());
  stream->queue.pop_front();
  host_.run_blocking(
      [stream, outcome] {
        try {
          outcome->response = outcome->job(*stream);
        } catch (...) {
          outcome->error = std::current_exception();
        }
      },
      [this, stream, outcome] {
        finish_job(stream, std::move(outcome->response), outcome->error);
      });
}

void WsSession::finish_job(const std::shared_ptr<Stream>& stream, std::string response,
                           std::exception_ptr error) {
  stream->running = false;
  --pending_;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const RequestCancelled&) {
      // The client is gone; nobody to tell.
    } catch (...) {
      host_.fail(error);
    }
  } else if (!response.empty()) {
    host_.send(std::move(response));
  }
  run_next(stream);
}

void WsSession::inline_batch_sql(Batch& batch) const {
  for (BatchStep& step : batch.steps)
    inline_stored_sql(step.stmt.sql, step.stmt.sql_id, sqls_, version_);
}

void WsSession::handle(std::int32_t id, WsOpenStream& request) {
  const std::int32_t stream_id = request.stream_id;
  if (streams_.contains(stream_id))
    protocol_error("Stream " + std::to_string(stream_id) + " already exists");
  auto stream = std::make_shared<Stream>(pool_);
  streams_.emplace(stream_id, stream);
  stream->waiting_for_place = true;
  host_.admit([this, stream](std::optional<engine::ConnectionPool::Ticket> ticket) {
    if (ticket) {
      stream->ticket = std::move(*ticket);
    } else {
      stream->refused = true;
    }
    stream->waiting_for_place = false;
    run_next(stream);
  });
  enqueue(stream, [encoder = encoder_.get(), id](Stream& s) {
    if (s.refused) return encoder->response_error(id, Error{"Too many concurrent requests", ""});
    try {
      s.connection.emplace(s.pool.acquire(std::move(s.ticket)));
    } catch (const libsql::Error& e) {
      return encoder->response_error(id, from_sqlite_failure(e));
    }
    return encoder->response(id, WsEmptyResponse::kOpenStream);
  });
}

void WsSession::handle(std::int32_t id, WsCloseStream& request) {
  const auto found = streams_.find(request.stream_id);
  if (found == streams_.end())
    protocol_error("Stream " + std::to_string(request.stream_id) + " not found");
  const std::shared_ptr<Stream> stream = std::move(found->second);
  streams_.erase(found);
  if (stream->cursor_id) cursors_.erase(*stream->cursor_id);
  enqueue(stream, [encoder = encoder_.get(), id](Stream& s) {
    s.close();
    return encoder->response(id, WsEmptyResponse::kCloseStream);
  });
}

void WsSession::handle(std::int32_t id, WsExecute& request) {
  const auto& stream = this->stream(request.stream_id);
  inline_stored_sql(request.stmt.sql, request.stmt.sql_id, sqls_, version_);
  enqueue(stream, [encoder = encoder_.get(), id, version = version_, access = access_,
                   stream_id = request.stream_id, stmt = std::move(request.stmt)](Stream& s) {
    if (!s.connection) return encoder->response_error(id, stream_not_open(stream_id));
    auto response = encoder->execute();
    Executor(*s.connection, no_stored_sql(), version, s.cancellation.get(), access.get())
        .execute(stmt, response->sink());
    return response->finish(id);
  });
}

void WsSession::handle(std::int32_t id, WsBatch& request) {
  const auto& stream = this->stream(request.stream_id);
  inline_batch_sql(request.batch);
  enqueue(stream, [encoder = encoder_.get(), id, version = version_, access = access_,
                   stream_id = request.stream_id, batch = std::move(request.batch)](Stream& s) {
    if (!s.connection) return encoder->response_error(id, stream_not_open(stream_id));
    auto response = encoder->batch(batch.steps.size());
    const auto error =
        Executor(*s.connection, no_stored_sql(), version, s.cancellation.get(), access.get())
            .batch(batch, response->sink());
    return response->finish(id, error);
  });
}

void WsSession::handle(std::int32_t id, WsSequence& request) {
  require_version(version_, Version::kHrana2, "The `sequence` request");
  const auto& stream = this->stream(request.stream_id);
  inline_stored_sql(request.sql, request.sql_id, sqls_, version_);
  enqueue(stream, [encoder = encoder_.get(), id, version = version_, access = access_,
                   stream_id = request.stream_id, sql = std::move(request.sql)](Stream& s) {
    if (!s.connection) return encoder->response_error(id, stream_not_open(stream_id));
    if (auto error =
            Executor(*s.connection, no_stored_sql(), version, s.cancellation.get(), access.get())
                .sequence(sql, std::nullopt)) {
      return encoder->response_error(id, *error);
    }
    return encoder->response(id, WsEmptyResponse::kSequence);
  });
}

void WsSession::handle(std::int32_t id, WsDescribe& request) {
  require_version(version_, Version::kHrana2, "The `describe` request");
  const auto& stream = this->stream(request.stream_id);
  inline_stored_sql(request.sql, request.sql_id, sqls_, version_);
  enqueue(stream, [encoder = encoder_.get(), id, version = version_, access = access_,
                   stream_id = request.stream_id, sql = std::move(request.sql)](Stream& s) {
    if (!s.connection) return encoder->response_error(id, stream_not_open(stream_id));
    auto outcome =
        Executor(*s.connection, no_stored_sql(), version, s.cancellation.get(), access.get())
            .describe(sql, std::nullopt);
    if (const auto* error = std::get_if<Error>(&outcome))
      return encoder->response_error(id, *error);
    return encoder->describe(id, std::get<DescribeResult>(outcome));
  });
}

void WsSession::handle(std::int32_t id, StoreSqlRequest& request) {
  require_version(version_, Version::kHrana2, "The `store_sql` request");
  if (auto error = sqls_.store(request.sql_id, std::move(request.sql))) {
    host_.send(encoder_->response_error(id, *error));
  } else {
    host_.send(encoder_->response(id, WsEmptyResponse::kStoreSql));
  }
}

void WsSession::handle(std::int32_t id, CloseSqlRequest& request) {
  require_version(version_, Version::kHrana2, "The `close_sql` request");
  sqls_.close(request.sql_id);
  host_.send(encoder_->response(id, WsEmptyResponse::kCloseSql));
}

void WsSession::handle(std::int32_t id, WsOpenCursor& request) {
  require_version(version_, Version::kHrana3, "The `open_cursor` request");
  const auto& stream = this->stream(request.stream_id);
  if (stream->cursor_id) {
    // A cursor whose opening failed was never open (sqld does not keep it).
    const auto open = cursors_.find(*stream->cursor_id);
    if (open != cursors_.end() && open->second.cursor->failed) {
      cursors_.erase(open);
      stream->cursor_id.reset();
    }
  }
  if (stream->cursor_id) {
    protocol_error("Stream " + std::to_string(request.stream_id) + " already has an open cursor");
  }
  if (cursors_.contains(request.cursor_id)) {
    protocol_error("Cursor " + std::to_string(request.cursor_id) + " already exists");
  }
  inline_batch_sql(request.batch);
  auto cursor = std::make_shared<Cursor>();
  cursor->entries = encoder_->cursor();
  cursors_.emplace(request.cursor_id, CursorRef{request.stream_id, cursor});
  stream->cursor_id = request.cursor_id;
  // The whole batch runs here, and fetches (queued behind) hand out its entries.
  enqueue(stream, [encoder = encoder_.get(), id, version = version_, access = access_,
                   stream_id = request.stream_id, cursor,
                   batch = std::move(request.batch)](Stream& s) {
    if (!s.connection) {
      cursor->failed = true;
      return encoder->response_error(id, stream_not_open(stream_id));
    }
    // A cursor's entries cannot fail to encode, so an error means nothing ran (sqld
    // refuses such a batch when the request arrives).
    if (const auto error =
            Executor(*s.connection, no_stored_sql(), version, s.cancellation.get(), access.get())
                .batch(batch, *cursor->entries)) {
      cursor->failed = true;
      return encoder->response_error(id, *error);
    }
    return encoder->response(id, WsEmptyResponse::kOpenCursor);
  });
}

void WsSession::handle(std::int32_t id, WsCloseCursor& request) {
  require_version(version_, Version::kHrana3, "The `close_cursor` request");
  const auto found = cursors_.find(request.cursor_id);
  if (found == cursors_.end())
    protocol_error("Cursor " + std::to_string(request.cursor_id) + " not found");
  const auto& stream = this->stream(found->second.stream_id);
  stream->cursor_id.reset();
  cursors_.erase(found);
  enqueue(stream, [encoder = encoder_.get(), id](Stream&) {
    return encoder->response(id, WsEmptyResponse::kCloseCursor);
  });
}

void WsSession::handle(std::int32_t id, WsFetchCursor& request) {
  require_version(version_, Version::kHrana3, "The `fetch_cursor` request");
  const auto found = cursors_.find(request.cursor_id);
  if (found == cursors_.end())
    protocol_error("Cursor " + std::to_string(request.cursor_id) + " not found");
  const auto& stream = this->stream(found->second.stream_id);
  // sqld stops filling a fetch once it holds an eighth of the response size limit.
  const std::size_t max_bytes = budget_.max_bytes / 8;
  enqueue(stream, [id, cursor = found->second.cursor, cursor_id = request.cursor_id,
                   max_count = request.max_count, max_bytes, encoder = encoder_.get()](Stream&) {
    if (cursor->failed) return encoder->response_error(id, cursor_not_open(cursor_id));
    return cursor->entries->fetch(id, max_count, max_bytes);
  });
}

void WsSession::handle(std::int32_t id, WsGetAutocommit& request) {
  require_version(version_, Version::kHrana3, "The `get_autocommit` request");
  const auto& stream = this->stream(request.stream_id);
  enqueue(stream, [encoder = encoder_.get(), id, stream_id = request.stream_id](Stream& s) {
    if (!s.connection) return encoder->response_error(id, stream_not_open(stream_id));
    return encoder->get_autocommit(
        id, Executor(*s.connection, no_stored_sql(), Version::kHrana3, s.cancellation.get())
                .is_autocommit());
  });
}

}  // namespace libsql::hrana
