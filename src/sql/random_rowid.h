// random_rowid.h: libSQL's RANDOM ROWID tables on stock SQLite, as text rewrites.
//
// CREATE TABLE ... RANDOM ROWID is stored in marker form (table_definition.h), and every
// INSERT or REPLACE into such a table is rewritten so that a row given no rowid (or a
// NULL one) takes libsql_random_rowid('<schema>', '<table>'), a function the dialect
// registers: a random rowid in [1, 2^62] that no row of the table holds yet, as libSQL's
// OP_NewRowid draws it (sql-extensions.md §2.2). A rowid the statement gives is kept.
//
// Must not: look at a schema (the caller says which tables are RANDOM ROWID and what
// their columns are), or include sqlite3.h. Rewrites keep every token of the original
// in order, so parameters keep their numbers and names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/insert_statement.h"
#include "sql/table_definition.h"

namespace libsql::sql {

inline constexpr std::string_view kRandomRowidFunction = "libsql_random_rowid";

// `statement` (a CREATE TABLE read as `table`, which has a RANDOM option) in marker
// form. Throws libsql::Error (SQLITE_ERROR) with libSQL's text where libSQL refuses the
// table: a malformed option list, RANDOM followed by anything but ROWID, AUTOINCREMENT;
// and, where libSQL silently ignores the option, with WITHOUT ROWID.
std::string random_rowid_create_table(std::string_view statement, const TableDefinition& table);

// `statement` (read as `table`) with any RANDOM ROWID option turned into the marker,
// without random_rowid_create_table's checks: for schemas real libSQL already wrote.
// A WITHOUT ROWID table, where libSQL ignores the option, just loses it.
std::string random_rowid_marker_form(std::string_view statement, const TableDefinition& table);

// What an INSERT rewrite needs to know of its target.
struct RandomRowidTable {
  std::string schema;  // where the table lives: "main", "temp", an attached name
  std::string name;
  // The columns an INSERT without a column list fills, in order (generated ones left
  // out), as stored.
  std::vector<std::string> columns;
  // The name the rowid is set through: the INTEGER PRIMARY KEY column if there is one,
  // else the first of rowid, _rowid_, oid that no column shadows.
  std::string rowid_name;
  bool rowid_is_column = false;  // rowid_name is the INTEGER PRIMARY KEY column
};

// `statement`, read as `insert`, rewritten to draw random rowids into `table`; nullopt
// when it is left as written: a row count SQLite must refuse in its own words.
std::optional<std::string> random_rowid_insert(std::string_view statement,
                                               const InsertStatement& insert,
                                               const RandomRowidTable& table);

// Double-quotes `name` for SQL, doubling any '"' in it.
std::string quote_identifier(std::string_view name);
// Single-quotes `text` as an SQL string literal, doubling any '\'' in it.
std::string quote_string(std::string_view text);

}  // namespace libsql::sql
