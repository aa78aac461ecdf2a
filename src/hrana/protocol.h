// protocol.h: the Hrana protocol's requests, as C++ values, and its two error kinds.
//
// Codecs (JSON, protobuf) turn wire messages into these types; the executor runs them.
// Results are not modelled here: execution streams them straight into a ResultSink
// (result_sink.h), which encodes them, so rows are never copied into objects.
// Nothing here knows HTTP, WebSocket or SQLite.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "libsql/params.h"
#include "libsql/value.h"

namespace libsql::hrana {

// Hrana 1, 2 and 3 differ in which requests and fields they allow.
enum class Version { kHrana1 = 1, kHrana2 = 2, kHrana3 = 3 };

// An error reported to the client inside a well-formed exchange: a failed statement, a
// whole-batch failure. `code` is one of sqld's codes (SQLITE_CONSTRAINT, SQL_INPUT_ERROR,
// STREAM_EXPIRED, ...).
struct Error {
  std::string message;
  std::string code;
};

// The client broke the protocol: undecodable input, a reference to a stream or SQL text
// that does not exist, a feature its version lacks. Over HTTP this is a 400 with the bare
// message; over WebSocket it closes the connection.
class ProtocolError : public std::runtime_error {
 public:
  enum class Kind {
    kDecode,    // the message could not be decoded (WebSocket close 1007)
    kSemantic,  // it decoded but breaks the protocol's rules (close 1008)
  };
  ProtocolError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

struct Stmt {
  std::optional<std::string> sql;
  std::optional<std::int32_t> sql_id;
  std::vector<Value> args;
  std::vector<NamedValue> named_args;
  // Parsed but deliberately ignored: sqld returns rows anyway, and clients rely on it.
  bool want_rows = true;
  std::optional<std::uint64_t> replication_index;
};

struct BatchCond {
  enum class Kind { kOk, kError, kNot, kAnd, kOr, kIsAutocommit };
  Kind kind = Kind::kOk;
  std::uint32_t step = 0;        // kOk, kError
  std::vector<BatchCond> conds;  // kNot: exactly one; kAnd, kOr: any number
};

struct BatchStep {
  std::optional<BatchCond> condition;
  Stmt stmt;
};

struct Batch {
  std::vector<BatchStep> steps;
  std::optional<std::uint64_t> replication_index;
};

// A request on a stream (what an HTTP pipeline carries; WebSocket requests add the
// stream and request ids around these).
struct CloseRequest {};
struct ExecuteRequest {
  Stmt stmt;
};
struct BatchRequest {
  Batch batch;
};
struct SequenceRequest {
  std::optional<std::string> sql;
  std::optional<std::int32_t> sql_id;
};
struct DescribeRequest {
  std::optional<std::string> sql;
  std::optional<std::int32_t> sql_id;
};
struct StoreSqlRequest {
  std::int32_t sql_id = 0;
  std::string sql;
};
struct CloseSqlRequest {
  std::int32_t sql_id = 0;
};
struct GetAutocommitRequest {};

using StreamRequest =
    std::variant<CloseRequest, ExecuteRequest, BatchRequest, SequenceRequest, DescribeRequest,
                 StoreSqlRequest, CloseSqlRequest, GetAutocommitRequest>;

// What `describe` reports about a statement, without running it.
struct DescribeResult {
  struct Column {
    std::string name;
    std::optional<std::string> decltype_;  // absent for expressions
  };
  std::vector<std::optional<std::string>> params;  // names; nullopt for a bare `?`
  std::vector<Column> cols;
  bool is_explain = false;
  bool is_readonly = false;
};

// The body of POST /v2|v3/pipeline.
struct PipelineRequest {
  std::optional<std::string> baton;
  std::vector<StreamRequest> requests;
};

// The body of POST /v3/cursor.
struct CursorRequest {
  std::optional<std::string> baton;
  Batch batch;
};

}  // namespace libsql::hrana
