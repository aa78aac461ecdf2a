// dialect_cases.cc: the dialect-overhead workloads (see dialect_cases.h).

#include "bench/dialect_cases.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "bench/bench_dir.h"
#include "engine/connection.h"
#include "sql/dialect.h"

namespace libsql::bench {
namespace {

// An app's schema: a few tables, indexes, a foreign key, a WITHOUT ROWID table.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE,
                    created_at INTEGER NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                     total REAL NOT NULL, status TEXT NOT NULL DEFAULT 'new',
                     created_at INTEGER NOT NULL DEFAULT (unixepoch()));
CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
                          product_id INTEGER NOT NULL REFERENCES products(id),
                          quantity INTEGER NOT NULL, PRIMARY KEY (order_id, product_id))
                          WITHOUT ROWID;
CREATE TABLE events (kind TEXT, payload TEXT, at INTEGER);
INSERT INTO users VALUES (1, 'ada', 'ada@example.com', 1700000000),
                         (2, 'bob', 'bob@example.com', 1700000100);
INSERT INTO orders VALUES (1, 1, 9.5, 'paid', 1700000200), (2, 2, 20.0, 'new', 1700000300);
)sql";

// The rewrite cases' file adds a RANDOM ROWID table shaped like `events`.
constexpr std::string_view kRandomRowidTable =
    "CREATE TABLE events_rr (kind TEXT, payload TEXT, at INTEGER) RANDOM ROWID";

constexpr std::string_view kPointSelect =
    "SELECT id, name, email, created_at FROM users WHERE id = ?1";
constexpr std::string_view kJoinOrderBy =
    "SELECT o.id, o.total, o.created_at, u.name FROM orders AS o JOIN users AS u "
    "ON u.id = o.user_id WHERE o.status = ?1 ORDER BY o.created_at DESC LIMIT 20";
constexpr std::string_view kInsert =
    "INSERT INTO orders (user_id, total, status) VALUES (?1, ?2, ?3)";
constexpr std::string_view kUpdate = "UPDATE users SET email = ?1 WHERE id = ?2";
constexpr std::string_view kDelete = "DELETE FROM orders WHERE id = ?1";
constexpr std::string_view kWithSelect =
    "WITH spent AS (SELECT user_id, sum(total) AS total FROM orders WHERE created_at > ?1 "
    "GROUP BY user_id) SELECT u.name, s.total FROM spent AS s JOIN users AS u "
    "ON u.id = s.user_id ORDER BY s.total DESC";
constexpr std::string_view kLongSelect =
    "SELECT u.id, u.name, u.email, count(o.id) AS orders, sum(o.total) AS spent, "
    "max(o.created_at) AS last FROM users AS u LEFT JOIN orders AS o ON o.user_id = u.id "
    "AND o.status IN ('paid', 'sent') WHERE u.created_at BETWEEN ?1 AND ?2 "
    "GROUP BY u.id HAVING count(o.id) >= ?3 ORDER BY spent DESC LIMIT 1000;";
static_assert(kLongSelect.size() == 300);
constexpr std::string_view kInsertEvent =
    "INSERT INTO events (kind, payload, at) VALUES (?1, ?2, ?3)";
constexpr std::string_view kInsertRandomRowidEvent =
    "INSERT INTO events_rr (kind, payload, at) VALUES (?1, ?2, ?3)";

// The case's file, made once per process; every variant opens the same one.
std::string database_file(bool random_rowid) {
  const std::filesystem::path path = bench_dir() / (random_rowid ? "random_rowid.db" : "plain.db");
  if (!std::filesystem::exists(path)) {
    engine::OpenOptions options;
    if (random_rowid) options.dialect = sql::libsql_dialect();  // for RANDOM ROWID
    engine::Connection connection = engine::Connection::open(path.string(), options);
    connection.execute_script(kSchema);
    if (random_rowid) connection.execute_script(kRandomRowidTable);
  }
  return path.string();
}

}  // namespace

const std::vector<DialectCase>& dialect_cases() {
  static const std::vector<DialectCase> cases = {
      {"point_select", true, {kPointSelect}, {kPointSelect}, false},
      {"join_order_by", true, {kJoinOrderBy}, {kJoinOrderBy}, false},
      {"insert_3_params", true, {kInsert}, {kInsert}, false},
      {"update", true, {kUpdate}, {kUpdate}, false},
      {"delete", true, {kDelete}, {kDelete}, false},
      {"begin_commit", true, {"BEGIN", "COMMIT"}, {"BEGIN", "COMMIT"}, false},
      {"with_select", true, {kWithSelect}, {kWithSelect}, false},
      {"select_300_bytes", true, {kLongSelect}, {kLongSelect}, false},
      // The same INSERT, into a RANDOM ROWID table with the dialect (rewritten) and
      // into a plain table of the same shape without it.
      {"insert_random_rowid", false, {kInsertEvent}, {kInsertRandomRowidEvent}, true},
      // A plain table's INSERT once the connection has a RANDOM ROWID table: the dialect
      // reads the statement to find its table, then prepares it as written.
      {"insert_beside_random_rowid", false, {kInsertEvent}, {kInsertEvent}, true},
  };
  return cases;
}

const DialectCase* find_dialect_case(std::string_view name) {
  for (const DialectCase& c : dialect_cases()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

struct PrepareLoop::State {
  engine::Connection connection;
  const std::vector<std::string_view>* statements;
};

PrepareLoop::PrepareLoop(const DialectCase& dialect_case, std::string_view variant) {
  const bool with_dialect = variant == "dialect";
  if (!with_dialect && variant != "no_dialect") {
    throw std::invalid_argument("variant is no_dialect or dialect, not " + std::string(variant));
  }
  engine::OpenOptions options;
  if (with_dialect) options.dialect = sql::libsql_dialect();
  state_ = std::make_unique<State>(
      State{engine::Connection::open(database_file(dialect_case.random_rowid_file), options),
            with_dialect ? &dialect_case.dialect_sql : &dialect_case.no_dialect_sql});
  // Loads the schema (and the dialect's catalog of RANDOM ROWID tables) before any
  // measured run.
  run(10);
}

PrepareLoop::~PrepareLoop() = default;

void PrepareLoop::run(long operations) {
  engine::Connection& connection = state_->connection;
  for (long i = 0; i < operations; ++i) {
    for (std::string_view sql : *state_->statements) {
      engine::Statement statement = connection.prepare(sql);  // finalized at scope end
    }
  }
}

}  // namespace libsql::bench
