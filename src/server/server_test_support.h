// server_test_support.h: a whole Server on a loopback port and a temporary data
// directory, running on two threads for the length of one test. For tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "server/server.h"
#include "tests/support/temp_dir.h"

namespace libsql::server::test_support {

class RunningServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.db_path = dir_.path() / "data.sqld";
    config.http_listen_addr = {"127.0.0.1", 0};
    configure(config);
    server_ = std::make_unique<Server>(config);
    serving_ = std::thread([this] { server_->run(2); });
  }
  void TearDown() override {
    server_->stop();
    serving_.join();
  }
  // Changes the configuration before the server starts.
  virtual void configure(ServerConfig&) {}

  testing::TempDir dir_;
  std::unique_ptr<Server> server_;
  std::thread serving_;
};

}  // namespace libsql::server::test_support
