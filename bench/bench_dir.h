// bench_dir.h: the one directory a benchmark process keeps its database files in: made
// fresh on first use, removed at exit. Shared by the bench case libraries.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace libsql::bench {

inline const std::filesystem::path& bench_dir() {
  static const struct Dir {
    Dir() {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "libsql-bench-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      path = pattern;
    }
    ~Dir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
  } dir;
  return dir.path;
}

}  // namespace libsql::bench
