// compression.h: gzip for HTTP response bodies, as sqld's compression layer applies it.
#pragma once

#include <string>
#include <string_view>

namespace libsql::server {

// Whether an Accept-Encoding header value allows gzip (a "gzip" token not given q=0).
bool accepts_gzip(std::string_view accept_encoding);
// `body` as a gzip stream. Fast compression: responses are mostly small JSON, and CPU
// spent here is throughput lost.
std::string gzip(std::string_view body);

}  // namespace libsql::server
