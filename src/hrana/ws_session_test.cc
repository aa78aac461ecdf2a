// ws_session_test.cc: a WebSocket session's messages and ordering, with a host that
// runs blocking work only when the test says so (so interleavings are chosen here).

#include "hrana/ws_session.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "proto/hrana_ws.pb.h"
#include "tests/support/temp_dir.h"

namespace libsql::hrana {
namespace {

namespace bj = boost::json;

TEST(NegotiateSubprotocol, TheServersPreferenceWinsWhateverTheClientsOrder) {
  EXPECT_EQ(negotiate_subprotocol("hrana1, hrana3-protobuf"), WsSubprotocol::kHrana3Protobuf);
  EXPECT_EQ(negotiate_subprotocol("hrana2,hrana1"), WsSubprotocol::kHrana2);
  EXPECT_EQ(negotiate_subprotocol(" hrana1 ,\thrana3 "), WsSubprotocol::kHrana3);
}

TEST(NegotiateSubprotocol, NamesMatchWithoutRegardToCase) {
  EXPECT_EQ(negotiate_subprotocol("HRANA3"), WsSubprotocol::kHrana3);
  EXPECT_EQ(negotiate_subprotocol("Hrana3-Protobuf"), WsSubprotocol::kHrana3Protobuf);
}

TEST(NegotiateSubprotocol, NoHeaderMeansHrana1AndUnknownNamesAreRefused) {
  EXPECT_EQ(negotiate_subprotocol(std::nullopt), WsSubprotocol::kHrana1);
  EXPECT_EQ(negotiate_subprotocol("foo"), std::nullopt);
  EXPECT_EQ(negotiate_subprotocol(""), std::nullopt);
  EXPECT_EQ(negotiate_subprotocol("hrana3x, hrana"), std::nullopt) << "whole names only";
}

// Keeps blocking work until run_one()/run_all(), like a pool that is slow to get to it.
class ManualHost final : public WsHost {
 public:
  void send(std::string message) override { sent.push_back(std::move(message)); }
  void run_blocking(std::function<void()> work, std::function<void()> then) override {
    tasks_.push_back([work = std::move(work), then = std::move(then)] {
      work();
      then();
    });
  }
  void fail(std::exception_ptr error) override { failures.push_back(error); }
  std::variant<std::shared_ptr<const AccessPolicy>, Error> authenticate(
      const std::optional<std::string>&) override {
    return std::shared_ptr<const AccessPolicy>();
  }
  void admit(std::function<void(std::optional<engine::ConnectionPool::Ticket>)> granted) override {
    granted(engine::ConnectionPool::Ticket());  // no limit here
  }

  bool run_one() {
    if (tasks_.empty()) return false;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    task();
    return true;
  }
  void run_all() {
    while (run_one()) {
    }
  }
  // Runs the task queued last (a later stream's work overtaking an earlier one's).
  void run_last() {
    auto task = std::move(tasks_.back());
    tasks_.pop_back();
    task();
  }

  std::vector<std::string> sent;
  std::vector<std::exception_ptr> failures;

 private:
  std::deque<std::function<void()>> tasks_;
};

class WsSessionTest : public ::testing::Test {
 protected:
  explicit WsSessionTest(WsSubprotocol subprotocol = WsSubprotocol::kHrana3)
      : subprotocol_(subprotocol) {}

  WsSession& session() {
    if (!session_) session_.emplace(pool_, subprotocol_, json::ResponseBudget{}, host_);
    return *session_;
  }

  void request(int id, const std::string& body) {
    session().receive(R"({"type":"request","request_id":)" + std::to_string(id) + R"(,"request":)" +
                      body + "}");
  }
  void hello() { session().receive(R"({"type":"hello"})"); }

  // The messages sent so far, parsed, and forgotten.
  std::vector<bj::value> take_sent() {
    std::vector<bj::value> out;
    for (const auto& text : host_.sent) out.push_back(bj::parse(text));
    host_.sent.clear();
    return out;
  }

  std::string protocol_error_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const ProtocolError& e) {
      return e.what();
    }
    return "(no protocol error)";
  }

  WsSubprotocol subprotocol_;
  testing::TempDir dir_;
  engine::ConnectionPool pool_{engine::Database(dir_.file("ws.db")), 8};
  ManualHost host_;
  std::optional<WsSession> session_;
};

TEST_F(WsSessionTest, HelloComesFirst) {
  EXPECT_EQ(protocol_error_of([&] { request(1, R"({"type":"open_stream","stream_id":1})"); }),
            "Received a request before hello message");
  hello();
  EXPECT_EQ(host_.sent, std::vector<std::string>{R"({"type":"hello_ok"})"});
}

TEST_F(WsSessionTest, RequestsOnOneStreamAnswerInOrderAndStreamsMayOvertake) {
  hello();
  take_sent();
  request(1, R"({"type":"open_stream","stream_id":1})");
  request(2, R"({"type":"execute","stream_id":1,"stmt":{"sql":"SELECT 'first'"}})");
  request(3, R"({"type":"open_stream","stream_id":2})");
  // Stream 2's open overtakes stream 1's queue; stream 1 then answers in order.
  host_.run_last();
  host_.run_all();
  const auto sent = take_sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].at("request_id").as_int64(), 3);
  EXPECT_EQ(sent[1].at("request_id").as_int64(), 1);
  EXPECT_EQ(sent[2].at("request_id").as_int64(), 2);
  EXPECT_EQ(sent[2].at("response").at("result").at("rows").at(0).at(0).at("value").as_string(),
            "first");
  EXPECT_EQ(session().pending(), 0u);
}

TEST_F(WsSessionTest, StreamIdsAreCheckedOnArrival) {
  hello();
  request(1, R"({"type":"open_stream","stream_id":1})");
  EXPECT_EQ(protocol_error_of([&] { request(2, R"({"type":"open_stream","stream_id":1})"); }),
            "Stream 1 already exists");
  EXPECT_EQ(protocol_error_of([&] {
              request(3, R"({"type":"execute","stream_id":7,"stmt":{"sql":"SELECT 1"}})");
            }),
            "Stream 7 not found");
  request(4, R"({"type":"close_stream","stream_id":1})");
  request(5, R"({"type":"open_stream","stream_id":1})") /* a closed id may be reused at once */;
  host_.run_all();
  EXPECT_TRUE(host_.failures.empty());
}

TEST_F(WsSessionTest, StoredSqlIsResolvedWhenTheRequestArrives) {
  hello();
  request(1, R"({"type":"open_stream","stream_id":1})");
  request(2, R"({"type":"store_sql","sql_id":5,"sql":"SELECT 'stored'"})");
  request(3, R"({"type":"execute","stream_id":1,"stmt":{"sql_id":5}})");
  // Closed before the execute runs: the execute already holds the text.
  request(4, R"({"type":"close_sql","sql_id":5})");
  host_.run_all();
  const auto sent = take_sent();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent.back().at("request_id").as_int64(), 3);
  EXPECT_EQ(sent.back().at("response").at("result").at("rows").at(0).at(0).at("value").as_string(),
            "stored");
  EXPECT_EQ(protocol_error_of(
                [&] { request(5, R"({"type":"execute","stream_id":1,"stmt":{"sql_id":5}})"); }),
            "SQL text 5 not found");
}

TEST_F(WsSessionTest, AStatementFailureIsAnErrorResponseAndTheStreamGoesOn) {
  hello();
  request(1, R"({"type":"open_stream","stream_id":1})");
  request(2, R"({"type":"execute","stream_id":1,"stmt":{"sql":"SELEC 1"}})");
  request(3, R"({"type":"execute","stream_id":1,"stmt":{"sql":"SELECT 2"}})");
  host_.run_all();
  const auto sent = take_sent();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[2].at("type").as_string(), "response_error");
  EXPECT_EQ(sent[2].at("error").at("code").as_string(), "SQL_PARSE_ERROR");
  EXPECT_EQ(sent[3].at("type").as_string(), "response_ok");
}

TEST_F(WsSessionTest, ABadBatchConditionFailsTheConnectionFromItsJob) {
  hello();
  request(1, R"({"type":"open_stream","stream_id":1})");
  request(2, R"({"type":"batch","stream_id":1,"batch":{"steps":[)"
             R"({"stmt":{"sql":"SELECT 1"},"condition":{"type":"ok","step":3}}]}})");
  host_.run_all();
  ASSERT_EQ(host_.failures.size(), 1u);
  try {
    std::rethrow_exception(host_.failures[0]);
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "Invalid reference to step in a batch condition");
  }
}

TEST_F(WsSessionTest, CursorsHandOutTheirEntriesInFetches) {
  hello();
  take_sent();
  request(1, R"({"type":"open_stream","stream_id":1})");
  request(
      2,
      R"({"type":"open_cursor","stream_id":1,"cursor_id":9,"batch":{"steps":[)"
      R"({"stmt":{"sql":"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<3) SELECT i FROM n"}}]}})");
  EXPECT_EQ(protocol_error_of([&] {
              request(
                  3, R"({"type":"open_cursor","stream_id":1,"cursor_id":10,"batch":{"steps":[]}})");
            }),
            "Stream 1 already has an open cursor");
  request(4, R"({"type":"fetch_cursor","cursor_id":9,"max_count":2})");
  request(5, R"({"type":"fetch_cursor","cursor_id":9,"max_count":10})");
  request(6, R"({"type":"close_cursor","cursor_id":9})");
  host_.run_all();
  const auto sent = take_sent();
  ASSERT_EQ(sent.size(), 5u);  // open_stream, open_cursor, two fetches, close_cursor
  const auto& first = sent[2].at("response");
  ASSERT_EQ(first.at("entries").as_array().size(), 2u);
  EXPECT_EQ(first.at("entries").at(0).at("type").as_string(), "step_begin");
  EXPECT_FALSE(first.at("done").as_bool());
  const auto& second = sent[3].at("response");
  ASSERT_EQ(second.at("entries").as_array().size(), 3u) << bj::serialize(second);
  EXPECT_EQ(second.at("entries").at(2).at("type").as_string(), "step_end");
  EXPECT_TRUE(second.at("done").as_bool());
  EXPECT_EQ(sent[4].at("response").at("type").as_string(), "close_cursor");
  EXPECT_EQ(protocol_error_of(
                [&] { request(7, R"({"type":"fetch_cursor","cursor_id":9,"max_count":1})"); }),
            "Cursor 9 not found");
}

TEST_F(WsSessionTest, DisconnectRollsBackOpenTransactions) {
  hello();
  request(1, R"({"type":"open_stream","stream_id":1})");
  request(2, R"j({"type":"execute","stream_id":1,"stmt":{"sql":"CREATE TABLE t(x)"}})j");
  request(3, R"({"type":"execute","stream_id":1,"stmt":{"sql":"BEGIN"}})");
  request(4, R"j({"type":"execute","stream_id":1,"stmt":{"sql":"INSERT INTO t VALUES (1)"}})j");
  host_.run_all();
  session().disconnect();
  host_.run_all();
  engine::Connection check = pool_.acquire();
  auto statement = check.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(statement.step());
  EXPECT_EQ(statement.column_view(0).integer_value(), 0);
}

class WsSessionHrana1Test : public WsSessionTest {
 protected:
  WsSessionHrana1Test() : WsSessionTest(WsSubprotocol::kHrana1) {}
};

TEST_F(WsSessionHrana1Test, LaterRequestsAndRepeatedHelloNeedLaterVersions) {
  hello();
  request(1, R"({"type":"open_stream","stream_id":1})");
  EXPECT_EQ(protocol_error_of(
                [&] { request(2, R"({"type":"sequence","stream_id":1,"sql":"SELECT 1"})"); }),
            "The `sequence` request is only supported in protocol version hrana2 and higher");
  EXPECT_EQ(protocol_error_of(
                [&] { request(3, R"({"type":"execute","stream_id":1,"stmt":{"sql_id":1}})"); }),
            "`sql_id` is only supported in protocol version hrana2 and higher");
  EXPECT_EQ(protocol_error_of([&] { hello(); }),
            "Repeated hello message is only supported in protocol version hrana2 and higher");
}

class WsSessionProtobufTest : public WsSessionTest {
 protected:
  WsSessionProtobufTest() : WsSessionTest(WsSubprotocol::kHrana3Protobuf) {}

  void send(const ::hrana::ws::ClientMsg& message) {
    session().receive(message.SerializeAsString());
  }
  ::hrana::ws::ServerMsg received(std::size_t i) {
    ::hrana::ws::ServerMsg message;
    EXPECT_TRUE(message.ParseFromString(host_.sent.at(i)));
    return message;
  }
};

TEST_F(WsSessionProtobufTest, SpeaksProtobufMessages) {
  EXPECT_TRUE(session().binary());
  ::hrana::ws::ClientMsg hello_message;
  hello_message.mutable_hello();
  send(hello_message);
  ::hrana::ws::ClientMsg open;
  open.mutable_request()->set_request_id(1);
  open.mutable_request()->mutable_open_stream()->set_stream_id(1);
  send(open);
  ::hrana::ws::ClientMsg execute;
  execute.mutable_request()->set_request_id(2);
  execute.mutable_request()->mutable_execute()->set_stream_id(1);
  execute.mutable_request()->mutable_execute()->mutable_stmt()->set_sql("SELECT 42 AS answer");
  send(execute);
  host_.run_all();
  ASSERT_EQ(host_.sent.size(), 3u);
  EXPECT_TRUE(received(0).has_hello_ok());
  EXPECT_TRUE(received(1).response_ok().has_open_stream());
  const auto result = received(2).response_ok().execute().result();
  EXPECT_EQ(result.cols(0).name(), "answer");
  EXPECT_EQ(result.rows(0).values(0).integer(), 42);
}

TEST_F(WsSessionProtobufTest, UndecodableBytesAreADecodeError) {
  try {
    session().receive("\xff\xff\xff");
    FAIL() << "expected a ProtocolError";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ProtocolError::Kind::kDecode);
    EXPECT_TRUE(std::string(e.what()).starts_with("Could not decode client message from Protobuf"));
  }
  ::hrana::ws::ClientMsg empty;
  EXPECT_EQ(protocol_error_of([&] { send(empty); }), "ClientMsg type not recognized");
}

}  // namespace
}  // namespace libsql::hrana
