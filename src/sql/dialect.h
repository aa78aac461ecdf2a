// dialect.h: libSQL's SQL on stock SQLite, as an engine::Dialect. Every connection the
// library, sqld and the shell open uses it, so libSQL's syntax works wherever SQL enters.
//
// What it adds (sql-extensions.md): BEGIN READONLY (run as BEGIN DEFERRED, as libSQL
// does), CREATE TABLE ... RANDOM ROWID and random rowids for every INSERT or REPLACE
// into such a table (random_rowid.h), ALTER TABLE ... ALTER COLUMN (alter_column.h), and
// opening files real libSQL wrote (random_rowid_catalog.h's migration, at attach).
//
// Plain SQLite SQL is prepared exactly as written. Deciding that costs a look at the
// statement's first word, and for INSERTs, whether the connection has any RANDOM ROWID
// table (bench/dialect_bench measures it).
//
// Must not: change the meaning of any statement stock SQLite accepts, other than
// INSERTs into RANDOM ROWID tables.
#pragma once

#include <memory>

#include "engine/dialect.h"

namespace libsql::sql {

// The dialect; one instance serves every connection.
std::shared_ptr<const engine::Dialect> libsql_dialect();

}  // namespace libsql::sql
