/* sqlite_internals.h: the few functions we add to SQLite from inside its own
** translation unit (sqlite_internals.c), where its internal structures are visible.
**
** They depend on SQLite 3.46.1's internals, which cmake/sqlite.cmake pins, and each is
** covered by sqlite_internals_test.cc or, for the WAL injection, page_injector_test.cc.
** Only src/engine may call them. Nothing here changes SQLite's behaviour: most only read
** state SQLite's API cannot reach cheaply; the WAL injection calls SQLite's own WAL writer
** the way its pager does (sqlite_internals.c says why that is safe).
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

/* Where the read transaction open on a connection's main database stands in its WAL. */
typedef struct libsql_wal_position {
  unsigned int max_frame; /* the last frame of the last commit the snapshot sees */
  unsigned int salt[2];   /* the WAL's salts as SQLite holds them: new ones on a restart */
  int reads_wal;          /* 0: the snapshot reads the database file only */
} libsql_wal_position;

/* Fills `out` from the read (or write) transaction open on `db`'s main database, which
** pins the frames up to max_frame: no checkpoint restarts the WAL under it while
** reads_wal is 1. Returns 1; or 0 when no transaction is open or the database is not in
** WAL mode. */
int libsql_wal_read_position(sqlite3* db, libsql_wal_position* out);

/* One page image to inject: `data` holds the page size's bytes. */
typedef struct libsql_page_image {
  unsigned int page_no; /* 1-based */
  const void* data;
} libsql_page_image;

/* Writes `count` page images into the main database's WAL as frames of the write
** transaction open on `db` (BEGIN IMMEDIATE, nothing changed through SQL since), with
** SQLite's own WAL writer and the connection's synchronous setting. `page_size` must be
** the database's.
**
** size_after 0: the frames stay uncommitted, invisible to every reader, and a ROLLBACK
** discards them; page 1 is refused here (SQLITE_MISUSE), since SQLite's rollback
** assumes it is never among them. size_after N > 0: the frames, without those of pages
** above N, commit the transaction with N as the database's size in pages (larger or
** smaller than before); with no such page, page 1 is rewritten as it is to carry the
** commit. A page given twice, or written by an earlier call of the same transaction,
** takes its last image.
**
** After a commit, end the transaction with ROLLBACK (it undoes nothing: the frames are
** committed) and then call libsql_wal_forget_cache(). After an error, ROLLBACK; a
** commit that failed part-way is then undone as SQLite undoes its own. Returns an
** SQLite result code, with the message on `db`. */
int libsql_wal_inject(sqlite3* db, const libsql_page_image* pages, int count, int page_size,
                      unsigned int size_after);

/* Empties the main database's page cache and resets the connection's schema, so that
** its next transaction reads the pages and schema libsql_wal_inject() committed (it
** would otherwise trust the pages it cached before). Only between transactions, with
** no statement running: SQLITE_MISUSE otherwise. */
int libsql_wal_forget_cache(sqlite3* db);

#ifdef __cplusplus
}
#endif

#endif
