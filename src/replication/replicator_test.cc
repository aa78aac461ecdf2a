// replicator_test.cc: the replicator against a scripted primary of our own, for what
// the reference sqld never sends (frames of the wrong size, out of order, a batch cut
// inside a transaction, NO_HELLO, an index it never serves): the replica refuses them
// and keeps its last committed state. replicator_reference_test.cc drives it against
// the reference sqld.

#include "replication/replicator.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/connection.h"
#include "proto/replication_log.pb.h"
#include "replication/replica_test_support.h"
#include "tests/support/temp_dir.h"

namespace libsql::replication {
namespace {

using namespace test_support;

using namespace std::chrono_literals;

// A primary of our own making, for what the reference never sends: answers each call
// with the gRPC-Web body `answer` returns for its path.
class ScriptedPrimary {
 public:
  using Answer = std::function<std::string(std::string_view path)>;

  explicit ScriptedPrimary(Answer answer)
      : answer_(std::move(answer)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this] { serve(); }) {}
  ~ScriptedPrimary() {
    stopping_ = true;
    boost::system::error_code ignored;
    {
      std::lock_guard lock(mutex_);
      if (current_) current_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    }
    // A blocked accept() does not wake when its socket is closed: a connection does.
    boost::asio::ip::tcp::socket waker(io_);
    waker.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::vector<std::string> paths() {
    std::lock_guard lock(mutex_);
    return paths_;
  }

 private:
  void serve() {
    namespace http = boost::beast::http;
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code error;
      acceptor_.accept(socket, error);
      if (error || stopping_) return;
      {
        std::lock_guard lock(mutex_);
        current_ = &socket;
      }
      boost::beast::flat_buffer buffer;
      while (!stopping_) {
        http::request<http::string_body> request;
        http::read(socket, buffer, request, error);
        if (error) break;
        const std::string path(request.target());
        {
          std::lock_guard lock(mutex_);
          paths_.push_back(path);
        }
        http::response<http::string_body> response(http::status::ok, 11);
        response.set(http::field::content_type, "application/grpc-web+proto");
        response.body() = answer_(path);
        response.prepare_payload();
        http::write(socket, response, error);
        if (error) break;
      }
      std::lock_guard lock(mutex_);
      current_ = nullptr;
    }
  }

  Answer answer_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  boost::asio::ip::tcp::socket* current_ = nullptr;
  std::vector<std::string> paths_;
  std::thread thread_;
};

std::string ok_reply(const google::protobuf::MessageLite& message) {
  std::string body;
  grpc_web::append_message(body, message.SerializeAsString());
  grpc_web::append_trailers(body, {});
  return body;
}

std::string error_reply(grpc_web::StatusCode code, std::string_view message) {
  std::string body;
  grpc_web::append_trailers(body, {code, std::string(message)});
  return body;
}

std::string hello_reply(const LogId& log_id, std::optional<std::uint64_t> index) {
  wal_log::HelloResponse hello;
  hello.set_log_id(log_id.to_string());
  hello.set_session_token("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  if (index) hello.set_current_replication_index(*index);
  return ok_reply(hello);
}

// One libSQL frame holding `page`.
std::string make_frame(std::uint64_t frame_no, std::uint32_t page_no, std::uint32_t size_after,
                       const std::string& page) {
  std::string frame(kFrameHeaderSize, '\0');
  encode_frame_header({frame_no, 0, page_no, size_after},
                      reinterpret_cast<std::uint8_t*>(frame.data()));
  return frame + page;
}

// The pages of a real database holding one table: frames 0 and 1 of a log.
Pages one_table_pages() {
  testing::TempDir dir;
  {
    auto db = engine::Connection::open(dir.file("source"));
    db.execute_script("CREATE TABLE x(a); INSERT INTO x VALUES (42);");
  }
  return read_pages(dir.file("source"));
}

class ReplicatorWithScriptedPrimary : public ::testing::Test {
 protected:
  ReplicatorOptions options_for(const ScriptedPrimary& primary) {
    ReplicatorOptions options;
    options.db_path = dir_.file("data");
    options.meta_path = dir_.path() / "client_wal_index";
    options.primary.url = primary.url();
    options.primary.io_timeout = 5s;
    return options;
  }
  ReplicationError::Kind sync_failure(Replicator& replica) {
    try {
      replica.sync_once();
    } catch (const ReplicationError& e) {
      last_message_ = e.what();
      return e.kind();
    }
    ADD_FAILURE() << "sync_once() succeeded";
    return ReplicationError::Kind::kStopped;
  }
  // What the replica holds: an empty database (page 1 only) until a commit.
  std::string tables() {
    return query(dir_.path() / "data", "SELECT count(*) FROM sqlite_schema").at(0);
  }

  testing::TempDir dir_;
  LogId log_id_ = LogId::random();
  Pages pages_ = one_table_pages();
  std::string last_message_;
};

TEST_F(ReplicatorWithScriptedPrimary, AppliesAValidBatch) {
  ASSERT_EQ(pages_.size(), 2u);
  ScriptedPrimary primary([&](std::string_view path) {
    if (path.ends_with("/Hello")) return hello_reply(log_id_, 1);
    wal_log::Frames frames;
    frames.add_frames()->set_data(make_frame(0, 1, 0, pages_.at(1)));
    frames.add_frames()->set_data(make_frame(1, 2, 2, pages_.at(2)));
    return ok_reply(frames);
  });
  Replicator replica(options_for(primary));
  EXPECT_EQ(replica.sync_once().committed_frame_no, 1u);
  EXPECT_EQ(query(dir_.path() / "data", "SELECT a FROM x").at(0), "42");
}

TEST_F(ReplicatorWithScriptedPrimary, RefusesAFrameOfTheWrongSizeAndAppliesNothing) {
  ScriptedPrimary primary([&](std::string_view path) {
    if (path.ends_with("/Hello")) return hello_reply(log_id_, 1);
    wal_log::Frames frames;
    frames.add_frames()->set_data(make_frame(0, 1, 0, pages_.at(1)));
    frames.add_frames()->set_data(make_frame(1, 2, 2, pages_.at(2)).substr(0, kFrameSize - 1));
    return ok_reply(frames);
  });
  Replicator replica(options_for(primary));
  EXPECT_EQ(sync_failure(replica), ReplicationError::Kind::kProtocol) << last_message_;
  EXPECT_NE(last_message_.find("4119 bytes"), std::string::npos) << last_message_;
  EXPECT_EQ(replica.committed_frame_no(), std::nullopt);
  EXPECT_EQ(tables(), "0") << "part of a transaction reached the file";
  auto meta = ReplicaMetaFile::open(dir_.path() / "client_wal_index").read();
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->committed_frame_no, std::nullopt);
}

TEST_F(ReplicatorWithScriptedPrimary, RefusesABatchEndingInsideATransaction) {
  ScriptedPrimary primary([&](std::string_view path) {
    if (path.ends_with("/Hello")) return hello_reply(log_id_, 1);
    wal_log::Frames frames;
    frames.add_frames()->set_data(make_frame(0, 1, 0, pages_.at(1)));
    return ok_reply(frames);
  });
  Replicator replica(options_for(primary));
  EXPECT_EQ(sync_failure(replica), ReplicationError::Kind::kProtocol) << last_message_;
  EXPECT_EQ(tables(), "0") << "part of a transaction reached the file";
}

TEST_F(ReplicatorWithScriptedPrimary, RefusesFramesOutOfOrder) {
  ScriptedPrimary primary([&](std::string_view path) {
    if (path.ends_with("/Hello")) return hello_reply(log_id_, 1);
    wal_log::Frames frames;
    frames.add_frames()->set_data(make_frame(1, 2, 2, pages_.at(2)));
    return ok_reply(frames);
  });
  Replicator replica(options_for(primary));
  EXPECT_EQ(sync_failure(replica), ReplicationError::Kind::kProtocol) << last_message_;
  EXPECT_NE(last_message_.find("frame 0 was due"), std::string::npos) << last_message_;
}

TEST_F(ReplicatorWithScriptedPrimary, NoHelloIsAnsweredWithAnotherHello) {
  std::atomic<int> batches{0};
  ScriptedPrimary primary([&](std::string_view path) {
    if (path.ends_with("/Hello")) return hello_reply(log_id_, 1);
    if (batches++ == 0) {
      return error_reply(grpc_web::StatusCode::kFailedPrecondition, grpc_web::kNoHello);
    }
    wal_log::Frames frames;
    frames.add_frames()->set_data(make_frame(0, 1, 0, pages_.at(1)));
    frames.add_frames()->set_data(make_frame(1, 2, 2, pages_.at(2)));
    return ok_reply(frames);
  });
  Replicator replica(options_for(primary));
  EXPECT_EQ(replica.sync_once().committed_frame_no, 1u) << "NO_HELLO reached the caller";
  const auto paths = primary.paths();
  EXPECT_EQ(std::count_if(paths.begin(), paths.end(),
                          [](const std::string& p) { return p.ends_with("/Hello"); }),
            2);
}

TEST_F(ReplicatorWithScriptedPrimary, PrimaryThatAdvertisesFramesItNeverSendsIsAnError) {
  ScriptedPrimary primary([&](std::string_view path) {
    if (path.ends_with("/Hello")) return hello_reply(log_id_, 5);
    return ok_reply(wal_log::Frames());
  });
  Replicator replica(options_for(primary));
  EXPECT_EQ(sync_failure(replica), ReplicationError::Kind::kProtocol)
      << "libSQL's client loops forever here; " << last_message_;
}

// A primary refusing every attempt (here a replica without the credential it requires)
// is reported once, not at every retry.// Also when each Hello is answered and the call after it
// fails (here a primary serving too many streams already): an answered Hello alone is no recovery.
class RefusedReplicatorTest : public ReplicatorWithScriptedPrimary,
                              public ::testing::WithParamInterface<bool> {};

TEST_P(RefusedReplicatorTest, ARefusingPrimaryIsReportedOnceNotAtEveryRetry) {
  const bool hello_answered = GetParam();
  ScriptedPrimary primary([&](std::string_view path) {
    if (hello_answered) {
      if (path.ends_with("/Hello")) return hello_reply(log_id_, 1);
      return error_reply(grpc_web::StatusCode::kResourceExhausted,
                         "refused: too many LogEntries streams");
    }
    return error_reply(grpc_web::StatusCode::kUnauthenticated, "refused: no credential");
  });
  ReplicatorOptions options = options_for(primary);
  options.min_backoff = 1ms;
  options.max_backoff = 2ms;
  std::mutex mutex;
  std::vector<std::string> reports;
  options.on_new_failure = [&](const std::string& failure) {
    const std::lock_guard lock(mutex);
    reports.push_back(failure);
  };
  Replicator replica(std::move(options));
  std::thread pulling([&] { replica.run(); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (primary.paths().size() < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  replica.stop();
  pulling.join();
  EXPECT_GE(primary.paths().size(), 5u) << "run() keeps retrying";
  const std::lock_guard lock(mutex);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("refused: "), std::string::npos) << reports[0];
  EXPECT_EQ(replica.last_error(), reports[0]);
}

INSTANTIATE_TEST_SUITE_P(HelloRefusedOrNot, RefusedReplicatorTest, ::testing::Bool());

}  // namespace
}  // namespace libsql::replication
