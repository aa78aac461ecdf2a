// sqld_test.cc: the sqld program as an operator runs it: starts, answers /health, and
// exits 0 on SIGINT and SIGTERM; startup failures exit non-zero with a reason.

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace {

using libsql::testing::HttpClient;
using libsql::testing::Subprocess;
using libsql::testing::TempDir;

// Starts sqld on an ephemeral port and returns the port it announced.
std::uint16_t start(Subprocess& sqld) {
  const auto line = sqld.wait_for_line("HTTP API listening on");
  if (!line) {
    ADD_FAILURE() << "sqld did not announce its address; output:\n" << sqld.output();
    return 0;
  }
  std::smatch match;
  std::regex_search(*line, match, std::regex(R"(:(\d+)$)"));
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

class SqldProcess : public ::testing::TestWithParam<int> {};

TEST_P(SqldProcess, ServesHealthAndExitsCleanlyOnSignal) {
  TempDir dir;
  Subprocess sqld({SQLD_BINARY, "--db-path", (dir.path() / "data.sqld").string(),
                   "--http-listen-addr", "127.0.0.1:0"});
  const auto port = start(sqld);
  ASSERT_NE(port, 0);
  HttpClient client(port);
  EXPECT_EQ(client.get("/health").result(), boost::beast::http::status::ok);
  sqld.send_signal(GetParam());
  const auto status = sqld.wait_exit();
  ASSERT_TRUE(status.has_value()) << "sqld did not exit within 10 s of the signal";
  EXPECT_EQ(*status, 0) << sqld.output();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data.sqld" / "dbs" / "default" / "data"));
}

INSTANTIATE_TEST_SUITE_P(Signals, SqldProcess, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return param_info.param == SIGINT ? "SIGINT" : "SIGTERM";
                         });

TEST(SqldProgram, ReadsItsSettingsFromTheEnvironment) {
  TempDir dir;
  setenv("SQLD_DB_PATH", (dir.path() / "from-env").string().c_str(), 1);
  setenv("SQLD_HTTP_LISTEN_ADDR", "127.0.0.1:0", 1);
  Subprocess sqld({SQLD_BINARY});
  unsetenv("SQLD_DB_PATH");
  unsetenv("SQLD_HTTP_LISTEN_ADDR");
  ASSERT_NE(start(sqld), 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "from-env" / "dbs" / "default" / "data"));
}

TEST(SqldProgram, NoWelcomePrintsNothingUntilShutdown) {
  TempDir dir;
  Subprocess sqld(
      {SQLD_BINARY, "--no-welcome", "-d", dir.file("d"), "--http-listen-addr", "127.0.0.1:0"});
  EXPECT_FALSE(sqld.wait_for_line("listening", std::chrono::milliseconds(500)).has_value());
  sqld.send_signal(SIGTERM);
  EXPECT_EQ(sqld.wait_exit(), 0);
}

TEST(SqldProgram, ANonDatabaseFileStopsStartupWithTheReason) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "dbs" / "default");
  std::ofstream(dir.path() / "dbs" / "default" / "data") << std::string(4096, 'z');
  Subprocess sqld({SQLD_BINARY, "-d", dir.path().string(), "--http-listen-addr", "127.0.0.1:0"});
  EXPECT_EQ(sqld.wait_exit(), 1);
  EXPECT_NE(sqld.output().find("file is not a database"), std::string::npos) << sqld.output();
}

TEST(SqldProgram, AnUnknownFlagIsRefused) {
  Subprocess sqld({SQLD_BINARY, "--frobnicate"});
  const auto status = sqld.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(*status, 0);
  EXPECT_NE(sqld.output().find("frobnicate"), std::string::npos) << sqld.output();
}

TEST(SqldProgram, VersionFlagPrintsTheVersionLine) {
  Subprocess sqld({SQLD_BINARY, "--version"});
  EXPECT_EQ(sqld.wait_exit(), 0);
  EXPECT_EQ(sqld.output().rfind("sqld ", 0), 0u) << sqld.output();
}

}  // namespace
