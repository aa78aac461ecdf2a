// sqlite_error.h: turns a failed SQLite call into a libsql::Error, in one place.
//
// The error carries the connection's extended result code and SQLite's own message
// (e.g. "near \"SELEC\": syntax error"), so callers above see exactly what SQLite said.
#pragma once

#include "libsql/error.h"

struct sqlite3;

namespace libsql::engine {

// The error SQLite reported for `rc` on `db` (db may be null: then only rc is known).
Error sqlite_error(sqlite3* db, int rc);
[[noreturn]] void throw_sqlite_error(sqlite3* db, int rc);

}  // namespace libsql::engine
