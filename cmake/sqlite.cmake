# The SQLite engine, compiled by us from the pinned amalgamation (scripts/fetch-sqlite).
# Its headers are private: only src/engine (and tests and benchmarks of the engine)
# may include sqlite3.h. Everything else goes through the engine's C++ types.

if(NOT EXISTS "${LIBSQL_SQLITE_DIR}/sqlite3.c")
  message(FATAL_ERROR
    "SQLite amalgamation not found in ${LIBSQL_SQLITE_DIR}. Run scripts/setup (or `make build`).")
endif()

# The amalgamation is compiled through src/engine/sqlite_internals.c, which includes it
# and adds the few functions that need SQLite's internals (ARCHITECTURE.md, "The engine").
add_library(libsql_sqlite3 STATIC "${CMAKE_SOURCE_DIR}/src/engine/sqlite_internals.c")
target_include_directories(libsql_sqlite3 SYSTEM PUBLIC "${LIBSQL_SQLITE_DIR}")
set_property(SOURCE "${CMAKE_SOURCE_DIR}/src/engine/sqlite_internals.c" APPEND PROPERTY
             OBJECT_DEPENDS "${LIBSQL_SQLITE_DIR}/sqlite3.c")

# libSQL's own set (libsql-ffi) plus what replication and the server need.
set(LIBSQL_SQLITE_OPTIONS
  SQLITE_CORE
  SQLITE_THREADSAFE=1
  SQLITE_DEFAULT_FOREIGN_KEYS=1
  SQLITE_DEFAULT_WAL_SYNCHRONOUS=1
  # No double-quoted string literals: "x" is always a name, as in libSQL's builds.
  SQLITE_DQS=0
  SQLITE_ENABLE_API_ARMOR
  SQLITE_ENABLE_COLUMN_METADATA
  SQLITE_ENABLE_DBPAGE_VTAB
  SQLITE_ENABLE_DBSTAT_VTAB
  SQLITE_ENABLE_FTS3
  SQLITE_ENABLE_FTS3_PARENTHESIS
  SQLITE_ENABLE_FTS5
  SQLITE_ENABLE_MATH_FUNCTIONS
  SQLITE_ENABLE_PREUPDATE_HOOK
  SQLITE_ENABLE_RTREE
  SQLITE_ENABLE_SESSION
  SQLITE_ENABLE_SNAPSHOT
  SQLITE_ENABLE_STAT4
  SQLITE_ENABLE_LOAD_EXTENSION=1
  SQLITE_SOUNDEX
  SQLITE_USE_URI=1
  HAVE_USLEEP=1)
# PUBLIC: sqlite3.h guards the session and snapshot declarations with these options.
target_compile_definitions(libsql_sqlite3 PUBLIC ${LIBSQL_SQLITE_OPTIONS})
# One big translation unit: always optimise it, whatever the build type, so that
# debug builds of our code still measure and test a realistic engine.
target_compile_options(libsql_sqlite3 PRIVATE -O2 -w)
if(LIBSQL_SANITIZE)
  # GCC's object-size check misreads balance_nonroot()'s `(nNew>nOld ? apNew : apOld)[i]`
  # (two stack arrays of different sizes) and stops the process on large inserts that
  # split interior pages: a known false positive (reported against SQLite's own fuzzcheck
  # under GCC's UBSan). The rest of ASan and UBSan stays on for SQLite.
  target_compile_options(libsql_sqlite3 PRIVATE -fno-sanitize=object-size)
endif()
set_target_properties(libsql_sqlite3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(libsql_sqlite3 PUBLIC Threads::Threads ${CMAKE_DL_LIBS} m)
