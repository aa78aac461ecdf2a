// legacy_api.cc: POST / as sqld answers it.

#include "hrana/legacy_api.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cmath>
#include <optional>
#include <vector>

#include "hrana/errors.h"
#include "hrana/json_reader.h"
#include "hrana/json_writer.h"
#include "hrana/statement_policy.h"
#include "libsql/error.h"
#include "sql/statement.h"

namespace libsql::hrana {

namespace bj = boost::json;

namespace {

struct LegacyStatement {
  std::string sql;
  std::vector<Value> positional;
  std::vector<NamedValue> named;
};

// The request body could not be used; carries axum's status and text.
struct BodyRejection {
  int status;
  std::string message;
};

[[noreturn]] void reject_shape(const std::string& detail) {
  throw BodyRejection{422, "Failed to deserialize the JSON body into the target type: " + detail};
}

// A parameter value: JSON scalars as themselves (booleans as 0/1), blobs as
// {"base64": "<unpadded>"}.
Value read_value(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null:
      return Value();
    case bj::kind::bool_:
      return Value(v.get_bool() ? 1 : 0);
    case bj::kind::int64:
      return Value(v.get_int64());
    case bj::kind::uint64:
      // sqld wraps integers past i64 around to negative ones; refusing is safer.
      reject_shape("integer " + std::to_string(v.get_uint64()) +
                   " does not fit a 64-bit signed integer");
    case bj::kind::double_:
      return Value(v.get_double());
    case bj::kind::string:
      return Value(std::string(v.get_string()));
    case bj::kind::array:
      reject_shape("an array is not a parameter value");
    case bj::kind::object: {
      const bj::object& object = v.get_object();
      const bj::value* base64 = object.if_contains("base64");
      if (base64 == nullptr) reject_shape("an object parameter must be {\"base64\": ...}");
      // sqld's untagged decoding fails earlier, as a JSON syntax error, on extra keys.
      if (object.size() != 1)
        throw BodyRejection{400,
                            "Failed to parse the request body as JSON: a blob takes only `base64`"};
      if (!base64->is_string()) reject_shape("`base64` must be a string");
      const std::string_view text = base64->get_string();
      Blob blob;
      // Unpadded standard base64 only, as sqld decodes it here.
      if (text.find('=') != std::string_view::npos || !json::decode_base64(text, blob)) {
        reject_shape("invalid base64 in a blob parameter");
      }
      return Value(std::move(blob));
    }
  }
  return Value();
}

std::vector<LegacyStatement> parse_body(std::string_view body) {
  unsigned char scratch[4096];
  bj::monotonic_resource arena(scratch, sizeof scratch);
  bj::error_code ec;
  bj::parse_options options;
  options.max_depth = json::kMaxDepth;
  const bj::value document = bj::parse(body, ec, &arena, options);
  if (ec == bj::error::too_deep) {
    throw BodyRejection{400, "Failed to parse the request body as JSON: recursion limit exceeded"};
  }
  if (ec) throw BodyRejection{400, "Failed to parse the request body as JSON: " + ec.message()};
  if (!document.is_object()) reject_shape("expected a map with `statements`");
  const bj::value* statements = document.get_object().if_contains("statements");
  if (statements == nullptr) reject_shape("missing field `statements`");
  if (!statements->is_array()) reject_shape("`statements` must be a sequence");
  std::vector<LegacyStatement> parsed;
  for (const bj::value& item : statements->get_array()) {
    LegacyStatement statement;
    if (item.is_string()) {
      statement.sql = item.get_string();
    } else if (item.is_object()) {
      const bj::object& object = item.get_object();
      const bj::value* q = object.if_contains("q");
      if (q == nullptr || !q->is_string()) reject_shape("a statement object needs a string `q`");
      statement.sql = q->get_string();
      if (const bj::value* params = object.if_contains("params");
          params != nullptr && !params->is_null()) {
        if (params->is_array()) {
          for (const auto& p : params->get_array()) statement.positional.push_back(read_value(p));
        } else if (params->is_object()) {
          for (const auto& [name, p] : params->get_object()) {
            statement.named.push_back({std::string(name), read_value(p)});
          }
        } else {
          reject_shape("`params` must be a sequence or a map");
        }
      }
    } else {
      reject_shape("a statement is a string or {\"q\": ..., \"params\": ...}");
    }
    parsed.push_back(std::move(statement));
  }
  return parsed;
}

LegacyResponse json_error(int status, const std::string& message) {
  LegacyResponse response;
  response.status = status;
  response.body = R"({"error":)";
  json::append_string(response.body, message);
  response.body.push_back('}');
  return response;
}

void append_legacy_value(std::string& out, ValueView value) {
  switch (value.type()) {
    case ValueType::kNull:
      out.append("null");
      break;
    case ValueType::kInteger:
      json::append_int(out, value.integer_value());
      break;
    case ValueType::kReal:
      // A JSON number cannot be infinite; sqld writes null here.
      if (std::isinf(value.real_value())) {
        out.append("null");
      } else {
        json::append_double(out, value.real_value());
      }
      break;
    case ValueType::kText:
      json::append_string(out, value.text_value());
      break;
    case ValueType::kBlob:
      out.append(R"({"base64":")");
      json::append_base64(out, value.blob_value());
      out.append(R"("})");
      break;
  }
}

// Runs one statement; appends its entry and returns whether it succeeded.
bool run_statement(engine::Connection& connection, const LegacyStatement& statement,
                   std::string& out) {
  const auto start = std::chrono::steady_clock::now();
  const auto append_failure = [&](std::string_view message) {
    out.append(R"({"error":)");
    json::append_string(out, message);
    out.push_back('}');
    return false;
  };
  std::optional<engine::Statement> prepared;
  try {
    prepared = std::move(connection.prepare_first(statement.sql).statement);
  } catch (const libsql::Error& e) {
    // sqld shows an error SQLite places in the text the way rusqlite words it.
    if (e.sql_offset() >= 0) {
      return append_failure(std::string(e.what()) + " in " + statement.sql + " at offset " +
                            std::to_string(e.sql_offset()));
    }
    return append_failure(e.what());
  }
  // SQLite's "no error" text: what sqld reports for a string without a statement.
  if (!prepared) return append_failure("not an error");
  std::vector<ValueView> positional(statement.positional.begin(), statement.positional.end());
  std::vector<NamedValueView> named;
  for (const auto& arg : statement.named) named.push_back({arg.name, arg.value});
  try {
    prepared->bind(ParamsView{positional, named}, engine::Statement::Lifetime::kBorrow);
  } catch (const libsql::Error& e) {
    return append_failure("LibSQL failed to bind provided query parameters: `" +
                          std::string(e.what()) + "`");
  }
  const std::size_t mark = out.size();
  out.append(R"({"results":{"columns":[)");
  for (int i = 0; i < prepared->column_count(); ++i) {
    if (i > 0) out.push_back(',');
    json::append_string(out, prepared->column_name(i));
  }
  out.append(R"(],"rows":[)");
  const std::int64_t changes_before = connection.total_changes();
  std::uint64_t rows = 0;
  try {
    while (prepared->step()) {
      if (rows++ > 0) out.push_back(',');
      out.push_back('[');
      for (int i = 0; i < prepared->column_count(); ++i) {
        if (i > 0) out.push_back(',');
        append_legacy_value(out, prepared->column_view(i));
      }
      out.push_back(']');
    }
  } catch (const libsql::Error& e) {
    out.resize(mark);
    return append_failure(e.what());
  }
  out.append(R"(],"rows_read":)");
  json::append_uint(out, std::max(static_cast<std::uint64_t>(prepared->fullscan_steps()), rows));
  out.append(R"(,"rows_written":)");
  json::append_uint(out, static_cast<std::uint64_t>(connection.total_changes() - changes_before));
  out.append(R"(,"query_duration_ms":)");
  json::append_double(
      out,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  out.append("}}");
  return true;
}

}  // namespace

LegacyResponse run_legacy_request(engine::ConnectionPool& pool, std::string_view body,
                                  RequestContext context) {
  if (body.size() > kLegacyMaxBodyBytes) {
    return {413, "text/plain; charset=utf-8",
            "Failed to buffer the request body: length limit exceeded"};
  }
  std::vector<LegacyStatement> statements;
  try {
    statements = parse_body(body);
  } catch (const BodyRejection& rejection) {
    return {rejection.status, "text/plain; charset=utf-8", rejection.message};
  }

  // What sqld's parser refuses before anything runs.
  for (const auto& statement : statements) {
    if (sql::split_statements(statement.sql).size() > 1) {
      return json_error(400,
                        "Failed to parse query: `found more than one command in a single statement "
                        "string. It is allowed to issue only one command per string.`");
    }
    const sql::StatementKind kind = sql::classify(statement.sql).kind;
    if (kind == sql::StatementKind::kRelease || kind == sql::StatementKind::kRollbackTo) {
      return json_error(
          400,
          "Query error: `savepoints are not supported in HTTP API, use hrana protocol instead`");
    }
    if (auto reason = unsupported_statement(statement.sql))
      return json_error(500, "Internal Error: `" + *reason + "`");
  }
  // Permissions for every statement before any runs (AccessDenied: the request is
  // refused); a blocked statement fails in its place.
  std::vector<std::optional<Error>> blocked(statements.size());
  if (context.access) {
    for (std::size_t i = 0; i < statements.size(); ++i) {
      blocked[i] = context.access->check(statements[i].sql);
    }
  }

  engine::PooledConnection connection(pool, std::move(context.ticket));
  const engine::Connection::Use use(connection.get());
  const Cancellation::Watch watch(context.cancellation.get(), connection.get());
  for (const auto& statement : statements) {
    try {
      connection.get().prepare_first(statement.sql);
    } catch (const libsql::Error& e) {
      // A NUL ends the text for SQLite but not for sqld's parser (errors.h).
      if (is_syntax_error(e) && statement.sql.find('\0') == std::string::npos) {
        return json_error(500, "Internal Error: `" + std::string(e.what()) + "`");
      }
    }
  }

  LegacyResponse response;
  response.body.push_back('[');
  bool succeeded = true;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (i > 0) response.body.push_back(',');
    // Each statement runs only if the one before it succeeded; the rest are null.
    if (!succeeded) {
      response.body.append("null");
      continue;
    }
    if (blocked[i]) {
      response.body.append(R"({"error":)");
      json::append_string(response.body, blocked[i]->message);
      response.body.push_back('}');
      succeeded = false;
      continue;
    }
    succeeded = run_statement(connection.get(), statements[i], response.body);
    if (context.access) context.access->statement_ran(succeeded, 0, 0);
  }
  response.body.push_back(']');
  // sqld ends a failed request with a ROLLBACK, then refuses to leave a transaction open.
  if (!connection.get().is_autocommit()) {
    if (!succeeded) connection.get().execute_script("ROLLBACK");
    if (!connection.get().is_autocommit()) {
      connection.get().execute_script("ROLLBACK");
      return json_error(400, "Query error: `interactive transaction not allowed in HTTP queries`");
    }
  }
  return response;
}

}  // namespace libsql::hrana
