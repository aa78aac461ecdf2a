// api_test.cc: the public C++ API as a user writes it, on local files.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "libsql/database.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql {
namespace {

using namespace std::string_literals;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.execute_batch(
        "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, age INTEGER,"
        "                   score REAL, photo BLOB)");
  }

  std::int64_t count_users() {
    auto rows = conn_.query("SELECT count(*) FROM users");
    return rows.next()->get<std::int64_t>(0);
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("app.db");
  Database db_ = Builder::local(path_).build();
  Connection conn_ = db_.connect();
};

TEST_F(ApiTest, ExecuteReturnsRowsChangedAndQueryReadsThemBack) {
  EXPECT_EQ(
      conn_.execute("INSERT INTO users(name, age) VALUES (?, ?), (?, ?)", {"ada", 36, "alan", 41}),
      2u);
  EXPECT_EQ(conn_.last_insert_rowid(), 2);
  auto rows = conn_.query("SELECT id, name, age FROM users ORDER BY id");
  ASSERT_EQ(rows.column_count(), 3);
  EXPECT_EQ(rows.column_name(1), "name");
  EXPECT_EQ(rows.column_decltype(1), "TEXT");
  std::vector<std::string> names;
  for (const Row& row : rows) names.push_back(row.get<std::string>(1));
  EXPECT_EQ(names, (std::vector<std::string>{"ada", "alan"}));
}

TEST_F(ApiTest, ExecuteReportsZeroForStatementsThatChangeNoRows) {
  conn_.execute("INSERT INTO users(name) VALUES ('ada')");
  EXPECT_EQ(conn_.execute("CREATE TABLE other(x)"), 0u) << "DDL changes no rows";
  EXPECT_EQ(conn_.execute("UPDATE users SET age = 1 WHERE id = 99"), 0u);
  EXPECT_EQ(conn_.execute("SELECT * FROM users"), 0u);
  EXPECT_EQ(conn_.execute("UPDATE users SET age = 1"), 1u);
}

TEST_F(ApiTest, NamedParametersBindByNameInAnyOrder) {
  conn_.execute("INSERT INTO users(name, age) VALUES (:name, :age)",
                {{":age", 7}, {":name", "kim"}});
  auto rows = conn_.query("SELECT age FROM users WHERE name = $name", {{"name", "kim"}});
  EXPECT_EQ(rows.next()->get<int>(0), 7);
}

TEST_F(ApiTest, ParameterListsCanBeBuiltAtRunTime) {
  std::vector<Value> values{"lee", 30};
  conn_.execute("INSERT INTO users(name, age) VALUES (?, ?)", Params::positional(values));
  std::vector<NamedValue> named{{":n", "lee"}};
  auto rows = conn_.query("SELECT age FROM users WHERE name = :n", Params::named(named));
  EXPECT_EQ(rows.next()->get<std::int64_t>(0), 30);
}

TEST_F(ApiTest, GetReadsEachTypeAndOptionalAcceptsNull) {
  const Blob photo{0, 1, 2, 255};
  conn_.execute("INSERT INTO users(name, age, score, photo) VALUES (?, ?, ?, ?)",
                {"ada", nullptr, 9.5, photo});
  auto rows = conn_.query("SELECT name, age, score, photo, 3 FROM users");
  const Row* row = rows.next();
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->get<std::string_view>(0), "ada");
  EXPECT_EQ(row->get<std::optional<std::int64_t>>(1), std::nullopt);
  EXPECT_EQ(row->get<double>(2), 9.5);
  EXPECT_EQ(row->get<Blob>(3), photo);
  EXPECT_EQ(row->get<std::span<const std::uint8_t>>(3).size(), 4u);
  EXPECT_EQ(row->get<double>(4), 3.0) << "INTEGER widens to double";
  EXPECT_EQ(row->get<bool>(4), true);
  EXPECT_EQ(row->get<Value>(1), Value());
  EXPECT_EQ(row->get<Value>(0), Value("ada"));
  EXPECT_EQ(rows.next(), nullptr);
}

TEST_F(ApiTest, GetOfTheWrongTypeNamesTheColumnAndBothTypes) {
  conn_.execute("INSERT INTO users(name) VALUES ('ada')");
  auto rows = conn_.query("SELECT name, age FROM users");
  const Row* row = rows.next();
  try {
    (void)row->get<std::int64_t>(0);
    FAIL() << "TEXT must not read as an integer";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_MISMATCH");
    EXPECT_STREQ(e.what(), "column 0 (\"name\") is TEXT, not INTEGER");
  }
  try {
    (void)row->get<std::int64_t>(1);
    FAIL() << "NULL must not read as a plain integer";
  } catch (const Error& e) {
    EXPECT_STREQ(
        e.what(),
        "column 1 (\"age\") is NULL, not INTEGER; read it as a std::optional to accept NULL");
  }
  try {
    (void)row->get<std::string>(5);
    FAIL() << "a column out of range must not read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_RANGE");
    EXPECT_STREQ(e.what(), "column 5 is out of range: the row has 2 columns");
  }
  EXPECT_THROW((void)row->get<std::string>(-1), Error) << "a negative column";
}

TEST_F(ApiTest, NarrowIntegerReadsAreRangeChecked) {
  auto rows = conn_.query("SELECT 300, -1, 9223372036854775807");
  const Row* row = rows.next();
  EXPECT_THROW((void)row->get<std::int8_t>(0), Error);
  EXPECT_EQ(row->get<std::int16_t>(0), 300);
  EXPECT_THROW((void)row->get<std::uint32_t>(1), Error);
  EXPECT_EQ(row->get<std::int64_t>(2), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(row->get<std::uint64_t>(2), 9223372036854775807u);
}

TEST_F(ApiTest, PreparedStatementsRunManyTimes) {
  auto insert = conn_.prepare("INSERT INTO users(name, age) VALUES (?, ?)");
  EXPECT_EQ(insert.parameter_count(), 2);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(insert.execute({"user" + std::to_string(i), i}), 1u);
  auto by_age = conn_.prepare("SELECT name FROM users WHERE age = ?");
  EXPECT_TRUE(by_age.is_readonly());
  for (int i : {0, 42, 99}) {
    auto rows = by_age.query({i});
    EXPECT_EQ(rows.next()->get<std::string>(0), "user" + std::to_string(i));
  }
}

TEST_F(ApiTest, RowsOfAStatementThatRanAgainRefuseToBeRead) {
  conn_.execute_batch("INSERT INTO users(name, age) VALUES ('a', 1), ('b', 2)");
  auto stmt = conn_.prepare("SELECT name FROM users WHERE age >= ?");
  auto first = stmt.query({1});
  ASSERT_NE(first.next(), nullptr);
  auto second = stmt.query({2});
  try {
    first.next();
    FAIL() << "stale rows must not read the newer run";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kMisuse);
  }
  EXPECT_EQ(second.next()->get<std::string>(0), "b");
}

TEST_F(ApiTest, ReadingARowAfterTheLastOneIsAnError) {
  auto rows = conn_.query("SELECT 1");
  const Row* row = rows.next();
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(rows.next(), nullptr);
  try {
    (void)row->get<int>(0);
    FAIL() << "a row read after the end must not return a value";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kMisuse);
  }
}

TEST_F(ApiTest, RowsOutliveTheirStatement) {
  conn_.execute_batch("INSERT INTO users(name) VALUES ('a'), ('b')");
  std::optional<Statement> stmt = conn_.prepare("SELECT name FROM users ORDER BY id");
  for (int run = 0; run < 2; ++run) {  // the second run reuses the first one's rows object
    auto rows = stmt->query();
    EXPECT_EQ(rows.next()->get<std::string>(0), "a");
  }
  auto rows = stmt->query();
  stmt.reset();
  EXPECT_EQ(rows.next()->get<std::string>(0), "a");
  EXPECT_EQ(rows.next()->get<std::string>(0), "b");
  EXPECT_EQ(rows.next(), nullptr);
}

TEST_F(ApiTest, ACopiedParamsOutlivesItsOriginal) {
  std::optional<Params> original = Params::positional({"copied-" + std::string(40, 'x'), 5});
  const Params copy = *original;
  original.reset();
  conn_.execute("INSERT INTO users(name, age) VALUES (?, ?)", copy);
  auto rows = conn_.query("SELECT name, age FROM users");
  const Row* row = rows.next();
  EXPECT_EQ(row->get<std::string>(0), "copied-" + std::string(40, 'x'));
  EXPECT_EQ(row->get<int>(1), 5);
}

TEST_F(ApiTest, BorrowedValuesOfOneRunNeverLeakIntoTheNext) {
  auto insert = conn_.prepare("INSERT INTO users(name) VALUES (?)");
  {
    const std::string temporary = "first-" + std::string(100, 'a');
    insert.execute({temporary});
  }  // the bound text is gone now
  insert.execute({"second"});
  auto explain = conn_.prepare("EXPLAIN SELECT * FROM users WHERE name = ?");
  explain.execute({std::string("explained")});
  EXPECT_NO_THROW(explain.execute());  // no values: binds NULL, never the old text
  auto rows = conn_.query("SELECT name FROM users ORDER BY id");
  EXPECT_EQ(rows.next()->get<std::string>(0), "first-" + std::string(100, 'a'));
  EXPECT_EQ(rows.next()->get<std::string>(0), "second");
}

TEST_F(ApiTest, QueryRowsOutliveTheParameterValues) {
  conn_.execute("INSERT INTO users(name) VALUES ('ada')");
  auto rows = conn_.query("SELECT name FROM users WHERE name = ?", {std::string("ada")});
  // The std::string above is gone; the statement must have copied it.
  EXPECT_EQ(rows.next()->get<std::string>(0), "ada");
}

TEST_F(ApiTest, ValueViewReadsBorrowFromTheRow) {
  conn_.execute("INSERT INTO users(name, photo) VALUES ('ada', x'0102')");
  auto rows = conn_.query("SELECT name, photo FROM users");
  const Row* row = rows.next();
  EXPECT_EQ(row->get<ValueView>(0).text_value(), "ada");
  EXPECT_EQ(row->get<ValueView>(1).blob_value().size(), 2u);
}

TEST_F(ApiTest, RowsKeepTheirConnectionAlive) {
  conn_.execute("INSERT INTO users(name) VALUES ('ada')");
  auto rows = db_.connect().query("SELECT name FROM users");  // the Connection is a temporary
  EXPECT_EQ(rows.next()->get<std::string>(0), "ada");
}

TEST_F(ApiTest, ExecuteTakesOneStatementAndExecuteBatchTakesScripts) {
  EXPECT_THROW(
      conn_.execute("INSERT INTO users(name) VALUES ('a'); INSERT INTO users(name) VALUES ('b')"),
      Error);
  EXPECT_EQ(count_users(), 0);
  conn_.execute_batch("INSERT INTO users(name) VALUES ('a'); INSERT INTO users(name) VALUES ('b')");
  EXPECT_EQ(count_users(), 2);
}

TEST_F(ApiTest, CommittedTransactionsStay) {
  auto tx = conn_.transaction(TransactionBehavior::kImmediate);
  EXPECT_FALSE(conn_.is_autocommit());
  conn_.execute("INSERT INTO users(name) VALUES ('ada')");
  tx.commit();
  EXPECT_TRUE(conn_.is_autocommit());
  EXPECT_EQ(count_users(), 1);
}

TEST_F(ApiTest, TransactionsRollBackWhenAnExceptionLeavesTheScope) {
  try {
    auto tx = conn_.transaction();
    conn_.execute("INSERT INTO users(name) VALUES ('ada')");
    conn_.execute("INSERT INTO users(name) VALUES ('ada')");  // UNIQUE violation throws
    tx.commit();
    FAIL() << "the duplicate insert must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  }
  EXPECT_TRUE(conn_.is_autocommit());
  EXPECT_EQ(count_users(), 0) << "the first insert must have been rolled back";

  try {
    auto tx = conn_.transaction();
    conn_.execute("INSERT INTO users(name) VALUES ('bob')");
    throw std::runtime_error("application failure");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(count_users(), 0);
}

TEST_F(ApiTest, ExplicitRollbackDiscardsTheWork) {
  auto tx = conn_.transaction();
  conn_.execute("INSERT INTO users(name) VALUES ('ada')");
  tx.rollback();
  EXPECT_EQ(count_users(), 0);
}

TEST_F(ApiTest, AFailedCommitLeavesTheTransactionOpenForARetry) {
  conn_.execute_batch(
      "CREATE TABLE teams(id INTEGER PRIMARY KEY);"
      "CREATE TABLE members(team REFERENCES teams(id) DEFERRABLE INITIALLY DEFERRED)");
  auto tx = conn_.transaction();
  conn_.execute("INSERT INTO members VALUES (7)");  // no team 7 yet: fine until COMMIT
  try {
    tx.commit();
    FAIL() << "COMMIT with a dangling deferred foreign key must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_FOREIGNKEY");
  }
  EXPECT_FALSE(conn_.is_autocommit()) << "the transaction must still be open";
  conn_.execute("INSERT INTO teams VALUES (7)");
  tx.commit();
  EXPECT_EQ(conn_.query("SELECT count(*) FROM members").next()->get<int>(0), 1);
}

TEST_F(ApiTest, AFailedCommitNotRetriedIsRolledBack) {
  conn_.execute_batch(
      "CREATE TABLE teams(id INTEGER PRIMARY KEY);"
      "CREATE TABLE members(team REFERENCES teams(id) DEFERRABLE INITIALLY DEFERRED)");
  {
    auto tx = conn_.transaction();
    conn_.execute("INSERT INTO members VALUES (7)");
    EXPECT_THROW(tx.commit(), Error);
  }
  EXPECT_TRUE(conn_.is_autocommit());
  EXPECT_EQ(conn_.query("SELECT count(*) FROM members").next()->get<int>(0), 0);
}

TEST_F(ApiTest, BusyWritersGetSqliteBusy) {
  auto other = Builder::local(path_).busy_timeout(std::chrono::milliseconds(20)).build().connect();
  auto tx = conn_.transaction(TransactionBehavior::kImmediate);
  try {
    other.execute("INSERT INTO users(name) VALUES ('x')");
    FAIL() << "a second writer must not get the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kBusy);
  }
}

TEST_F(ApiTest, AFileReopensWithItsData) {
  conn_.execute("INSERT INTO users(name, photo) VALUES (?, ?)", {"ada", Blob(1000, 7)});
  conn_ = Builder::local(dir_.file("other.db")).build().connect();  // let go of the first
  auto reopened = Builder::local(path_).build().connect();
  auto rows = reopened.query("SELECT name, length(photo) FROM users");
  const Row* row = rows.next();
  EXPECT_EQ(row->get<std::string>(0), "ada");
  EXPECT_EQ(row->get<int>(1), 1000);
}

TEST_F(ApiTest, ReadOnlyDatabasesRefuseWrites) {
  auto ro = Builder::local(path_).flags(OpenFlags::kReadOnly).build().connect();
  EXPECT_EQ(ro.query("SELECT count(*) FROM users").next()->get<int>(0), 0);
  try {
    ro.execute("INSERT INTO users(name) VALUES ('x')");
    FAIL() << "a read-only connection must not write";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_READONLY");
  }
}

TEST_F(ApiTest, BuildingOnANonDatabaseFileFailsClearly) {
  const std::string junk = dir_.file("junk.db");
  std::ofstream(junk) << std::string(8192, 'x');
  try {
    Builder::local(junk).build();
    FAIL() << "a junk file must not open";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_NOTADB");
    EXPECT_NE(std::string(e.what()).find("junk.db"), std::string::npos) << e.what();
  }
}

TEST_F(ApiTest, SyntaxErrorsSaySoWithSqlitesMessage) {
  try {
    conn_.query("SELEC * FROM users");
    FAIL() << "a typo must not prepare";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_ERROR");
    EXPECT_STREQ(e.what(), "near \"SELEC\": syntax error");
  }
}

}  // namespace
}  // namespace libsql
