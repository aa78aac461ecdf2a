// schema_lookup.h: the few facts of a connection's schema that src/sql's dialect reads
// through SQL: which databases an unqualified name is looked up in, in what order.
//
// Must not: cache (callers decide how long an answer holds; see
// engine::Connection::schema_generation), or write.
#pragma once

#include <string>
#include <vector>

namespace libsql::engine {
class Connection;
}

namespace libsql::sql {

// The connection's databases in the order SQLite resolves an unqualified table name:
// temp, main, then the attached ones in the order they were attached.
std::vector<std::string> schema_search_order(engine::Connection& connection);

}  // namespace libsql::sql
