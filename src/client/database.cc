// database.cc: implements include/libsql/database.h; the Builder picks the DatabaseImpl.

#include "libsql/database.h"

#include "client/local_database.h"
#include "sql/dialect.h"

namespace libsql {

namespace {

engine::OpenMode to_open_mode(OpenFlags flags) {
  switch (flags) {
    case OpenFlags::kReadWriteCreate:
      return engine::OpenMode::kReadWriteCreate;
    case OpenFlags::kReadWrite:
      return engine::OpenMode::kReadWrite;
    case OpenFlags::kReadOnly:
      return engine::OpenMode::kReadOnly;
  }
  return engine::OpenMode::kReadWriteCreate;
}

}  // namespace

Connection Database::connect() const { return Connection(impl_->connect()); }

Database LocalBuilder::build() const {
  engine::Database database(path_, {.mode = to_open_mode(flags_),
                                    .busy_timeout = busy_timeout_,
                                    .dialect = sql::libsql_dialect()});
  database.connect();  // fails now, with the file's error, rather than at first use
  return Database(std::make_shared<client::LocalDatabase>(std::move(database)));
}

}  // namespace libsql
