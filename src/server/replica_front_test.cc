// replica_front_test.cc: which statements a read replica runs itself.

#include "server/replica_front.h"

#include <gtest/gtest.h>

namespace libsql::server {
namespace {

TEST(ReplicaFront, ReadsInAutocommitStayOnTheReplica) {
  for (const char* sql :
       {"SELECT 1", "select * from t where a = ?", "WITH x AS (SELECT 1) SELECT * FROM x",
        "PRAGMA table_info(t)", "EXPLAIN SELECT 1", "SELECT 1; SELECT 2",
        "BEGIN READONLY; SELECT 1; COMMIT", "  -- just a comment\n SELECT 1"}) {
    EXPECT_FALSE(sql_needs_primary(sql)) << sql;
  }
}

TEST(ReplicaFront, WritesTransactionsAndUnknownStatementsGoToThePrimary) {
  for (const char* sql :
       {"INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t", "CREATE TABLE t(a)",
        "BEGIN", "BEGIN IMMEDIATE", "SELECT 1; INSERT INTO t VALUES (2)", "PRAGMA user_version = 3",
        "ATTACH 'x' AS y", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
        "REPLACE INTO t VALUES (1)", "frobnicate the database", "ALTER TABLE t ADD COLUMN b",
        "VACUUM"}) {
    EXPECT_TRUE(sql_needs_primary(sql)) << sql;
  }
}

}  // namespace
}  // namespace libsql::server
