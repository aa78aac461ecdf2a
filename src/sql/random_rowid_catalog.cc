// random_rowid_catalog.cc: implements random_rowid_catalog.h.

#include "sql/random_rowid_catalog.h"

#include <algorithm>
#include <array>

#include "engine/connection.h"
#include "libsql/error.h"
#include "sql/schema_lookup.h"
#include "sql/table_definition.h"

namespace libsql::sql {

namespace {

// libSQL's retry bound before OP_NewRowid gives up with SQLITE_FULL.
constexpr int kMaxDraws = 100;

// What an INSERT needs of one marked table: its insertable columns and how to set its
// rowid. nullopt if no name reaches the rowid (every alias shadowed by a column).
std::optional<RandomRowidTable> describe_table(engine::Connection& connection,
                                               const std::string& schema, const std::string& name,
                                               const TableDefinition& definition) {
  RandomRowidTable table{schema, name, {}, "", false};
  std::vector<std::string> all_columns;
  std::vector<std::pair<std::string, std::string>> key_columns;  // name, declared type
  engine::Statement info = connection.prepare(
      "SELECT name, type, pk, hidden FROM pragma_table_xinfo(?1, ?2) ORDER BY cid");
  info.bind(1, ValueView(name));
  info.bind(2, ValueView(schema));
  while (info.step()) {
    std::string column(info.column_text(0));
    if (info.column_integer(2) > 0) key_columns.emplace_back(column, info.column_text(1));
    if (info.column_integer(3) == 0) table.columns.push_back(column);
    all_columns.push_back(std::move(column));
  }
  if (key_columns.size() == 1 && equals_ignore_case(key_columns[0].second, "INTEGER")) {
    const ColumnDefinition* column = definition.find_column(key_columns[0].first);
    // INTEGER PRIMARY KEY DESC on the column itself is SQLite's quirk: no alias.
    if (column == nullptr || !column->primary_key || !column->primary_key_desc) {
      table.rowid_name = key_columns[0].first;
      table.rowid_is_column = true;
      return table;
    }
  }
  for (std::string_view alias : {"rowid", "_rowid_", "oid"}) {
    const bool shadowed =
        std::any_of(all_columns.begin(), all_columns.end(),
                    [&](const std::string& c) { return equals_ignore_case(c, alias); });
    if (!shadowed) {
      table.rowid_name = alias;
      return table;
    }
  }
  return std::nullopt;
}

}  // namespace

void RandomRowidCatalog::refresh_if_stale(engine::Connection& connection) {
  if (generation_ == connection.schema_generation()) return;
  tables_.clear();
  probes_.clear();
  names_.clear();
  for (const std::string& schema : schema_search_order(connection)) {
    engine::Statement query =
        connection.prepare("SELECT name, sql FROM " + quote_identifier(schema) +
                           ".sqlite_schema WHERE type = 'table' ORDER BY rowid");
    while (query.step()) {
      std::string name(query.column_text(0));
      const std::string_view sql = query.column_text(1);
      if (sql.find(kRandomRowidMarker) != std::string_view::npos) {
        const std::optional<TableDefinition> definition = read_table_definition(sql);
        if (definition && definition->random_rowid_marker) {
          if (auto table = describe_table(connection, schema, name, *definition)) {
            tables_.push_back(std::move(*table));
          }
        }
      }
      names_.push_back({schema, std::move(name)});
    }
  }
  // Read after the queries: they may have made the connection load a newer schema.
  generation_ = connection.schema_generation();
}

bool RandomRowidCatalog::empty(engine::Connection& connection) {
  refresh_if_stale(connection);
  return tables_.empty();
}

const RandomRowidTable* RandomRowidCatalog::find(engine::Connection& connection,
                                                 std::string_view schema, std::string_view name) {
  refresh_if_stale(connection);
  if (tables_.empty()) return nullptr;
  // An unqualified name means the first database holding a table of that name, which
  // may be a plain table shadowing a RANDOM ROWID one further on.
  std::string_view resolved = schema;
  if (resolved.empty()) {
    const auto holder = std::find_if(names_.begin(), names_.end(), [&](const auto& entry) {
      return equals_ignore_case(entry.second, name);
    });
    if (holder == names_.end()) return nullptr;
    resolved = holder->first;
  }
  for (const RandomRowidTable& table : tables_) {
    if (equals_ignore_case(table.schema, resolved) && equals_ignore_case(table.name, name)) {
      return &table;
    }
  }
  return nullptr;
}

std::int64_t RandomRowidCatalog::draw_rowid(engine::Connection& connection,
                                            const std::string& schema, const std::string& name) {
  auto probe = probes_.find({schema, name});
  if (probe == probes_.end()) {
    std::string rowid = "rowid";
    for (const RandomRowidTable& table : tables_) {
      if (table.schema == schema && table.name == name) rowid = table.rowid_name;
    }
    engine::Statement statement =
        connection.prepare("SELECT 1 FROM " + quote_identifier(schema) + "." +
                           quote_identifier(name) + " WHERE " + quote_identifier(rowid) + " = ?1");
    probe = probes_.emplace(std::make_pair(schema, name), std::move(statement)).first;
  }
  engine::Statement& statement = probe->second;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    // As sqlite3_randomness() feeds OP_NewRowid in libSQL: 62 random bits, plus one.
    const auto rowid = static_cast<std::int64_t>((random_() & 0x3FFFFFFFFFFFFFFFull) + 1);
    statement.reset();
    statement.bind(1, ValueView(rowid));
    const bool taken = statement.step();
    statement.reset();
    if (!taken) return rowid;
  }
  throw Error(PrimaryCode::kFull, "database or disk is full");
}

void RandomRowidCatalog::rerandomize_after_vacuum(engine::Connection& connection,
                                                  std::string_view schema) {
  refresh_if_stale(connection);
  const std::vector<RandomRowidTable> tables = tables_;  // the UPDATEs may refresh tables_
  for (const RandomRowidTable& table : tables) {
    if (!equals_ignore_case(table.schema, schema) || table.rowid_is_column) continue;
    engine::Statement indexes =
        connection.prepare("SELECT count(*) FROM pragma_index_list(?1, ?2)");
    indexes.bind(1, ValueView(table.name));
    indexes.bind(2, ValueView(table.schema));
    if (indexes.step() && indexes.column_integer(0) > 0) continue;  // VACUUM kept its rowids
    connection.execute_script(
        "UPDATE " + quote_identifier(table.schema) + "." + quote_identifier(table.name) + " SET " +
        quote_identifier(table.rowid_name) + " = " + std::string(kRandomRowidFunction) + "(" +
        quote_string(table.schema) + ", " + quote_string(table.name) + ")");
  }
}

Value RandomRowidFunction::call(engine::Connection& connection, std::span<const ValueView> args) {
  if (args.size() != 2 || args[0].type() != ValueType::kText ||
      args[1].type() != ValueType::kText) {
    throw Error(PrimaryCode::kError, "libsql_random_rowid(schema, table) takes two names");
  }
  return Value(catalog_->draw_rowid(connection, std::string(args[0].text_value()),
                                    std::string(args[1].text_value())));
}

void migrate_random_rowid_schema(engine::Connection& connection) {
  try {
    connection.prepare("SELECT count(*) FROM sqlite_schema").step();
    return;  // SQLite reads the schema: nothing to migrate
  } catch (const Error& e) {
    // Anything but an unreadable schema is for the connection's own checks to report.
    if (std::string_view(e.what()).find("malformed database schema") == std::string_view::npos) {
      return;
    }
  }
  struct Rewrite {
    std::string name;
    std::string sql;
  };
  // With writable_schema on, SQLite skips the rows it cannot parse instead of failing.
  connection.execute_script("PRAGMA writable_schema = ON");
  try {
    connection.execute_script("BEGIN IMMEDIATE");
    std::vector<Rewrite> rewrites;
    std::int64_t version = 0;
    {
      engine::Statement rows =
          connection.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'");
      while (rows.step()) {
        const std::string_view sql = rows.column_text(1);
        const std::optional<TableDefinition> table = read_table_definition(sql);
        if (!table || !table->has_option(TableOptionKind::kRandomRowid)) continue;
        rewrites.push_back(
            {std::string(rows.column_text(0)), random_rowid_marker_form(sql, *table)});
      }
      engine::Statement read = connection.prepare("PRAGMA schema_version");
      if (read.step()) version = read.column_integer(0);
    }
    for (const Rewrite& rewrite : rewrites) {
      engine::Statement update = connection.prepare(
          "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = ?2");
      update.bind(1, ValueView(rewrite.sql));
      update.bind(2, ValueView(rewrite.name));
      update.step();
    }
    if (!rewrites.empty()) {
      connection.execute_script("PRAGMA schema_version = " + std::to_string(version + 1));
    }
    connection.execute_script("COMMIT");
    connection.execute_script("PRAGMA writable_schema = OFF");
  } catch (const Error& e) {
    if (!connection.is_autocommit()) connection.execute_script("ROLLBACK");
    connection.execute_script("PRAGMA writable_schema = OFF");
    throw Error(e.code(),
                std::string("the file holds libSQL RANDOM ROWID tables, which must be rewritten "
                            "once into a form SQLite reads (open it writable once): ") +
                    e.what());
  }
}

}  // namespace libsql::sql
