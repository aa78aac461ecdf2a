// statement_policy.h: which statements sqld runs at all.
//
// sqld parses SQL before running it and refuses statements it does not support:
// pragmas outside an allow-list (or setting ones it only allows to read), TEMP objects
// (they would live only on one pooled connection), VACUUM, ANALYZE, writes to its
// reserved tables, and ATTACH except of a namespace. Some of these would also break
// this server's own invariants (journal_mode=delete ends WAL; ATTACH of a path reaches
// any file). The rules are sqld 0.24's (libsql-server/src/query_analysis.rs), applied
// to our classifier's reading of the statement.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace libsql::hrana {

// The reason sqld gives for refusing `sql` (one statement), e.g.
// "unsupported statement: vacuum", or nullopt when it may run.
std::optional<std::string> unsupported_statement(std::string_view sql);

}  // namespace libsql::hrana
