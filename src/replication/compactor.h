// compactor.h: turns a sealed log (one swapped out of `wallog`) into a snapshot, and
// merges snapshots into one, as sqld does (research/replication.md §4). Both keep only
// the newest version of each page, newest first, so a replica holding every frame below
// some offset may apply just the part of a snapshot at or above it.
//
// Must not: touch the live log, the in-memory index of snapshots, or delete the inputs;
// frame_log.cc owns those and runs these functions on its background thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "replication/durable_file.h"
#include "replication/log_format.h"
#include "replication/snapshot_store.h"

namespace libsql::replication {

struct SnapshotDirectories {
  std::filesystem::path snapshots;
  std::filesystem::path tmp;  // snapshots are built here, then renamed into place
};

// The snapshot of the header.frame_count committed frames of the log in `log` (at least
// one frame). Durable when it returns; nullptr (and nothing left behind) if `stop` turned
// true meanwhile. Throws libsql::Error on I/O failure or a malformed log.
std::shared_ptr<const SnapshotFile> compact_log(const DurableFile& log, const LogHeader& header,
                                                const SnapshotDirectories& directories,
                                                const std::atomic<bool>& stop);

// sqld's rule: merge once the snapshots hold at least twice as many frames as the
// database has pages (the newest snapshot's size_after), or there are more than 32.
bool should_merge_snapshots(const std::vector<std::shared_ptr<const SnapshotFile>>& oldest_first);

// One snapshot covering `oldest_first` (at least two, contiguous ranges), with the
// newest version of each page. Durable when it returns; nullptr if `stop` turned true.
std::shared_ptr<const SnapshotFile> merge_snapshots(
    const std::vector<std::shared_ptr<const SnapshotFile>>& oldest_first,
    const SnapshotDirectories& directories, const std::atomic<bool>& stop);

}  // namespace libsql::replication
