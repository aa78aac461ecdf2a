// api_cases.h: the workloads that measure the public C++ API against raw sqlite3 calls.
//
// Each case has two variants on the same SQLite build, file settings (WAL, 4096-byte
// pages, synchronous=NORMAL) and data: `reference` (raw sqlite3, written the way a
// careful C programmer would: SQLITE_STATIC binds, no copies, no type checks) and
// `libsql` (the public API used idiomatically). api_bench times them; api_cost counts
// their instructions under callgrind, which this noisy shared VM cannot disturb.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::bench {

inline constexpr int kRows = 100'000;

// One variant of one case. prepare() and finish() are not measured; run() is, and
// performs kRows operations (one aggregate query for sql_aggregate).
class ApiCase {
 public:
  virtual ~ApiCase() = default;
  virtual void prepare() {}
  virtual void run() = 0;
  virtual void finish() {}
};

// The case names, in report order.
const std::vector<std::string>& api_case_names();
// `variant` is "reference" or "libsql"; returns nullptr for an unknown name.
std::unique_ptr<ApiCase> make_api_case(std::string_view name, std::string_view variant);

}  // namespace libsql::bench
