// database.h: a libSQL database, local today (remote and embedded replicas build on
// the same shape: a Database made by a Builder hands out Connections).
//
//   auto db = libsql::Builder::local("app.db").build();
//   auto conn = db.connect();
//
// A Database may be shared between threads; connect() from each thread that needs one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "libsql/connection.h"

namespace libsql {

namespace client {
class DatabaseImpl;
}

class Database {
 public:
  explicit Database(std::shared_ptr<client::DatabaseImpl> impl) : impl_(std::move(impl)) {}

  Connection connect() const;

 private:
  std::shared_ptr<client::DatabaseImpl> impl_;
};

// How a local file is opened.
enum class OpenFlags { kReadWriteCreate, kReadWrite, kReadOnly };

// Configures a database on a local file. New files get WAL mode and 4096-byte pages.
class LocalBuilder {
 public:
  explicit LocalBuilder(std::string path) : path_(std::move(path)) {}

  LocalBuilder& flags(OpenFlags flags) {
    flags_ = flags;
    return *this;
  }
  // How long a statement waits for another connection's lock before SQLITE_BUSY.
  LocalBuilder& busy_timeout(std::chrono::milliseconds timeout) {
    busy_timeout_ = timeout;
    return *this;
  }
  // Opens the file once to check it (throwing libsql::Error if it cannot be opened or
  // is not a database) and returns the Database.
  Database build() const;

 private:
  std::string path_;
  OpenFlags flags_ = OpenFlags::kReadWriteCreate;
  std::chrono::milliseconds busy_timeout_{5000};
};

class Builder {
 public:
  // A database in a local file; ":memory:" gives a private in-memory database per
  // connection, as in SQLite.
  static LocalBuilder local(std::string path) { return LocalBuilder(std::move(path)); }
};

}  // namespace libsql
