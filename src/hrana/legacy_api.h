// legacy_api.h: sqld's first HTTP API (POST / with {"statements": [...]}), still live
// in sqld and still used by curl scripts and old docs.
//
// Runs the statements in order on a connection of their own, each only if the one
// before succeeded, and answers sqld's JSON array. Its rules and error texts are sqld's
// (protocol.md §4.6): no savepoints, no transaction left open, one statement per string,
// axum's statuses for bodies it cannot read. Blocking: call from a blocking-work thread.
#pragma once

#include <string>
#include <string_view>

#include "engine/connection_pool.h"
#include "hrana/request_context.h"

namespace libsql::hrana {

struct LegacyResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Largest request body sqld's legacy route reads (axum's default, 2 MiB).
inline constexpr std::size_t kLegacyMaxBodyBytes = 2 * 1024 * 1024;

LegacyResponse run_legacy_request(engine::ConnectionPool& pool, std::string_view body,
                                  RequestContext context);

}  // namespace libsql::hrana
