// namespaces.h: sqld's tenants. Each namespace is a database directory of its own
// (<db-path>/dbs/<name>/data, as sqld lays it out) with its own connection pool, HTTP
// streams and settings (admin config: blocks, size limit), kept in config.json beside
// the database.
//
// The store creates, opens, forks and deletes namespaces; it never decides who may use
// one (auth.h) nor how a request names one (namespace_selection.h). Namespace names are
// checked here, once, for every way a name arrives: only [A-Za-z0-9_-], 1 to 63 bytes,
// so a name is always one plain directory entry and one DNS label.
//
// Thread-safety: every member function may be called from any thread. Opening, creating,
// forking and deleting do file and SQLite work: call them from blocking-work threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/connection_pool.h"
#include "hrana/http_streams.h"
#include "replication/primary_replication.h"
#include "replication/replicator.h"
#include "server/commit_signal.h"
#include "server/metrics.h"

namespace libsql::server {

// Why `name` cannot name a namespace, or nullopt when it can.
std::optional<std::string> namespace_name_error(std::string_view name);

// A namespace operation that failed for a reason the caller reports to its client.
class NamespaceError : public std::runtime_error {
 public:
  enum class Kind {
    kNotFound,       // 404 "Namespace `x` doesn't exist"
    kAlreadyExists,  // 400 "Namespace `x` already exists"
    kInvalid,        // 400: a bad name, a bad dump, a bad setting
  };
  NamespaceError(Kind kind, std::string message)
      : std::runtime_error(std::move(message)), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

  static NamespaceError not_found(std::string_view name);
  static NamespaceError already_exists(std::string_view name);

 private:
  Kind kind_;
};

// What the admin API sets on a namespace.
struct NamespaceConfig {
  bool block_reads = false;
  bool block_writes = false;
  std::optional<std::string> block_reason;
  // Largest database file, in bytes (rounded down to whole pages); none: no limit.
  std::optional<std::uint64_t> max_db_size;
};

// The config as JSON, as config.json keeps it and the admin API shows it.
std::string namespace_config_json(const NamespaceConfig& config);

// How a namespace's database changes: as a primary, by its own writes, captured into a
// replication log compacted past `max_log_frames`; as a read replica, only by following
// the namespace of the same name at `primary` (its namespace_name is ignored).
struct NamespaceRole {
  std::uint64_t max_log_frames = replication::FrameLogOptions{}.max_live_frames;
  std::optional<replication::GrpcWebClientOptions> primary;
};

class Namespace {
 public:
  Namespace(std::string name, std::filesystem::path directory, engine::OpenOptions options,
            engine::ConnectionPool::Limits limits, NamespaceConfig config,
            std::shared_ptr<NamespaceMetrics> metrics, NamespaceRole role = {});
  ~Namespace();
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::filesystem::path& directory() const noexcept { return directory_; }
  std::filesystem::path database_file() const { return directory_ / "data"; }
  engine::ConnectionPool& pool() noexcept { return *pool_; }
  hrana::HttpStreams& streams() noexcept { return *streams_; }
  const std::shared_ptr<NamespaceMetrics>& metrics() const noexcept { return metrics_; }
  // Notified after each commit reaches the replication log (a primary's only).
  CommitSignal& commit_signal() noexcept { return *commit_signal_; }
  // A primary's replication log: every commit lands in it before the commit's statement
  // returns (engine/wal_capture.h). Null on a replica.
  replication::FrameLog* frame_log() const noexcept {
    return replication_ ? &replication_->log() : nullptr;
  }
  // sqld's checkpoint (admin API, --checkpoint-interval-s): a VACUUM first if the
  // database has 65536 pages or more and over half of them are free, then the WAL
  // backfilled into the file under the capture's rules. Returns false when a writer held
  // the write lock, or on a replica. Blocking.
  bool checkpoint();
  // A replica's replicator, following its primary on a thread of its own; null on a
  // primary.
  replication::Replicator* replicator() const noexcept { return replicator_.get(); }
  // A replica: the primary's last committed frame_no now (a Hello), for read-your-writes.
  // Blocking; throws replication::GrpcError when the primary does not answer.
  std::optional<std::uint64_t> primary_frame_no();

  NamespaceConfig config() const;
  // Saves `config` and applies it: blocks at once, the size limit to every connection
  // opened from now on (idle ones are closed).
  void set_config(NamespaceConfig config);

  // Bytes on disk: the database file and its WAL.
  std::uint64_t size_bytes() const;
  // Set once the namespace is deleted: its requests in flight finish, new ones must not
  // start on it.
  bool deleted() const noexcept { return deleted_.load(); }

 private:
  friend class NamespaceStore;
  void apply_size_limit(engine::Connection& connection) const;
  // A replica, after each applied transaction: closes idle connections once the
  // primary's log id changed.
  void forget_stale_schemas();

  const std::string name_;
  std::filesystem::path directory_;
  mutable std::mutex config_mutex_;
  NamespaceConfig config_;
  std::unique_ptr<engine::ConnectionPool> pool_;
  std::unique_ptr<hrana::HttpStreams> streams_;
  std::shared_ptr<NamespaceMetrics> metrics_;
  // Shared with the log's commit callback, which may run until the log is closed.
  std::shared_ptr<CommitSignal> commit_signal_ = std::make_shared<CommitSignal>();
  // Opened before the pool and closed after it: every connection captures into it.
  std::unique_ptr<replication::PrimaryReplication> replication_;
  // A replica's: the replicator and its thread, and a client for Hellos of our own.
  std::unique_ptr<replication::Replicator> replicator_;
  std::thread replicator_thread_;
  // The log the replica's open connections have read (the replicator's thread's, once it
  // runs); see forget_stale_schemas().
  std::optional<replication::LogId> followed_log_;
  std::atomic<bool> pool_ready_{false};
  std::mutex hello_mutex_;
  std::unique_ptr<replication::GrpcWebClient> hello_client_;
  replication::GrpcWebClientOptions primary_;  // with this namespace's name
  std::atomic<bool> deleted_{false};
  // Where the directory went when the namespace was deleted: removed with the object.
  std::optional<std::filesystem::path> trash_;
};

struct NamespaceStoreOptions {
  std::filesystem::path db_path;
  // Settings for a namespace's connections; called once per namespace (each gets its
  // own write arbiter).
  std::function<engine::OpenOptions()> open_options;
  engine::ConnectionPool::Limits limits;
  // Where each namespace's series live; null: each keeps its own, rendered nowhere.
  Metrics* metrics = nullptr;
  // Each namespace's replication log is compacted past this many frames.
  std::uint64_t max_log_frames = replication::FrameLogOptions{}.max_live_frames;
  // Set: every namespace is a read replica of its namesake at this primary (its URL and
  // credential; the namespace name is each namespace's own).
  std::optional<replication::GrpcWebClientOptions> primary;
};

class NamespaceStore {
 public:
  explicit NamespaceStore(NamespaceStoreOptions options);
  ~NamespaceStore();

  // The namespace, opened if it exists on disk; null if it does not exist (or the name
  // is not valid).
  std::shared_ptr<Namespace> find(std::string_view name);
  // Creates an empty namespace, or one loaded from `dump` (sqld's dump format, applied
  // in one transaction: a failing dump leaves no namespace). Throws NamespaceError.
  std::shared_ptr<Namespace> create(std::string_view name, const NamespaceConfig& config,
                                    std::optional<std::string_view> dump = std::nullopt);
  // A new namespace `to` holding a copy of `from` as of one commit, taken while writers
  // go on. Throws NamespaceError.
  void fork(std::string_view from, std::string_view to);
  // Requests already running on it finish; new ones get "doesn't exist". Its files are
  // removed once the last of them is done. Throws NamespaceError.
  void remove(std::string_view name);
  // Every namespace on disk, sorted.
  std::vector<std::string> list() const;
  // Every open namespace (for metrics and sweeping idle HTTP streams).
  std::vector<std::shared_ptr<Namespace>> open_namespaces() const;

 private:
  std::filesystem::path directory_of(std::string_view name) const;
  std::shared_ptr<Namespace> open_locked(const std::string& name);

  NamespaceStoreOptions options_;
  mutable std::mutex mutex_;  // guards open_ and the dbs/ directory's entries
  std::map<std::string, std::shared_ptr<Namespace>, std::less<>> open_;
  std::uint64_t trash_counter_ = 0;
};

}  // namespace libsql::server
