// ws_protocol.h: Hrana over WebSocket: the client's messages as values, and the
// encoder of the server's messages (JSON for hrana1-3, protobuf for hrana3-protobuf).
//
// The session that runs them (streams, ordering, close codes) is server/hrana_ws.cc; this
// file knows nothing of sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "hrana/json_results.h"
#include "hrana/protocol.h"
#include "hrana/result_sink.h"

namespace libsql::hrana {

struct WsHello {
  std::optional<std::string> jwt;
};

struct WsOpenStream {
  std::int32_t stream_id = 0;
};
struct WsCloseStream {
  std::int32_t stream_id = 0;
};
struct WsExecute {
  std::int32_t stream_id = 0;
  Stmt stmt;
};
struct WsBatch {
  std::int32_t stream_id = 0;
  Batch batch;
};
struct WsSequence {
  std::int32_t stream_id = 0;
  std::optional<std::string> sql;
  std::optional<std::int32_t> sql_id;
};
struct WsDescribe {
  std::int32_t stream_id = 0;
  std::optional<std::string> sql;
  std::optional<std::int32_t> sql_id;
};
struct WsOpenCursor {
  std::int32_t stream_id = 0;
  std::int32_t cursor_id = 0;
  Batch batch;
};
struct WsCloseCursor {
  std::int32_t cursor_id = 0;
};
struct WsFetchCursor {
  std::int32_t cursor_id = 0;
  std::uint32_t max_count = 0;
};
struct WsGetAutocommit {
  std::int32_t stream_id = 0;
};

using WsRequestBody = std::variant<WsOpenStream, WsCloseStream, WsExecute, WsBatch, WsSequence,
                                   WsDescribe, StoreSqlRequest, CloseSqlRequest, WsOpenCursor,
                                   WsCloseCursor, WsFetchCursor, WsGetAutocommit>;

struct WsRequest {
  std::int32_t request_id = 0;
  WsRequestBody body;
};

using WsClientMessage = std::variant<WsHello, WsRequest>;

// Responses that carry nothing but their type.
enum class WsEmptyResponse {
  kOpenStream,
  kCloseStream,
  kSequence,
  kStoreSql,
  kCloseSql,
  kOpenCursor,
  kCloseCursor
};

// Encodes the server's messages. Stateless, so usable from any thread; each builder it
// hands out belongs to one thread at a time.
class WsEncoder {
 public:
  virtual ~WsEncoder() = default;

  // `execute`: results go into sink(); finish() gives response_ok, or response_error
  // if the statement failed.
  class StatementResponse {
   public:
    virtual ~StatementResponse() = default;
    virtual ResultSink& sink() = 0;
    virtual std::string finish(std::int32_t request_id) = 0;
  };
  // `batch`: finish() gives response_ok, or response_error for a whole-batch failure.
  class BatchResponse {
   public:
    virtual ~BatchResponse() = default;
    virtual ResultSink& sink() = 0;
    virtual std::string finish(std::int32_t request_id,
                               const std::optional<Error>& batch_error) = 0;
  };
  // A cursor's entries, kept as the batch runs, handed out by `fetch_cursor`.
  class CursorEntries : public ResultSink {
   public:
    // The next entries, at most `max_count` and about `max_bytes`; done once all are out.
    virtual std::string fetch(std::int32_t request_id, std::uint32_t max_count,
                              std::size_t max_bytes) = 0;
  };

  virtual std::string hello_ok() = 0;
  virtual std::string hello_error(const Error& error) = 0;
  virtual std::string response_error(std::int32_t request_id, const Error& error) = 0;
  virtual std::string response(std::int32_t request_id, WsEmptyResponse type) = 0;
  virtual std::string get_autocommit(std::int32_t request_id, bool is_autocommit) = 0;
  virtual std::string describe(std::int32_t request_id, const DescribeResult& result) = 0;
  virtual std::unique_ptr<StatementResponse> execute() = 0;
  virtual std::unique_ptr<BatchResponse> batch(std::size_t steps) = 0;
  virtual std::unique_ptr<CursorEntries> cursor() = 0;
};

// hrana1, hrana2, hrana3: JSON text frames.
std::unique_ptr<WsEncoder> make_json_ws_encoder(json::ResponseBudget budget);
// hrana3-protobuf: binary frames.
std::unique_ptr<WsEncoder> make_protobuf_ws_encoder(json::ResponseBudget budget);

namespace json {
// A client message in JSON. Throws ProtocolError (kDecode) as sqld refuses it.
WsClientMessage parse_ws_client_message(std::string_view text);
}  // namespace json

namespace protobuf {
// A hrana.ws.ClientMsg. Throws ProtocolError (kDecode, or kSemantic for nothing set).
WsClientMessage decode_ws_client_message(std::string_view bytes);
}  // namespace protobuf

}  // namespace libsql::hrana
