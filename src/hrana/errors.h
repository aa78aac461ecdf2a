// errors.h: how failures become Hrana errors, exactly as sqld words and codes them.
//
// One place translates engine errors (libsql::Error) into Hrana's {message, code}, so
// every protocol reports a given failure the same way. Message texts and codes follow
// sqld 0.24 (see research/protocol.md §5.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "hrana/protocol.h"
#include "libsql/error.h"

namespace libsql::hrana {

// A failure of running SQLite: "SQLite error: ..." with SQLITE_<PRIMARY> (generic
// SQLITE_ERROR as SQLITE_UNKNOWN, as sqld reports it).
Error from_sqlite_failure(const libsql::Error& error);
// A failure of preparing SQL: an error SQLite places in the text (unknown column or
// function, or a syntax error) is SQL_INPUT_ERROR with the offset; the rest as
// from_sqlite_failure(). This is what `describe` reports.
Error from_prepare_failure(const libsql::Error& error);
// The same for SQL that is run (execute, batch, sequence): there sqld parses the SQL
// itself before SQLite sees it, so a syntax error is SQL_PARSE_ERROR. Unless `sql` holds
// a NUL byte: SQLite stops reading there, sqld's parser reads on, so what SQLite calls a
// syntax error is one sqld's parser did not see (SQL_INPUT_ERROR).
Error from_statement_prepare_failure(const libsql::Error& error, std::string_view sql);
// Whether SQLite refused the SQL's grammar (as opposed to its names or values).
bool is_syntax_error(const libsql::Error& error);
// A failure of binding arguments: ARGS_INVALID.
Error from_bind_failure(const libsql::Error& error);

// Protocol errors (ProtocolError, kSemantic) in sqld's words.
[[noreturn]] void protocol_error(const std::string& message);
// "<what> is only supported in protocol version hrana<N> and higher" below `minimum`.
void require_version(Version version, Version minimum, std::string_view what);

// sqld's limit on one stored SQL text over HTTP (WebSocket has none).
inline constexpr std::size_t kMaxStoredSqlBytes = 5000;

// sqld's parser refuses the statement (statement_policy.h).
Error sql_unsupported(const std::string& reason);
Error sql_no_statement();
Error sql_many_statements();
Error args_both_positional_and_named();
Error response_too_large();
Error stream_expired();
Error transaction_timeout();
Error sql_store_too_many(std::size_t stored);
Error sql_store_too_large(std::size_t size);
std::string byte_size(std::size_t bytes);
// WebSocket requests on a stream or cursor whose opening failed.
Error stream_not_open(std::int32_t stream_id);
Error cursor_not_open(std::int32_t cursor_id);

}  // namespace libsql::hrana
