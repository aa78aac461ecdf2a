// admission.h: waiting for a place among the database's open connections (sqld's
// --max-concurrent-connections) without blocking a thread, and refusing with 429 once
// too many requests wait (--max-concurrent-requests).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>

#include "engine/connection_pool.h"

namespace libsql::server {

// A ticket for one connection from `pool`, once one is free; nullopt when the pool
// refuses because too many callers already wait ("Too many concurrent requests").
boost::asio::awaitable<std::optional<engine::ConnectionPool::Ticket>> admit(
    engine::ConnectionPool& pool);

// sqld's answer to a refused request: 429 {"error":"Too many concurrent requests"}.
inline constexpr const char* kTooManyRequestsBody = R"({"error":"Too many concurrent requests"})";

}  // namespace libsql::server
