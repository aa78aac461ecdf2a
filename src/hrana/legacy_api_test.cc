// legacy_api_test.cc: POST / ({"statements": [...]}), sqld's first HTTP API.

#include "hrana/legacy_api.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace libsql::hrana {
namespace {

namespace bj = boost::json;

class LegacyApiTest : public ::testing::Test {
 protected:
  bj::value run_ok(std::string_view body) {
    const LegacyResponse response = run_legacy_request(pool_, body, {});
    EXPECT_EQ(response.status, 200) << response.body;
    return bj::parse(response.body);
  }

  testing::TempDir dir_;
  engine::ConnectionPool pool_{engine::Database(dir_.file("l.db")), 4};
};

TEST_F(LegacyApiTest, RunsStatementsWithPlainJsonValues) {
  const bj::value out = run_ok(
      R"json({"statements":["create table t(x, y)",{"q":"insert into t values (?, ?)","params":[1, "a"]},)json"
      R"json({"q":"insert into t values (:x, :y)","params":{":x":2.5,"y":{"base64":"aGk"}}},)json"
      R"json({"q":"insert into t values (?, ?)","params":[true, null]},"select x, y from t order by rowid"]})json");
  ASSERT_EQ(out.as_array().size(), 5u);
  EXPECT_EQ(bj::serialize(out.at(4).at("results").at("columns")), R"json(["x","y"])json");
  EXPECT_EQ(bj::serialize(out.at(4).at("results").at("rows")),
            R"json([[1,"a"],[2.5E0,{"base64":"aGk"}],[1,null]])json");
}

TEST_F(LegacyApiTest, StopsAtTheFirstFailureWithoutAnImplicitTransaction) {
  run_ok(R"json({"statements":["create table t(x)"]})json");
  const bj::value out = run_ok(
      R"json({"statements":["insert into t values (1)","select * from nope","select 1"]})json");
  EXPECT_EQ(out.at(1).at("error").as_string(), "no such table: nope");
  EXPECT_TRUE(out.at(2).is_null());
  EXPECT_EQ(run_ok(R"json({"statements":["select count(*) from t"]})json")
                .at(0)
                .at("results")
                .at("rows")
                .at(0)
                .at(0)
                .as_int64(),
            1);
}

TEST_F(LegacyApiTest, RefusesWhatSqldRefuses) {
  EXPECT_EQ(
      run_legacy_request(pool_, R"json({"statements":["select 1; select 2"]})json", {}).status,
      400);
  const LegacyResponse open = run_legacy_request(pool_, R"json({"statements":["begin"]})json", {});
  EXPECT_EQ(open.status, 400);
  EXPECT_EQ(
      open.body,
      R"json({"error":"Query error: `interactive transaction not allowed in HTTP queries`"})json");
  EXPECT_EQ(
      run_legacy_request(pool_, R"json({"statements":["savepoint a","release a"]})json", {}).status,
      400);
  EXPECT_EQ(run_legacy_request(pool_, R"json({"statements":["selec 1"]})json", {}).status, 500);
  EXPECT_EQ(run_legacy_request(pool_, "nope", {}).status, 400);
  EXPECT_EQ(run_legacy_request(pool_, R"json({"statements":"select 1"})json", {}).status, 422);
  EXPECT_EQ(run_legacy_request(
                pool_,
                R"json({"statements":[{"q":"select ?","params":[{"base64":"aGVsbG8="}]}]})json", {})
                .status,
            422)
      << "blobs here are unpadded base64";
  EXPECT_EQ(run_legacy_request(pool_, std::string(kLegacyMaxBodyBytes + 1, ' '), {}).status, 413);
}

TEST_F(LegacyApiTest, ReportsBindErrorsAndEmptyStatementsInTheArray) {
  const bj::value out = run_ok(R"json({"statements":[{"q":"select ?","params":[1,2]}]})json");
  EXPECT_EQ(
      out.at(0).at("error").as_string(),
      "LibSQL failed to bind provided query parameters: `too many parameters, expected 1 found 2`");
  EXPECT_EQ(run_ok(R"json({"statements":[""]})json").at(0).at("error").as_string(), "not an error");
}

}  // namespace
}  // namespace libsql::hrana
