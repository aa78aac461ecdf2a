// write_arbiter_test.cc: who gets the write lock, and when a transaction is taken away.

#include "engine/write_arbiter.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "engine/connection.h"
#include "libsql/error.h"
#include "tests/support/temp_dir.h"

namespace libsql::engine {
namespace {

using std::chrono::milliseconds;

class WriteArbiterTest : public ::testing::Test {
 protected:
  Connection open(milliseconds transaction_timeout, milliseconds max_wait) {
    if (!arbiter_) arbiter_ = WriteArbiter::make({transaction_timeout, max_wait});
    return Connection::open(dir_.file("arbiter.db"), {.arbiter = arbiter_});
  }

  static std::int64_t count(Connection& db) {
    const Connection::Use use(db);
    auto statement = db.prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(statement.step());
    return statement.column_view(0).integer_value();
  }

  // Runs `sql` as one request: under a Use, as the server does.
  static void run(Connection& db, std::string_view sql) {
    const Connection::Use use(db);
    db.execute_script(sql);
  }

  testing::TempDir dir_;
  std::shared_ptr<WriteArbiter> arbiter_;
};

TEST_F(WriteArbiterTest, AnIdleTransactionPastTheTimeoutLosesTheLockToAWaitingWriter) {
  Connection holder = open(milliseconds(100), milliseconds(10'000));
  Connection writer = open(milliseconds(100), milliseconds(10'000));
  run(holder, "CREATE TABLE t(x)");
  run(holder, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('holder')");

  run(writer, "INSERT INTO t VALUES ('writer')");  // waits out the timeout, then takes the lock

  Connection::Use use(holder);
  EXPECT_TRUE(use.take_lost_transaction());
  EXPECT_FALSE(use.take_lost_transaction()) << "reported once";
  EXPECT_TRUE(holder.is_autocommit()) << "its transaction was rolled back";
  auto rows = holder.prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(rows.step());
  EXPECT_EQ(rows.column_view(0).text_value(), "writer");
}

TEST_F(WriteArbiterTest, WithoutAWaiterALongTransactionIsLeftAlone) {
  Connection holder = open(milliseconds(20), milliseconds(10'000));
  Connection reader = open(milliseconds(20), milliseconds(10'000));
  run(holder, "CREATE TABLE t(x)");
  run(holder, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
  std::this_thread::sleep_for(milliseconds(100));  // well past the timeout
  EXPECT_EQ(count(reader), 0) << "readers do not wait for the write lock";
  run(holder, "COMMIT");
  EXPECT_EQ(count(reader), 1);
  Connection::Use use(holder);
  EXPECT_FALSE(use.take_lost_transaction());
}

TEST_F(WriteArbiterTest, AWaiterProceedsWhenTheHolderCommits) {
  Connection holder = open(milliseconds(60'000), milliseconds(10'000));
  Connection writer = open(milliseconds(60'000), milliseconds(10'000));
  run(holder, "CREATE TABLE t(x)");
  run(holder, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
  auto waiting = std::async(std::launch::async, [&] { run(writer, "INSERT INTO t VALUES (2)"); });
  EXPECT_EQ(waiting.wait_for(milliseconds(50)), std::future_status::timeout)
      << "the writer waits for the lock";
  run(holder, "COMMIT");
  waiting.get();  // woken by the commit, long before its timeout
  EXPECT_EQ(count(holder), 2);
  Connection::Use use(holder);
  EXPECT_FALSE(use.take_lost_transaction());
}

TEST_F(WriteArbiterTest, AConnectionInUseIsNotRolledBackUnderIt) {
  Connection holder = open(milliseconds(20), milliseconds(150));
  Connection writer = open(milliseconds(20), milliseconds(150));
  run(holder, "CREATE TABLE t(x)");
  {
    // The holder is busy (holds its Use) for longer than the waiter will wait.
    const Connection::Use busy(holder);
    holder.execute_script("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
    std::thread waiter([&] {
      try {
        run(writer, "INSERT INTO t VALUES (2)");
        ADD_FAILURE() << "the writer should have given up";
      } catch (const Error& e) {
        EXPECT_EQ(e.primary_code(), PrimaryCode::kBusy);
      }
    });
    waiter.join();
    EXPECT_FALSE(holder.is_autocommit()) << "still in its transaction";
    holder.execute_script("COMMIT");
  }
  EXPECT_EQ(count(holder), 1);
}

TEST_F(WriteArbiterTest, ClosingAHolderLetsTheWaiterIn) {
  Connection writer = open(milliseconds(60'000), milliseconds(10'000));
  std::optional<Connection> holder = open(milliseconds(60'000), milliseconds(10'000));
  run(*holder, "CREATE TABLE t(x)");
  run(*holder, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
  auto waiting = std::async(std::launch::async, [&] { run(writer, "INSERT INTO t VALUES (2)"); });
  EXPECT_EQ(waiting.wait_for(milliseconds(50)), std::future_status::timeout);
  holder.reset();
  waiting.get();
  EXPECT_EQ(count(writer), 1) << "the closed holder's insert was rolled back";
}

}  // namespace
}  // namespace libsql::engine
