// api_cases.cc: the API-overhead workloads (see api_cases.h).

#include "bench/api_cases.h"

#include <stdlib.h>

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>

#include "bench/bench_dir.h"
#include "libsql/database.h"

namespace libsql::bench {
namespace {

constexpr const char* kSchema = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL)";
constexpr const char* kInsert = "INSERT INTO t(id, name, value) VALUES (?, ?, ?)";
constexpr const char* kPointSelect = "SELECT name, value FROM t WHERE id = ?";
constexpr const char* kScan = "SELECT id, name, value FROM t";
constexpr const char* kAggregate = "SELECT count(*), sum(value), sum(length(name)) FROM t";

std::string fresh_file() {
  static int counter = 0;
  return (bench_dir() / ("insert-" + std::to_string(++counter) + ".db")).string();
}

void check(int rc, sqlite3* db) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    throw std::runtime_error(sqlite3_errmsg(db));
  }
}

sqlite3* open_raw(const std::string& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        db);
  check(
      sqlite3_exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr),
      db);
  return db;
}

sqlite3_stmt* prepare_raw(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), db);
  return stmt;
}

const std::vector<std::string>& names() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> n;
    for (int i = 1; i <= kRows; ++i) n.push_back("user-" + std::to_string(i));
    return n;
  }();
  return all;
}

// The table the read cases use: built once, through raw SQLite.
const std::string& populated_file() {
  static const std::string path = [] {
    const std::string file = (bench_dir() / "populated.db").string();
    sqlite3* db = open_raw(file);
    check(sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr), db);
    check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db);
    sqlite3_stmt* stmt = prepare_raw(db, kInsert);
    for (int i = 1; i <= kRows; ++i) {
      const std::string& name = names()[i - 1];
      sqlite3_bind_int64(stmt, 1, i);
      sqlite3_bind_text(stmt, 2, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
      sqlite3_bind_double(stmt, 3, i * 0.5);
      check(sqlite3_step(stmt), db);
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db);
    sqlite3_close(db);
    return file;
  }();
  return path;
}

// Random primary keys, the same sequence for both variants.
const std::vector<int>& lookup_keys() {
  static const std::vector<int> keys = [] {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(1, kRows);
    std::vector<int> k(kRows);
    for (auto& key : k) key = pick(rng);
    return k;
  }();
  return keys;
}

// --- 100k inserts in one transaction -------------------------------------------------

class InsertReference final : public ApiCase {
 public:
  void prepare() override {
    names();
    db_ = open_raw(fresh_file());
    check(sqlite3_exec(db_, kSchema, nullptr, nullptr, nullptr), db_);
  }
  void run() override {
    check(sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr), db_);
    sqlite3_stmt* stmt = prepare_raw(db_, kInsert);
    for (int i = 1; i <= kRows; ++i) {
      const std::string& name = names()[i - 1];
      sqlite3_bind_int64(stmt, 1, i);
      sqlite3_bind_text(stmt, 2, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
      sqlite3_bind_double(stmt, 3, i * 0.5);
      check(sqlite3_step(stmt), db_);
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    check(sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr), db_);
  }
  // Closing checkpoints the WAL: not part of the measured work, for either variant.
  void finish() override { sqlite3_close(db_); }

 private:
  sqlite3* db_ = nullptr;
};

class InsertLibsql final : public ApiCase {
 public:
  void prepare() override {
    names();
    conn_ = Builder::local(fresh_file()).build().connect();
    conn_->execute(kSchema);
  }
  void run() override {
    auto tx = conn_->transaction();
    auto insert = conn_->prepare(kInsert);
    for (int i = 1; i <= kRows; ++i) insert.execute({i, names()[i - 1], i * 0.5});
    tx.commit();
  }
  void finish() override { conn_.reset(); }

 private:
  std::optional<Connection> conn_;
};

// --- 100k point selects by primary key -----------------------------------------------

class PointSelectReference final : public ApiCase {
 public:
  PointSelectReference() : db_(open_raw(populated_file())), stmt_(prepare_raw(db_, kPointSelect)) {
    lookup_keys();
  }
  ~PointSelectReference() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  void run() override {
    double sum = 0;
    std::size_t bytes = 0;
    for (int key : lookup_keys()) {
      sqlite3_bind_int64(stmt_, 1, key);
      if (sqlite3_step(stmt_) != SQLITE_ROW) throw std::runtime_error("missing row");
      benchmark::DoNotOptimize(sqlite3_column_text(stmt_, 0));
      bytes += static_cast<std::size_t>(sqlite3_column_bytes(stmt_, 0));
      sum += sqlite3_column_double(stmt_, 1);
      sqlite3_reset(stmt_);
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(bytes);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class PointSelectLibsql final : public ApiCase {
 public:
  PointSelectLibsql()
      : conn_(Builder::local(populated_file()).build().connect()),
        select_(conn_.prepare(kPointSelect)) {
    lookup_keys();
  }
  void run() override {
    double sum = 0;
    std::size_t bytes = 0;
    for (int key : lookup_keys()) {
      auto rows = select_.query({key});
      const Row* row = rows.next();
      if (row == nullptr) throw std::runtime_error("missing row");
      bytes += row->get<std::string_view>(0).size();
      sum += row->get<double>(1);
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(bytes);
  }

 private:
  Connection conn_;
  Statement select_;
};

// --- a full scan, aggregated by the caller -------------------------------------------

class FullScanReference final : public ApiCase {
 public:
  FullScanReference() : db_(open_raw(populated_file())), stmt_(prepare_raw(db_, kScan)) {}
  ~FullScanReference() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  void run() override {
    std::int64_t ids = 0;
    double sum = 0;
    std::size_t bytes = 0;
    while (sqlite3_step(stmt_) == SQLITE_ROW) {
      ids += sqlite3_column_int64(stmt_, 0);
      benchmark::DoNotOptimize(sqlite3_column_text(stmt_, 1));
      bytes += static_cast<std::size_t>(sqlite3_column_bytes(stmt_, 1));
      sum += sqlite3_column_double(stmt_, 2);
    }
    sqlite3_reset(stmt_);
    benchmark::DoNotOptimize(ids);
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(bytes);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class FullScanLibsql final : public ApiCase {
 public:
  FullScanLibsql()
      : conn_(Builder::local(populated_file()).build().connect()), scan_(conn_.prepare(kScan)) {}
  void run() override {
    std::int64_t ids = 0;
    double sum = 0;
    std::size_t bytes = 0;
    for (const Row& row : scan_.query()) {
      ids += row.get<std::int64_t>(0);
      bytes += row.get<std::string_view>(1).size();
      sum += row.get<double>(2);
    }
    benchmark::DoNotOptimize(ids);
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(bytes);
  }

 private:
  Connection conn_;
  Statement scan_;
};

// --- a full scan, aggregated by SQLite -----------------------------------------------

class SqlAggregateReference final : public ApiCase {
 public:
  SqlAggregateReference() : db_(open_raw(populated_file())), stmt_(prepare_raw(db_, kAggregate)) {}
  ~SqlAggregateReference() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  void run() override {
    check(sqlite3_step(stmt_), db_);
    benchmark::DoNotOptimize(sqlite3_column_double(stmt_, 1));
    sqlite3_reset(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqlAggregateLibsql final : public ApiCase {
 public:
  SqlAggregateLibsql()
      : conn_(Builder::local(populated_file()).build().connect()),
        aggregate_(conn_.prepare(kAggregate)) {}
  void run() override {
    auto rows = aggregate_.query();
    benchmark::DoNotOptimize(rows.next()->get<double>(1));
  }

 private:
  Connection conn_;
  Statement aggregate_;
};

template <class Reference, class Libsql>
std::unique_ptr<ApiCase> pick(std::string_view variant) {
  if (variant == "reference") return std::make_unique<Reference>();
  if (variant == "libsql") return std::make_unique<Libsql>();
  return nullptr;
}

}  // namespace

const std::vector<std::string>& api_case_names() {
  static const std::vector<std::string> names{"insert_100k_one_tx", "point_select_100k",
                                              "full_scan_100k_rows", "sql_aggregate_100k"};
  return names;
}

std::unique_ptr<ApiCase> make_api_case(std::string_view name, std::string_view variant) {
  if (name == "insert_100k_one_tx") return pick<InsertReference, InsertLibsql>(variant);
  if (name == "point_select_100k") return pick<PointSelectReference, PointSelectLibsql>(variant);
  if (name == "full_scan_100k_rows") return pick<FullScanReference, FullScanLibsql>(variant);
  if (name == "sql_aggregate_100k") return pick<SqlAggregateReference, SqlAggregateLibsql>(variant);
  return nullptr;
}

}  // namespace libsql::bench
