// database.h: one database file and the settings every connection to it gets.
//
// A Database is cheap: it holds the path and options and opens connections on
// demand. It owns no connection, so it may be shared between threads freely; each
// Connection it returns belongs to one thread at a time. Layers above build pools
// and replication hooks on it.
#pragma once

#include <string>

#include "engine/connection.h"

namespace libsql::engine {

class Database {
 public:
  explicit Database(std::string path, OpenOptions options = {})
      : path_(std::move(path)), options_(options) {}

  // Opens a new connection with this database's options (see Connection::open).
  Connection connect() const { return Connection::open(path_, options_); }

  const std::string& path() const noexcept { return path_; }
  const OpenOptions& options() const noexcept { return options_; }

 private:
  std::string path_;
  OpenOptions options_;
};

// The version of the SQLite library compiled in, e.g. "3.46.1".
std::string_view sqlite_version() noexcept;

}  // namespace libsql::engine
