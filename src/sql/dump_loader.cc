// dump_loader.cc: load_dump() (dump.h): runs a dump in sqld's format as one
// transaction, with sqld's checks and messages.
//
// Stricter than sqld where sqld is loose: ATTACH and DETACH are found by the statement
// classifier, not by searching the text for "attach"; the dump's BEGIN and COMMIT are
// tracked but the statements run inside the loader's own transaction, so a dump that
// fails anywhere leaves the database as it was.

#include <string>
#include <vector>

#include "engine/connection.h"
#include "engine/statement.h"
#include "libsql/value.h"
#include "sql/dump.h"
#include "sql/statement.h"
#include "sql/tokenizer.h"

namespace libsql::sql {

namespace {

using engine::Connection;
using engine::Statement;

constexpr std::string_view kNoTransaction = "A dump should execute within a transaction.";
constexpr std::string_view kNoCommit = "The dump should commit the transaction.";
constexpr std::string_view kInvalidSql = "The passed dump sql is invalid: ";

[[noreturn]] void fail(DumpErrorKind kind, std::string_view message) {
  throw DumpError(kind, static_cast<int>(PrimaryCode::kError), std::string(message));
}

struct DumpStatement {
  StatementSpan span;
  StatementInfo info;
};

// sqld's message for a statement that failed while running (or committing).
DumpError internal_error(const Error& error, std::size_t number) {
  return DumpError(
      DumpErrorKind::kInternal, error.code(),
      "Internal error: statement: " + std::to_string(number) + ", error: " + error.what());
}

// sqld's message for a statement SQLite would not prepare. Its own parser reports
// syntax errors as "syntax error near 'X' at line L, column C", C being the byte column
// just past the token (1-based); SQLite's other refusals come as rusqlite's
// SqlInputError.
DumpError prepare_error(const Error& error, std::string_view dump, const StatementSpan& span,
                        std::size_t number) {
  const std::string_view message = error.what();
  if (error.sql_offset() < 0) return internal_error(error, number);
  const std::size_t offset = span.offset + static_cast<std::size_t>(error.sql_offset());
  // (A dialect's rewrite may point past the statement as written.)
  if (message.starts_with("near \"") && message.ends_with("\": syntax error") &&
      offset < span.end()) {
    const Token token = next_token(dump, offset);
    const std::size_t line_start = dump.rfind('\n', offset) + 1;  // npos + 1 == 0
    const std::size_t line = 1 + std::count(dump.begin(), dump.begin() + offset, '\n');
    return DumpError(DumpErrorKind::kInvalidSql, error.code(),
                     std::string(kInvalidSql) + "syntax error near '" +
                         std::string(token.text(dump)) + "' at line " + std::to_string(line) +
                         ", column " + std::to_string(token.end() - line_start + 1));
  }
  return DumpError(DumpErrorKind::kInvalidSql, error.code(),
                   std::string(kInvalidSql) + "msg: " + std::string(message) +
                       ", sql: " + std::string(span.text(dump)) +
                       ", offset: " + std::to_string(error.sql_offset()));
}

std::vector<DumpStatement> read_statements(std::string_view dump) {
  std::vector<DumpStatement> statements;
  for (const StatementSpan& span : split_statements(dump)) {
    StatementInfo info = classify(span.text(dump));
    const StatementKind kind = info.kind == StatementKind::kExplain ? info.explained : info.kind;
    if (kind == StatementKind::kAttach || kind == StatementKind::kDetach) {
      fail(DumpErrorKind::kInvalidSql,
           std::string(kInvalidSql) + "attach statements are not allowed in dumps");
    }
    statements.push_back({span, std::move(info)});
  }
  return statements;
}

bool is_schema_table(std::string_view name) {
  return equals_ignore_case(name, "sqlite_schema") || equals_ignore_case(name, "sqlite_master");
}

std::int64_t pragma_integer(Connection& connection, std::string_view pragma) {
  Statement statement = connection.prepare(pragma);
  return statement.step() ? statement.column_integer(0) : 0;
}

bool table_exists(Connection& connection, std::string_view name) {
  Statement statement = connection.prepare(
      "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE");
  statement.bind(1, ValueView(name));
  return statement.step();
}

// Rolls back an unfinished load and puts back the settings dumps change.
class LoadGuard {
 public:
  explicit LoadGuard(Connection& connection)
      : connection_(connection),
        restore_("PRAGMA foreign_keys = " +
                 std::to_string(pragma_integer(connection, "PRAGMA foreign_keys")) +
                 "; PRAGMA writable_schema = " +
                 std::to_string(pragma_integer(connection, "PRAGMA writable_schema"))) {}
  LoadGuard(const LoadGuard&) = delete;
  LoadGuard& operator=(const LoadGuard&) = delete;
  ~LoadGuard() {
    connection_.rollback_quietly();
    try {
      connection_.execute_script(restore_);
    } catch (const Error&) {
      // As in rollback_quietly(): the load's own error is the one to report.
    }
  }

 private:
  Connection& connection_;
  std::string restore_;
};

}  // namespace

void load_dump(Connection& connection, std::string_view dump) {
  if (!connection.is_autocommit()) {
    throw Error(PrimaryCode::kMisuse, "cannot load a dump inside an open transaction");
  }
  const std::vector<DumpStatement> statements = read_statements(dump);
  if (statements.empty()) return;

  // The statements run in order, checked as sqld checks them, but inside a transaction
  // of this function's own, so a failure anywhere leaves nothing behind.
  LoadGuard guard(connection);
  bool dump_transaction = false, dump_began = false, own_transaction = false;
  bool skipped_wasm_table = false, wrote_schema_table = false;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const StatementInfo& info = statements[i].info;
    const std::size_t number = i + 1;
    // sqld: from the third statement on, a transaction must be open.
    if (number > 2 && !dump_transaction) fail(DumpErrorKind::kNoTransaction, kNoTransaction);
    // sqld's namespaces already hold this table, so it skips the dump's CREATE of it.
    if (!skipped_wasm_table && info.kind == StatementKind::kCreateTable &&
        equals_ignore_case(info.object_name, "libsql_wasm_func_table")) {
      skipped_wasm_table = true;
      if (table_exists(connection, info.object_name)) continue;
    }
    std::optional<Statement> prepared;
    try {
      prepared.emplace(connection.prepare(statements[i].span.text(dump)));
    } catch (const Error& error) {
      throw prepare_error(error, dump, statements[i].span, number);
    }
    // The dump's BEGIN and COMMIT (or END) only open and close its transaction in the
    // bookkeeping; a BEGIN inside it runs, and fails as in sqld. A ROLLBACK means the
    // dump gave up: no COMMIT can follow. Neither may end this function's transaction.
    if (info.kind == StatementKind::kBegin && !dump_transaction) {
      dump_transaction = dump_began = true;
      continue;
    }
    if (info.kind == StatementKind::kCommit || info.kind == StatementKind::kRollback) {
      if (!dump_transaction) fail(DumpErrorKind::kNoTransaction, kNoTransaction);
      dump_transaction = false;
      continue;
    }
    // PRAGMA foreign_keys does nothing inside a transaction: before the dump's BEGIN it
    // runs before this function's transaction too.
    const bool before_transaction = !dump_transaction && info.kind == StatementKind::kPragma &&
                                    info.pragma_name == "foreign_keys";
    if (!own_transaction && !before_transaction) {
      connection.execute_script("BEGIN IMMEDIATE");
      own_transaction = true;
    }
    try {
      while (prepared->step()) {
      }
    } catch (const Error& error) {
      throw internal_error(error, number);
    }
    wrote_schema_table = wrote_schema_table || (info.is_iud && is_schema_table(info.object_name));
  }
  // sqld lets a dump of two statements run without a transaction; this one does not.
  if (!dump_began) fail(DumpErrorKind::kNoTransaction, kNoTransaction);
  if (dump_transaction || statements.back().info.kind != StatementKind::kCommit) {
    fail(DumpErrorKind::kNoCommit, kNoCommit);
  }
  if (!own_transaction) return;
  try {
    // Rows written into sqlite_schema (virtual tables, under writable_schema) change
    // the schema without the schema cookie: bump it, so that every connection, this
    // one included, reads the schema again.
    if (wrote_schema_table) {
      connection.execute_script(
          "PRAGMA schema_version = " +
          std::to_string(pragma_integer(connection, "PRAGMA schema_version") + 1));
    }
    connection.execute_script("COMMIT");
  } catch (const Error& error) {
    throw internal_error(error, statements.size());
  }
}

}  // namespace libsql::sql
