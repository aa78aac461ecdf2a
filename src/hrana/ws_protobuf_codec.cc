// ws_protobuf_codec.cc: Hrana over WebSocket with protobuf frames (hrana3-protobuf):
// hrana.ws.ClientMsg in, hrana.ws.ServerMsg out.

#include <vector>

#include "hrana/protobuf_messages.h"
#include "hrana/ws_protocol.h"
#include "proto/hrana_ws.pb.h"

namespace libsql::hrana {

namespace protobuf {

namespace {

template <class Request>
void read_sql_or_id(const Request& proto, std::optional<std::string>& sql,
                    std::optional<std::int32_t>& sql_id) {
  if (proto.has_sql()) sql = proto.sql();
  if (proto.has_sql_id()) sql_id = proto.sql_id();
}

WsRequestBody request_body(const ::hrana::ws::RequestMsg& proto) {
  using Proto = ::hrana::ws::RequestMsg;
  switch (proto.request_case()) {
    case Proto::kOpenStream:
      return WsOpenStream{proto.open_stream().stream_id()};
    case Proto::kCloseStream:
      return WsCloseStream{proto.close_stream().stream_id()};
    case Proto::kExecute: {
      WsExecute request{proto.execute().stream_id(), from_proto(proto.execute().stmt())};
      if (proto.execute().has_replication_index()) {
        request.stmt.replication_index = proto.execute().replication_index();
      }
      return request;
    }
    case Proto::kBatch:
      return WsBatch{proto.batch().stream_id(), from_proto(proto.batch().batch())};
    case Proto::kOpenCursor:
      return WsOpenCursor{proto.open_cursor().stream_id(), proto.open_cursor().cursor_id(),
                          from_proto(proto.open_cursor().batch())};
    case Proto::kCloseCursor:
      return WsCloseCursor{proto.close_cursor().cursor_id()};
    case Proto::kFetchCursor:
      return WsFetchCursor{proto.fetch_cursor().cursor_id(), proto.fetch_cursor().max_count()};
    case Proto::kSequence: {
      WsSequence request{proto.sequence().stream_id(), std::nullopt, std::nullopt};
      read_sql_or_id(proto.sequence(), request.sql, request.sql_id);
      return request;
    }
    case Proto::kDescribe: {
      WsDescribe request{proto.describe().stream_id(), std::nullopt, std::nullopt};
      read_sql_or_id(proto.describe(), request.sql, request.sql_id);
      return request;
    }
    case Proto::kStoreSql:
      return StoreSqlRequest{proto.store_sql().sql_id(), proto.store_sql().sql()};
    case Proto::kCloseSql:
      return CloseSqlRequest{proto.close_sql().sql_id()};
    case Proto::kGetAutocommit:
      return WsGetAutocommit{proto.get_autocommit().stream_id()};
    case Proto::REQUEST_NOT_SET:
      break;
  }
  not_recognized("Request");
}

::hrana::ws::ResponseOkMsg* response_ok(::hrana::ws::ServerMsg& message, std::int32_t request_id) {
  ::hrana::ws::ResponseOkMsg* ok = message.mutable_response_ok();
  ok->set_request_id(request_id);
  return ok;
}

std::string error_message(std::int32_t request_id, const Error& error) {
  ::hrana::ws::ServerMsg message;
  ::hrana::ws::ResponseErrorMsg* response = message.mutable_response_error();
  response->set_request_id(request_id);
  to_proto(error, response->mutable_error());
  return serialize(message);
}

class ProtoStatementResponse final : public WsEncoder::StatementResponse {
 public:
  explicit ProtoStatementResponse(json::ResponseBudget budget)
      : sink_(message_.mutable_response_ok()->mutable_execute()->mutable_result(), budget) {}
  ResultSink& sink() override { return sink_; }
  std::string finish(std::int32_t request_id) override {
    if (sink_.error()) return error_message(request_id, *sink_.error());
    response_ok(message_, request_id);
    return serialize(message_);
  }

 private:
  ::hrana::ws::ServerMsg message_;
  StmtResultSink sink_;
};

class ProtoBatchResponse final : public WsEncoder::BatchResponse {
 public:
  explicit ProtoBatchResponse(json::ResponseBudget budget)
      : sink_(message_.mutable_response_ok()->mutable_batch()->mutable_result(), budget) {}
  ResultSink& sink() override { return sink_; }
  std::string finish(std::int32_t request_id, const std::optional<Error>& batch_error) override {
    if (batch_error) return error_message(request_id, *batch_error);
    response_ok(message_, request_id);
    return serialize(message_);
  }

 private:
  ::hrana::ws::ServerMsg message_;
  BatchResultSink sink_;
};

// Entries are kept as messages; a fetch moves the next ones into its response.
class ProtoCursorEntries final : public WsEncoder::CursorEntries {
 public:
  void step_begin(std::uint32_t step, const engine::Statement& statement) override {
    entries_.step_begin(step, statement);
  }
  void step_row(const engine::Statement& statement) override { entries_.step_row(statement); }
  void step_end(const StepStats& stats) override { entries_.step_end(stats); }
  void step_error(std::uint32_t step, const Error& error) override {
    entries_.step_error(step, error);
  }

  std::string fetch(std::int32_t request_id, std::uint32_t max_count,
                    std::size_t max_bytes) override {
    ::hrana::ws::ServerMsg message;
    ::hrana::ws::FetchCursorResp* response =
        response_ok(message, request_id)->mutable_fetch_cursor();
    auto& kept = entries_.kept;
    std::size_t bytes = 0;
    for (std::uint32_t n = 0; n < max_count && next_ < kept.size() && (n == 0 || bytes < max_bytes);
         ++n) {
      bytes += kept[next_].ByteSizeLong();
      *response->add_entries() = std::move(kept[next_]);
      ++next_;
    }
    response->set_done(next_ == kept.size());
    return serialize(message);
  }

 private:
  class Kept final : public CursorEntrySink {
   public:
    std::vector<::hrana::CursorEntry> kept;

   private:
    void emit(const ::hrana::CursorEntry& entry) override { kept.push_back(entry); }
  };

  Kept entries_;
  std::size_t next_ = 0;
};

class ProtoWsEncoder final : public WsEncoder {
 public:
  explicit ProtoWsEncoder(json::ResponseBudget budget) : budget_(budget) {}

  std::string hello_ok() override {
    ::hrana::ws::ServerMsg message;
    message.mutable_hello_ok();
    return serialize(message);
  }
  std::string hello_error(const Error& error) override {
    ::hrana::ws::ServerMsg message;
    to_proto(error, message.mutable_hello_error()->mutable_error());
    return serialize(message);
  }
  std::string response_error(std::int32_t request_id, const Error& error) override {
    return error_message(request_id, error);
  }
  std::string response(std::int32_t request_id, WsEmptyResponse type) override {
    ::hrana::ws::ServerMsg message;
    ::hrana::ws::ResponseOkMsg* ok = response_ok(message, request_id);
    switch (type) {
      case WsEmptyResponse::kOpenStream:
        ok->mutable_open_stream();
        break;
      case WsEmptyResponse::kCloseStream:
        ok->mutable_close_stream();
        break;
      case WsEmptyResponse::kSequence:
        ok->mutable_sequence();
        break;
      case WsEmptyResponse::kStoreSql:
        ok->mutable_store_sql();
        break;
      case WsEmptyResponse::kCloseSql:
        ok->mutable_close_sql();
        break;
      case WsEmptyResponse::kOpenCursor:
        ok->mutable_open_cursor();
        break;
      case WsEmptyResponse::kCloseCursor:
        ok->mutable_close_cursor();
        break;
    }
    return serialize(message);
  }
  std::string get_autocommit(std::int32_t request_id, bool is_autocommit) override {
    ::hrana::ws::ServerMsg message;
    response_ok(message, request_id)->mutable_get_autocommit()->set_is_autocommit(is_autocommit);
    return serialize(message);
  }
  std::string describe(std::int32_t request_id, const DescribeResult& result) override {
    ::hrana::ws::ServerMsg message;
    to_proto(result, response_ok(message, request_id)->mutable_describe()->mutable_result());
    return serialize(message);
  }
  std::unique_ptr<StatementResponse> execute() override {
    return std::make_unique<ProtoStatementResponse>(budget_);
  }
  std::unique_ptr<BatchResponse> batch(std::size_t) override {
    return std::make_unique<ProtoBatchResponse>(budget_);
  }
  std::unique_ptr<CursorEntries> cursor() override {
    return std::make_unique<ProtoCursorEntries>();
  }

 private:
  json::ResponseBudget budget_;
};

}  // namespace

WsClientMessage decode_ws_client_message(std::string_view bytes) {
  const auto proto = parse<::hrana::ws::ClientMsg>(bytes);
  switch (proto.msg_case()) {
    case ::hrana::ws::ClientMsg::kHello: {
      WsHello hello;
      if (proto.hello().has_jwt()) hello.jwt = proto.hello().jwt();
      return hello;
    }
    case ::hrana::ws::ClientMsg::kRequest:
      return WsRequest{proto.request().request_id(), request_body(proto.request())};
    case ::hrana::ws::ClientMsg::MSG_NOT_SET:
      break;
  }
  not_recognized("ClientMsg");
}

}  // namespace protobuf

std::unique_ptr<WsEncoder> make_protobuf_ws_encoder(json::ResponseBudget budget) {
  return std::make_unique<protobuf::ProtoWsEncoder>(budget);
}

}  // namespace libsql::hrana
