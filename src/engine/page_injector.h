// page_injector.h: writes another database's page images into a replica file, one
// whole transaction at a time, with growth and truncation.
//
// An embedded or sqld replica receives a primary's transactions as page images (page
// number, 4096 bytes) and the database size after each commit. The injector turns each
// into one SQLite WAL transaction on its own connection (sqlite_internals.h,
// libsql_wal_inject): readers never see part of one, are never blocked by one, and see
// new pages and schema in their next read transaction; a crash before commit() leaves
// the file as of the previous commit. Pages are buffered and flushed to the WAL as
// uncommitted frames every `max_buffered_pages`, so memory stays bounded whatever the
// transaction's size. The replica's pages stay byte-identical to the primary's: nothing
// else may write the file (its other connections must be read-only).
//
// Must not: parse libSQL frames or know of replication (the caller hands over page
// numbers, images and sizes), or write anything of its own into the file (progress is
// kept beside it, in replication/replica_meta.h).
//
// Thread-safety: one thread at a time uses an injector. Readers on other connections,
// in this process or others, may run at any time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/connection.h"

namespace libsql::engine {

struct PageInjectorOptions {
  // Pages held in memory before they go to the WAL as uncommitted frames (4 MiB).
  std::size_t max_buffered_pages = 1024;
};

class PageInjector {
 public:
  // The only page size libSQL replication carries.
  static constexpr std::size_t kPageSize = 4096;

  // Opens (or creates, empty, in WAL mode with 4096-byte pages) the replica at `path`.
  // Its connection commits with synchronous=FULL: once commit() returns, the
  // transaction survives a power loss, so progress recorded after it never runs ahead
  // of the file. It checkpoints passively after a commit that leaves 1000 frames or
  // more in the WAL (SQLite's default), so the replica's WAL, independent of the
  // primary's, does not grow forever. Throws libsql::Error, also for a database whose
  // page size is not 4096.
  explicit PageInjector(const std::string& path, PageInjectorOptions options = {});
  PageInjector(const PageInjector&) = delete;
  PageInjector& operator=(const PageInjector&) = delete;
  // Rolls back a transaction that was not committed.
  ~PageInjector();

  // Adds page `page_no` (1-based) of the current transaction, which begins with the
  // first page after a commit or rollback; `page` (kPageSize bytes) is copied. A page
  // added twice takes its last image. Throws libsql::Error for a page of another size or
  // an impossible page number, and when flushing fails (the transaction is then rolled
  // back).
  void add_page(std::uint32_t page_no, std::span<const std::uint8_t> page);
  // Commits the pages added since the last commit as one transaction after which the
  // database has `size_after` pages (pages above it are dropped). Durable on return.
  // Throws libsql::Error if there is no page to commit, if `size_after` is 0, or when
  // writing fails: the transaction is then rolled back and the file is as before.
  void commit(std::uint32_t size_after);
  // Forgets the pages added since the last commit; the file is as before them.
  void rollback() noexcept;
  // Copies what the WAL holds into the database file (and truncates it to the database's
  // size) as far as readers allow, without waiting for them (SQLite's PASSIVE mode).
  // Returns true if the whole WAL is now in the file. Not while a transaction is open
  // (pages added and not committed): throws libsql::Error then, or when it fails.
  bool checkpoint();

  // Whether pages were added that are not yet committed or rolled back.
  bool in_transaction() const noexcept { return has_pages_; }

 private:
  void begin_if_needed();
  // Writes the buffered pages but page 1 to the WAL as uncommitted frames.
  void flush();
  // Hands the buffered pages to SQLite: uncommitted frames (size_after 0), or the
  // commit, with page 1. Rolls back and throws libsql::Error when that fails.
  void write_buffer(std::uint32_t size_after);
  void clear_buffer() noexcept;
  // Ends the SQLite transaction after a commit and drops what the connection cached.
  void finish_commit();

  Connection connection_;
  PageInjectorOptions options_;
  bool has_pages_ = false;           // pages added since the last commit or rollback
  bool sqlite_transaction_ = false;  // BEGIN IMMEDIATE done, not yet ended
  // Buffered pages, kPageSize bytes each, and their numbers; slot_of_ finds a page's
  // slot when it is added again.
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint32_t> buffered_page_nos_;
  std::unordered_map<std::uint32_t, std::size_t> slot_of_;
  // Page 1 waits for the commit: SQLite's rollback assumes it is never an uncommitted
  // frame. Empty when not added.
  std::vector<std::uint8_t> page_one_;
};

}  // namespace libsql::engine
