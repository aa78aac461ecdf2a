// replica_test_support.h: helpers the replicator tests share to look at a database file
// from outside: its pages as sqlite_dbpage gives them, query results as text, and the
// first page where a replica differs from its primary. For tests only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/connection.h"

namespace libsql::replication::test_support {

using Pages = std::map<std::int64_t, std::string>;

// A read-only connection that does not touch the file's WAL mode.
inline engine::Connection open_reader(const std::filesystem::path& path) {
  return engine::Connection::open(path.string(),
                                  {.mode = engine::OpenMode::kReadOnly, .wal = false});
}

inline Pages read_pages(const std::filesystem::path& path) {
  auto db = open_reader(path);
  Pages pages;
  auto stmt = db.prepare("SELECT pgno, data FROM sqlite_dbpage ORDER BY pgno");
  while (stmt.step()) {
    const auto data = stmt.column_blob(1);
    pages.emplace(stmt.column_integer(0),
                  std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  }
  return pages;
}

// Each row's columns as text, joined by '|'.
inline std::vector<std::string> query(const std::filesystem::path& path, std::string_view sql) {
  auto db = open_reader(path);
  std::vector<std::string> rows;
  auto stmt = db.prepare(sql);
  while (stmt.step()) {
    std::string row;
    for (int i = 0; i < stmt.column_count(); ++i) {
      if (i) row += '|';
      row += stmt.column_text(i);
    }
    rows.push_back(row);
  }
  return rows;
}

// "" when both hold the same pages; otherwise what differs first.
inline std::string first_difference(const Pages& primary, const Pages& replica) {
  if (primary.size() != replica.size()) {
    return "the primary has " + std::to_string(primary.size()) + " pages, the replica " +
           std::to_string(replica.size());
  }
  for (const auto& [page_no, image] : primary) {
    const auto it = replica.find(page_no);
    if (it == replica.end()) return "page " + std::to_string(page_no) + " is missing";
    if (it->second != image) return "page " + std::to_string(page_no) + " differs";
  }
  return "";
}

}  // namespace libsql::replication::test_support
