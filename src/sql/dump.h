// dump.h: a database as an SQL text dump, and a dump loaded back, in sqld's format
// (libsql-server/src/connection/dump/exporter.rs, a port of sqlite3's shell .dump):
//
//   PRAGMA foreign_keys=OFF;
//   BEGIN TRANSACTION;
//   CREATE TABLE IF NOT EXISTS test (x);
//   INSERT INTO test VALUES(42);
//   COMMIT;
//
// Tables come first in sqlite_schema order, each followed by its rows, sqlite_sequence
// last ("DELETE FROM sqlite_sequence;" then its rows); the stat tables as "ANALYZE
// sqlite_schema;" then their rows; virtual tables as rows of sqlite_schema under
// "PRAGMA writable_schema=ON;"; then indexes, triggers and views as stored. Every value
// loads back exactly, which sqld's own writer does not manage for all of them: see
// dump.cc for reals, text with NUL or invalid UTF-8, and rowids.
//
// Must not: speak HTTP or fetch dump URLs (src/server wires GET /dump and admin create
// from dump_url), or include sqlite3.h. Both functions run SQLite work on the calling
// thread: call them off the network threads, with a connection no one else uses.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "libsql/error.h"

namespace libsql::engine {
class Connection;
}

namespace libsql::sql {

// When the dump writes a rowid table's rowids (INSERT INTO t(rowid,a) VALUES(7,...)).
// A table with an INTEGER PRIMARY KEY holds its rowid in that column, and a WITHOUT
// ROWID table has none: neither ever needs one. A table whose every column name
// shadows rowid, _rowid_ and oid cannot have them written.
enum class RowidPolicy {
  // Never, as sqld's GET /dump and sqlite3's .dump by default: the copy numbers its
  // rows 1, 2, 3... in rowid order.
  kNever,
  // Only for tables whose rowids are not exactly 1..N, and for RANDOM ROWID tables,
  // so the copy has the same rowids while the common case keeps sqld's exact text.
  kWhenNeeded,
  // For every table that has rowids: sqld's GET /dump?preserve_row_ids=true.
  kAlways,
};

inline constexpr std::size_t kDefaultDumpChunkBytes = 64 * 1024;

struct DumpOptions {
  RowidPolicy rowids = RowidPolicy::kWhenNeeded;
  // Every chunk but the last holds exactly this many bytes (at least 1). Chunks cut the
  // text anywhere, even inside a statement or a UTF-8 character: concatenate them.
  std::size_t chunk_bytes = kDefaultDumpChunkBytes;
};

// Receives the dump in order, one chunk per call. It may throw to stop the dump (say,
// the client went away): write_dump then ends its read transaction and rethrows.
using DumpSink = std::function<void(std::string_view chunk)>;

// Writes the main database of `connection` as a dump, read in one transaction (a
// snapshot; if the connection is already in a transaction, that one). Memory holds one
// chunk plus the largest single value. Throws libsql::Error if reading fails, after
// the sink may already have received part of the dump.
void write_dump(engine::Connection& connection, const DumpSink& sink,
                const DumpOptions& options = {});

// write_dump() into one string: for tests and small databases.
std::string dump_to_string(engine::Connection& connection, const DumpOptions& options = {});

// Why load_dump() refused a dump. sqld answers HTTP 400 for every kind but kInternal,
// which it answers with 500; what() is the message sqld puts in {"error": ...}.
enum class DumpErrorKind {
  kNoTransaction,  // "A dump should execute within a transaction."
  kNoCommit,       // "The dump should commit the transaction."
  kInvalidSql,     // "The passed dump sql is invalid: ..." (ATTACH, syntax errors, ...)
  kInternal,       // "Internal error: statement: <n>, error: <SQLite's message>"
};

class DumpError : public Error {
 public:
  DumpError(DumpErrorKind kind, int code, const std::string& message)
      : Error(code, message), kind_(kind) {}
  DumpErrorKind kind() const noexcept { return kind_; }

 private:
  DumpErrorKind kind_;
};

// Runs `dump` on `connection` (through its dialect, so RANDOM ROWID tables load as
// such) as one transaction of its own: if anything fails, the database is left as it
// was and DumpError is thrown. The checks and messages are sqld's
// (libsql-server/src/namespace/configurator/helpers.rs, load_dump):
//   - before anything runs, no ATTACH or DETACH statement anywhere (sqld refuses any
//     text containing "attach", even in a string; this looks at statements only);
//   - from the third statement on, the dump's BEGIN must have run and its COMMIT, END
//     or ROLLBACK not yet: else kNoTransaction. Unlike sqld, a dump of one or two
//     statements without a BEGIN is refused too;
//   - at the end the dump's transaction must have been committed: else kNoCommit
//     (also when it ended with ROLLBACK, which sqld takes as success);
//   - a statement SQLite will not prepare is kInvalidSql, with sqld's text for syntax
//     errors ("syntax error near 'X' at line L, column C"); one that fails while
//     running is kInternal, numbered from 1 as sqld numbers it.
// The dump's BEGIN and COMMIT only mark its transaction; a BEGIN inside it runs (and
// fails, as in sqld). A PRAGMA foreign_keys before the BEGIN runs before the load's
// transaction, so it takes effect; foreign_keys and writable_schema are restored
// afterwards (other settings a dump changes stay: the dump's pragmas make
// Connection::session_changed() true). Rows written into sqlite_schema (virtual tables)
// bump the schema version so every connection sees them. An existing
// libsql_wasm_func_table makes the dump's first CREATE TABLE of it a no-op, as in sqld.
// A dump with no statement does nothing. The connection must not be in a transaction
// (SQLITE_MISUSE).
void load_dump(engine::Connection& connection, std::string_view dump);

}  // namespace libsql::sql
