// protobuf_codec.cc: Hrana 3 protobuf requests and responses.

#include "hrana/protobuf_codec.h"

#include "hrana/protobuf_messages.h"
#include "proto/hrana_http.pb.h"

namespace libsql::hrana::protobuf {

namespace {

StreamRequest stream_request(const ::hrana::http::StreamRequest& proto) {
  using Proto = ::hrana::http::StreamRequest;
  switch (proto.request_case()) {
    case Proto::kClose:
      return CloseRequest{};
    case Proto::kExecute:
      return ExecuteRequest{from_proto(proto.execute().stmt())};
    case Proto::kBatch:
      return BatchRequest{from_proto(proto.batch().batch())};
    case Proto::kSequence: {
      SequenceRequest request;
      if (proto.sequence().has_sql()) request.sql = proto.sequence().sql();
      if (proto.sequence().has_sql_id()) request.sql_id = proto.sequence().sql_id();
      return request;
    }
    case Proto::kDescribe: {
      DescribeRequest request;
      if (proto.describe().has_sql()) request.sql = proto.describe().sql();
      if (proto.describe().has_sql_id()) request.sql_id = proto.describe().sql_id();
      return request;
    }
    case Proto::kStoreSql:
      return StoreSqlRequest{proto.store_sql().sql_id(), proto.store_sql().sql()};
    case Proto::kCloseSql:
      return CloseSqlRequest{proto.close_sql().sql_id()};
    case Proto::kGetAutocommit:
      return GetAutocommitRequest{};
    case Proto::REQUEST_NOT_SET:
      break;
  }
  not_recognized("StreamRequest");
}

class ProtoPipelineWriter final : public PipelineWriter {
 public:
  explicit ProtoPipelineWriter(json::ResponseBudget budget) : budget_(budget) {}

  void error(const Error& error) override { to_proto(error, body_.add_results()->mutable_error()); }
  void close() override { ok()->mutable_close(); }
  void sequence() override { ok()->mutable_sequence(); }
  void store_sql() override { ok()->mutable_store_sql(); }
  void close_sql() override { ok()->mutable_close_sql(); }
  void get_autocommit(bool is_autocommit) override {
    ok()->mutable_get_autocommit()->set_is_autocommit(is_autocommit);
  }
  void describe(const DescribeResult& result) override {
    to_proto(result, ok()->mutable_describe()->mutable_result());
  }

  ResultSink& begin_execute() override {
    pending_ = body_.add_results();
    return stmt_.emplace(pending_->mutable_ok()->mutable_execute()->mutable_result(), budget_);
  }
  void end_execute() override {
    if (stmt_->error()) {
      pending_->Clear();
      to_proto(*stmt_->error(), pending_->mutable_error());
    }
    stmt_.reset();
  }

  ResultSink& begin_batch(std::size_t) override {
    pending_ = body_.add_results();
    return batch_.emplace(pending_->mutable_ok()->mutable_batch()->mutable_result(), budget_);
  }
  void end_batch(const std::optional<Error>& batch_error) override {
    if (batch_error) {
      pending_->Clear();
      to_proto(*batch_error, pending_->mutable_error());
    }
    batch_.reset();
  }

  void finish(const std::optional<std::string>& baton,
              const std::optional<std::string>& base_url) override {
    if (baton) body_.set_baton(*baton);
    if (base_url) body_.set_base_url(*base_url);
  }

  std::string take() const { return serialize(body_); }

 private:
  ::hrana::http::StreamResponse* ok() { return body_.add_results()->mutable_ok(); }

  json::ResponseBudget budget_;
  ::hrana::http::PipelineRespBody body_;
  ::hrana::http::StreamResult* pending_ = nullptr;
  std::optional<StmtResultSink> stmt_;
  std::optional<BatchResultSink> batch_;
};

// CursorEntry messages, each prefixed by its length.
class DelimitedEntries final : public CursorEntrySink {
 public:
  std::string bytes;

 private:
  void emit(const ::hrana::CursorEntry& entry) override { append_delimited(bytes, entry); }
};

// CursorRespBody, then the entries.
class ProtoCursorWriter final : public CursorWriter {
 public:
  void begin(const std::optional<std::string>& baton,
             const std::optional<std::string>& base_url) override {
    ::hrana::http::CursorRespBody head;
    if (baton) head.set_baton(*baton);
    if (base_url) head.set_base_url(*base_url);
    append_delimited(head_, head);
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

  std::string take() const { return head_ + entries_.bytes; }

 private:
  std::string head_;
  DelimitedEntries entries_;
};

}  // namespace

std::string encode_error(const Error& error) {
  ::hrana::Error proto;
  to_proto(error, &proto);
  return serialize(proto);
}

PipelineRequest decode_pipeline_request(std::string_view body) {
  const auto proto = parse<::hrana::http::PipelineReqBody>(body);
  PipelineRequest request;
  if (proto.has_baton()) request.baton = proto.baton();
  for (const auto& r : proto.requests()) request.requests.push_back(stream_request(r));
  return request;
}

CursorRequest decode_cursor_request(std::string_view body) {
  const auto proto = parse<::hrana::http::CursorReqBody>(body);
  CursorRequest request;
  if (proto.has_baton()) request.baton = proto.baton();
  request.batch = from_proto(proto.batch());
  return request;
}

std::string run_pipeline(HttpStreams& streams, const PipelineRequest& request,
                         json::ResponseBudget budget, RequestContext context) {
  ProtoPipelineWriter writer(budget);
  hrana::run_pipeline(streams, request, Version::kHrana3, writer, std::move(context));
  return writer.take();
}

std::string run_cursor(HttpStreams& streams, const CursorRequest& request, RequestContext context) {
  ProtoCursorWriter writer;
  hrana::run_cursor(streams, request, writer, std::move(context));
  return writer.take();
}

}  // namespace libsql::hrana::protobuf
