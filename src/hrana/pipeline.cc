// pipeline.cc: Hrana-over-HTTP requests, run on their stream, and their JSON encoding.

#include "hrana/pipeline.h"

#include <variant>

#include "hrana/errors.h"
#include "hrana/json_writer.h"

namespace libsql::hrana {

namespace {

engine::Connection& connection_of(HttpStream& stream) {
  if (!stream.connection) {
    throw ProtocolError(ProtocolError::Kind::kSemantic, "Stream for this baton was closed");
  }
  return *stream.connection;
}

// Runs one request of a pipeline on its stream, reporting to the writer. The order of
// checks in each request is sqld's (libsql-server/src/hrana/http/request.rs).
class StreamRequestRunner {
 public:
  StreamRequestRunner(HttpStreams& streams, HttpStream& stream, Version version,
                      PipelineWriter& writer, const RequestContext& context)
      : streams_(streams),
        stream_(stream),
        version_(version),
        writer_(writer),
        cancellation_(context.cancellation.get()),
        access_(context.access.get()) {}

  void operator()(const CloseRequest&) {
    streams_.close_connection(stream_);
    writer_.close();
  }

  void operator()(const ExecuteRequest& request) {
    Executor executor = make_executor();
    executor.execute(request.stmt, writer_.begin_execute());
    writer_.end_execute();
  }

  void operator()(const BatchRequest& request) {
    Executor executor = make_executor();
    auto error = executor.batch(request.batch, writer_.begin_batch(request.batch.steps.size()));
    writer_.end_batch(error);
  }

  void operator()(const SequenceRequest& request) {
    require_version(version_, Version::kHrana2, "The `sequence` request");
    Executor executor = make_executor();
    if (auto error = executor.sequence(request.sql, request.sql_id)) {
      writer_.error(*error);
    } else {
      writer_.sequence();
    }
  }

  void operator()(const DescribeRequest& request) {
    require_version(version_, Version::kHrana2, "The `describe` request");
    Executor executor = make_executor();
    auto outcome = executor.describe(request.sql, request.sql_id);
    if (const auto* error = std::get_if<Error>(&outcome)) {
      writer_.error(*error);
    } else {
      writer_.describe(std::get<DescribeResult>(outcome));
    }
  }

  void operator()(const StoreSqlRequest& request) {
    require_version(version_, Version::kHrana2, "The `store_sql` request");
    if (auto error = stream_.sqls.store(request.sql_id, request.sql)) {
      writer_.error(*error);
    } else {
      writer_.store_sql();
    }
  }

  void operator()(const CloseSqlRequest& request) {
    require_version(version_, Version::kHrana2, "The `close_sql` request");
    stream_.sqls.close(request.sql_id);
    writer_.close_sql();
  }

  void operator()(const GetAutocommitRequest&) {
    require_version(version_, Version::kHrana3, "The `get_autocommit` request");
    writer_.get_autocommit(make_executor().is_autocommit());
  }

 private:
  Executor make_executor() {
    return Executor(connection_of(stream_), stream_.sqls, version_, cancellation_, access_);
  }

  HttpStreams& streams_;
  HttpStream& stream_;
  Version version_;
  PipelineWriter& writer_;
  Cancellation* cancellation_;
  const AccessPolicy* access_;
};

void append_optional_string(std::string& out, const std::optional<std::string>& text) {
  if (text) {
    json::append_string(out, *text);
  } else {
    out.append("null");
  }
}

// {"results":[...],"baton":...,"base_url":...}: JSON objects are unordered, so the
// results come first and are written in place; the baton, known last, follows.
class JsonPipelineWriter final : public PipelineWriter {
 public:
  explicit JsonPipelineWriter(json::ResponseBudget budget) : budget_(budget) {
    out_ = R"({"results":[)";
  }

  void error(const Error& error) override {
    next();
    append_error_result(error);
  }
  void close() override { ok("close"); }
  void sequence() override { ok("sequence"); }
  void store_sql() override { ok("store_sql"); }
  void close_sql() override { ok("close_sql"); }
  void get_autocommit(bool is_autocommit) override {
    next();
    open_ok("get_autocommit");
    out_.append(is_autocommit ? R"(,"is_autocommit":true}})" : R"(,"is_autocommit":false}})");
  }
  void describe(const DescribeResult& result) override {
    next();
    open_ok("describe");
    out_.append(R"(,"result":)");
    json::append_describe_result(out_, result);
    out_.append("}}");
  }

  ResultSink& begin_execute() override {
    next();
    mark_ = out_.size();
    open_ok("execute");
    out_.append(R"(,"result":)");
    return stmt_.emplace(out_, budget_);
  }
  void end_execute() override {
    if (stmt_->error()) {
      out_.resize(mark_);
      append_error_result(*stmt_->error());
    } else {
      out_.append("}}");
    }
    stmt_.reset();
  }

  ResultSink& begin_batch(std::size_t steps) override {
    next();
    mark_ = out_.size();
    open_ok("batch");
    out_.append(R"(,"result":)");
    return batch_.emplace(out_, steps, budget_);
  }
  void end_batch(const std::optional<Error>& batch_error) override {
    if (batch_error) {
      out_.resize(mark_);
      append_error_result(*batch_error);
    } else {
      batch_->finish();
      out_.append("}}");
    }
    batch_.reset();
  }

  void finish(const std::optional<std::string>& baton,
              const std::optional<std::string>& base_url) override {
    out_.append(R"(],"baton":)");
    append_optional_string(out_, baton);
    out_.append(R"(,"base_url":)");
    append_optional_string(out_, base_url);
    out_.push_back('}');
  }

  std::string take() { return std::move(out_); }

 private:
  void next() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void open_ok(std::string_view type) {
    out_.append(R"({"type":"ok","response":{"type":")");
    out_.append(type);
    out_.push_back('"');
  }
  void ok(std::string_view type) {
    next();
    open_ok(type);
    out_.append("}}");
  }
  void append_error_result(const Error& error) {
    out_.append(R"({"type":"error","error":)");
    json::append_error(out_, error);
    out_.push_back('}');
  }

  json::ResponseBudget budget_;
  std::string out_;
  bool first_ = true;
  std::size_t mark_ = 0;
  std::optional<json::StmtResultWriter> stmt_;
  std::optional<json::BatchResultWriter> batch_;
};

// The baton line, then one JSON entry per line. Entries are buffered; the baton line
// goes in front once it is known.
class JsonCursorWriter final : public CursorWriter {
 public:
  void begin(const std::optional<std::string>& baton,
             const std::optional<std::string>& base_url) override {
    head_ = R"({"baton":)";
    append_optional_string(head_, baton);
    head_.append(R"(,"base_url":)");
    append_optional_string(head_, base_url);
    head_.append("}\n");
  }
  void step_begin(std::uint32_t step, const engine::Statement& statement) override {
    entries_.step_begin(step, statement);
  }
  void step_row(const engine::Statement& statement) override { entries_.step_row(statement); }
  void step_end(const StepStats& stats) override { entries_.step_end(stats); }
  void step_error(std::uint32_t step, const Error& error) override {
    entries_.step_error(step, error);
  }
  void batch_error(const Error& error) override { entries_.batch_error(error); }

  std::string take() { return head_ + body_; }

 private:
  std::string head_;
  std::string body_;
  json::CursorEntryWriter entries_{body_};
};

// A cancelled request's stream is dropped even if its last statement ended (with
// SQLITE_INTERRUPT): the client that could continue it is gone.
void check_not_cancelled(const RequestContext& context) {
  if (context.cancellation && context.cancellation->cancelled()) throw RequestCancelled();
}

}  // namespace

void run_pipeline(HttpStreams& streams, const PipelineRequest& request, Version version,
                  PipelineWriter& writer, RequestContext context) {
  HttpStreams::Lease lease = streams.acquire(request.baton, std::move(context.ticket));
  try {
    for (const StreamRequest& stream_request : request.requests) {
      std::visit(StreamRequestRunner(streams, *lease.stream, version, writer, context),
                 stream_request);
    }
    check_not_cancelled(context);
  } catch (...) {
    streams.discard(std::move(lease));
    throw;
  }
  writer.finish(streams.release(std::move(lease)), context.base_url);
}

void run_cursor(HttpStreams& streams, const CursorRequest& request, CursorWriter& writer,
                RequestContext context) {
  HttpStreams::Lease lease = streams.acquire(request.baton, std::move(context.ticket));
  try {
    // The stream stays leased while the batch runs; its next baton is handed out first.
    Executor executor(connection_of(*lease.stream), lease.stream->sqls, Version::kHrana3,
                      context.cancellation.get(), context.access.get());
    if (auto error = executor.batch(request.batch, writer)) writer.batch_error(*error);
    check_not_cancelled(context);
  } catch (...) {
    streams.discard(std::move(lease));
    throw;
  }
  writer.begin(streams.release(std::move(lease)), context.base_url);
}

std::string run_json_pipeline(HttpStreams& streams, const PipelineRequest& request, Version version,
                              json::ResponseBudget budget, RequestContext context) {
  JsonPipelineWriter writer(budget);
  run_pipeline(streams, request, version, writer, std::move(context));
  return writer.take();
}

std::string run_json_cursor(HttpStreams& streams, const CursorRequest& request,
                            RequestContext context) {
  JsonCursorWriter writer;
  run_cursor(streams, request, writer, std::move(context));
  return writer.take();
}

V1Response run_v1_execute(engine::ConnectionPool& pool, const Stmt& stmt,
                          json::ResponseBudget budget, RequestContext context) {
  engine::PooledConnection connection(pool, std::move(context.ticket));
  const SqlStore no_sqls(0, 0);
  Executor executor(connection.get(), no_sqls, Version::kHrana1, context.cancellation.get(),
                    context.access.get());
  V1Response response;
  response.body = R"({"result":)";
  json::StmtResultWriter writer(response.body, budget);
  executor.execute(stmt, writer);
  if (writer.error()) {
    response.error = writer.error();
    response.body.clear();
    json::append_error(response.body, *response.error);
  } else {
    response.body.push_back('}');
  }
  return response;
}

V1Response run_v1_batch(engine::ConnectionPool& pool, const Batch& batch,
                        json::ResponseBudget budget, RequestContext context) {
  engine::PooledConnection connection(pool, std::move(context.ticket));
  const SqlStore no_sqls(0, 0);
  Executor executor(connection.get(), no_sqls, Version::kHrana1, context.cancellation.get(),
                    context.access.get());
  V1Response response;
  response.body = R"({"result":)";
  json::BatchResultWriter writer(response.body, batch.steps.size(), budget);
  if (auto error = executor.batch(batch, writer)) {
    response.error = error;
    response.body.clear();
    json::append_error(response.body, *response.error);
  } else {
    writer.finish();
    response.body.push_back('}');
  }
  return response;
}

}  // namespace libsql::hrana
