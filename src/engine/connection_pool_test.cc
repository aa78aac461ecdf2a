// connection_pool_test.cc: connections are reused only in a fresh connection's state.

#include "engine/connection_pool.h"

#include <gtest/gtest.h>

#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::engine {
namespace {

class ConnectionPoolTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  ConnectionPool pool_{Database(dir_.file("pool.db")), 4};
};

Value query_value(Connection& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.column_value(0);
}

TEST_F(ConnectionPoolTest, ReusesAReleasedConnection) {
  Connection first = pool_.acquire();
  sqlite3* handle = first.handle();
  pool_.release(std::move(first));
  EXPECT_EQ(pool_.idle_count(), 1u);
  EXPECT_EQ(pool_.acquire().handle(), handle);
}

TEST_F(ConnectionPoolTest, AReusedConnectionHasNoLastInsertRowid) {
  Connection first = pool_.acquire();
  first.execute_script("CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  ASSERT_EQ(first.last_insert_rowid(), 1);
  pool_.release(std::move(first));
  EXPECT_EQ(pool_.acquire().last_insert_rowid(), 0);
}

TEST_F(ConnectionPoolTest, RollsBackAnOpenTransactionBeforeReuse) {
  Connection writer = pool_.acquire();
  writer.execute_script("CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES (1)");
  pool_.release(std::move(writer));
  Connection reused = pool_.acquire();
  EXPECT_TRUE(reused.is_autocommit());
  EXPECT_EQ(query_value(reused, "SELECT count(*) FROM t"), Value(0));
}

TEST_F(ConnectionPoolTest, DiscardsConnectionsWhoseSessionChanged) {
  for (const char* sql : {"PRAGMA foreign_keys = OFF", "CREATE TEMP TABLE scratch(x)",
                          "ATTACH ':memory:' AS other", "PRAGMA cache_size = 10"}) {
    Connection connection = pool_.acquire();
    connection.execute_script(sql);
    EXPECT_TRUE(connection.session_changed()) << sql;
    pool_.release(std::move(connection));
    EXPECT_EQ(pool_.idle_count(), 0u) << sql << " must not be reused";
  }
}

TEST_F(ConnectionPoolTest, ReadingPragmasAndWritingDataKeepTheSession) {
  Connection connection = pool_.acquire();
  connection.execute_script("CREATE TABLE t(x); INSERT INTO t VALUES (1); PRAGMA table_info(t);");
  EXPECT_EQ(query_value(connection, "PRAGMA foreign_keys"), Value(1));
  EXPECT_FALSE(connection.session_changed());
  pool_.release(std::move(connection));
  EXPECT_EQ(pool_.idle_count(), 1u);
}

TEST_F(ConnectionPoolTest, KeepsAtMostMaxIdleConnections) {
  std::vector<Connection> connections;
  for (int i = 0; i < 6; ++i) connections.push_back(pool_.acquire());
  for (auto& c : connections) pool_.release(std::move(c));
  EXPECT_EQ(pool_.idle_count(), 4u);
}

class LimitedPoolTest : public ::testing::Test {
 protected:
  using Ticket = ConnectionPool::Ticket;
  using Admission = ConnectionPool::Admission;

  // Reserves; a queued caller's ticket lands in `granted_` in the order granted.
  Admission reserve(Ticket& ticket) {
    return pool_.reserve(ticket, [this](Ticket t) { granted_.push_back(std::move(t)); });
  }

  testing::TempDir dir_;
  ConnectionPool pool_{Database(dir_.file("limited.db")),
                       {.max_idle = 4, .max_open = 2, .max_waiting = 2}};
  std::vector<Ticket> granted_;
};

TEST_F(LimitedPoolTest, AtMostMaxOpenAtOnceThenWaitersInOrderThenRefusal) {
  Ticket first, second, third, fourth, fifth;
  EXPECT_EQ(reserve(first), Admission::kGranted);
  EXPECT_EQ(reserve(second), Admission::kGranted);
  EXPECT_EQ(reserve(third), Admission::kQueued);
  EXPECT_EQ(reserve(fourth), Admission::kQueued);
  EXPECT_EQ(reserve(fifth), Admission::kRefused) << "max_waiting callers already wait";
  EXPECT_FALSE(third);
  EXPECT_EQ(pool_.open_count(), 2u);

  Connection connection = pool_.acquire(std::move(first));
  pool_.release(std::move(connection));  // its place goes to the first waiter
  ASSERT_EQ(granted_.size(), 1u);
  EXPECT_TRUE(granted_[0]);
  second = Ticket();  // an unused ticket gives its place back too
  EXPECT_EQ(granted_.size(), 2u);
  EXPECT_EQ(pool_.open_count(), 2u) << "both places are with the former waiters";

  granted_.clear();
  EXPECT_EQ(pool_.open_count(), 0u);
  EXPECT_TRUE(pool_.try_reserve());
}

TEST_F(LimitedPoolTest, AConnectionThatFailsToOpenGivesItsPlaceBack) {
  ConnectionPool broken{Database(dir_.file("missing-dir/x.db"), {.mode = OpenMode::kReadWrite}),
                        {.max_idle = 4, .max_open = 1, .max_waiting = 0}};
  Ticket ticket = broken.try_reserve();
  ASSERT_TRUE(ticket);
  EXPECT_THROW(broken.acquire(std::move(ticket)), Error);
  EXPECT_EQ(broken.open_count(), 0u);
  EXPECT_TRUE(broken.try_reserve());
}

}  // namespace
}  // namespace libsql::engine
