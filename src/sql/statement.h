// statement.h: what an SQL statement is, read from its tokens without a full parse.
//
// split_statements() cuts a script where SQLite ends each statement: at a ';' outside
// strings and comments, except inside a CREATE TRIGGER body, which ends only at ";END;"
// (sqlite3_complete()'s rule). classify() names a statement's kind and answers what the
// server must know before running it: may a read-only caller run it (permission checks),
// is it an INSERT/REPLACE/UPDATE/DELETE (Hrana's affected_row_count and
// last_insert_rowid), which libSQL-only syntax does it use (to rewrite it for stock SQLite).
//
// Must not: check full syntax (SQLite does that at prepare time; a statement that
// classifies here may still fail there), look at a schema, or include sqlite3.h. Where it
// must guess, it guesses safe: a statement it does not recognise is kOther and is not
// read-only.
//
// For classify() to be a safe permission check, the server must prepare exactly the text
// of one span from split_statements() and fail if SQLite leaves a non-empty tail.
// Every function here is pure: any thread may call it at any time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sql/tokenizer.h"

namespace libsql::sql {

// One statement of a script: from its first token to its last, with no leading or
// trailing whitespace or comments and without the ';' that ends it.
struct StatementSpan {
  std::size_t offset = 0;
  std::size_t length = 0;  // at least 1

  std::size_t end() const noexcept { return offset + length; }
  // The statement's text; `sql` must be the script that was split.
  std::string_view text(std::string_view sql) const noexcept { return sql.substr(offset, length); }

  friend bool operator==(const StatementSpan&, const StatementSpan&) = default;
};

// The statements of `sql`, in order. Empty statements (only whitespace, comments and
// semicolons) are skipped, as SQLite skips them. An unterminated string, quoted name or
// trigger body runs to the end of the input, so it stays in the last statement.
std::vector<StatementSpan> split_statements(std::string_view sql);

// The first non-empty statement of a script, as split_statements() would cut it, and
// where the rest of the script begins: past the ';' that ends the statement, or at the
// end of the input.
struct FirstStatement {
  StatementSpan span;
  std::size_t rest = 0;
};

// False if `sql` holds no statement. `tokens`, if given, receives the statement's tokens
// other than whitespace and comments.
bool first_statement(std::string_view sql, FirstStatement& out,
                     std::vector<Token>* tokens = nullptr);

// The DDL kinds stay together, kCreateTable through kAlterTable: is_ddl relies on it.
enum class StatementKind : std::uint8_t {
  kEmpty,    // nothing but whitespace, comments and semicolons
  kSelect,   // SELECT, VALUES, and WITH ... SELECT / VALUES
  kInsert,   // INSERT [OR ...] INTO, also after WITH
  kReplace,  // REPLACE INTO, also after WITH (INSERT OR REPLACE is kInsert)
  kUpdate,
  kDelete,
  kCreateTable,
  kCreateVirtualTable,
  kCreateIndex,
  kCreateView,
  kCreateTrigger,
  kCreateFunction,  // libSQL: CREATE FUNCTION name LANGUAGE wasm AS ...
  kDropTable,
  kDropIndex,
  kDropView,
  kDropTrigger,
  kDropFunction,  // libSQL: DROP FUNCTION name
  kAlterTable,
  kBegin,
  kCommit,  // COMMIT or END
  kRollback,
  kRollbackTo,  // ROLLBACK ... TO [SAVEPOINT] name
  kSavepoint,
  kRelease,
  kAttach,
  kDetach,
  kPragma,
  kVacuum,
  kAnalyze,
  kReindex,
  kExplain,  // EXPLAIN or EXPLAIN QUERY PLAN; see StatementInfo::explained
  kOther,    // not recognised: a syntax error, or syntax newer than this classifier;
             // only has_error is set in its StatementInfo
};

// The name of a kind, for messages and test output ("kCreateTable").
std::string_view to_string(StatementKind kind) noexcept;

// BEGIN's transaction mode. BEGIN without one is kDeferred, as in SQLite.
enum class TransactionMode : std::uint8_t { kDeferred, kImmediate, kExclusive, kReadOnly };

std::string_view to_string(TransactionMode mode) noexcept;

// libSQL syntax that stock SQLite rejects, which the server must rewrite.
enum class LibsqlSyntax : std::uint8_t {
  kNone,
  kBeginReadOnly,   // BEGIN READONLY [TRANSACTION ...]
  kRandomRowid,     // CREATE TABLE t(...) RANDOM ROWID
  kAlterColumn,     // ALTER TABLE t ALTER COLUMN c TO c <definition>
  kCreateFunction,  // CREATE FUNCTION ... LANGUAGE ...
  kDropFunction,    // DROP FUNCTION ...
};

std::string_view to_string(LibsqlSyntax syntax) noexcept;

struct StatementInfo {
  StatementKind kind = StatementKind::kEmpty;

  // kExplain only: the kind of the statement explained, and whether this is EXPLAIN
  // QUERY PLAN. The fields below describe EXPLAIN itself (it runs nothing: no IUD, no
  // DDL), except the names, pragma and libsql_syntax fields, which are the explained
  // statement's.
  StatementKind explained = StatementKind::kEmpty;
  bool explain_query_plan = false;

  // INSERT or REPLACE (also after WITH).
  bool is_insert = false;
  // INSERT, REPLACE, UPDATE or DELETE (also after WITH): sqlite3_changes() counts its rows.
  bool is_iud = false;
  // The statement reads, or only changes transaction or connection-local state that no
  // permission guards: kEmpty, kSelect, kExplain (unless it explains a pragma that is not
  // read-only: EXPLAIN PRAGMA runs the pragma's compile-time side effects), BEGIN in any
  // mode (as sqld; sqlite3_stmt_readonly() calls IMMEDIATE and EXCLUSIVE writes, for their
  // write lock), COMMIT, ROLLBACK, SAVEPOINT, RELEASE, DETACH, and pragmas that only query
  // (see below). Everything else writes data, schema, files or engine settings, or is
  // unknown. ATTACH is not read-only: it may create a file (sqlite3_stmt_readonly() differs).
  bool is_read_only = false;
  // CREATE, DROP or ALTER of any object (tables, indexes, views, triggers, virtual
  // tables, libSQL functions).
  bool is_ddl = false;
  // CREATE TEMP/TEMPORARY ..., or CREATE of an object named temp.x. An index or trigger
  // created on a temp table without "temp." is temp too, but knowing that needs the
  // schema: false here.
  bool is_temp = false;
  // Holds a token SQLite refuses (tokenizer.h's is_error); SQLite will not prepare it.
  bool has_error = false;

  TransactionMode transaction_mode = TransactionMode::kDeferred;  // kBegin only
  LibsqlSyntax libsql_syntax = LibsqlSyntax::kNone;

  // Names, dequoted (tokenizer.h's dequote), "" when absent:
  //   the table of INSERT/REPLACE/UPDATE/DELETE; the object of CREATE/DROP/ALTER; the
  //   savepoint of SAVEPOINT/RELEASE/ROLLBACK TO; the index or table of REINDEX/ANALYZE;
  //   the schema of VACUUM. schema_name is its qualifier ("main" in main.t); for PRAGMA,
  //   the pragma's qualifier (main.user_version).
  std::string schema_name;
  std::string object_name;

  // kPragma (and EXPLAIN PRAGMA): the name in ASCII lower case, whether it has a value
  // ("= v" or "(v)"), and the value's text as written ("-2000", "'WAL'", "t").
  //
  // A pragma is read-only when it only queries: without a value, one of the pragmas
  // whose bare form returns a setting or a report (user_version, foreign_keys,
  // table_list, integrity_check, ...); with a value, one of those whose argument only
  // names what to report on (table_info(t), index_list(t), foreign_key_check(t),
  // integrity_check(n), ...). Setting anything, even a per-connection flag such as
  // foreign_keys = ON or query_only = 0, is not read-only.
  std::string pragma_name;
  bool pragma_has_value = false;
  std::string pragma_value;

  // kAttach: the file expression (ATTACH <target> AS <alias>) and the alias; kDetach:
  // the alias in attach_alias. Each is set, dequoted, only when it is a single name or
  // string token ("" for an expression such as 'a' || 'b').
  std::string attach_target;
  std::string attach_alias;
};

// Classifies the first non-empty statement of `sql` (SQLite's sqlite3_prepare skips
// empty ones too); any later statements are ignored. Pass one span of split_statements()
// to classify each statement of a script.
StatementInfo classify(std::string_view sql);

}  // namespace libsql::sql
