// errors.cc: sqld's error codes and messages.

#include "hrana/errors.h"

#include <cstdio>
#include <string_view>

namespace libsql::hrana {

namespace {

// sqld's names for SQLite's primary result codes (rusqlite's mapping; code 1 is UNKNOWN).
std::string_view primary_code_name(PrimaryCode code) {
  switch (code) {
    case PrimaryCode::kInternal:
      return "SQLITE_INTERNAL";
    case PrimaryCode::kPerm:
      return "SQLITE_PERM";
    case PrimaryCode::kAbort:
      return "SQLITE_ABORT";
    case PrimaryCode::kBusy:
      return "SQLITE_BUSY";
    case PrimaryCode::kLocked:
      return "SQLITE_LOCKED";
    case PrimaryCode::kNoMem:
      return "SQLITE_NOMEM";
    case PrimaryCode::kReadOnly:
      return "SQLITE_READONLY";
    case PrimaryCode::kInterrupt:
      return "SQLITE_INTERRUPT";
    case PrimaryCode::kIoErr:
      return "SQLITE_IOERR";
    case PrimaryCode::kCorrupt:
      return "SQLITE_CORRUPT";
    case PrimaryCode::kNotFound:
      return "SQLITE_NOTFOUND";
    case PrimaryCode::kFull:
      return "SQLITE_FULL";
    case PrimaryCode::kCantOpen:
      return "SQLITE_CANTOPEN";
    case PrimaryCode::kProtocol:
      return "SQLITE_PROTOCOL";
    case PrimaryCode::kSchema:
      return "SQLITE_SCHEMA";
    case PrimaryCode::kTooBig:
      return "SQLITE_TOOBIG";
    case PrimaryCode::kConstraint:
      return "SQLITE_CONSTRAINT";
    case PrimaryCode::kMismatch:
      return "SQLITE_MISMATCH";
    case PrimaryCode::kMisuse:
      return "SQLITE_MISUSE";
    case PrimaryCode::kNoLfs:
      return "SQLITE_NOLFS";
    case PrimaryCode::kAuth:
      return "SQLITE_AUTH";
    case PrimaryCode::kRange:
      return "SQLITE_RANGE";
    case PrimaryCode::kNotADb:
      return "SQLITE_NOTADB";
    default:
      return "SQLITE_UNKNOWN";
  }
}

bool is_syntax_message(std::string_view message) {
  return message.ends_with("syntax error") || message == "incomplete input" ||
         message.starts_with("unrecognized token");
}

}  // namespace

Error from_sqlite_failure(const libsql::Error& error) {
  return Error{"SQLite error: " + std::string(error.what()),
               std::string(primary_code_name(error.primary_code()))};
}

Error from_prepare_failure(const libsql::Error& error) {
  if (error.primary_code() == PrimaryCode::kError && error.sql_offset() >= 0) {
    return Error{"SQL input error: " + std::string(error.what()) + " (at offset " +
                     std::to_string(error.sql_offset()) + ")",
                 "SQL_INPUT_ERROR"};
  }
  return from_sqlite_failure(error);
}

Error from_statement_prepare_failure(const libsql::Error& error, std::string_view sql) {
  if (is_syntax_error(error) && sql.find('\0') == std::string_view::npos) {
    return Error{"SQL string could not be parsed: " + std::string(error.what()), "SQL_PARSE_ERROR"};
  }
  return from_prepare_failure(error);
}

bool is_syntax_error(const libsql::Error& error) {
  return error.primary_code() == PrimaryCode::kError && is_syntax_message(error.what());
}

Error from_bind_failure(const libsql::Error& error) {
  return Error{"Arguments do not match SQL parameters: " + std::string(error.what()),
               "ARGS_INVALID"};
}

Error sql_unsupported(const std::string& reason) {
  return Error{"SQL string could not be parsed: " + reason, "SQL_PARSE_ERROR"};
}

Error sql_no_statement() {
  return Error{"SQL string does not contain any statement", "SQL_NO_STATEMENT"};
}

Error sql_many_statements() {
  return Error{"SQL string contains more than one statement", "SQL_MANY_STATEMENTS"};
}

Error args_both_positional_and_named() {
  return Error{"Specifying both positional and named arguments is not supported",
               "ARGS_BOTH_POSITIONAL_AND_NAMED"};
}

Error response_too_large() { return Error{"Response is too large", "RESPONSE_TOO_LARGE"}; }

Error stream_expired() {
  return Error{"The stream has expired due to inactivity", "STREAM_EXPIRED"};
}

Error sql_store_too_many(std::size_t stored) {
  return Error{
      "The server already stores " + std::to_string(stored) + " SQL texts, it cannot store more",
      "SQL_STORE_TOO_MANY"};
}

// Sizes as sqld prints them (Rust's bytesize, decimal units): "812 B", "5.0 KB", "1.2 MB".
std::string byte_size(std::size_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes) / 1000.0;
  std::size_t unit = 0;
  while (value >= 1000.0 && unit + 1 < std::size(kUnits)) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

Error sql_store_too_large(std::size_t size) {
  return Error{"The statement is too large to be stored: " + byte_size(size) + "/" +
                   byte_size(kMaxStoredSqlBytes),
               "SQL_STORE_TOO_LARGE"};
}

Error transaction_timeout() { return Error{"Transaction timed out", "TRANSACTION_TIMEOUT"}; }

Error stream_not_open(std::int32_t stream_id) {
  return Error{"Stream " + std::to_string(stream_id) + " has failed to open", "STREAM_NOT_OPEN"};
}

Error cursor_not_open(std::int32_t cursor_id) {
  return Error{"Cursor " + std::to_string(cursor_id) + " has failed to open", "CURSOR_NOT_OPEN"};
}

void protocol_error(const std::string& message) {
  throw ProtocolError(ProtocolError::Kind::kSemantic, message);
}

void require_version(Version version, Version minimum, std::string_view what) {
  if (version < minimum) {
    protocol_error(std::string(what) + " is only supported in protocol version hrana" +
                   std::to_string(static_cast<int>(minimum)) + " and higher");
  }
}

}  // namespace libsql::hrana
