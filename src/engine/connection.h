// connection.h: one SQLite database connection, owned (closed on destruction).
//
// Opens a file with the project's settings (WAL, page size 4096 for new files, busy
// timeout, foreign keys), prepares statements and runs scripts. A connection is used
// by one thread at a time (SQLite's multi-thread mode: no per-connection mutex); only
// interrupt() may be called from another thread, and a WriteArbiter's rollback, which
// Use excludes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/dialect.h"
#include "engine/statement.h"
#include "engine/write_arbiter.h"

struct sqlite3;

namespace libsql::engine {

class WalCapture;

enum class OpenMode { kReadWriteCreate, kReadWrite, kReadOnly };

struct OpenOptions {
  OpenMode mode = OpenMode::kReadWriteCreate;
  // How long a statement waits for another connection's lock before SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
  // WAL for every file database that is opened for writing. Off leaves the file's
  // journal mode as it is.
  bool wal = true;
  // Largest string or blob a statement may make (SQLITE_LIMIT_LENGTH); SQLITE_TOOBIG
  // beyond it. 0 keeps SQLite's default (1e9 bytes).
  int max_value_bytes = 0;
  // Shares the write lock with the database's other connections (write_arbiter.h);
  // it then decides how long writers wait, not busy_timeout.
  std::shared_ptr<WriteArbiter> arbiter;
  // Captures every commit for replication (wal_capture.h): the connection then never
  // checkpoints by itself, and calls the capture from its commit hook.
  std::shared_ptr<WalCapture> capture;
  // The SQL dialect every prepare goes through (dialect.h); none prepares SQLite's own
  // SQL exactly as given.
  std::shared_ptr<const Dialect> dialect;
  // Runs last when a connection opens, after the settings above; may run SQL (e.g. a
  // size limit the owner may change between opens). What it throws fails the open.
  std::function<void(Connection&)> on_open;
};

// The result of preparing the first statement of a script.
struct PreparedPrefix {
  std::optional<Statement> statement;  // empty if the text held only spaces/comments
  std::string_view rest;               // the text after that statement
};

class Connection {
 public:
  // Opens `path` (a file name, ":memory:", or a "file:" URI). Throws libsql::Error,
  // e.g. SQLITE_CANTOPEN for a missing file in read-only mode, SQLITE_NOTADB for a
  // file that is not a database.
  static Connection open(const std::string& path, const OpenOptions& options = {});

  // The connection `db` without owning it, for code that runs inside one of its
  // statements (a StatementAction, a ScalarFunction): it prepares SQLite's own SQL (no
  // dialect) and does not close `db`.
  static Connection borrow(sqlite3* db) noexcept { return Connection(db, /*owned=*/false); }

  Connection(Connection&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)),
        owned_(other.owned_),
        member_(std::move(other.member_)),
        dialect_(std::move(other.dialect_)) {}
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Prepares exactly one statement; text after it may only be spaces, comments and
  // semicolons (SQLITE_MISUSE otherwise), and empty text is SQLITE_MISUSE too.
  Statement prepare(std::string_view sql);
  // Prepares the first statement of `sql`, for callers that walk a script. With a
  // dialect, the dialect decides what SQLite prepares (dialect.h).
  PreparedPrefix prepare_first(std::string_view sql) {
    // may_rewrite() answers in registers, so the common case costs one short call and
    // no copy of the result.
    if (dialect_ && dialect_->may_rewrite(sql)) return dialect_->prepare_first(*this, sql);
    return prepare_first_plain(sql);
  }
  // prepare_first() without the dialect: exactly SQLite's reading of `sql`.
  PreparedPrefix prepare_first_plain(std::string_view sql);
  // Runs every statement of a script, discarding rows.
  void execute_script(std::string_view sql);
  // Rolls back the open transaction, if any, and ignores a failure: cleanup after
  // another error, which is the one to report. is_autocommit() says whether it worked.
  void rollback_quietly() noexcept;
  // Writes a copy of the main database to a new file at `path`, as of one read
  // transaction (writers on other connections go on meanwhile). Throws libsql::Error.
  void copy_to(const std::string& path);

  std::int64_t last_insert_rowid() const noexcept;
  // Makes last_insert_rowid() read 0 again, as on a new connection.
  void reset_last_insert_rowid() noexcept;
  std::int64_t changes() const noexcept;
  std::int64_t total_changes() const noexcept;
  bool is_autocommit() const noexcept;
  void set_busy_timeout(std::chrono::milliseconds timeout);
  // Makes the running statement fail with SQLITE_INTERRUPT. Safe from any thread.
  void interrupt() noexcept;
  // True once a statement that changes this connection's session was prepared: a
  // setting PRAGMA, ATTACH/DETACH, or a TEMP object. Such a connection must not be
  // handed to another user (see ConnectionPool).
  bool session_changed() const noexcept;
  // Changes whenever the schema this connection prepares against may have changed (see
  // sqlite_internals.h): lets a dialect cache what it read from the schema.
  std::uint64_t schema_generation() const noexcept;

  sqlite3* handle() const noexcept { return db_; }

  // Exclusive use of the connection for one request. A WriteArbiter may roll back an
  // idle connection's transaction from another thread; holding a Use keeps it off.
  // Without an arbiter it costs nothing. Destroy it before handing the connection on
  // (to a pool, to another thread); a thread holds one Use at a time.
  class Use {
   public:
    explicit Use(Connection& connection);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

    // Whether the arbiter rolled back this connection's transaction since the last
    // call (the caller's request then fails with TRANSACTION_TIMEOUT); clears it.
    bool take_lost_transaction() noexcept;

   private:
    std::shared_ptr<WriteArbiter::Member> member_;
  };

 private:
  explicit Connection(sqlite3* db, bool owned = true) noexcept : db_(db), owned_(owned) {}
  void configure(const OpenOptions& options);
  void close() noexcept;

  sqlite3* db_;
  bool owned_ = true;
  std::shared_ptr<WriteArbiter::Member> member_;  // with an arbiter only
  std::unique_ptr<Dialect::Session> dialect_;     // with a dialect only
};

}  // namespace libsql::engine
