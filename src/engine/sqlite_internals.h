/* sqlite_internals.h: the few functions we add to SQLite from inside its own
** translation unit (sqlite_internals.c), where its internal structures are visible.
**
** They depend on SQLite 3.46.1's internals, which cmake/sqlite.cmake pins, and each is
** covered by sqlite_internals_test.cc. Only src/engine may call them. Nothing here
** changes SQLite's behaviour; they only read state SQLite's API cannot reach cheaply.
** This header does not include sqlite3.h, so engine headers can inline calls to it.
*/
#ifndef LIBSQL_ENGINE_SQLITE_INTERNALS_H
#define LIBSQL_ENGINE_SQLITE_INTERNALS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

/* Storage classes, numbered as libsql::ValueType (statement.cc checks). */
enum {
  LIBSQL_COLUMN_NULL = 0,
  LIBSQL_COLUMN_INTEGER = 1,
  LIBSQL_COLUMN_REAL = 2,
  LIBSQL_COLUMN_TEXT = 3,
  LIBSQL_COLUMN_BLOB = 4
};

/* One column of a statement's current result row. `data`/`size` hold TEXT (UTF-8, not
** NUL-terminated) and BLOB bytes and stay valid until the statement steps or resets;
** they are NULL and 0 for the other types, as is the number for NULL, TEXT and BLOB.
** The layout is libsql::ValueView's, so engine::Statement copies a read into a view
** instead of converting it (statement.cc checks the sizes, sqlite_internals_test.cc
** the fields). */
typedef struct libsql_column {
  int type; /* LIBSQL_COLUMN_* */
  union {
    long long integer;
    double real;
  };
  const void* data;
  size_t size;
} libsql_column;

/* Reads column `column` (0 <= column < sqlite3_column_count) of the current row
** without sqlite3_column_*'s per-call bookkeeping, and without copying text to add a
** terminator. Returns 1; or 0, with `out` reading as NULL, when there is no current
** row or `column` is out of range. */
int libsql_read_column(sqlite3_stmt* stmt, int column, libsql_column* out);

/* The rows changed by the statement's last run, read after it stepped to SQLITE_DONE
** and before it resets: sqlite3_changes() for an INSERT, UPDATE or DELETE (which set
** it when they finish), else 0 (also for EXPLAIN of one), since sqlite3_changes() then
** still holds an earlier statement's count. */
long long libsql_changes_of_run(sqlite3_stmt* stmt);

/* A number that changes whenever the connection's in-memory schema may have: a schema
** loaded, reset or changed by a statement (its cookie), a database attached or
** detached. Equal numbers mean the schema the connection prepares against is the same.
** Reads only the connection's memory: it never looks at the file, so a schema another
** connection changed shows here only once this connection has noticed (at its next
** statement that opens a transaction). */
unsigned long long libsql_schema_generation(sqlite3* db);

#ifdef __cplusplus
}
#endif

#endif
