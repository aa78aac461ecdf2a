// schema_lookup.cc: implements schema_lookup.h.

#include "sql/schema_lookup.h"

#include "engine/connection.h"

namespace libsql::sql {

std::vector<std::string> schema_search_order(engine::Connection& connection) {
  std::vector<std::string> ordered{"temp"};
  engine::Statement list = connection.prepare("PRAGMA database_list");
  while (list.step()) {
    std::string name(list.column_text(1));
    if (name != "temp") ordered.push_back(std::move(name));
  }
  return ordered;
}

}  // namespace libsql::sql
