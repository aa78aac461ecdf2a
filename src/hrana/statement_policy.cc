// statement_policy.cc: sqld's allow-list of statements and pragmas.

#include "hrana/statement_policy.h"

#include <algorithm>
#include <array>

#include "sql/statement.h"
#include "sql/tokenizer.h"

namespace libsql::hrana {

namespace {

using sql::StatementKind;

// Pragmas sqld runs with or without a value.
constexpr std::array<std::string_view, 24> kAlwaysAllowed = {
    "table_list",         "index_list",    "table_info",       "table_xinfo",
    "index_info",         "index_xinfo",   "pragma_list",      "compile_options",
    "database_list",      "function_list", "module_list",      "encoding",
    "defer_foreign_keys", "foreign_keys",  "foreign_key_list", "foreign_key_check",
    "collation_list",     "data_version",  "freelist_count",   "integrity_check",
    "legacy_file_format", "page_count",    "quick_check",      "stats"};

// Pragmas sqld runs to read only: setting them is refused.
constexpr std::array<std::string_view, 31> kReadOnlyAllowed = {"user_version",
                                                               "schema_version",
                                                               "analysis_limit",
                                                               "application_id",
                                                               "auto_vacuum",
                                                               "automatic_index",
                                                               "busy_timeout",
                                                               "cache_size",
                                                               "cache_spill",
                                                               "cell_size_check",
                                                               "checkpoint_fullfsync",
                                                               "fullfsync",
                                                               "hard_heap_limit",
                                                               "journal_mode",
                                                               "journal_size_limit",
                                                               "legacy_alter_table",
                                                               "locking_mode",
                                                               "max_page_count",
                                                               "mmap_size",
                                                               "page_size",
                                                               "query_only",
                                                               "read_uncommitted",
                                                               "recursive_triggers",
                                                               "reverse_unordered_selects",
                                                               "secure_delete",
                                                               "soft_heap_limit",
                                                               "synchronous",
                                                               "temp_store",
                                                               "threads",
                                                               "trusted_schema",
                                                               "wal_autocheckpoint"};

bool contains(auto const& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

bool pragma_allowed(const sql::StatementInfo& info) {
  // user_version may be set too; schema_version only read.
  if (info.pragma_name == "user_version") return true;
  if (contains(kAlwaysAllowed, info.pragma_name)) return true;
  return contains(kReadOnlyAllowed, info.pragma_name) && !info.pragma_has_value;
}

// sqld keeps these tables for its own bookkeeping.
bool is_reserved_table(std::string_view name) {
  return sql::equals_ignore_case(name, "_litestream_seq") ||
         sql::equals_ignore_case(name, "_litestream_lock") ||
         sql::equals_ignore_case(name, "libsql_wasm_func_table");
}

bool supported(const sql::StatementInfo& info) {
  switch (info.kind) {
    case StatementKind::kPragma:
      return pragma_allowed(info);
    case StatementKind::kExplain:
      return info.explained != StatementKind::kPragma || pragma_allowed(info);
    case StatementKind::kCreateTable:
    case StatementKind::kCreateView:
    case StatementKind::kCreateTrigger:
      return !info.is_temp && !is_reserved_table(info.object_name);
    case StatementKind::kInsert:
    case StatementKind::kReplace:
    case StatementKind::kUpdate:
    case StatementKind::kDelete:
    case StatementKind::kDropTable:
    case StatementKind::kAlterTable:
      return !is_reserved_table(info.object_name);
    case StatementKind::kVacuum:
    case StatementKind::kAnalyze:
    // ATTACH reaches files by path; sqld only attaches namespaces (issue 5).
    case StatementKind::kAttach:
      return false;
    default:
      // Everything else sqld's parser knows runs; what it does not know, SQLite judges.
      return true;
  }
}

}  // namespace

std::optional<std::string> unsupported_statement(std::string_view sql) {
  if (supported(sql::classify(sql))) return std::nullopt;
  return "unsupported statement: " + std::string(sql);
}

}  // namespace libsql::hrana
