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

void libsql_read_column(sqlite3_stmt* stmt, int column, libsql_column* out) {
  Vdbe* vdbe = (Vdbe*)stmt;
  out->type = LIBSQL_COLUMN_NULL;
  if (vdbe->pResultRow == 0 || column < 0 || column >= vdbe->nResColumn) return;
  Mem* value = &vdbe->pResultRow[column];
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      out->type = LIBSQL_COLUMN_INTEGER;
      out->integer = sqlite3_value_int64(value);
      break;
    case SQLITE_FLOAT:
      out->type = LIBSQL_COLUMN_REAL;
      out->real = sqlite3_value_double(value);
      break;
    case SQLITE_TEXT:
      out->type = LIBSQL_COLUMN_TEXT;
      if ((value->flags & MEM_Str) != 0 && value->enc == SQLITE_UTF8) {
        out->data = value->z;
        out->size = value->n;
      } else {
        /* A UTF-16 database: let SQLite convert (and report OOM) as the API does. */
        out->data = sqlite3_column_text(stmt, column);
        out->size = sqlite3_column_bytes(stmt, column);
      }
      break;
    case SQLITE_BLOB:
      out->type = LIBSQL_COLUMN_BLOB;
      if ((value->flags & MEM_Zero) == 0) {
        out->data = value->z;
        out->size = value->n;
      } else {
        /* zeroblob(N): SQLite materialises the zeros on first read. */
        out->data = sqlite3_column_blob(stmt, column);
        out->size = sqlite3_column_bytes(stmt, column);
      }
      break;
    default:
      break;
  }
}
