// connection.cc: opening, configuring and using one sqlite3 connection.

#include "engine/connection.h"

#include <sqlite3.h>

#include <climits>
#include <string>

#include "engine/sqlite_error.h"
#include "engine/sqlite_internals.h"
#include "engine/wal_capture.h"
#include "libsql/error.h"

namespace libsql::engine {

namespace {

// Every file we create uses this page size: libSQL replication frames carry 4096-byte
// pages, so a database made here must be replicable without conversion.
constexpr int kPageSize = 4096;

int open_flags(OpenMode mode) {
  // NOMUTEX: one thread uses a connection at a time, so SQLite's per-connection mutex
  // would only cost time.
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  switch (mode) {
    case OpenMode::kReadWriteCreate:
      return flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    case OpenMode::kReadWrite:
      return flags | SQLITE_OPEN_READWRITE;
    case OpenMode::kReadOnly:
      return flags | SQLITE_OPEN_READONLY;
  }
  return flags;
}

// The first column of the first row of a one-row query.
Value query_single(Connection& connection, std::string_view sql) {
  Statement statement = connection.prepare(sql);
  return statement.step() ? statement.column_value(0) : Value();
}

// Per-connection state the authorizer writes; owned by the sqlite3 handle (clientdata).
struct SessionState {
  bool changed = false;
};
constexpr const char* kSessionStateKey = "libsql.session";

// Pragmas whose argument names what to read (`PRAGMA table_info(t)`), not a setting.
bool is_query_pragma(std::string_view name) {
  static constexpr std::string_view kQueries[] = {
      "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
      "integrity_check",   "quick_check",      "table_info", "table_list", "table_xinfo"};
  for (std::string_view query : kQueries) {
    if (name.size() == query.size() &&
        sqlite3_strnicmp(name.data(), query.data(), static_cast<int>(name.size())) == 0) {
      return true;
    }
  }
  return false;
}

// Watches what statements do at prepare time; never denies anything.
int watch_session_changes(void* user_data, int action, const char* arg1, const char* arg2,
                          const char* /*database*/, const char* /*trigger*/) {
  auto* state = static_cast<SessionState*>(user_data);
  switch (action) {
    case SQLITE_PRAGMA:
      // A pragma with a value sets something (conservatively: even database-wide ones).
      if (arg2 != nullptr && !is_query_pragma(arg1)) state->changed = true;
      break;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
      state->changed = true;
      break;
    default:
      break;
  }
  return SQLITE_OK;
}

// What a commit sets off, shared by the arbiter and the capture; owned by the sqlite3
// handle (clientdata), so its address is stable while the Connection moves.
struct CommitHook {
  WriteArbiter* arbiter = nullptr;
  std::shared_ptr<WalCapture> capture;
};
constexpr const char* kCommitHookKey = "libsql.commit";

// SQLite checkpoints the WAL from its own commit hook, which ours replaces: without a
// capture, do the same (its default: a passive checkpoint once the WAL holds 1000 pages).
constexpr int kAutoCheckpointPages = 1000;

// SQLite calls this once the commit is done and the write lock released.
int on_wal_commit(void* user_data, sqlite3* db, const char* schema, int wal_pages) {
  auto* hook = static_cast<CommitHook*>(user_data);
  // Waiting writers first: the next commit proceeds while this one is captured, and
  // one capture may then take both.
  if (hook->arbiter != nullptr) hook->arbiter->notify_lock_released();
  if (hook->capture) {
    hook->capture->capture();
  } else if (wal_pages >= kAutoCheckpointPages) {
    sqlite3_wal_checkpoint(db, schema);
  }
  return SQLITE_OK;
}

void install_commit_hook(sqlite3* db, const OpenOptions& options) {
  if (!options.arbiter && !options.capture) return;
  auto* hook = new CommitHook{options.arbiter.get(), options.capture};
  sqlite3_set_clientdata(db, kCommitHookKey, hook,
                         [](void* p) { delete static_cast<CommitHook*>(p); });
  if (options.capture) sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_wal_hook(db, on_wal_commit, hook);
}

bool is_blank(std::string_view sql) {
  return sql.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace

Connection Connection::open(const std::string& path, const OpenOptions& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, open_flags(options.mode), nullptr);
  Connection connection(db);  // owns db even when opening failed
  if (rc != SQLITE_OK) {
    const Error cause = sqlite_error(db, rc);
    throw Error(cause.code(), "cannot open database \"" + path + "\": " + cause.what());
  }
  sqlite3_extended_result_codes(db, 1);
  try {
    connection.set_busy_timeout(options.busy_timeout);
    if (options.max_value_bytes > 0) {
      sqlite3_limit(db, SQLITE_LIMIT_LENGTH, options.max_value_bytes);
    }
    // The dialect comes before the file settings: it may first have to bring the
    // file's schema into a form SQLite reads at all (its attach says).
    if (options.dialect) connection.dialect_ = options.dialect->attach(connection);
    connection.configure(options);
    if (options.on_open) options.on_open(connection);
  } catch (const Error& e) {
    throw Error(e.code(), "cannot open database \"" + path + "\": " + e.what());
  }
  // Installed after our own settings and the dialect's, so only the user's statements
  // count.
  auto* session = new SessionState;
  sqlite3_set_clientdata(db, kSessionStateKey, session,
                         [](void* p) { delete static_cast<SessionState*>(p); });
  sqlite3_set_authorizer(db, watch_session_changes, session);
  if (options.arbiter) connection.member_ = options.arbiter->join(db);
  install_commit_hook(db, options);
  return connection;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    owned_ = other.owned_;
    member_ = std::move(other.member_);
    dialect_ = std::move(other.dialect_);
  }
  return *this;
}

Connection::~Connection() { close(); }

// close_v2 defers the close until the last statement is finalized, so a forgotten
// statement cannot make the destructor fail.
void Connection::close() noexcept {
  if (!owned_) return;
  // The dialect's session may hold statements of its own: they go first.
  dialect_.reset();
  if (member_) member_->arbiter->leave(*member_);
  member_.reset();
  // The handle may live on as a zombie (close_v2 with statements left): no hook then.
  if (db_ != nullptr) sqlite3_wal_hook(db_, nullptr, nullptr);
  sqlite3_close_v2(db_);
}

Connection::Use::Use(Connection& connection) : member_(connection.member_) {
  if (!member_) return;
  member_->in_use.lock();
  member_->use_began = WriteArbiter::Clock::now();
}

Connection::Use::~Use() {
  if (!member_) return;
  member_->arbiter->use_ended(*member_);
  member_->in_use.unlock();
}

bool Connection::Use::take_lost_transaction() noexcept {
  return member_ && std::exchange(member_->lost_transaction, false);
}

void Connection::configure(const OpenOptions& options) {
  // Reading the page count also reads the file header: a file that is not a database
  // fails here (SQLITE_NOTADB), at open, rather than at the first query.
  const bool is_new = query_single(*this, "PRAGMA page_count").as_integer() == 0;

  const bool in_memory = sqlite3_db_filename(db_, "main")[0] == '\0';
  if (in_memory || options.mode == OpenMode::kReadOnly) return;
  if (is_new) execute_script("PRAGMA page_size = " + std::to_string(kPageSize));
  if (options.wal) {
    const Value mode = query_single(*this, "PRAGMA journal_mode = WAL");
    if (mode != Value("wal")) {
      throw Error(PrimaryCode::kError,
                  "cannot switch to WAL mode (journal mode stays " +
                      (mode.type() == ValueType::kText ? mode.as_text() : "?") + ")");
    }
  }
}

PreparedPrefix Connection::prepare_first_plain(std::string_view sql) {
  while (!sql.empty()) {
    if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
      throw Error(PrimaryCode::kTooBig, "SQL text of " + std::to_string(sql.size()) +
                                            " bytes is longer than SQLite accepts");
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, &tail);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc);
    const auto consumed = static_cast<std::size_t>(tail - sql.data());
    sql.remove_prefix(consumed);
    // A lone ";" or a comment prepares to no statement: keep looking after it.
    if (stmt != nullptr) return PreparedPrefix{Statement(stmt), sql};
    if (consumed == 0) break;
  }
  return PreparedPrefix{std::nullopt, sql};
}

Statement Connection::prepare(std::string_view sql) {
  PreparedPrefix first = prepare_first(sql);
  if (!first.statement) {
    throw Error(PrimaryCode::kMisuse,
                "no SQL statement to prepare (the text is empty or only comments)");
  }
  if (!is_blank(first.rest) && prepare_first(first.rest).statement) {
    throw Error(PrimaryCode::kMisuse,
                "more than one SQL statement given where one is expected; run scripts with "
                "execute_batch()");
  }
  return std::move(*first.statement);
}

void Connection::execute_script(std::string_view sql) {
  while (true) {
    PreparedPrefix next = prepare_first(sql);
    if (!next.statement) return;
    while (next.statement->step()) {
    }
    sql = next.rest;
  }
}

void Connection::rollback_quietly() noexcept {
  if (is_autocommit()) return;
  try {
    execute_script("ROLLBACK");
  } catch (const Error&) {
  }
}

void Connection::copy_to(const std::string& path) {
  sqlite3* target = nullptr;
  const int opened =
      sqlite3_open_v2(path.c_str(), &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  const Connection owner(target);  // closes target however this ends
  if (opened != SQLITE_OK) throw sqlite_error(target, opened);
  sqlite3_backup* backup = sqlite3_backup_init(target, "main", db_, "main");
  if (backup == nullptr) throw sqlite_error(target, sqlite3_errcode(target));
  // One step copies every page under one read transaction on this connection: the
  // copy is the database as of one commit, however many writers go on meanwhile.
  const int stepped = sqlite3_backup_step(backup, -1);
  const int finished = sqlite3_backup_finish(backup);
  if (stepped != SQLITE_DONE) throw sqlite_error(target, stepped);
  if (finished != SQLITE_OK) throw sqlite_error(target, finished);
}

std::int64_t Connection::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_);
}

void Connection::reset_last_insert_rowid() noexcept { sqlite3_set_last_insert_rowid(db_, 0); }

std::int64_t Connection::changes() const noexcept { return sqlite3_changes64(db_); }

std::int64_t Connection::total_changes() const noexcept { return sqlite3_total_changes64(db_); }

bool Connection::is_autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

void Connection::set_busy_timeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count() > INT_MAX ? INT_MAX : static_cast<int>(timeout.count());
  const int rc = sqlite3_busy_timeout(db_, ms);
  if (rc != SQLITE_OK) throw_sqlite_error(db_, rc);
}

void Connection::interrupt() noexcept { sqlite3_interrupt(db_); }

std::uint64_t Connection::schema_generation() const noexcept {
  return libsql_schema_generation(db_);
}

bool Connection::session_changed() const noexcept {
  const auto* state =
      static_cast<const SessionState*>(sqlite3_get_clientdata(db_, kSessionStateKey));
  return state != nullptr && state->changed;
}

}  // namespace libsql::engine
