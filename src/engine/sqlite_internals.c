/* sqlite_internals.c: SQLite itself, plus the functions of sqlite_internals.h.
**
** This file is the SQLite translation unit of the build: it includes the pinned
** amalgamation and then defines our additions, which read SQLite's internal structures.
** It must never modify SQLite's code or behaviour.
*/
/* The amalgamation must come first, before anything includes sqlite3.h. */
/* clang-format off */
#include "sqlite3.c"
#include "sqlite_internals.h"
/* clang-format on */

/* The reads libsql_read_column() leaves to SQLite's API, which converts the value in
** place (and reports OOM) as sqlite3_column_*() do: text of a UTF-16 database, and
** zeroblob(N), whose zeros SQLite materialises on first read. Out of line, so that the
** common reads need no stack frame. */
static SQLITE_NOINLINE int read_column_through_api(sqlite3_stmt* stmt, int column, int type,
                                                   libsql_column* out) {
  out->type = type;
  out->data = type == LIBSQL_COLUMN_TEXT ? (const void*)sqlite3_column_text(stmt, column)
                                         : sqlite3_column_blob(stmt, column);
  out->size = (size_t)sqlite3_column_bytes(stmt, column);
  return 1;
}

int libsql_read_column(sqlite3_stmt* stmt, int column, libsql_column* out) {
  Vdbe* vdbe = (Vdbe*)stmt;
  out->type = LIBSQL_COLUMN_NULL;
  out->integer = 0;
  out->data = 0;
  out->size = 0;
  if (vdbe->pResultRow == 0 || column < 0 || column >= vdbe->nResColumn) return 0;
  const Mem* value = &vdbe->pResultRow[column];
  const u16 flags = value->flags;
  /* sqlite3_value_type()'s precedence (its SQLITE_DEBUG block spells it out): a value
  ** can hold a number and its text at once, and is then the number. Tested here rather
  ** than by calling it: the call costs as much as the rest of the read. */
  if ((flags & MEM_Null) != 0) return 1;
  if ((flags & (MEM_Real | MEM_IntReal)) != 0) {
    out->type = LIBSQL_COLUMN_REAL;
    /* MEM_IntReal: an integer kept as such in a REAL column; it reads as a double. */
    out->real = (flags & MEM_Real) != 0 ? value->u.r : (double)value->u.i;
  } else if ((flags & MEM_Int) != 0) {
    out->type = LIBSQL_COLUMN_INTEGER;
    out->integer = value->u.i;
  } else if ((flags & MEM_Str) != 0) {
    if (value->enc != SQLITE_UTF8) {
      return read_column_through_api(stmt, column, LIBSQL_COLUMN_TEXT, out);
    }
    out->type = LIBSQL_COLUMN_TEXT;
    out->data = value->z;
    out->size = (size_t)value->n;
  } else {
    if ((flags & MEM_Zero) != 0) {
      return read_column_through_api(stmt, column, LIBSQL_COLUMN_BLOB, out);
    }
    out->type = LIBSQL_COLUMN_BLOB;
    out->data = value->z;
    out->size = (size_t)value->n;
  }
  return 1;
}

long long libsql_changes_of_run(sqlite3_stmt* stmt) {
  Vdbe* vdbe = (Vdbe*)stmt;
  /* changeCntOn is set at compile time for a top-level INSERT, UPDATE or DELETE, and
  ** sqlite3VdbeHalt() then stores the statement's count in db->nChange, but only for a
  ** program that opened a transaction (bIsReader). EXPLAIN lists the program instead
  ** of running it, and never halts. */
  if (!vdbe->changeCntOn || !vdbe->bIsReader || vdbe->explain) return 0;
  return vdbe->db->nChange;
}

unsigned long long libsql_schema_generation(sqlite3* db) {
  /* Mixes each schema's identity, generation (bumped when it is cleared) and cookie (set
  ** by each DDL statement and each load), and the number of attached databases. */
  unsigned long long hash = (unsigned long long)db->nDb;
  for (int i = 0; i < db->nDb; i++) {
    const Schema* schema = db->aDb[i].pSchema;
    if (schema == 0) continue;
    hash = hash * 1000003u ^ (unsigned long long)(uptr)schema;
    hash = hash * 1000003u ^ (unsigned)schema->iGeneration;
    hash = hash * 1000003u ^ (unsigned)schema->schema_cookie;
    hash = hash * 1000003u ^ (unsigned)schema->schemaFlags;
  }
  return hash;
}
