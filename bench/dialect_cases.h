// dialect_cases.h: the workloads that measure what the libSQL dialect (src/sql/dialect.h)
// adds to preparing a statement.
//
// Each case prepares and finalizes its statements on an engine::Connection, in two
// variants on the same file: `no_dialect` (opened without a dialect: SQLite prepares the
// text as given) and `dialect` (opened with sql::libsql_dialect()). dialect_bench times
// them; dialect_cost counts their instructions under callgrind.
//
// Must not: run the statements (preparing is what is measured), or put RANDOM ROWID
// tables in the file of the plain cases (their INSERTs would take the rewrite path).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

namespace libsql::bench {

struct DialectCase {
  std::string_view name;
  // Plain SQLite SQL, which the dialect must prepare as written: the bound
  // (under 2% more than without the dialect) applies. The others are rewrites,
  // measured for information.
  bool plain;
  // The statements one operation prepares and finalizes, in order, per variant.
  std::vector<std::string_view> no_dialect_sql;
  std::vector<std::string_view> dialect_sql;
  // The file also holds a RANDOM ROWID table (the rewrite cases only).
  bool random_rowid_file;
};

// Every case, in report order: the plain ones first.
const std::vector<DialectCase>& dialect_cases();
const DialectCase* find_dialect_case(std::string_view name);

// One variant of one case, on a connection opened (and the schema loaded) at
// construction. `variant` is "no_dialect" or "dialect".
class PrepareLoop {
 public:
  PrepareLoop(const DialectCase& dialect_case, std::string_view variant);
  ~PrepareLoop();
  PrepareLoop(const PrepareLoop&) = delete;
  PrepareLoop& operator=(const PrepareLoop&) = delete;

  // Prepares and finalizes the case's statements `operations` times.
  void run(long operations);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace libsql::bench
