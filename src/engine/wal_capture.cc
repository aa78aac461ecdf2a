// wal_capture.cc: implements wal_capture.h: reading committed WAL frames and the
// capture-first checkpoint.
//
// The -wal file's layout (SQLite's wal.c): a 32-byte header, then frames of a 24-byte
// big-endian header (page number, database size after commit or 0, salt-1, salt-2, two
// checksum words) and the page. Frames up to the read transaction's max_frame are whole
// and committed; the salts tell this WAL's frames from an earlier one's left in the file.

#include "engine/wal_capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/sqlite_error.h"
#include "engine/sqlite_internals.h"
#include "engine/write_arbiter.h"
#include "libsql/error.h"

namespace libsql::engine {

namespace {

constexpr std::size_t kWalHeaderSize = 32;
constexpr std::size_t kWalFrameHeaderSize = 24;
constexpr std::size_t kWalFrameSize = kWalFrameHeaderSize + WalCapture::kPageSize;
// Frames read per pread: 64 frames is 258 KiB.
constexpr std::uint32_t kFramesPerRead = 64;

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

int exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

// A connection of the capture's own: it must never checkpoint by itself either.
Connection open_own_connection(const std::string& path) {
  Connection connection =
      Connection::open(path, {.mode = OpenMode::kReadWrite, .busy_timeout = {}, .wal = false});
  sqlite3* db = connection.handle();
  sqlite3_wal_autocheckpoint(db, 0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  return connection;
}

std::int64_t query_integer(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) throw_sqlite_error(db, rc);
  rc = sqlite3_step(stmt);
  const std::int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw_sqlite_error(db, rc);
  return value;
}

// Starts a read transaction (BEGIN alone does not take the read lock: a read does).
// SQLITE_BUSY can come from a WAL recovery under way in another connection: retry.
void begin_read(sqlite3* db) {
  for (int attempt = 0;; ++attempt) {
    int rc = exec(db, "BEGIN");
    if (rc == SQLITE_OK) rc = exec(db, "PRAGMA schema_version");
    if (rc == SQLITE_OK) return;
    exec(db, "ROLLBACK");
    if ((rc & 0xff) != SQLITE_BUSY || attempt == 100) throw_sqlite_error(db, rc);
    sqlite3_sleep(1);
  }
}

// Reads the whole database in page order through one statement on sqlite_dbpage, which
// sees the pages as of the caller's read transaction.
class DbpageCursor {
 public:
  explicit DbpageCursor(sqlite3* db) : db_(db) {
    const int rc = sqlite3_prepare_v2(db, "SELECT pgno, data FROM sqlite_dbpage WHERE pgno >= ?",
                                      -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw_sqlite_error(db, rc);
  }
  ~DbpageCursor() { sqlite3_finalize(stmt_); }
  DbpageCursor(const DbpageCursor&) = delete;
  DbpageCursor& operator=(const DbpageCursor&) = delete;

  // The page's bytes; pages asked for in increasing order are one scan.
  const std::uint8_t* page(std::uint32_t page_no) {
    if (!positioned_ || page_no < current_) seek(page_no);
    while (current_ < page_no) advance();
    const void* data = sqlite3_column_blob(stmt_, 1);
    if (sqlite3_column_bytes(stmt_, 1) != static_cast<int>(WalCapture::kPageSize)) {
      throw Error(PrimaryCode::kCorrupt, "page " + std::to_string(page_no) + " is not " +
                                             std::to_string(WalCapture::kPageSize) + " bytes");
    }
    return static_cast<const std::uint8_t*>(data);
  }

 private:
  void seek(std::uint32_t page_no) {
    sqlite3_reset(stmt_);
    sqlite3_bind_int64(stmt_, 1, page_no);
    positioned_ = true;
    advance();
  }
  void advance() {
    const int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW) {
      if (rc == SQLITE_DONE) throw Error(PrimaryCode::kCorrupt, "the database has fewer pages");
      throw_sqlite_error(db_, rc);
    }
    current_ = static_cast<std::uint32_t>(sqlite3_column_int64(stmt_, 0));
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool positioned_ = false;
  std::uint32_t current_ = 0;
};

}  // namespace

std::shared_ptr<WalCapture> WalCapture::open(const std::string& path, Options options) {
  return std::shared_ptr<WalCapture>(new WalCapture(path, std::move(options)));
}

WalCapture::WalCapture(const std::string& path, Options options)
    : path_(path),
      options_(std::move(options)),
      reader_(open_own_connection(path)),
      checkpointer_(open_own_connection(path)) {
  sqlite3* db = reader_.handle();
  const std::int64_t page_size = query_integer(db, "PRAGMA page_size");
  if (page_size != kPageSize) {
    throw Error(PrimaryCode::kMisuse, "cannot replicate \"" + path + "\": its page size is " +
                                          std::to_string(page_size) + ", and replication needs " +
                                          std::to_string(kPageSize));
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  const bool wal =
      stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW &&
      sqlite3_stricmp(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal") == 0;
  sqlite3_finalize(stmt);
  if (!wal) {
    throw Error(PrimaryCode::kMisuse, "cannot replicate \"" + path + "\": it is not in WAL mode");
  }
}

WalCapture::~WalCapture() {
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

void WalCapture::start(const Begin& begin) {
  const std::lock_guard lock(mutex_);
  sqlite3* db = reader_.handle();
  begin_read(db);
  try {
    libsql_wal_position position;
    if (libsql_wal_read_position(db, &position) == 0) {
      throw Error(PrimaryCode::kMisuse, "cannot replicate \"" + path_ + "\": no WAL to read");
    }
    const auto page_count = static_cast<std::uint32_t>(query_integer(db, "PRAGMA page_count"));
    DbpageCursor pages(db);
    CommitSink& sink =
        begin(page_count, [&pages](std::uint32_t page_no) { return pages.page(page_no); });
    sink_ = &sink;
    salt_[0] = position.salt[0];
    salt_[1] = position.salt[1];
    captured_frame_ = position.max_frame;
    wal_frames_ = position.max_frame;
  } catch (...) {
    exec(db, "ROLLBACK");
    throw;
  }
  exec(db, "COMMIT");
}

void WalCapture::capture() noexcept {
  const std::lock_guard lock(mutex_);
  if (sink_ == nullptr || failed_) return;
  sqlite3* db = reader_.handle();
  try {
    begin_read(db);
    capture_locked();
    exec(db, "COMMIT");
  } catch (const std::exception& e) {
    // The frames stay in the WAL (nothing checkpoints them uncaptured): the next capture
    // tries them again, unless the WAL itself no longer holds them.
    exec(db, "ROLLBACK");
    std::fprintf(stderr, "replication capture of %s %s: %s\n", path_.c_str(),
                 failed_ ? "stopped" : "failed, to be retried at the next commit", e.what());
    return;
  }
  if (wal_frames_ - checkpointed_frame_ >= options_.checkpoint_frames) {
    try {
      checkpoint_locked();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "checkpoint of %s failed: %s\n", path_.c_str(), e.what());
    }
  }
}

bool WalCapture::checkpoint() {
  const std::lock_guard lock(mutex_);
  if (sink_ == nullptr || failed_) return false;
  return checkpoint_locked();
}

bool WalCapture::failed() const {
  const std::lock_guard lock(mutex_);
  return failed_;
}

bool WalCapture::checkpoint_locked() {
  sqlite3* db = reader_.handle();
  // Holding the write lock, nothing commits between the capture and the backfill.
  const int rc = exec(db, "BEGIN IMMEDIATE");
  if ((rc & 0xff) == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) throw_sqlite_error(db, rc);
  struct ReleaseWriteLock {
    sqlite3* db;
    WriteArbiter* arbiter;
    ~ReleaseWriteLock() {
      exec(db, "ROLLBACK");
      if (arbiter != nullptr) arbiter->notify_lock_released();
    }
  } release{db, options_.arbiter.get()};
  capture_locked();
  int log_frames = 0;
  int checkpointed = 0;
  const int ckpt = sqlite3_wal_checkpoint_v2(checkpointer_.handle(), "main",
                                             SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed);
  if (ckpt != SQLITE_OK) {
    if ((ckpt & 0xff) == SQLITE_BUSY) return false;
    throw_sqlite_error(checkpointer_.handle(), ckpt);
  }
  // Frames a reader still needs stay in the WAL; the next checkpoint tries them again.
  if (checkpointed > 0) checkpointed_frame_ = static_cast<std::uint32_t>(checkpointed);
  return true;
}

void WalCapture::capture_locked() {
  sqlite3* db = reader_.handle();
  libsql_wal_position position;
  if (libsql_wal_read_position(db, &position) == 0) {
    throw Error(PrimaryCode::kMisuse, "no WAL read transaction to capture from");
  }
  if (position.salt[0] != salt_[0] || position.salt[1] != salt_[1]) {
    // A restart: every frame of the old WAL was captured before the checkpoint that
    // allowed it, and the new WAL's frames start at 1.
    salt_[0] = position.salt[0];
    salt_[1] = position.salt[1];
    captured_frame_ = 0;
    checkpointed_frame_ = 0;
  }
  wal_frames_ = position.max_frame;
  if (position.max_frame <= captured_frame_) return;
  if (!position.reads_wal) {
    // Only a checkpoint behind our back does this: the log can never be completed.
    failed_ = true;
    throw Error(PrimaryCode::kInternal, "WAL frames " + std::to_string(captured_frame_ + 1) + ".." +
                                            std::to_string(position.max_frame) +
                                            " were checkpointed before they were captured");
  }
  try {
    read_frames(captured_frame_ + 1, position.max_frame);
    sink_->commit();
  } catch (...) {
    sink_->rollback();
    throw;
  }
  captured_frame_ = position.max_frame;
}

void WalCapture::read_frames(std::uint32_t first, std::uint32_t last) {
  if (wal_fd_ < 0) {
    wal_fd_ = ::open((path_ + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ < 0) {
      throw Error(PrimaryCode::kIoErr, "cannot open " + path_ + "-wal: " + std::strerror(errno));
    }
  }
  std::vector<std::uint8_t> buffer(kFramesPerRead * kWalFrameSize);
  // A commit padded to a sector boundary repeats its commit frame (wal.c); a repeat is
  // no new transaction.
  std::vector<std::uint8_t> last_commit;
  bool previous_was_commit = false;
  for (std::uint32_t frame = first; frame <= last;) {
    const std::uint32_t count = std::min(kFramesPerRead, last - frame + 1);
    const std::size_t bytes = std::size_t{count} * kWalFrameSize;
    const off_t offset =
        static_cast<off_t>(kWalHeaderSize + std::size_t{frame - 1} * kWalFrameSize);
    std::size_t done = 0;
    while (done < bytes) {
      const ssize_t n =
          ::pread(wal_fd_, buffer.data() + done, bytes - done, offset + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw Error(PrimaryCode::kIoErr,
                    "cannot read frame " + std::to_string(frame) + " of " + path_ +
                        "-wal: " + (n < 0 ? std::strerror(errno) : "end of file"));
      }
      done += static_cast<std::size_t>(n);
    }
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint8_t* header = buffer.data() + std::size_t{i} * kWalFrameSize;
      const std::uint8_t* page = header + kWalFrameHeaderSize;
      std::uint32_t salt[2];
      std::memcpy(salt, header + 8, sizeof(salt));  // as SQLite copies them: raw bytes
      if (salt[0] != salt_[0] || salt[1] != salt_[1]) {
        throw Error(PrimaryCode::kCorrupt, "frame " + std::to_string(frame + i) + " of " + path_ +
                                               "-wal belongs to another WAL");
      }
      const std::uint32_t page_no = read_be32(header);
      const std::uint32_t size_after = read_be32(header + 4);
      if (size_after != 0) {
        if (previous_was_commit && std::memcmp(last_commit.data(), header, 8) == 0 &&
            std::memcmp(last_commit.data() + 8, page, kPageSize) == 0) {
          continue;
        }
        last_commit.assign(header, header + 8);
        last_commit.insert(last_commit.end(), page, page + kPageSize);
      }
      previous_was_commit = size_after != 0;
      sink_->append(page_no, page, size_after);
    }
    frame += count;
  }
}

}  // namespace libsql::engine
