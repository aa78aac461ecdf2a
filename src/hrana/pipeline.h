// pipeline.h: Hrana over HTTP: pipeline, cursor and v1 requests, run on their stream.
//
// run_pipeline() leases the request's stream, runs every stream request in order (each
// one even if an earlier one failed, as sqld does), gives the stream back and reports
// everything to a PipelineWriter, which encodes it (JSON or protobuf). A ProtocolError or
// StreamExpiredError escaping from here fails the HTTP request; the stream is then gone
// (its transaction rolled back). Blocking: call from blocking-work threads only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "hrana/http_streams.h"
#include "hrana/json_results.h"
#include "hrana/protocol.h"
#include "hrana/request_context.h"
#include "hrana/result_sink.h"

namespace libsql::hrana {

// Receives one pipeline's outcome, request by request, in order, and encodes it.
class PipelineWriter {
 public:
  virtual ~PipelineWriter() = default;

  // A request failed on its own (the stream goes on).
  virtual void error(const Error& error) = 0;
  virtual void close() = 0;
  virtual void sequence() = 0;
  virtual void store_sql() = 0;
  virtual void close_sql() = 0;
  virtual void get_autocommit(bool is_autocommit) = 0;
  virtual void describe(const DescribeResult& result) = 0;
  // `execute`: the statement reports into the returned sink (its failure as a
  // step_error), then end_execute().
  virtual ResultSink& begin_execute() = 0;
  virtual void end_execute() = 0;
  // `batch`: the steps report into the returned sink, then end_batch() with the error
  // that failed the batch as a whole, if any.
  virtual ResultSink& begin_batch(std::size_t steps) = 0;
  virtual void end_batch(const std::optional<Error>& batch_error) = 0;
  // After the last request: the stream's next baton (none once closed).
  virtual void finish(const std::optional<std::string>& baton,
                      const std::optional<std::string>& base_url) = 0;
};

// Receives a cursor's entries.
class CursorWriter : public ResultSink {
 public:
  // First, before any entry: the stream's next baton.
  virtual void begin(const std::optional<std::string>& baton,
                     const std::optional<std::string>& base_url) = 0;
  virtual void batch_error(const Error& error) = 0;
};

// POST /v2/pipeline, /v3/pipeline and /v3-protobuf/pipeline. A request without a
// baton opens its stream's connection in `context.ticket`'s place.
void run_pipeline(HttpStreams& streams, const PipelineRequest& request, Version version,
                  PipelineWriter& writer, RequestContext context);
// POST /v3/cursor and /v3-protobuf/cursor.
void run_cursor(HttpStreams& streams, const CursorRequest& request, CursorWriter& writer,
                RequestContext context);

// The JSON encodings.
// {"baton":...,"base_url":...,"results":[...]} for a pipeline request.
std::string run_json_pipeline(HttpStreams& streams, const PipelineRequest& request, Version version,
                              json::ResponseBudget budget, RequestContext context);
// Newline-delimited JSON: the baton line, then the cursor entries.
std::string run_json_cursor(HttpStreams& streams, const CursorRequest& request,
                            RequestContext context);

// POST /v1/execute and /v1/batch, each on a connection of its own (Hrana 1 rules):
// {"result": ...}, or, when the statement or the batch as a whole failed, the Error
// (the HTTP status then depends on its code).
struct V1Response {
  std::string body;
  std::optional<Error> error;
};
V1Response run_v1_execute(engine::ConnectionPool& pool, const Stmt& stmt,
                          json::ResponseBudget budget, RequestContext context);
V1Response run_v1_batch(engine::ConnectionPool& pool, const Batch& batch,
                        json::ResponseBudget budget, RequestContext context);

}  // namespace libsql::hrana
