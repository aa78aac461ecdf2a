// log_directory.h: the replication files in a database's directory (the layout in
// frame_log.h): where each lives, writing and checking log files, and gathering at open
// what earlier runs left there (wallog, snapshots, logs waiting in to_compact/),
// checking that together they hold the whole history.
//
// Must not: keep state between calls, append to a live log, or decide when to compact
// (frame_log.cc does).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "replication/compactor.h"
#include "replication/durable_file.h"
#include "replication/log_format.h"
#include "replication/snapshot_store.h"

namespace libsql::replication {

struct LogLayout {
  explicit LogLayout(const std::filesystem::path& root)
      : directory(root),
        wallog(root / "wallog"),
        snapshots(root / "snapshots"),
        to_compact(root / "to_compact"),
        tmp(root / "tmp") {}

  SnapshotDirectories snapshot_directories() const { return {snapshots, tmp}; }

  std::filesystem::path directory, wallog, snapshots, to_compact, tmp;
};

// A log swapped out of wallog, waiting in to_compact/ for its snapshot.
struct SealedLog {
  std::shared_ptr<const DurableFile> file;
  LogHeader header;  // frame_count: its committed frames, all of them
  std::filesystem::path path;
};

// Everything open() finds: the live log and what lies below it.
struct LogHistory {
  DurableFile live;
  LogHeader live_header;
  std::uint64_t committed_checksum = 0;                        // what the next frame chains from
  std::vector<SealedLog> pending;                              // oldest first
  std::vector<std::shared_ptr<const SnapshotFile>> snapshots;  // oldest first, contiguous
};

void write_log_header(const DurableFile& file, const LogHeader& header);

// A new log holding only `header`, durable (fsynced) when it returns.
DurableFile create_log_file(const std::filesystem::path& path, const LogHeader& header);

// Opens the directory's history, creating an empty wallog under a new id if there is
// none, and tidying what a crash may have left: tmp/ emptied; snapshots and pending logs
// of another log id deleted, as are a merge's inputs the merged snapshot contains,
// pending logs already compacted, and pending logs without frames. Throws libsql::Error
// (SQLITE_CORRUPT) for a malformed wallog, snapshot or pending log, and for a history
// with a gap: frames in neither a snapshot, a pending log nor wallog.
LogHistory load_history(const LogLayout& layout);

// Writes a whole log, `page_count` pages read from `page` as one transaction at frames
// 0..page_count-1 under `log_id`, into tmp/, syncs it, clears snapshots/ and to_compact/
// and renames it to wallog. Streams: never holds more than a few pages.
void write_initial_log(const LogLayout& layout, const LogId& log_id, std::uint32_t page_count,
                       const std::function<const std::uint8_t*(std::uint32_t page_no)>& page);

void remove_quietly(const std::filesystem::path& path) noexcept;

}  // namespace libsql::replication
