// table_definition.h: the layout of a CREATE TABLE statement, read from its tokens:
// where its column list, each column definition and each table option sit in the text,
// and the column-level facts libSQL's dialect needs (PRIMARY KEY, UNIQUE,
// AUTOINCREMENT, the declared type), plus the RANDOM ROWID marker our files carry.
//
// A RANDOM ROWID table is stored in a form stock SQLite reads: the option becomes the
// comment kRandomRowidMarker opening the column list (sql-extensions.md §2.4), e.g.
//   CREATE TABLE t(id int, v text) RANDOM ROWID, STRICT
//   CREATE TABLE t(/*libsql:RANDOM ROWID*/ id int, v text) STRICT
// At the front, it survives an ALTER COLUMN of any column, ours or real libSQL's (whose
// span for the last column runs up to the closing parenthesis).
//
// Must not: validate what SQLite validates (a part it cannot read is left out and the
// statement stays SQLite's to refuse), look at a schema, or include sqlite3.h.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/tokenizer.h"

namespace libsql::sql {

inline constexpr std::string_view kRandomRowidMarker = "/*libsql:RANDOM ROWID*/";

struct ColumnDefinition {
  std::string name;  // dequoted
  Token name_token;
  std::size_t end = 0;  // just past the definition's last token (comments after it excluded)
  std::string type;     // the declared type as written ("" if none)
  // Column-level constraints only; a table-level PRIMARY KEY(...) or UNIQUE(...) does not
  // set them.
  bool primary_key = false;
  bool primary_key_desc = false;  // PRIMARY KEY DESC: never the rowid alias
  bool unique = false;
  bool autoincrement = false;
  bool generated = false;         // [GENERATED ALWAYS] AS (expr)
  bool generated_stored = false;  // ... STORED (VIRTUAL when not)
};

enum class TableOptionKind : std::uint8_t { kWithoutRowid, kStrict, kRandomRowid, kUnknown };

struct TableOption {
  TableOptionKind kind = TableOptionKind::kUnknown;
  std::size_t offset = 0;  // the option's first byte
  std::size_t end = 0;     // just past its last byte
  // The word SQLite and libSQL name in "unknown table option: %s": the one after
  // WITHOUT or RANDOM, or the option itself.
  std::string word;
  bool random = false;  // written RANDOM <word> (libSQL)
};

struct TableDefinition {
  std::string schema_name;  // dequoted; "" when not qualified
  std::string table_name;
  bool temp = false;
  std::size_t list_open = 0;   // offset of the column list's '('
  std::size_t list_close = 0;  // offset of its ')'
  std::vector<ColumnDefinition> columns;
  std::vector<TableOption> options;
  // Where the option list stops parsing, as SQLite reports it: `near "<token>": syntax
  // error`. Empty when the options read cleanly.
  std::optional<Token> option_error;
  // The options end where a word must follow (after RANDOM or WITHOUT): SQLite's
  // "incomplete input".
  bool options_incomplete = false;
  // The column list holds kRandomRowidMarker as a comment of its own.
  bool random_rowid_marker = false;
  // AUTOINCREMENT appears in the column list (on a column or in PRIMARY KEY(...)).
  bool autoincrement = false;

  bool has_option(TableOptionKind kind) const noexcept;
  // Whether `column` is made the rowid's alias by its own constraint: a column-level
  // INTEGER PRIMARY KEY, not DESC, of a rowid table. (A table-level PRIMARY KEY(x) on
  // an INTEGER column is an alias too; this does not look at table constraints.)
  bool is_rowid_alias(const ColumnDefinition& column) const noexcept;
  // The column named `name` (ASCII case-insensitive), or nullptr.
  const ColumnDefinition* find_column(std::string_view name) const noexcept;
};

// The layout of `statement` (one statement, as split_statements() cuts it) if it is
// CREATE [TEMP] TABLE [IF NOT EXISTS] [schema.]name (...) [options]; nullopt for any
// other statement, including CREATE TABLE ... AS SELECT and a column list that never
// closes.
std::optional<TableDefinition> read_table_definition(std::string_view statement);

}  // namespace libsql::sql
