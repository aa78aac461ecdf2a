// http_streams_test.cc: batons are single-use and unforgeable; idle streams expire and
// roll back.

#include "hrana/http_streams.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/temp_dir.h"

namespace libsql::hrana {
namespace {

using namespace std::chrono_literals;

class HttpStreamsTest : public ::testing::Test {
 protected:
  std::string expect_protocol_error(const std::optional<std::string>& baton) {
    try {
      streams_.acquire(baton);
    } catch (const ProtocolError& e) {
      return e.what();
    }
    ADD_FAILURE() << "acquire should have failed";
    return "";
  }

  testing::TempDir dir_;
  engine::ConnectionPool pool_{engine::Database(dir_.file("s.db")), 8};
  HttpStreams streams_{pool_, {.idle_expiry = 200ms, .remember_expired = 400ms}};
};

TEST_F(HttpStreamsTest, ABatonLeadsBackToItsStreamOnce) {
  auto lease = streams_.acquire(std::nullopt);
  lease.stream->connection->execute_script("CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES (1)");
  const auto baton = streams_.release(std::move(lease));
  ASSERT_TRUE(baton);
  EXPECT_EQ(baton->size(), 64u) << "48 bytes as unpadded base64, like sqld's";
  auto again = streams_.acquire(baton);
  EXPECT_FALSE(again.stream->connection->is_autocommit())
      << "the same connection, transaction open";
  const auto next = streams_.release(std::move(again));
  EXPECT_NE(next, baton);
  EXPECT_EQ(expect_protocol_error(baton), "Received a baton that has already been used");
  EXPECT_NO_THROW(streams_.release(streams_.acquire(next)));
}

TEST_F(HttpStreamsTest, ABatonInUseIsRefused) {
  const auto baton = streams_.release(streams_.acquire(std::nullopt));
  auto lease = streams_.acquire(baton);
  EXPECT_EQ(expect_protocol_error(baton), "Received a baton that has already been used");
  streams_.release(std::move(lease));
}

TEST_F(HttpStreamsTest, ForgedAndMalformedBatonsAreInvalid) {
  auto baton = *streams_.release(streams_.acquire(std::nullopt));
  baton[10] = baton[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(expect_protocol_error(baton), "Received an invalid baton");
  EXPECT_EQ(expect_protocol_error("not base64 !!"), "Received an invalid baton");
  EXPECT_EQ(expect_protocol_error(""), "Received an invalid baton");
  EXPECT_EQ(expect_protocol_error(std::string(64, 'A')), "Received an invalid baton");
}

TEST_F(HttpStreamsTest, BatonsOfAnotherServerAreInvalid) {
  HttpStreams other(pool_);
  const auto foreign = other.release(other.acquire(std::nullopt));
  EXPECT_EQ(expect_protocol_error(foreign), "Received an invalid baton");
}

TEST_F(HttpStreamsTest, IdleStreamsExpireRollBackAndAreLaterForgotten) {
  auto lease = streams_.acquire(std::nullopt);
  lease.stream->connection->execute_script("CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES (1)");
  const auto baton = streams_.release(std::move(lease));
  std::this_thread::sleep_for(250ms);
  streams_.expire_idle();
  EXPECT_THROW(streams_.acquire(baton), StreamExpiredError);
  auto reader = pool_.acquire();
  auto count = reader.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_integer(0), 0) << "the expired stream's transaction rolled back";
  std::this_thread::sleep_for(450ms);
  streams_.expire_idle();
  EXPECT_EQ(expect_protocol_error(baton), "Received an invalid baton") << "forgotten after a while";
}

TEST_F(HttpStreamsTest, ClosedStreamsHaveNoNextBaton) {
  auto lease = streams_.acquire(std::nullopt);
  streams_.close_connection(*lease.stream);
  EXPECT_FALSE(streams_.release(std::move(lease)));
  EXPECT_EQ(streams_.open_count(), 0u);
}

TEST_F(HttpStreamsTest, DiscardedStreamsAreGone) {
  const auto baton = streams_.release(streams_.acquire(std::nullopt));
  streams_.discard(streams_.acquire(baton));
  EXPECT_EQ(expect_protocol_error(baton), "Received an invalid baton");
}

}  // namespace
}  // namespace libsql::hrana
