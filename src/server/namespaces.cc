// namespaces.cc: implements namespaces.h. A namespace's directory appears and goes with
// one rename: it is built under a hidden name (".creating-...", which no valid name
// matches) and renamed into place, and a deleted one is renamed aside (".trash-...")
// before its files are removed, so no request ever sees half a namespace.

#include "server/namespaces.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "libsql/error.h"
#include "proto/replication_log.pb.h"
#include "sql/dump.h"

namespace libsql::server {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxNameBytes = 63;  // one DNS label: the Host header may carry it
constexpr std::string_view kConfigFile = "config.json";
constexpr std::string_view kCreatingPrefix = ".creating-";
constexpr std::string_view kTrashPrefix = ".trash-";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces `path` with `text` in one rename, so a crash leaves the old file or the new.
void write_file_atomically(const fs::path& path, std::string_view text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw Error(PrimaryCode::kIoErr, "cannot write " + temporary.string());
  }
  fs::rename(temporary, path);
}

// A missing or unreadable file is the default config: it was never set, or the crash
// came before the first rename.
NamespaceConfig read_config(const fs::path& directory) {
  NamespaceConfig config;
  std::error_code ec;
  if (!fs::exists(directory / kConfigFile, ec)) return config;
  boost::system::error_code parse_error;
  const boost::json::value value =
      boost::json::parse(read_file(directory / kConfigFile), parse_error);
  const auto* object = value.if_object();
  if (parse_error || object == nullptr) return config;
  if (const auto* v = object->if_contains("block_reads"); v && v->is_bool())
    config.block_reads = v->as_bool();
  if (const auto* v = object->if_contains("block_writes"); v && v->is_bool())
    config.block_writes = v->as_bool();
  if (const auto* v = object->if_contains("block_reason"); v && v->is_string())
    config.block_reason = std::string(v->as_string());
  if (const auto* v = object->if_contains("max_db_size"); v && v->is_uint64())
    config.max_db_size = v->as_uint64();
  if (const auto* v = object->if_contains("max_db_size"); v && v->is_int64() && v->as_int64() >= 0)
    config.max_db_size = static_cast<std::uint64_t>(v->as_int64());
  return config;
}

void remove_quietly(const fs::path& path) noexcept {
  std::error_code ec;
  fs::remove_all(path, ec);
}

}  // namespace

std::string namespace_config_json(const NamespaceConfig& config) {
  boost::json::object out;
  out["block_reads"] = config.block_reads;
  out["block_writes"] = config.block_writes;
  out["block_reason"] = config.block_reason ? boost::json::value(*config.block_reason) : nullptr;
  out["max_db_size"] = config.max_db_size ? boost::json::value(*config.max_db_size) : nullptr;
  return boost::json::serialize(out);
}

std::optional<std::string> namespace_name_error(std::string_view name) {
  if (name.empty()) return "a namespace name cannot be empty";
  if (name.size() > kMaxNameBytes) {
    return "a namespace name has at most " + std::to_string(kMaxNameBytes) + " bytes, not " +
           std::to_string(name.size());
  }
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed) {
      return "a namespace name may hold only ASCII letters, digits, '-' and '_'";
    }
  }
  return std::nullopt;
}

NamespaceError NamespaceError::not_found(std::string_view name) {
  return NamespaceError(Kind::kNotFound, "Namespace `" + std::string(name) + "` doesn't exist");
}

NamespaceError NamespaceError::already_exists(std::string_view name) {
  return NamespaceError(Kind::kAlreadyExists,
                        "Namespace `" + std::string(name) + "` already exists");
}

Namespace::Namespace(std::string name, fs::path directory, engine::OpenOptions options,
                     engine::ConnectionPool::Limits limits, NamespaceConfig config,
                     std::shared_ptr<NamespaceMetrics> metrics, NamespaceRole role)
    : name_(std::move(name)),
      directory_(std::move(directory)),
      config_(std::move(config)),
      metrics_(std::move(metrics)) {
  // Checked on every open: a deleted namespace's pool must not make a new file where a
  // namespace of the same name may be created next.
  auto user_hook = std::move(options.on_open);
  options.on_open = [this, user_hook = std::move(user_hook)](engine::Connection& connection) {
    if (deleted()) throw Error(PrimaryCode::kCantOpen, "the namespace was deleted");
    if (user_hook) user_hook(connection);
    apply_size_limit(connection);
  };
  if (role.primary) {
    primary_ = *role.primary;
    primary_.namespace_name = name_;
    replicator_ = std::make_unique<replication::Replicator>(replication::ReplicatorOptions{
        .db_path = database_file().string(),
        .meta_path = directory_ / "client_wal_index",
        .primary = primary_,
        .on_transaction =
            [this](const replication::AppliedTransaction&) { forget_stale_schemas(); },
        .on_new_failure =
            [name = name_](const std::string& failure) {
              std::fprintf(stderr, "replication of namespace %s: %s (retrying)\n", name.c_str(),
                           failure.c_str());
            }});
    // Only the replicator writes the file: its pages must stay the primary's.
    auto hook = std::move(options.on_open);
    options.on_open = [hook = std::move(hook)](engine::Connection& connection) {
      if (hook) hook(connection);
      connection.execute_script("PRAGMA query_only = 1");
    };
  } else {
    // The dialect first brings a schema written by native libSQL (RANDOM ROWID, ...) into
    // the form stock SQLite reads, which replication's own connections need; a file that
    // has no log yet gets its log built after that.
    engine::Connection::open(database_file().string(), options);
    replication_ = replication::PrimaryReplication::open(
        {.directory = directory_,
         .database = database_file(),
         .arbiter = options.arbiter,
         .max_live_frames = role.max_log_frames,
         .on_commit = [signal = commit_signal_] { signal->notify(); }});
    options.capture = replication_->capture();
  }
  pool_ = std::make_unique<engine::ConnectionPool>(
      engine::Database(database_file().string(), std::move(options)), limits);
  streams_ = std::make_unique<hrana::HttpStreams>(*pool_);
  if (replicator_) {
    followed_log_ = replicator_->log_id();
    pool_ready_ = true;
    // Started last: its callback uses the pool.
    replicator_thread_ = std::thread([replicator = replicator_.get(), name = name_] {
      try {
        replicator->run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "replication of namespace %s stopped: %s\n", name.c_str(), e.what());
      }
    });
  }
}

void Namespace::forget_stale_schemas() {
  // A new log id means the primary's history started over: the replica's file was
  // rewritten from frame 0, and a schema with the same cookie as before may now be
  // another one, which SQLite's cookie check would not notice on open connections.
  const std::optional<replication::LogId> log = replicator_->log_id();
  if (log == followed_log_) return;  // only this thread writes it once running
  followed_log_ = log;
  if (pool_ready_) pool_->discard_idle();
}

Namespace::~Namespace() {
  pool_ready_ = false;
  streams_.reset();
  pool_.reset();
  replication_.reset();
  if (replicator_) {
    replicator_->stop();
    if (replicator_thread_.joinable()) replicator_thread_.join();
  }
  if (trash_) remove_quietly(*trash_);
}

bool Namespace::checkpoint() {
  if (!replication_) return false;
  {
    engine::PooledConnection pooled(*pool_);
    engine::Connection& connection = pooled.get();
    const engine::Connection::Use use(connection);
    auto number = [&](std::string_view sql) {
      engine::Statement statement = connection.prepare(sql);
      return statement.step() ? statement.column_view(0).integer_value() : 0;
    };
    // sqld's rule (connection_core.rs vacuum_if_needed): not below 256 MiB of pages.
    const std::int64_t pages = number("PRAGMA page_count");
    if (pages >= 65536 && number("PRAGMA freelist_count") * 2 > pages) {
      connection.execute_script("VACUUM");
    }
  }
  return replication_->checkpoint();
}

std::optional<std::uint64_t> Namespace::primary_frame_no() {
  const std::lock_guard lock(hello_mutex_);
  if (!hello_client_) {
    hello_client_ = std::make_unique<replication::GrpcWebClient>(primary_);
  }
  wal_log::HelloRequest request;
  request.set_handshake_version(1);
  wal_log::HelloResponse response;
  hello_client_->unary("/wal_log.ReplicationLog/Hello", request, response);
  if (!response.has_current_replication_index()) return std::nullopt;
  return response.current_replication_index();
}

NamespaceConfig Namespace::config() const {
  const std::lock_guard lock(config_mutex_);
  return config_;
}

void Namespace::set_config(NamespaceConfig config) {
  {
    const std::lock_guard lock(config_mutex_);
    write_file_atomically(directory_ / kConfigFile, namespace_config_json(config));
    config_ = std::move(config);
  }
  pool_->discard_idle();
}

void Namespace::apply_size_limit(engine::Connection& connection) const {
  const std::optional<std::uint64_t> limit = config().max_db_size;
  if (!limit) return;
  engine::Statement page_size = connection.prepare("PRAGMA page_size");
  page_size.step();
  const auto bytes_per_page = static_cast<std::uint64_t>(page_size.column_integer(0));
  // SQLite never shrinks max_page_count below the pages in use: a limit under the
  // current size keeps the file as it is and refuses growth.
  const std::uint64_t pages =
      std::max<std::uint64_t>(1, *limit / std::max<std::uint64_t>(1, bytes_per_page));
  connection.execute_script("PRAGMA max_page_count = " + std::to_string(pages));
}

std::uint64_t Namespace::size_bytes() const {
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto size = fs::file_size(database_file().string() + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

NamespaceStore::NamespaceStore(NamespaceStoreOptions options) : options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(options_.db_path / "dbs", ec);
  if (ec) {
    throw Error(PrimaryCode::kCantOpen, "cannot create data directory " +
                                            (options_.db_path / "dbs").string() + ": " +
                                            ec.message());
  }
  // Leftovers of a crash: half-built namespaces and deleted ones not yet removed.
  for (const auto& entry : fs::directory_iterator(options_.db_path / "dbs", ec)) {
    const std::string entry_name = entry.path().filename().string();
    if (entry_name.starts_with(kCreatingPrefix) || entry_name.starts_with(kTrashPrefix)) {
      remove_quietly(entry.path());
    }
  }
}

NamespaceStore::~NamespaceStore() = default;

fs::path NamespaceStore::directory_of(std::string_view name) const {
  return options_.db_path / "dbs" / std::string(name);
}

std::shared_ptr<Namespace> NamespaceStore::open_locked(const std::string& name) {
  if (const auto found = open_.find(name); found != open_.end()) return found->second;
  const fs::path directory = directory_of(name);
  std::error_code ec;
  if (!fs::is_regular_file(directory / "data", ec)) return nullptr;
  auto metrics = options_.metrics != nullptr ? options_.metrics->for_namespace(name)
                                             : std::make_shared<NamespaceMetrics>(name);
  auto opened = std::make_shared<Namespace>(
      name, directory, options_.open_options(), options_.limits, read_config(directory),
      std::move(metrics),
      NamespaceRole{.max_log_frames = options_.max_log_frames, .primary = options_.primary});
  open_.emplace(name, opened);
  return opened;
}

std::shared_ptr<Namespace> NamespaceStore::find(std::string_view name) {
  if (namespace_name_error(name)) return nullptr;
  const std::lock_guard lock(mutex_);
  return open_locked(std::string(name));
}

std::shared_ptr<Namespace> NamespaceStore::create(std::string_view name,
                                                  const NamespaceConfig& config,
                                                  std::optional<std::string_view> dump) {
  if (auto error = namespace_name_error(name)) {
    throw NamespaceError(NamespaceError::Kind::kInvalid, "Invalid namespace name: " + *error);
  }
  fs::path building;
  {
    const std::lock_guard lock(mutex_);
    if (open_locked(std::string(name))) throw NamespaceError::already_exists(name);
    building =
        options_.db_path / "dbs" /
        (std::string(kCreatingPrefix) + std::string(name) + "-" + std::to_string(++trash_counter_));
  }
  try {
    fs::create_directories(building);
    write_file_atomically(building / kConfigFile, namespace_config_json(config));
    engine::OpenOptions open_options = options_.open_options();
    engine::Connection connection =
        engine::Connection::open((building / "data").string(), open_options);
    if (dump) sql::load_dump(connection, *dump);
  } catch (const Error& e) {
    remove_quietly(building);
    throw NamespaceError(NamespaceError::Kind::kInvalid, e.what());
  } catch (...) {
    remove_quietly(building);
    throw;
  }
  const std::lock_guard lock(mutex_);
  if (open_locked(std::string(name))) {
    remove_quietly(building);
    throw NamespaceError::already_exists(name);
  }
  fs::rename(building, directory_of(name));
  return open_locked(std::string(name));
}

void NamespaceStore::fork(std::string_view from, std::string_view to) {
  std::shared_ptr<Namespace> source = find(from);
  if (!source) throw NamespaceError::not_found(from);
  if (auto error = namespace_name_error(to)) {
    throw NamespaceError(NamespaceError::Kind::kInvalid, "Invalid namespace name: " + *error);
  }
  fs::path building;
  {
    const std::lock_guard lock(mutex_);
    if (open_locked(std::string(to))) throw NamespaceError::already_exists(to);
    building =
        options_.db_path / "dbs" /
        (std::string(kCreatingPrefix) + std::string(to) + "-" + std::to_string(++trash_counter_));
  }
  try {
    fs::create_directories(building);
    write_file_atomically(building / kConfigFile, namespace_config_json(source->config()));
    engine::PooledConnection connection(source->pool());
    connection.get().copy_to((building / "data").string());
  } catch (...) {
    remove_quietly(building);
    throw;
  }
  const std::lock_guard lock(mutex_);
  if (open_locked(std::string(to))) {
    remove_quietly(building);
    throw NamespaceError::already_exists(to);
  }
  fs::rename(building, directory_of(to));
}

void NamespaceStore::remove(std::string_view name) {
  const std::lock_guard lock(mutex_);
  std::shared_ptr<Namespace> doomed =
      namespace_name_error(name) ? nullptr : open_locked(std::string(name));
  if (!doomed) throw NamespaceError::not_found(name);
  open_.erase(doomed->name());
  const fs::path trash =
      options_.db_path / "dbs" /
      (std::string(kTrashPrefix) + doomed->name() + "-" + std::to_string(++trash_counter_));
  doomed->deleted_ = true;
  if (options_.metrics != nullptr) options_.metrics->forget_namespace(doomed->name());
  fs::rename(doomed->directory(), trash);
  doomed->trash_ = trash;
  // Idle connections close now; the files go when the last request lets go of it.
  doomed->pool().discard_idle();
}

std::vector<std::string> NamespaceStore::list() const {
  std::vector<std::string> names;
  const std::lock_guard lock(mutex_);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.db_path / "dbs", ec)) {
    const std::string name = entry.path().filename().string();
    if (!namespace_name_error(name) && fs::is_regular_file(entry.path() / "data", ec)) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::shared_ptr<Namespace>> NamespaceStore::open_namespaces() const {
  std::vector<std::shared_ptr<Namespace>> all;
  const std::lock_guard lock(mutex_);
  for (const auto& [name, opened] : open_) all.push_back(opened);
  return all;
}

}  // namespace libsql::server
