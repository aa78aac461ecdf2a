// random_rowid_catalog.h: the RANDOM ROWID tables one connection sees, the
// libsql_random_rowid() function their INSERTs call, and the one-time migration of a
// file written by real libSQL.
//
// The catalog reads sqlite_schema for tables in marker form (table_definition.h) and
// caches what INSERT rewrites need, until the connection's schema generation changes.
// The function draws rowids as libSQL's OP_NewRowid does in random mode: 8 random bytes,
// the top two bits cleared, plus one (so [1, 2^62]), tried against the table up to 100
// times before the insert fails with SQLITE_FULL.
//
// Real libSQL stores the option as "... ) RANDOM ROWID", which stock SQLite cannot
// parse: it refuses the whole schema. migrate_random_rowid_schema rewrites such rows of
// sqlite_schema into marker form, in one transaction with a schema_version bump.
//
// Must not: be shared between connections (one catalog per connection, used by its
// thread), or hold statements past release_statements().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/function.h"
#include "engine/statement.h"
#include "sql/random_rowid.h"

namespace libsql::engine {
class Connection;
}

namespace libsql::sql {

class RandomRowidCatalog {
 public:
  // The RANDOM ROWID table that `schema`.`name` (schema "" = SQLite's search order)
  // names on `connection`, or nullptr if that table is not one (or does not exist).
  const RandomRowidTable* find(engine::Connection& connection, std::string_view schema,
                               std::string_view name);
  // Whether the connection has any RANDOM ROWID table, by the schema it has loaded.
  bool empty(engine::Connection& connection);
  // empty() as of the catalog's last read of the schema (false before the first read),
  // without asking the connection whether the schema changed since.
  bool was_empty() const noexcept { return generation_.has_value() && tables_.empty(); }

  // One rowid for `schema`.`name` that no row holds now; throws SQLITE_FULL after 100
  // collisions.
  std::int64_t draw_rowid(engine::Connection& connection, const std::string& schema,
                          const std::string& name);

  // Gives the rowids of `schema`'s RANDOM ROWID tables that VACUUM renumbers (those with
  // no INTEGER PRIMARY KEY and no index: stock SQLite numbers them 1..N again) fresh
  // random values, as libSQL's VACUUM draws them.
  void rerandomize_after_vacuum(engine::Connection& connection, std::string_view schema);

  // Finalizes the statements the catalog keeps (before the connection closes).
  void release_statements() noexcept { probes_.clear(); }

 private:
  void refresh_if_stale(engine::Connection& connection);

  std::optional<std::uint64_t> generation_;
  std::vector<RandomRowidTable> tables_;  // in SQLite's search order of their schemas
  // Every table as (schema, name), in search order: resolves unqualified names.
  std::vector<std::pair<std::string, std::string>> names_;
  std::map<std::pair<std::string, std::string>, engine::Statement> probes_;
  std::mt19937_64 random_{std::random_device{}()};
};

// libsql_random_rowid(schema, table), calling into a catalog that it shares with the
// connection's dialect session.
class RandomRowidFunction : public engine::ScalarFunction {
 public:
  explicit RandomRowidFunction(std::shared_ptr<RandomRowidCatalog> catalog)
      : catalog_(std::move(catalog)) {}
  Value call(engine::Connection& connection, std::span<const ValueView> args) override;

 private:
  std::shared_ptr<RandomRowidCatalog> catalog_;
};

// Rewrites real libSQL's "RANDOM ROWID" tables of the main database into marker form if
// the schema holds any (a no-op, one query, otherwise). Throws libsql::Error if the
// schema needs it and the connection cannot write.
void migrate_random_rowid_schema(engine::Connection& connection);

}  // namespace libsql::sql
