// json_reader.cc: Hrana JSON requests, decoded with Boost.JSON.

#include "hrana/json_reader.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <limits>

#include "hrana/json_writer.h"
#include "hrana/ws_protocol.h"

namespace libsql::hrana::json {

namespace bj = boost::json;

namespace {

[[noreturn]] void fail(const std::string& detail) {
  throw ProtocolError(ProtocolError::Kind::kDecode,
                      "Cannot deserialize client message from JSON: " + detail);
}

std::string describe(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null:
      return "null";
    case bj::kind::bool_:
      return std::string("boolean `") + (v.get_bool() ? "true" : "false") + "`";
    case bj::kind::int64:
    case bj::kind::uint64:
      return "integer `" + bj::serialize(v) + "`";
    case bj::kind::double_:
      return "floating point `" + bj::serialize(v) + "`";
    case bj::kind::string:
      return "string " + bj::serialize(v);
    case bj::kind::array:
      return "sequence";
    case bj::kind::object:
      return "map";
  }
  return "value";
}

[[noreturn]] void wrong_type(const bj::value& v, std::string_view expected) {
  fail("invalid type: " + describe(v) + ", expected " + std::string(expected));
}

const bj::object& as_object(const bj::value& v, std::string_view what) {
  if (!v.is_object()) wrong_type(v, what);
  return v.get_object();
}

const bj::array& as_array(const bj::value& v) {
  if (!v.is_array()) wrong_type(v, "a sequence");
  return v.get_array();
}

// The field's value, or nullptr when absent or null (how serde reads an Option).
const bj::value* optional_field(const bj::object& object, std::string_view name) {
  const bj::value* v = object.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

const bj::value& required_field(const bj::object& object, std::string_view name) {
  const bj::value* v = object.if_contains(name);
  if (v == nullptr) fail("missing field `" + std::string(name) + "`");
  return *v;
}

std::string read_string(const bj::value& v) {
  if (!v.is_string()) wrong_type(v, "a string");
  return std::string(v.get_string());
}

bool read_bool(const bj::value& v) {
  if (!v.is_bool()) wrong_type(v, "a boolean");
  return v.get_bool();
}

template <class Int>
Int read_integer(const bj::value& v, std::string_view expected) {
  if (v.is_int64()) {
    const std::int64_t n = v.get_int64();
    if (std::in_range<Int>(n)) return static_cast<Int>(n);
  } else if (v.is_uint64()) {
    const std::uint64_t n = v.get_uint64();
    if (std::in_range<Int>(n)) return static_cast<Int>(n);
  }
  wrong_type(v, expected);
}

// sqld extension fields (replication_index) accept a u64 as a number or a string.
std::uint64_t read_u64_lenient(const bj::value& v) {
  if (v.is_string()) {
    const std::string_view text = v.get_string();
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) return n;
    fail("invalid value: string " + bj::serialize(v) + ", expected a u64");
  }
  return read_integer<std::uint64_t>(v, "u64");
}

std::string_view type_tag(const bj::object& object) {
  const bj::value& type = required_field(object, "type");
  if (!type.is_string()) wrong_type(type, "a string");
  return type.get_string();
}

[[noreturn]] void unknown_variant(std::string_view tag, std::string_view expected) {
  fail("unknown variant `" + std::string(tag) + "`, expected one of " + std::string(expected));
}

Value read_value(const bj::value& v) {
  const bj::object& object = as_object(v, "internally tagged enum Value");
  const std::string_view type = type_tag(object);
  if (type == "null") return Value();
  if (type == "integer") {
    const bj::value& value = required_field(object, "value");
    // sqld reads the integer from a string only (as Rust's i64::from_str: an optional
    // sign, then digits); a JSON number is refused, in serde's words.
    if (!value.is_string()) wrong_type(value, "a borrowed string");
    std::string_view text = value.get_string();
    if (text.starts_with('+')) text.remove_prefix(1);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      fail("invalid value: string " + bj::serialize(value) +
           ", expected decimal integer as a string");
    }
    return Value(n);
  }
  if (type == "float") {
    const bj::value& value = required_field(object, "value");
    if (value.is_double()) return Value(value.get_double());
    if (value.is_int64()) return Value(static_cast<double>(value.get_int64()));
    if (value.is_uint64()) return Value(static_cast<double>(value.get_uint64()));
    wrong_type(value, "f64");
  }
  if (type == "text") return Value(read_string(required_field(object, "value")));
  if (type == "blob") {
    const std::string base64 = read_string(required_field(object, "base64"));
    Blob blob;
    if (!decode_base64(base64, blob)) fail("invalid base64 in blob value");
    return Value(std::move(blob));
  }
  unknown_variant(type, "`null`, `integer`, `float`, `text`, `blob`");
}

Stmt read_stmt(const bj::value& v) {
  const bj::object& object = as_object(v, "struct Stmt");
  Stmt stmt;
  if (const auto* sql = optional_field(object, "sql")) stmt.sql = read_string(*sql);
  if (const auto* sql_id = optional_field(object, "sql_id")) {
    stmt.sql_id = read_integer<std::int32_t>(*sql_id, "i32");
  }
  if (const auto* args = optional_field(object, "args")) {
    for (const auto& arg : as_array(*args)) stmt.args.push_back(read_value(arg));
  }
  if (const auto* named = optional_field(object, "named_args")) {
    for (const auto& arg : as_array(*named)) {
      const bj::object& pair = as_object(arg, "struct NamedArg");
      stmt.named_args.push_back(
          {read_string(required_field(pair, "name")), read_value(required_field(pair, "value"))});
    }
  }
  if (const auto* want_rows = optional_field(object, "want_rows"))
    stmt.want_rows = read_bool(*want_rows);
  if (const auto* index = optional_field(object, "replication_index")) {
    stmt.replication_index = read_u64_lenient(*index);
  }
  return stmt;
}

BatchCond read_cond(const bj::value& v) {
  const bj::object& object = as_object(v, "internally tagged enum BatchCond");
  const std::string_view type = type_tag(object);
  BatchCond cond;
  if (type == "ok" || type == "error") {
    cond.kind = type == "ok" ? BatchCond::Kind::kOk : BatchCond::Kind::kError;
    cond.step = read_integer<std::uint32_t>(required_field(object, "step"), "u32");
  } else if (type == "not") {
    cond.kind = BatchCond::Kind::kNot;
    cond.conds.push_back(read_cond(required_field(object, "cond")));
  } else if (type == "and" || type == "or") {
    cond.kind = type == "and" ? BatchCond::Kind::kAnd : BatchCond::Kind::kOr;
    for (const auto& c : as_array(required_field(object, "conds")))
      cond.conds.push_back(read_cond(c));
  } else if (type == "is_autocommit") {
    cond.kind = BatchCond::Kind::kIsAutocommit;
  } else {
    unknown_variant(type, "`ok`, `error`, `not`, `and`, `or`, `is_autocommit`");
  }
  return cond;
}

Batch read_batch(const bj::value& v) {
  const bj::object& object = as_object(v, "struct Batch");
  Batch batch;
  for (const auto& step_value : as_array(required_field(object, "steps"))) {
    const bj::object& step_object = as_object(step_value, "struct BatchStep");
    BatchStep step;
    if (const auto* cond = optional_field(step_object, "condition"))
      step.condition = read_cond(*cond);
    step.stmt = read_stmt(required_field(step_object, "stmt"));
    batch.steps.push_back(std::move(step));
  }
  if (const auto* index = optional_field(object, "replication_index")) {
    batch.replication_index = read_u64_lenient(*index);
  }
  return batch;
}

template <class Request>
Request read_sql_reference(const bj::object& object) {
  Request request;
  if (const auto* sql = optional_field(object, "sql")) request.sql = read_string(*sql);
  if (const auto* sql_id = optional_field(object, "sql_id")) {
    request.sql_id = read_integer<std::int32_t>(*sql_id, "i32");
  }
  return request;
}

StreamRequest read_stream_request(const bj::value& v) {
  const bj::object& object = as_object(v, "internally tagged enum StreamRequest");
  const std::string_view type = type_tag(object);
  if (type == "close") return CloseRequest{};
  if (type == "execute") return ExecuteRequest{read_stmt(required_field(object, "stmt"))};
  if (type == "batch") return BatchRequest{read_batch(required_field(object, "batch"))};
  if (type == "sequence") return read_sql_reference<SequenceRequest>(object);
  if (type == "describe") return read_sql_reference<DescribeRequest>(object);
  if (type == "store_sql") {
    return StoreSqlRequest{read_integer<std::int32_t>(required_field(object, "sql_id"), "i32"),
                           read_string(required_field(object, "sql"))};
  }
  if (type == "close_sql") {
    return CloseSqlRequest{read_integer<std::int32_t>(required_field(object, "sql_id"), "i32")};
  }
  if (type == "get_autocommit") return GetAutocommitRequest{};
  unknown_variant(type,
                  "`close`, `execute`, `batch`, `sequence`, `describe`, `store_sql`, `close_sql`, "
                  "`get_autocommit`");
}

// Parses `body` and hands the top-level object to `read`, with a scratch arena for the
// document (freed at once when this returns).
template <class Read>
auto with_document(std::string_view body, Read read) {
  unsigned char scratch[4096];
  bj::monotonic_resource arena(scratch, sizeof scratch);
  bj::error_code ec;
  bj::parse_options options;
  options.max_depth = kMaxDepth;
  const bj::value document = bj::parse(body, ec, &arena, options);
  if (ec == bj::error::too_deep) fail("recursion limit exceeded");
  if (ec) fail(ec.message());
  return read(as_object(document, "a map"));
}

std::int32_t read_i32_field(const bj::object& object, std::string_view name) {
  return read_integer<std::int32_t>(required_field(object, name), "i32");
}

WsRequestBody read_ws_request(const bj::value& v) {
  const bj::object& object = as_object(v, "internally tagged enum Request");
  const std::string_view type = type_tag(object);
  if (type == "open_stream") return WsOpenStream{read_i32_field(object, "stream_id")};
  if (type == "close_stream") return WsCloseStream{read_i32_field(object, "stream_id")};
  if (type == "execute") {
    return WsExecute{read_i32_field(object, "stream_id"),
                     read_stmt(required_field(object, "stmt"))};
  }
  if (type == "batch") {
    return WsBatch{read_i32_field(object, "stream_id"),
                   read_batch(required_field(object, "batch"))};
  }
  if (type == "sequence" || type == "describe") {
    std::optional<std::string> sql;
    std::optional<std::int32_t> sql_id;
    if (const auto* text = optional_field(object, "sql")) sql = read_string(*text);
    if (const auto* id = optional_field(object, "sql_id"))
      sql_id = read_integer<std::int32_t>(*id, "i32");
    const std::int32_t stream_id = read_i32_field(object, "stream_id");
    if (type == "sequence") return WsSequence{stream_id, std::move(sql), sql_id};
    return WsDescribe{stream_id, std::move(sql), sql_id};
  }
  if (type == "store_sql") {
    return StoreSqlRequest{read_i32_field(object, "sql_id"),
                           read_string(required_field(object, "sql"))};
  }
  if (type == "close_sql") return CloseSqlRequest{read_i32_field(object, "sql_id")};
  if (type == "open_cursor") {
    return WsOpenCursor{read_i32_field(object, "stream_id"), read_i32_field(object, "cursor_id"),
                        read_batch(required_field(object, "batch"))};
  }
  if (type == "close_cursor") return WsCloseCursor{read_i32_field(object, "cursor_id")};
  if (type == "fetch_cursor") {
    return WsFetchCursor{read_i32_field(object, "cursor_id"),
                         read_integer<std::uint32_t>(required_field(object, "max_count"), "u32")};
  }
  if (type == "get_autocommit") return WsGetAutocommit{read_i32_field(object, "stream_id")};
  unknown_variant(
      type,
      "`open_stream`, `close_stream`, `execute`, `batch`, `open_cursor`, `close_cursor`, "
      "`fetch_cursor`, `sequence`, `describe`, `store_sql`, `close_sql`, `get_autocommit`");
}

std::optional<std::string> read_baton(const bj::object& object) {
  if (const auto* baton = optional_field(object, "baton")) return read_string(*baton);
  return std::nullopt;
}

}  // namespace

PipelineRequest parse_pipeline_request(std::string_view body) {
  return with_document(body, [](const bj::object& object) {
    PipelineRequest request;
    request.baton = read_baton(object);
    for (const auto& r : as_array(required_field(object, "requests"))) {
      request.requests.push_back(read_stream_request(r));
    }
    return request;
  });
}

CursorRequest parse_cursor_request(std::string_view body) {
  return with_document(body, [](const bj::object& object) {
    CursorRequest request;
    request.baton = read_baton(object);
    request.batch = read_batch(required_field(object, "batch"));
    return request;
  });
}

WsClientMessage parse_ws_client_message(std::string_view text) {
  return with_document(text, [](const bj::object& object) -> WsClientMessage {
    const std::string_view type = type_tag(object);
    if (type == "hello") {
      WsHello hello;
      if (const auto* jwt = optional_field(object, "jwt")) hello.jwt = read_string(*jwt);
      return hello;
    }
    if (type == "request") {
      return WsRequest{read_i32_field(object, "request_id"),
                       read_ws_request(required_field(object, "request"))};
    }
    unknown_variant(type, "`hello`, `request`");
  });
}

Stmt parse_v1_execute_request(std::string_view body) {
  return with_document(
      body, [](const bj::object& object) { return read_stmt(required_field(object, "stmt")); });
}

Batch parse_v1_batch_request(std::string_view body) {
  return with_document(
      body, [](const bj::object& object) { return read_batch(required_field(object, "batch")); });
}

}  // namespace libsql::hrana::json
