// request_gate_test.cc: how a request names its namespace, and what the access policy
// lets each kind of statement do (permissions by the classifier, namespace blocks).

#include "server/request_gate.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace libsql::server {
namespace {

TEST(ChooseNamespace, FollowsSqldsOrderOfHeaders) {
  // "Zm9v" is "foo" in base64 without padding.
  EXPECT_EQ(choose_namespace("Zm9v", "bar", "baz.example.com").name, "foo");
  EXPECT_EQ(choose_namespace(std::nullopt, "bar", "baz.example.com").name, "bar");
  EXPECT_EQ(choose_namespace(std::nullopt, std::nullopt, "baz.example.com:8080").name, "baz");
  EXPECT_EQ(choose_namespace(std::nullopt, std::nullopt, "localhost:8080").name, "default");
  EXPECT_EQ(choose_namespace(std::nullopt, std::nullopt, std::nullopt).name, "default");
}

TEST(ChooseNamespace, AnIpAddressIsNotANamespace) {
  for (const char* host : {"127.0.0.1:8080", "127.0.0.1", "[::1]:8080", "10.1.2.3:1"}) {
    const NamespaceChoice choice = choose_namespace(std::nullopt, std::nullopt, host);
    EXPECT_EQ(choice.name, "default") << host;
    EXPECT_FALSE(choice.error) << host;
  }
}

TEST(ChooseNamespace, RefusesBadBytesAndBadNames) {
  for (const char* bin : {"Zm9vYg==", "!!!", "Zm9vY"}) {
    EXPECT_TRUE(choose_namespace(bin, std::nullopt, std::nullopt).error) << bin;
  }
  // base64 of "..", "a/b", and a NUL byte.
  for (const char* bin : {"Li4", "YS9i", "AA"}) {
    const NamespaceChoice choice = choose_namespace(bin, std::nullopt, std::nullopt);
    ASSERT_TRUE(choice.error) << bin;
    EXPECT_TRUE(choice.error->starts_with("Invalid namespace")) << *choice.error;
  }
  for (const char* name : {"..", "a/b", "\xc3\xa9t\xc3\xa9", ""}) {
    EXPECT_TRUE(choose_namespace(std::nullopt, name, std::nullopt).error) << name;
  }
}

TEST(BlockedError, SaysWhyWhenTheAdminGaveAReason) {
  EXPECT_EQ(blocked_error(std::nullopt).message, "Operation was blocked");
  EXPECT_EQ(blocked_error("maintenance").message, "Operation was blocked: maintenance");
  EXPECT_EQ(blocked_error("x").code, "BLOCKED");
}

class AccessPolicyTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  NamespaceStore store_{
      {.db_path = dir_.path(), .open_options = [] { return engine::OpenOptions{}; }, .limits = {}}};
  std::shared_ptr<Namespace> ns_ = store_.create("default", {});
};

constexpr Access kReadOnly{.can_read = true};
constexpr Access kReadWrite{.can_read = true, .can_write = true};

TEST_F(AccessPolicyTest, ReadOnlyCallersReadButNeverWrite) {
  const auto policy = namespace_access_policy(ns_, kReadOnly);
  for (const char* read :
       {"SELECT 1", "BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT s", "RELEASE s",
        "PRAGMA table_info(t)", "PRAGMA user_version", "EXPLAIN INSERT INTO t VALUES (1)",
        "WITH x AS (SELECT 1) SELECT * FROM x"}) {
    EXPECT_EQ(policy->check(read), std::nullopt) << read;
  }
  for (const char* write :
       {"INSERT INTO t VALUES (1)", "insert into t values (1)", "UPDATE t SET x = 1",
        "DELETE FROM t", "CREATE TABLE u(x)", "DROP TABLE t", "ALTER TABLE t ADD y",
        "CREATE INDEX i ON t(x)", "PRAGMA user_version = 3", "PRAGMA foreign_keys = ON",
        "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "REPLACE INTO t VALUES (1)",
        "INSERT INTO t VALUES (1) RETURNING *", "/* SELECT */ DELETE FROM t", "REINDEX", "ANALYZE",
        "VACUUM", "SELEC 1"}) {
    try {
      policy->check(write);
      ADD_FAILURE() << "a read-only caller may run: " << write;
    } catch (const hrana::AccessDenied& e) {
      EXPECT_STREQ(e.what(),
                   "Authorization forbidden: Current session doesn't not have Write permission "
                   "to namespace default");
    }
  }
  EXPECT_EQ(policy->check_describe(), std::nullopt);
}

TEST_F(AccessPolicyTest, BlocksApplyAsSoonAsTheyAreSet) {
  const auto policy = namespace_access_policy(ns_, kReadWrite);
  EXPECT_EQ(policy->check("INSERT INTO t VALUES (1)"), std::nullopt);
  ns_->set_config({.block_writes = true, .block_reason = "maintenance"});
  const auto blocked = policy->check("INSERT INTO t VALUES (1)");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->code, "BLOCKED");
  EXPECT_EQ(blocked->message, "Operation was blocked: maintenance");
  EXPECT_EQ(policy->check("SELECT 1"), std::nullopt);
  EXPECT_EQ(policy->check("BEGIN"), std::nullopt);
  ns_->set_config({.block_reads = true});
  EXPECT_TRUE(policy->check("SELECT 1"));
  EXPECT_TRUE(policy->check_describe());
  ns_->set_config({});
  EXPECT_EQ(policy->check("INSERT INTO t VALUES (1)"), std::nullopt);
}

TEST_F(AccessPolicyTest, ACallerWithoutReadMayNotEvenDescribe) {
  const auto policy = namespace_access_policy(ns_, Access{});
  EXPECT_THROW(policy->check("SELECT 1"), hrana::AccessDenied);
  EXPECT_THROW(policy->check_describe(), hrana::AccessDenied);
}

}  // namespace
}  // namespace libsql::server
