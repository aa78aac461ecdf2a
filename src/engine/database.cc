// database.cc: library-level facts about the compiled-in SQLite.

#include "engine/database.h"

#include <sqlite3.h>

namespace libsql::engine {

std::string_view sqlite_version() noexcept { return sqlite3_libversion(); }

}  // namespace libsql::engine
