// proxy_service_test.cc: write forwarding as sqld runs it, on a real namespace: programs
// with conditions, transactions that span calls, error codes and messages, access,
// idle clients collected, timed-out transactions.

#include "server/proxy_service.h"

#include <gtest/gtest.h>

#include <thread>

#include "replication/bincode_value.h"
#include "server/request_gate.h"
#include "sql/dialect.h"
#include "tests/support/temp_dir.h"

namespace libsql::server {
namespace {

using replication::grpc_web::Status;
using replication::grpc_web::StatusCode;

constexpr const char* kClient = "0d3e3c4e-8a43-4f4e-9a0e-2f3a6d1c5b7a";
constexpr const char* kOtherClient = "7b0c1f52-5d1e-4c3b-8f7a-9e2d4c6b1a30";

proxy::Step& add_step(proxy::ProgramReq& request, std::string sql,
                      std::vector<Value> positional = {}) {
  proxy::Step& step = *request.mutable_pgm()->add_steps();
  step.mutable_query()->set_stmt(std::move(sql));
  proxy::Positional& params = *step.mutable_query()->mutable_positional();
  for (const Value& value : positional)
    params.add_values()->set_data(replication::encode_bincode(value));
  return step;
}

proxy::ProgramReq program(const char* client, std::vector<std::string> statements) {
  proxy::ProgramReq request;
  request.set_client_id(client);
  for (auto& sql : statements) add_step(request, std::move(sql));
  return request;
}

Value value_of(const proxy::Value& value) {
  auto decoded = replication::decode_bincode(value.data());
  EXPECT_TRUE(decoded.has_value()) << "not bincode";
  return decoded.value_or(Value());
}

class ProxyServiceTest : public ::testing::Test {
 protected:
  explicit ProxyServiceTest(ProxyOptions options = {},
                            std::chrono::milliseconds transaction_timeout = std::chrono::seconds(5))
      : store_({.db_path = dir_.path(),
                .open_options =
                    [transaction_timeout] {
                      return engine::OpenOptions{.arbiter = engine::WriteArbiter::make(
                                                     {.transaction_timeout = transaction_timeout,
                                                      .max_wait = std::chrono::seconds(10)}),
                                                 .dialect = sql::libsql_dialect()};
                    },
                .limits = {.max_idle = 4}}),
        ns_(store_.create("default", {})),
        proxy_(options) {}

  ProxyService::Caller caller(Access rights = {.can_read = true, .can_write = true}) {
    return {ns_, namespace_access_policy(ns_, rights), nullptr};
  }

  proxy::ExecuteResults execute(const proxy::ProgramReq& request) {
    auto result = proxy_.execute(caller(), request);
    if (auto* status = std::get_if<Status>(&result)) {
      ADD_FAILURE() << "the call failed: " << to_string(status->code) << " " << status->message;
      return {};
    }
    return std::get<proxy::ExecuteResults>(std::move(result));
  }
  proxy::ExecuteResults execute(const char* client, std::vector<std::string> statements) {
    return execute(program(client, std::move(statements)));
  }
  Status refusal(const proxy::ProgramReq& request,
                 Access rights = {.can_read = true, .can_write = true}) {
    auto result = proxy_.execute(caller(rights), request);
    if (auto* status = std::get_if<Status>(&result)) return *status;
    ADD_FAILURE() << "the call succeeded";
    return {};
  }
  std::int64_t count_rows(const char* client = kOtherClient) {
    const auto results = execute(client, {"SELECT count(*) FROM t"});
    return value_of(results.results(0).row().rows(0).values(0)).as_integer();
  }

  testing::TempDir dir_;
  NamespaceStore store_;
  std::shared_ptr<Namespace> ns_;
  ProxyService proxy_;
};

TEST_F(ProxyServiceTest, RunsAWriteAndReportsItsCountsAndState) {
  execute(kClient, {"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"});
  const auto results = execute(kClient, {"INSERT INTO t (name) VALUES ('a'), ('b')"});
  ASSERT_EQ(results.results_size(), 1);
  const proxy::ResultRows& rows = results.results(0).row();
  EXPECT_EQ(rows.affected_row_count(), 2u);
  ASSERT_TRUE(rows.has_last_insert_rowid()) << "an INSERT reports its rowid";
  EXPECT_EQ(rows.last_insert_rowid(), 2);
  EXPECT_EQ(results.state(), proxy::INIT);
  EXPECT_FALSE(proxy_.holds_connection(kClient)) << "nothing open: the connection goes back";
  if (ns_->frame_log() != nullptr) {
    ASSERT_TRUE(results.has_current_frame_no());
    EXPECT_EQ(results.current_frame_no(), ns_->frame_log()->last_frame_no());
  } else {
    EXPECT_FALSE(results.has_current_frame_no()) << "no log, no index";
  }
}

TEST_F(ProxyServiceTest, ReturnsRowsAsBincodeWithColumnTypes) {
  execute(kClient, {"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)",
                    "INSERT INTO t VALUES (1, 'one', x'00ff'), (2, NULL, NULL)"});
  const auto results = execute(kClient, {"SELECT id, name, data, 1.5 AS r FROM t ORDER BY id"});
  const proxy::ResultRows& rows = results.results(0).row();
  ASSERT_EQ(rows.column_descriptions_size(), 4);
  EXPECT_EQ(rows.column_descriptions(1).name(), "name");
  EXPECT_EQ(rows.column_descriptions(1).decltype_(), "TEXT");
  EXPECT_FALSE(rows.column_descriptions(3).has_decltype_()) << "an expression has no type";
  ASSERT_EQ(rows.rows_size(), 2);
  EXPECT_EQ(value_of(rows.rows(0).values(0)), Value(1));
  EXPECT_EQ(value_of(rows.rows(0).values(1)), Value("one"));
  EXPECT_EQ(value_of(rows.rows(0).values(2)), Value(Blob{0x00, 0xff}));
  EXPECT_EQ(value_of(rows.rows(0).values(3)), Value(1.5));
  EXPECT_EQ(value_of(rows.rows(1).values(1)), Value());
  EXPECT_EQ(rows.affected_row_count(), 0u) << "a SELECT changes nothing";
  EXPECT_FALSE(rows.has_last_insert_rowid()) << "only INSERTs report a rowid";
}

TEST_F(ProxyServiceTest, BindsPositionalAndNamedBincodeParameters) {
  execute(kClient, {"CREATE TABLE t (a, b)"});
  proxy::ProgramReq positional;
  positional.set_client_id(kClient);
  add_step(positional, "INSERT INTO t VALUES (?, ?2)", {Value(7), Value("x")});
  execute(positional);
  proxy::ProgramReq named;
  named.set_client_id(kClient);
  proxy::Step& step = *named.mutable_pgm()->add_steps();
  step.mutable_query()->set_stmt("SELECT b FROM t WHERE a = :a AND b = $b");
  proxy::Named& values = *step.mutable_query()->mutable_named();
  values.add_names(":a");
  values.add_values()->set_data(replication::encode_bincode(7));
  values.add_names("b");  // a name without its sigil matches too
  values.add_values()->set_data(replication::encode_bincode("x"));
  const auto results = execute(named);
  ASSERT_EQ(results.results(0).row().rows_size(), 1);
}

TEST_F(ProxyServiceTest, ABindFailureIsASqlErrorInSqldsWords) {
  proxy::ProgramReq request;
  request.set_client_id(kClient);
  add_step(request, "SELECT ?", {Value(1), Value(2)});
  const auto results = execute(request);
  const proxy::Error& error = results.results(0).error();
  EXPECT_EQ(error.code(), proxy::Error::SQL_ERROR);
  EXPECT_EQ(error.message(),
            "LibSQL failed to bind provided query parameters: `too many parameters, expected 1 "
            "found 2`");
}

TEST_F(ProxyServiceTest, ASqliteFailureCarriesTheExtendedCode) {
  execute(kClient, {"CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)"});
  const auto results = execute(kClient, {"INSERT INTO t VALUES (1)"});
  const proxy::Error& error = results.results(0).error();
  EXPECT_EQ(error.code(), proxy::Error::INTERNAL);
  EXPECT_EQ(error.extended_code(), 1555) << "SQLITE_CONSTRAINT_PRIMARYKEY, as the client expects";
  EXPECT_EQ(error.message(), "UNIQUE constraint failed: t.id");
  const auto missing = execute(kClient, {"SELECT nope FROM t"});
  EXPECT_EQ(missing.results(0).error().message(),
            "no such column: nope in SELECT nope FROM t at offset 7")
      << "rusqlite's words for an error SQLite places in the text";
  EXPECT_EQ(missing.results(0).error().extended_code(), 1);
}

TEST_F(ProxyServiceTest, RunsATransactionalBatchWithConditions) {
  execute(kClient, {"CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)"});
  // The shape of the client's execute_transactional_batch, with a failing statement.
  proxy::ProgramReq request = program(kClient, {"BEGIN TRANSACTION", "INSERT INTO t VALUES (2)",
                                                "INSERT INTO t VALUES (1)", "COMMIT", "ROLLBACK"});
  auto& steps = *request.mutable_pgm()->mutable_steps();
  for (int i = 1; i <= 3; ++i) steps[i].mutable_cond()->mutable_ok()->set_step(i - 1);
  steps[4].mutable_cond()->mutable_not_()->mutable_cond()->mutable_ok()->set_step(3);
  const auto results = execute(request);
  ASSERT_EQ(results.results_size(), 5);
  EXPECT_TRUE(results.results(1).has_row());
  EXPECT_EQ(results.results(2).error().extended_code(), 1555);
  ASSERT_TRUE(results.results(3).has_row()) << "a skipped step is an empty result";
  EXPECT_EQ(results.results(3).row().column_descriptions_size(), 0);
  EXPECT_TRUE(results.results(4).has_row()) << "the ROLLBACK ran";
  EXPECT_EQ(results.state(), proxy::INIT);
  EXPECT_EQ(count_rows(), 1) << "rolled back";
}

TEST_F(ProxyServiceTest, EvaluatesAndOrAutocommitAndRefusesReferencesAhead) {
  proxy::ProgramReq request = program(kClient, {"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4"});
  auto& steps = *request.mutable_pgm()->mutable_steps();
  auto& both = *steps[1].mutable_cond()->mutable_and_();
  both.add_conds()->mutable_ok()->set_step(0);
  both.add_conds()->mutable_is_autocommit();
  auto& either = *steps[2].mutable_cond()->mutable_or_();
  either.add_conds()->mutable_err()->set_step(0);
  either.add_conds()->mutable_err()->set_step(1);
  steps[3].mutable_cond()->mutable_ok()->set_step(5);
  const auto results = execute(request);
  EXPECT_EQ(results.results(1).row().rows_size(), 1) << "ok(0) and autocommit";
  EXPECT_EQ(results.results(2).row().rows_size(), 0) << "neither step failed: skipped";
  EXPECT_EQ(results.results(3).error().code(), proxy::Error::INTERNAL);
  EXPECT_EQ(results.results(3).error().message(), "Invalid batch step: 5");
}

TEST_F(ProxyServiceTest, KeepsATransactionAcrossCalls) {
  execute(kClient, {"CREATE TABLE t (x)"});
  EXPECT_EQ(execute(kClient, {"BEGIN"}).state(), proxy::TXN);
  EXPECT_TRUE(proxy_.holds_connection(kClient)) << "the transaction lives on its connection";
  EXPECT_EQ(execute(kClient, {"INSERT INTO t VALUES (1)"}).state(), proxy::TXN);
  EXPECT_EQ(count_rows(kOtherClient), 0) << "not committed yet";
  EXPECT_EQ(count_rows(kClient), 1) << "the transaction sees its own write";
  EXPECT_EQ(execute(kClient, {"COMMIT"}).state(), proxy::INIT);
  EXPECT_FALSE(proxy_.holds_connection(kClient));
  EXPECT_EQ(count_rows(kOtherClient), 1);
}

TEST_F(ProxyServiceTest, RunsOnlyTheFirstStatementOfAStep) {
  execute(kClient, {"CREATE TABLE t (x); INSERT INTO t VALUES (1)"});
  EXPECT_EQ(count_rows(), 0) << "sqld runs the first statement of a step's text";
}

TEST_F(ProxyServiceTest, AProgramThatDoesNotConvertFailsTheCallAsSqld) {
  EXPECT_EQ(refusal(program(kClient, {"  -- nothing"})),
            (Status{StatusCode::kInvalidArgument, "invalid empty statement"}));
  EXPECT_EQ(refusal(program(kClient, {"VACUUM"})),
            (Status{StatusCode::kInvalidArgument, "unsupported statement: VACUUM"}));
  proxy::ProgramReq no_params = program(kClient, {"SELECT 1"});
  no_params.mutable_pgm()->mutable_steps(0)->mutable_query()->clear_Params();
  EXPECT_EQ(refusal(no_params), (Status{StatusCode::kInvalidArgument, "missing params in query"}));
  proxy::ProgramReq bad_value = program(kClient, {"SELECT ?"});
  bad_value.mutable_pgm()
      ->mutable_steps(0)
      ->mutable_query()
      ->mutable_positional()
      ->add_values()
      ->set_data("\x09");
  EXPECT_EQ(refusal(bad_value).code, StatusCode::kInvalidArgument);
  proxy::ProgramReq no_uuid = program("not-a-uuid", {"SELECT 1"});
  EXPECT_EQ(refusal(no_uuid).code, StatusCode::kInvalidArgument);
}

TEST_F(ProxyServiceTest, ASyntaxErrorAnywhereFailsTheCallBeforeAnythingRuns) {
  execute(kClient, {"CREATE TABLE t (x)"});
  const Status status = refusal(program(kClient, {"INSERT INTO t VALUES (1)", "SELEC 1"}));
  EXPECT_EQ(status.code, StatusCode::kInvalidArgument);
  EXPECT_NE(status.message.find("syntax error"), std::string::npos) << status.message;
  EXPECT_EQ(count_rows(), 0) << "the first step did not run";
  EXPECT_EQ(refusal(program(kClient, {"SELEC 1"})).code, StatusCode::kInvalidArgument);
}

TEST_F(ProxyServiceTest, AReadOnlyCredentialMayNotWrite) {
  execute(kClient, {"CREATE TABLE t (x)"});
  const Status status =
      refusal(program(kClient, {"SELECT 1", "INSERT INTO t VALUES (1)"}), {.can_read = true});
  EXPECT_EQ(status, (Status{StatusCode::kPermissionDenied,
                            "Authorization forbidden: Current session doesn't not have Write "
                            "permission to namespace default"}));
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(ProxyServiceTest, ABlockedNamespaceFailsTheStepNotTheCall) {
  execute(kClient, {"CREATE TABLE t (x)"});
  ns_->set_config({.block_writes = true, .block_reason = std::string("quota")});
  const auto results = execute(kClient, {"SELECT 1", "INSERT INTO t VALUES (1)"});
  EXPECT_TRUE(results.results(0).has_row());
  EXPECT_EQ(results.results(1).error().message(), "Operation was blocked: quota");
}

TEST_F(ProxyServiceTest, DescribesColumnsAndParameters) {
  execute(kClient, {"CREATE TABLE t (id INTEGER, name TEXT)"});
  proxy::DescribeRequest request;
  request.set_client_id(kClient);
  request.set_stmt("SELECT id, name, ? FROM t WHERE id = :id");
  auto result = proxy_.describe(caller(), request);
  ASSERT_TRUE(std::holds_alternative<proxy::DescribeResult>(result));
  const proxy::Description& description = std::get<proxy::DescribeResult>(result).description();
  ASSERT_EQ(description.column_descriptions_size(), 3);
  EXPECT_EQ(description.column_descriptions(0).decltype_(), "INTEGER");
  EXPECT_EQ(description.param_count(), 2u);
  ASSERT_EQ(description.param_names_size(), 1) << "a bare ? has no name";
  EXPECT_EQ(description.param_names(0), ":id");

  request.set_stmt("SELECT * FROM nope");
  auto failed = proxy_.describe(caller(), request);
  ASSERT_TRUE(std::holds_alternative<Status>(failed));
  EXPECT_EQ(std::get<Status>(failed),
            (Status{StatusCode::kPermissionDenied, "no such table: nope"}))
      << "sqld answers a describe that fails with PERMISSION_DENIED";
}

TEST_F(ProxyServiceTest, DisconnectRollsTheClientBack) {
  execute(kClient, {"CREATE TABLE t (x)"});
  execute(kClient, {"BEGIN", "INSERT INTO t VALUES (1)"});
  EXPECT_TRUE(proxy_
                  .disconnect([] {
                    proxy::DisconnectMessage message;
                    message.set_client_id(kClient);
                    return message;
                  }())
                  .ok());
  EXPECT_EQ(proxy_.client_count(), 0u) << "the client is forgotten";
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(ProxyServiceTest, CollectsClientsIdleFor30SecondsAndRollsThemBack) {
  execute(kClient, {"CREATE TABLE t (x)"});
  execute(kClient, {"BEGIN", "INSERT INTO t VALUES (1)"});
  EXPECT_EQ(proxy_.collect_garbage(ProxyService::Clock::now() + std::chrono::seconds(29)), 0u)
      << "29 s idle is not enough";
  EXPECT_EQ(proxy_.collect_garbage(ProxyService::Clock::now() + std::chrono::seconds(31)), 1u);
  EXPECT_FALSE(proxy_.holds_connection(kClient));
  EXPECT_EQ(count_rows(), 0) << "its transaction was rolled back";
  EXPECT_EQ(execute(kClient, {"SELECT 1"}).state(), proxy::INIT) << "the client starts afresh";
}

class ProxyTimeoutTest : public ProxyServiceTest {
 protected:
  ProxyTimeoutTest() : ProxyServiceTest({}, std::chrono::milliseconds(100)) {}
};

TEST_F(ProxyTimeoutTest, ATransactionTakenAwayFailsEveryStepOfTheNextCall) {
  execute(kClient, {"CREATE TABLE t (x)"});
  execute(kClient, {"BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)"});
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  // Another writer waits: the idle transaction past its timeout loses the lock.
  execute(kOtherClient, {"INSERT INTO t VALUES (2)"});
  const auto results = execute(kClient, {"INSERT INTO t VALUES (3)", "COMMIT"});
  ASSERT_EQ(results.results_size(), 2);
  for (const auto& result : results.results()) {
    EXPECT_EQ(result.error().code(), proxy::Error::TX_TIMEOUT);
    EXPECT_EQ(result.error().message(), "Transaction timed-out");
  }
  EXPECT_EQ(results.state(), proxy::INIT);
  EXPECT_EQ(count_rows(), 1) << "only the other client's row";
}

}  // namespace
}  // namespace libsql::server
