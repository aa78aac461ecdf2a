// sqlite_build_test.cc: the SQLite we link is 3.46.1 with the options we compile in,
// and those options really work (not only listed).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>

#include "engine/connection.h"
#include "engine/database.h"

namespace libsql::engine {
namespace {

std::set<std::string> compile_options(Connection& db) {
  std::set<std::string> options;
  auto stmt = db.prepare("PRAGMA compile_options");
  while (stmt.step()) options.emplace(stmt.column_text(0));
  return options;
}

Value query_value(Connection& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql << " returned no row";
  return stmt.column_value(0);
}

TEST(SqliteBuild, IsVersion3461) {
  EXPECT_EQ(sqlite_version(), "3.46.1");
  auto db = Connection::open(":memory:");
  EXPECT_EQ(query_value(db, "SELECT sqlite_version()"), Value("3.46.1"));
}

TEST(SqliteBuild, HasTheCompileOptionsTheArchitectureRequires) {
  auto db = Connection::open(":memory:");
  const auto options = compile_options(db);
  for (const char* wanted :
       {"ENABLE_DBPAGE_VTAB", "ENABLE_SNAPSHOT", "ENABLE_SESSION", "ENABLE_PREUPDATE_HOOK",
        "ENABLE_FTS5", "ENABLE_FTS3", "ENABLE_RTREE", "ENABLE_MATH_FUNCTIONS",
        "ENABLE_COLUMN_METADATA", "ENABLE_STAT4", "ENABLE_DBSTAT_VTAB", "DEFAULT_FOREIGN_KEYS",
        "DEFAULT_WAL_SYNCHRONOUS=1", "THREADSAFE=1", "DQS=0"}) {
    EXPECT_TRUE(options.contains(wanted)) << "PRAGMA compile_options lacks " << wanted;
  }
}

TEST(SqliteBuild, CompiledInFeaturesWork) {
  auto db = Connection::open(":memory:");
  db.execute_script(
      "CREATE VIRTUAL TABLE docs USING fts5(body);"
      "INSERT INTO docs VALUES ('the quick brown fox'), ('lazy dogs');"
      "CREATE VIRTUAL TABLE old_docs USING fts4(body);"
      "CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1);"
      "INSERT INTO boxes VALUES (1, 0, 10);");
  EXPECT_EQ(query_value(db, "SELECT count(*) FROM docs WHERE docs MATCH 'fox'"), Value(1));
  EXPECT_EQ(query_value(db, "SELECT id FROM boxes WHERE x0 <= 5 AND x1 >= 5"), Value(1));
  EXPECT_EQ(query_value(db, "SELECT sqrt(16.0)"), Value(4.0));
  EXPECT_EQ(query_value(db, "SELECT count(*) > 0 FROM sqlite_dbpage"), Value(1));
  EXPECT_EQ(query_value(db, "SELECT count(*) > 0 FROM dbstat"), Value(1));
  EXPECT_EQ(query_value(db, "PRAGMA foreign_keys"), Value(1))
      << "foreign keys must be on by default";
}

TEST(SqliteBuild, SnapshotAndSessionApisAreLinked) {
  auto db = Connection::open(":memory:");
  sqlite3_session* session = nullptr;
  ASSERT_EQ(sqlite3session_create(db.handle(), "main", &session), SQLITE_OK);
  sqlite3session_delete(session);
  sqlite3_snapshot* snapshot = nullptr;
  // An in-memory database has no WAL, so this fails cleanly; what matters is the symbol.
  EXPECT_NE(sqlite3_snapshot_get(db.handle(), "main", &snapshot), SQLITE_OK);
}

}  // namespace
}  // namespace libsql::engine
