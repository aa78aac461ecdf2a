// alter_column.cc: implements alter_column.h. Error texts and their order are libSQL's
// (libsql-sqlite3/src/alter.c, checked against the native libsql package).

#include "sql/alter_column.h"

#include <optional>
#include <vector>

#include "engine/connection.h"
#include "libsql/error.h"
#include "sql/random_rowid.h"
#include "sql/schema_lookup.h"
#include "sql/table_definition.h"
#include "sql/token_cursor.h"

namespace libsql::sql {

namespace {

[[noreturn]] void refuse(const std::string& message) { throw Error(PrimaryCode::kError, message); }

[[noreturn]] void syntax_error_near(const TokenCursor& p) {
  if (p.at_end()) refuse("incomplete input");
  refuse("near \"" + std::string(p.token(p.position()).text(p.sql())) + "\": syntax error");
}

bool is_syntax_error(const Error& error) {
  const std::string_view message = error.what();
  return message == "incomplete input" ||
         (message.starts_with("near \"") && message.ends_with("\": syntax error"));
}

struct StoredTable {
  std::string schema;
  std::string type;  // "table" or "view"
  std::string name;
  std::string sql;
};

std::optional<StoredTable> find_table(engine::Connection& connection, const AlterColumn& alter) {
  const std::vector<std::string> schemas = alter.schema_name.empty()
                                               ? schema_search_order(connection)
                                               : std::vector<std::string>{alter.schema_name};
  for (const std::string& schema : schemas) {
    // The schema tables are not rows of themselves; SQLite names them sqlite_master
    // and sqlite_temp_master whatever alias was used.
    for (std::string_view alias : {"sqlite_master", "sqlite_schema"}) {
      if (equals_ignore_case(alter.table_name, alias)) {
        return StoredTable{
            schema, "table",
            schema == "temp" && !alter.schema_name.empty() ? "sqlite_temp_master" : "sqlite_master",
            ""};
      }
    }
    for (std::string_view alias : {"sqlite_temp_master", "sqlite_temp_schema"}) {
      if (equals_ignore_case(alter.table_name, alias)) {
        return StoredTable{"temp", "table", "sqlite_temp_master", ""};
      }
    }
    engine::Statement query = connection.prepare(
        "SELECT type, name, sql FROM " + quote_identifier(schema) +
        ".sqlite_schema WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE");
    query.bind(1, ValueView(alter.table_name));
    if (query.step()) {
      return StoredTable{schema, std::string(query.column_text(0)),
                         std::string(query.column_text(1)), std::string(query.column_text(2))};
    }
  }
  return std::nullopt;
}

// Syntax errors in the new definition, reported as libSQL's parser reports them: the
// definition ends the ALTER statement, so text cut off there is "incomplete input".
void check_definition_syntax(const std::string& definition) {
  engine::Connection scratch = engine::Connection::open(":memory:");
  const auto syntax_error_of = [&](const std::string& sql) -> std::optional<Error> {
    try {
      scratch.prepare(sql);
    } catch (const Error& e) {
      if (is_syntax_error(e)) return e;
    }
    return std::nullopt;
  };
  // Ending the input right after the definition finds errors at the same token as
  // libSQL's parser; a definition that reads to its end is then "incomplete input".
  if (auto error = syntax_error_of("CREATE TABLE libsql_alter_column(" + definition)) {
    if (std::string_view(error->what()) != "incomplete input") throw *error;
  }
  // ... and a definition that still needs more text fails once closed.
  if (syntax_error_of("CREATE TABLE libsql_alter_column(" + definition + "\n)")) {
    refuse("incomplete input");
  }
}

// The column flags libSQL compares before and after (COLFLAG_PRIMKEY, COLFLAG_UNIQUE,
// the generated bits), read from the column-level constraints.
struct ColumnFlags {
  bool primary_key;
  bool unique;
  bool generated;
  bool stored;
};

ColumnFlags flags_of(const TableDefinition& table, const ColumnDefinition& column,
                     bool in_table_primary_key) {
  // A column-level PRIMARY KEY makes an index, and with it COLFLAG_UNIQUE, unless the
  // column becomes the rowid's alias.
  return {column.primary_key || in_table_primary_key,
          column.unique || (column.primary_key && !table.is_rowid_alias(column)), column.generated,
          column.generated_stored};
}

// Whether `column` is listed in the table's PRIMARY KEY(...) constraint, read from the
// schema (a column-level PRIMARY KEY also shows, but is the same before and after when
// the definition does not change it, and flags_of reads it directly).
bool in_table_primary_key(engine::Connection& connection, const StoredTable& stored,
                          const ColumnDefinition& column) {
  engine::Statement info = connection.prepare(
      "SELECT pk FROM pragma_table_xinfo(?1, ?2) WHERE name = ?3 COLLATE NOCASE");
  info.bind(1, ValueView(stored.name));
  info.bind(2, ValueView(stored.schema));
  info.bind(3, ValueView(column.name));
  return info.step() && info.column_integer(0) > 0 && !column.primary_key;
}

}  // namespace

AlterColumn read_alter_column(std::string_view statement) {
  const std::vector<Token> tokens = significant_tokens(statement);
  TokenCursor p(statement, tokens);
  AlterColumn alter;
  if (!p.accept("ALTER") || !p.accept("TABLE")) syntax_error_near(p);
  if (!p.qualified_name(alter.schema_name, alter.table_name)) syntax_error_near(p);
  if (!p.accept("ALTER") || !p.accept("COLUMN")) syntax_error_near(p);
  if (!p.peek_name()) syntax_error_near(p);
  alter.column = std::string(p.token(p.position()).text(statement));
  p.seek(p.position() + 1);
  if (!p.accept("TO")) syntax_error_near(p);
  if (!p.peek_name()) syntax_error_near(p);
  const Token& name = p.token(p.position());
  alter.new_name = std::string(name.text(statement));
  alter.definition = std::string(statement.substr(name.offset));
  return alter;
}

std::string replace_column_definition(std::string_view create_sql, std::size_t name_offset,
                                      std::size_t end, std::string_view definition) {
  std::size_t cut = end;
  while (cut < create_sql.size() && (create_sql[cut] == ' ' || create_sql[cut] == '\t' ||
                                     create_sql[cut] == '\n' || create_sql[cut] == '\r')) {
    ++cut;
  }
  std::string out(create_sql.substr(0, name_offset));
  out += definition;
  // A comment after the old definition (the RANDOM ROWID marker) keeps its own word.
  if (cut < create_sql.size() && create_sql[cut] != ',' && create_sql[cut] != ')') out += ' ';
  out += create_sql.substr(cut);
  return out;
}

AlterColumnPlan plan_alter_column(engine::Connection& connection, const AlterColumn& alter) {
  const std::optional<StoredTable> stored = find_table(connection, alter);
  if (!stored) {
    refuse("no such table: " + (alter.schema_name.empty()
                                    ? alter.table_name
                                    : alter.schema_name + "." + alter.table_name));
  }
  if (stored->name.size() >= 7 && equals_ignore_case(stored->name.substr(0, 7), "sqlite_")) {
    refuse("table " + stored->name + " may not be altered");
  }
  if (stored->type == "view") refuse("cannot rename columns of view \"" + stored->name + "\"");
  const std::optional<TableDefinition> table = read_table_definition(stored->sql);
  if (!table) refuse("cannot rename columns of virtual table \"" + stored->name + "\"");

  const ColumnDefinition* column = table->find_column(dequote(alter.column));
  if (column == nullptr) refuse("no such column: \"" + alter.column + "\"");
  if (!equals_ignore_case(alter.column, alter.new_name)) {
    refuse("UPDATE cannot also rename column: \"" + alter.column + "\" to \"" + alter.new_name +
           "\". Use ALTER TABLE RENAME instead");
  }
  check_definition_syntax(alter.definition);

  AlterColumnPlan plan{stored->schema, stored->name, stored->sql,
                       replace_column_definition(stored->sql, column->name_token.offset,
                                                 column->end, alter.definition)};
  const std::optional<TableDefinition> altered = read_table_definition(plan.new_sql);
  const ColumnDefinition* new_column = altered ? altered->find_column(column->name) : nullptr;
  if (new_column == nullptr) refuse("incomplete input");

  const bool listed = in_table_primary_key(connection, *stored, *column);
  const ColumnFlags before = flags_of(*table, *column, listed);
  const ColumnFlags after = flags_of(*altered, *new_column, listed);
  const std::string prefix = "error in adding " + alter.definition + " to " + stored->name + ": ";
  if (before.primary_key != after.primary_key) {
    refuse(prefix + "PRIMARY KEY constraint cannot be altered");
  }
  if (before.unique != after.unique) refuse(prefix + "UNIQUE constraint cannot be altered");
  if (before.generated != after.generated || before.stored != after.stored) {
    refuse(prefix + "GENERATED constraint cannot be altered");
  }
  return plan;
}

void apply_alter_column(engine::Connection& connection, const AlterColumn& alter) {
  const AlterColumnPlan plan = plan_alter_column(connection, alter);
  const std::string schema = quote_identifier(plan.schema);
  connection.execute_script("SAVEPOINT libsql_alter_column");
  try {
    std::int64_t version = 0;
    {
      engine::Statement read = connection.prepare("PRAGMA " + schema + ".schema_version");
      if (read.step()) version = read.column_integer(0);
    }
    connection.execute_script("PRAGMA writable_schema = ON");
    engine::Statement update = connection.prepare(
        "UPDATE " + schema + ".sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = ?2");
    update.bind(1, ValueView(plan.new_sql));
    update.bind(2, ValueView(plan.table_name));
    update.step();
    // A new schema_version makes every connection, this one included, reload.
    connection.execute_script("PRAGMA " + schema +
                              ".schema_version = " + std::to_string(version + 1));
    connection.execute_script("PRAGMA writable_schema = OFF");
    // Reloading the schema (writable_schema off, so errors show) proves it still reads.
    connection
        .prepare("SELECT * FROM " + schema + "." + quote_identifier(plan.table_name) + " LIMIT 0")
        .step();
    connection.execute_script("RELEASE libsql_alter_column");
  } catch (...) {
    connection.execute_script("PRAGMA writable_schema = OFF");
    connection.execute_script("ROLLBACK TO libsql_alter_column; RELEASE libsql_alter_column");
    throw;
  }
}

}  // namespace libsql::sql
