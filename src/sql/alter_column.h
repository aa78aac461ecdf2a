// alter_column.h: libSQL's ALTER TABLE t ALTER COLUMN c TO c <column-def> on stock
// SQLite (sql-extensions.md §1).
//
// The table's stored CREATE TABLE text gets the new column definition in place of the
// old one; rows are neither checked nor rewritten. What libSQL refuses is refused with
// its words, in its order: no such table, system tables, views and virtual tables, no
// such column, a rename, then (as "error in adding <def> to <table>: ...") a change of
// PRIMARY KEY, UNIQUE or GENERATED. The edit is applied inside a savepoint with
// writable_schema and a schema_version bump, so it is atomic, every connection reloads
// the schema, and an edit that leaves the schema unreadable is rolled back.
//
// Must not: run at prepare time (plan_alter_column only reads; apply_alter_column is
// what a statement's first step does), or rebuild indexes.
#pragma once

#include <string>
#include <string_view>

namespace libsql::engine {
class Connection;
}

namespace libsql::sql {

struct AlterColumn {
  std::string schema_name;  // dequoted; "" when not qualified
  std::string table_name;
  std::string column;      // the old name as written (libSQL's messages quote it so)
  std::string new_name;    // the new definition's name as written
  std::string definition;  // the new definition, from its name to the statement's end
};

// Reads `statement` (one statement, as split_statements() cuts it), which classify()
// found to be ALTER TABLE ... ALTER COLUMN. Throws libsql::Error with SQLite's syntax
// error wording where it does not read.
AlterColumn read_alter_column(std::string_view statement);

// What applying an AlterColumn writes: the table's CREATE text in sqlite_schema.
struct AlterColumnPlan {
  std::string schema;      // where the table lives
  std::string table_name;  // as stored
  std::string old_sql;
  std::string new_sql;
};

// Checks `alter` against the connection's schema and computes the new CREATE text.
// Throws libsql::Error with libSQL's messages. Only reads.
AlterColumnPlan plan_alter_column(engine::Connection& connection, const AlterColumn& alter);

// Plans and applies `alter` atomically (see the file comment).
void apply_alter_column(engine::Connection& connection, const AlterColumn& alter);

// `create_sql` with the definition of the column whose name token starts at
// `name_offset` and whose last token ends at `end` replaced by `definition`; the
// whitespace after the old definition goes with it, as in libSQL.
std::string replace_column_definition(std::string_view create_sql, std::size_t name_offset,
                                      std::size_t end, std::string_view definition);

}  // namespace libsql::sql
