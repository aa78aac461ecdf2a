// error.h: the one error type of the libSQL C++ API.
//
// Every failure the library reports is a libsql::Error carrying a SQLite result code
// (extended where SQLite gives one, e.g. SQLITE_CONSTRAINT_UNIQUE) and a message that
// says what went wrong and with what. Misuse of the API (a type mismatch when reading
// a column, a missing parameter) uses the SQLite code that names it best. This header
// must not include sqlite3.h: PrimaryCode mirrors SQLite's stable primary codes, and
// src/engine checks that they match.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace libsql {

// SQLite's primary result codes (the low byte of every result code).
enum class PrimaryCode : int {
  kOk = 0,
  kError = 1,
  kInternal = 2,
  kPerm = 3,
  kAbort = 4,
  kBusy = 5,
  kLocked = 6,
  kNoMem = 7,
  kReadOnly = 8,
  kInterrupt = 9,
  kIoErr = 10,
  kCorrupt = 11,
  kNotFound = 12,
  kFull = 13,
  kCantOpen = 14,
  kProtocol = 15,
  kEmpty = 16,
  kSchema = 17,
  kTooBig = 18,
  kConstraint = 19,
  kMismatch = 20,
  kMisuse = 21,
  kNoLfs = 22,
  kAuth = 23,
  kFormat = 24,
  kRange = 25,
  kNotADb = 26,
  kNotice = 27,
  kWarning = 28,
};

class Error : public std::runtime_error {
 public:
  // `code` is a SQLite result code, primary or extended. `sql_offset`: where in the SQL
  // text the error was found, when SQLite says (-1 otherwise).
  Error(int code, const std::string& message, int sql_offset = -1);
  Error(PrimaryCode code, const std::string& message);

  // The extended result code, e.g. 2067 for SQLITE_CONSTRAINT_UNIQUE.
  int code() const noexcept { return code_; }
  PrimaryCode primary_code() const noexcept { return static_cast<PrimaryCode>(code_ & 0xff); }
  // The code's C name, e.g. "SQLITE_CONSTRAINT_UNIQUE"; "SQLITE_UNKNOWN" for codes
  // SQLite does not define.
  std::string_view code_name() const noexcept;
  // The byte offset in the SQL text of a prepare error (e.g. the unknown table's name),
  // or -1.
  int sql_offset() const noexcept { return sql_offset_; }

 private:
  int code_;
  int sql_offset_;
};

}  // namespace libsql
