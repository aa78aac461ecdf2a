// primary_replication.cc: implements primary_replication.h.

#include "replication/primary_replication.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <system_error>

#include "engine/connection.h"
#include "libsql/error.h"

namespace libsql::replication {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSentinel = ".sentinel";

// Creates `path` durably: the directory entry must survive the crash it is there for.
void create_durably(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(PrimaryCode::kCantOpen,
                "cannot create " + path.string() + ": " + std::generic_category().message(errno));
  }
  ::close(fd);
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Whether the database is as SQLite makes a new one: a lone first page holding an empty
// schema and no user or application number. Its log starts empty, as sqld's does for a
// new database, so a replica's first sync of it brings nothing.
bool is_pristine(std::uint32_t page_count, const engine::WalCapture::PageSource& page) {
  if (page_count == 0) return true;
  if (page_count > 1) return false;
  const std::uint8_t* first = page(1);
  constexpr std::size_t kHeader = 100;  // the database header, then the schema's b-tree
  const bool empty_schema = first[kHeader] == 0x0d /* leaf table */ && first[kHeader + 3] == 0 &&
                            first[kHeader + 4] == 0 /* no cells */;
  return empty_schema && read_be32(first + 60) == 0 /* user_version */ &&
         read_be32(first + 68) == 0 /* application_id */;
}

std::int64_t query_integer(engine::Connection& connection, std::string_view sql) {
  engine::Statement statement = connection.prepare(sql);
  return statement.step() ? statement.column_view(0).integer_value() : 0;
}

}  // namespace

bool convert_to_replication_page_size(const fs::path& database) {
  engine::Connection connection = engine::Connection::open(database.string(), {.wal = false});
  if (query_integer(connection, "PRAGMA page_size") == 4096) return false;
  connection.execute_script(
      "PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL");
  if (query_integer(connection, "PRAGMA page_size") != 4096) {
    throw Error(PrimaryCode::kError,
                "cannot convert " + database.string() + " to 4096-byte pages for replication");
  }
  return true;
}

// The log, as the capture sees it.
class PrimaryReplication::Sink : public engine::CommitSink {
 public:
  explicit Sink(FrameLog& log) : log_(log) {}
  void append(std::uint32_t page_no, const std::uint8_t* page, std::uint32_t size_after) override {
    log_.append(page_no, page, size_after);
  }
  void commit() override { log_.commit(); }
  void rollback() noexcept override { log_.rollback(); }

 private:
  FrameLog& log_;
};

std::unique_ptr<PrimaryReplication> PrimaryReplication::open(PrimaryReplicationOptions options) {
  return std::unique_ptr<PrimaryReplication>(new PrimaryReplication(std::move(options)));
}

PrimaryReplication::PrimaryReplication(PrimaryReplicationOptions options)
    : options_(std::move(options)) {
  const bool converted = convert_to_replication_page_size(options_.database);
  std::error_code ec;
  const fs::path sentinel = options_.directory / kSentinel;
  const bool unclean = fs::exists(sentinel, ec);
  const bool no_log = !fs::exists(options_.directory / "wallog", ec);
  create_durably(sentinel);

  const FrameLogOptions log_options{.directory = options_.directory,
                                    .max_live_frames = options_.max_live_frames,
                                    .on_commit = options_.on_commit};
  capture_ = engine::WalCapture::open(
      options_.database.string(),
      {.checkpoint_frames = options_.checkpoint_frames, .arbiter = options_.arbiter});
  capture_->start([&](std::uint32_t page_count,
                      const engine::WalCapture::PageSource& page) -> engine::CommitSink& {
    if (!unclean && !no_log && !converted) {
      try {
        log_ = FrameLog::open(log_options);
      } catch (const Error& e) {
        std::fprintf(stderr, "replication log of %s cannot be read (%s): rebuilding it\n",
                     options_.database.c_str(), e.what());
      }
    }
    if (!log_) {
      log_ = FrameLog::recreate(log_options, is_pristine(page_count, page) ? 0 : page_count, page);
      rebuilt_ = true;
    }
    sink_ = std::make_unique<Sink>(*log_);
    return *sink_;
  });
}

PrimaryReplication::~PrimaryReplication() {
  // The last commit's capture may have failed; it gets one more chance here.
  capture_->capture();
  const bool complete = !capture_->failed();
  capture_.reset();
  sink_.reset();
  log_.reset();
  if (complete) {
    std::error_code ec;
    fs::remove(options_.directory / kSentinel, ec);
  }
}

}  // namespace libsql::replication
