// page_injector.cc: buffering page images and handing them to SQLite's WAL writer
// (sqlite_internals.c, libsql_wal_inject) within one write transaction per commit.

#include "engine/page_injector.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/sqlite_error.h"
#include "engine/sqlite_internals.h"
#include "libsql/error.h"

namespace libsql::engine {

namespace {

Connection open_replica(const std::string& path) {
  Connection connection = Connection::open(path);
  auto page_size = connection.prepare("PRAGMA page_size");
  const std::int64_t size = page_size.step() ? page_size.column_integer(0) : 0;
  if (size != static_cast<std::int64_t>(PageInjector::kPageSize)) {
    throw Error(PrimaryCode::kError, "cannot inject pages into \"" + path + "\": its pages are " +
                                         std::to_string(size) + " bytes, not " +
                                         std::to_string(PageInjector::kPageSize));
  }
  // FULL: the WAL is synced at each commit (NORMAL, the WAL default of our build, would
  // let a power loss take back a commit whose progress the caller already recorded).
  connection.execute_script("PRAGMA synchronous = FULL");
  return connection;
}

}  // namespace

PageInjector::PageInjector(const std::string& path, PageInjectorOptions options)
    : connection_(open_replica(path)), options_(options) {
  options_.max_buffered_pages = std::max<std::size_t>(options_.max_buffered_pages, 1);
}

PageInjector::~PageInjector() { rollback(); }

void PageInjector::add_page(std::uint32_t page_no, std::span<const std::uint8_t> page) {
  if (page.size() != kPageSize) {
    throw Error(PrimaryCode::kMisuse, "page " + std::to_string(page_no) + " has " +
                                          std::to_string(page.size()) + " bytes, not " +
                                          std::to_string(kPageSize));
  }
  if (page_no == 0) throw Error(PrimaryCode::kCorrupt, "page number 0 does not exist");
  has_pages_ = true;
  if (page_no == 1) {
    page_one_.assign(page.begin(), page.end());
    return;
  }
  if (auto found = slot_of_.find(page_no); found != slot_of_.end()) {
    std::memcpy(buffer_.data() + found->second * kPageSize, page.data(), kPageSize);
    return;
  }
  // Flushing before adding, not after, leaves the newest page in the buffer for the
  // commit frame to carry (libsql_wal_inject rewrites page 1 when a commit has none).
  if (buffered_page_nos_.size() >= options_.max_buffered_pages) flush();
  const std::size_t slot = buffered_page_nos_.size();
  if (slot == 0) buffer_.reserve(options_.max_buffered_pages * kPageSize);
  buffer_.resize((slot + 1) * kPageSize);
  std::memcpy(buffer_.data() + slot * kPageSize, page.data(), kPageSize);
  buffered_page_nos_.push_back(page_no);
  slot_of_.emplace(page_no, slot);
}

void PageInjector::commit(std::uint32_t size_after) {
  if (!has_pages_) throw Error(PrimaryCode::kMisuse, "no page to commit");
  if (size_after == 0) {
    rollback();
    throw Error(PrimaryCode::kCorrupt, "a transaction cannot leave a database of 0 pages");
  }
  write_buffer(size_after);
  finish_commit();
}

void PageInjector::rollback() noexcept {
  clear_buffer();
  if (!sqlite_transaction_) return;
  sqlite_transaction_ = false;
  // Discards the uncommitted frames (sqlite3WalUndo).
  connection_.rollback_quietly();
}

bool PageInjector::checkpoint() {
  if (has_pages_) {
    throw Error(PrimaryCode::kMisuse, "cannot checkpoint while an injected transaction is open");
  }
  int wal_frames = 0;
  int copied_frames = 0;
  const int rc = sqlite3_wal_checkpoint_v2(connection_.handle(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                           &wal_frames, &copied_frames);
  if (rc != SQLITE_OK) throw_sqlite_error(connection_.handle(), rc);
  return copied_frames == wal_frames;
}

void PageInjector::begin_if_needed() {
  if (sqlite_transaction_) return;
  // IMMEDIATE takes the WAL write lock now, so no other writer can slip in between our
  // uncommitted frames; readers go on.
  connection_.execute_script("BEGIN IMMEDIATE");
  sqlite_transaction_ = true;
}

void PageInjector::flush() {
  write_buffer(/*size_after=*/0);
  buffer_.clear();
  buffered_page_nos_.clear();
  slot_of_.clear();
}

void PageInjector::write_buffer(std::uint32_t size_after) {
  std::vector<libsql_page_image> pages;
  pages.reserve(buffered_page_nos_.size() + 1);
  if (size_after != 0 && !page_one_.empty()) pages.push_back({1, page_one_.data()});
  for (std::size_t slot = 0; slot < buffered_page_nos_.size(); ++slot) {
    pages.push_back({buffered_page_nos_[slot], buffer_.data() + slot * kPageSize});
  }
  try {
    begin_if_needed();
    const int rc =
        libsql_wal_inject(connection_.handle(), pages.data(), static_cast<int>(pages.size()),
                          static_cast<int>(kPageSize), size_after);
    if (rc != SQLITE_OK) {
      const Error cause = sqlite_error(connection_.handle(), rc);
      throw Error(cause.code(), std::string(size_after != 0 ? "cannot commit injected pages: "
                                                            : "cannot write injected pages: ") +
                                    cause.what());
    }
  } catch (...) {
    rollback();
    throw;
  }
}

void PageInjector::clear_buffer() noexcept {
  has_pages_ = false;
  buffer_.clear();
  buffered_page_nos_.clear();
  slot_of_.clear();
  page_one_.clear();
}

void PageInjector::finish_commit() {
  clear_buffer();
  sqlite_transaction_ = false;
  try {
    // Undoes nothing, since the shared WAL header already holds the commit: it only
    // releases the write lock.
    connection_.execute_script("ROLLBACK");
    const int rc = libsql_wal_forget_cache(connection_.handle());
    if (rc != SQLITE_OK) throw_sqlite_error(connection_.handle(), rc);
  } catch (const Error& e) {
    connection_.rollback_quietly();
    throw Error(e.code(), std::string("the injected transaction is committed, but ending it "
                                      "failed: ") +
                              e.what());
  }
}

}  // namespace libsql::engine
