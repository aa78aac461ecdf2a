// namespaces_test.cc: the namespace store on real files: names, create/find/delete,
// config, fork under a running writer, create from a dump, the size limit.

#include "server/namespaces.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "libsql/error.h"
#include "sql/dialect.h"
#include "tests/support/temp_dir.h"

namespace libsql::server {
namespace {

namespace fs = std::filesystem;

NamespaceStoreOptions store_options(const fs::path& root) {
  return {.db_path = root,
          .open_options = [] { return engine::OpenOptions{.dialect = sql::libsql_dialect()}; },
          .limits = {.max_idle = 4}};
}

std::int64_t query_integer(Namespace& ns, std::string_view sql) {
  engine::PooledConnection connection(ns.pool());
  engine::Statement statement = connection.get().prepare(sql);
  EXPECT_TRUE(statement.step()) << sql;
  return statement.column_integer(0);
}

std::string query_text(Namespace& ns, std::string_view sql) {
  engine::PooledConnection connection(ns.pool());
  engine::Statement statement = connection.get().prepare(sql);
  EXPECT_TRUE(statement.step()) << sql;
  return std::string(statement.column_text(0));
}

void execute(Namespace& ns, std::string_view sql) {
  engine::PooledConnection connection(ns.pool());
  connection.get().execute_script(sql);
}

std::vector<std::string> directory_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(NamespaceName, AcceptsPlainLabelsAndRefusesEverythingElse) {
  for (const std::string& good :
       {std::string("default"), std::string("a"), std::string("tenant-42"), std::string("A_b-C"),
        std::string(63, 'x')}) {
    EXPECT_FALSE(namespace_name_error(good)) << good;
  }
  for (const std::string& bad :
       {std::string(), std::string(".."), std::string("."), std::string("a/b"), std::string("a.b"),
        std::string("a b"), std::string("\xc3\xa9t\xc3\xa9"), std::string("a\0b", 3),
        std::string("a\\b"), std::string(64, 'x'), std::string(300, 'n')}) {
    EXPECT_TRUE(namespace_name_error(bad)) << "accepted: " << bad;
  }
}

class NamespaceStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  fs::path root_ = dir_.path();
  NamespaceStore store_{store_options(root_)};
};

TEST_F(NamespaceStoreTest, CreatedNamespacesAreSeparateDatabases) {
  auto a = store_.create("a", {});
  auto b = store_.create("b", {});
  execute(*a, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)");
  execute(*b, "CREATE TABLE t(x)");
  EXPECT_EQ(query_integer(*a, "SELECT count(*) FROM t"), 2);
  EXPECT_EQ(query_integer(*b, "SELECT count(*) FROM t"), 0);
  EXPECT_EQ(store_.find("a"), a);
  EXPECT_TRUE(fs::is_regular_file(root_ / "dbs" / "a" / "data"));
  EXPECT_EQ(store_.list(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(NamespaceStoreTest, CreatingAnExistingNamespaceFails) {
  store_.create("a", {});
  try {
    store_.create("a", {});
    FAIL() << "created twice";
  } catch (const NamespaceError& e) {
    EXPECT_EQ(e.kind(), NamespaceError::Kind::kAlreadyExists);
    EXPECT_STREQ(e.what(), "Namespace `a` already exists");
  }
}

TEST_F(NamespaceStoreTest, HostileNamesCreateNothingOnDisk) {
  for (const std::string& bad :
       {std::string(".."), std::string("../x"), std::string("a/b"), std::string(300, 'n'),
        std::string("\xc3\xa9t\xc3\xa9"), std::string("\0", 1), std::string(".trash-a")}) {
    EXPECT_THROW(store_.create(bad, {}), NamespaceError) << bad;
    EXPECT_EQ(store_.find(bad), nullptr);
  }
  EXPECT_TRUE(directory_entries(root_ / "dbs").empty());
  EXPECT_EQ(directory_entries(root_), (std::vector<std::string>{"dbs"}));
}

TEST_F(NamespaceStoreTest, DeletingLeavesTheOthersAndRemovesItsFilesOnceUnused) {
  auto keep = store_.create("keep", {});
  execute(*keep, "CREATE TABLE t(x); INSERT INTO t VALUES (7)");
  std::shared_ptr<Namespace> doomed = store_.create("doomed", {});
  execute(*doomed, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  {
    engine::PooledConnection in_use(doomed->pool());  // a request still running on it
    store_.remove("doomed");
    EXPECT_EQ(store_.find("doomed"), nullptr);
    EXPECT_TRUE(doomed->deleted());
    // The running request finishes on its own connection.
    engine::Statement statement = in_use.get().prepare("SELECT x FROM t");
    ASSERT_TRUE(statement.step());
    EXPECT_EQ(statement.column_integer(0), 1);
    // A new connection is refused rather than made in the gone directory.
    EXPECT_THROW(engine::PooledConnection(doomed->pool()), Error);
  }
  doomed.reset();
  EXPECT_EQ(directory_entries(root_ / "dbs"), (std::vector<std::string>{"keep"}));
  EXPECT_EQ(query_integer(*keep, "SELECT x FROM t"), 7);
  EXPECT_THROW(store_.remove("doomed"), NamespaceError);
  // The same name again is a new, empty database.
  auto again = store_.create("doomed", {});
  EXPECT_EQ(query_integer(*again, "SELECT count(*) FROM sqlite_schema"), 0);
}

TEST_F(NamespaceStoreTest, ConfigIsKeptAcrossRestarts) {
  auto ns = store_.create("a", {});
  ns->set_config({.block_reads = false,
                  .block_writes = true,
                  .block_reason = "maintenance",
                  .max_db_size = 1 << 20});
  NamespaceStore reopened(store_options(root_));
  const NamespaceConfig config = reopened.find("a")->config();
  EXPECT_FALSE(config.block_reads);
  EXPECT_TRUE(config.block_writes);
  EXPECT_EQ(config.block_reason, "maintenance");
  EXPECT_EQ(config.max_db_size, 1u << 20);
}

TEST_F(NamespaceStoreTest, SizeLimitRefusesGrowthWithSqliteFull) {
  auto ns = store_.create("a", {});
  execute(*ns, "CREATE TABLE t(x)");
  ns->set_config({.max_db_size = 20'000});
  try {
    execute(*ns, "INSERT INTO t VALUES (randomblob(50000))");
    FAIL() << "a 50 KB row fit in a 20 KB database";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kFull) << e.what();
  }
  ns->set_config({});
  execute(*ns, "INSERT INTO t VALUES (randomblob(50000))");
  EXPECT_EQ(query_integer(*ns, "SELECT count(*) FROM t"), 1);
}

TEST_F(NamespaceStoreTest, CreateFromADumpLoadsItAndABadDumpLeavesNothing) {
  auto ns = store_.create("loaded", {},
                          "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
                          "CREATE TABLE IF NOT EXISTS t (x);\nINSERT INTO t VALUES(42);\n"
                          "INSERT INTO t VALUES('foo');\nCOMMIT;\n");
  EXPECT_EQ(query_integer(*ns, "SELECT count(*) FROM t"), 2);
  for (const char* bad :
       {"BEGIN TRANSACTION;\nCREATE TABLE t (x);\n", "BEGIN;\nATTACH 'x.db' AS x;\nCOMMIT;\n",
        "BEGIN;\nCREATE TABLE t (x;\nCOMMIT;\n"}) {
    EXPECT_THROW(store_.create("bad", {}, bad), NamespaceError) << bad;
    EXPECT_EQ(store_.find("bad"), nullptr) << bad;
  }
  EXPECT_EQ(directory_entries(root_ / "dbs"), (std::vector<std::string>{"loaded"}));
}

// Every transaction of the writer adds 10 rows numbered on from the last, so a copy
// taken at one commit holds rows 1..10k exactly.
TEST_F(NamespaceStoreTest, ForkCopiesOneCommitWhileWritesGoOnAndIsIndependent) {
  auto source = store_.create("src", {});
  execute(*source, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
  std::atomic<bool> stop{false};
  std::atomic<int> transactions{0};
  std::thread writer([&] {
    engine::PooledConnection connection(source->pool());
    while (!stop) {
      connection.get().execute_script(
          "BEGIN IMMEDIATE;"
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)"
          " INSERT INTO t(id, v) SELECT (SELECT coalesce(max(id), 0) FROM t) + i, randomblob(100)"
          " FROM n;"
          "COMMIT");
      ++transactions;
    }
  });
  while (transactions < 5) std::this_thread::yield();
  for (int i = 0; i < 5; ++i) store_.fork("src", "copy" + std::to_string(i));
  stop = true;
  writer.join();

  for (int i = 0; i < 5; ++i) {
    auto copy = store_.find("copy" + std::to_string(i));
    ASSERT_NE(copy, nullptr);
    const std::int64_t rows = query_integer(*copy, "SELECT count(*) FROM t");
    EXPECT_GT(rows, 0);
    EXPECT_EQ(rows % 10, 0) << "copy" << i << " caught a transaction half-way";
    EXPECT_EQ(query_integer(*copy, "SELECT max(id) FROM t"), rows) << "rows 1..n, no gaps";
    EXPECT_EQ(query_text(*copy, "PRAGMA integrity_check"), "ok");
  }
  auto copy = store_.find("copy0");
  const std::int64_t source_rows = query_integer(*source, "SELECT count(*) FROM t");
  const std::int64_t copy_rows = query_integer(*copy, "SELECT count(*) FROM t");
  execute(*copy, "DELETE FROM t");
  execute(*source, "INSERT INTO t(id) VALUES (1000000)");
  EXPECT_EQ(query_integer(*source, "SELECT count(*) FROM t"), source_rows + 1);
  EXPECT_EQ(query_integer(*copy, "SELECT count(*) FROM t"), 0);
  EXPECT_GT(copy_rows, 0);
  EXPECT_THROW(store_.fork("src", "copy0"), NamespaceError);
  EXPECT_THROW(store_.fork("missing", "x"), NamespaceError);
}

}  // namespace
}  // namespace libsql::server
