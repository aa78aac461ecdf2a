// compression.cc: gzip with zlib.

#include "server/compression.h"

#include <zlib.h>

#include <stdexcept>

namespace libsql::server {

bool accepts_gzip(std::string_view accept_encoding) {
  std::size_t start = 0;
  while (start <= accept_encoding.size()) {
    const std::size_t comma = std::min(accept_encoding.find(',', start), accept_encoding.size());
    std::string_view item = accept_encoding.substr(start, comma - start);
    start = comma + 1;
    const std::size_t semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view parameters = item.substr(semicolon + 1);
    const std::size_t q = parameters.find("q=");
    if (q == std::string_view::npos) return true;
    // "q=0", "q=0.0", "q=0.000": refused; any other weight accepts.
    std::string_view weight = parameters.substr(q + 2);
    return weight.find_first_not_of("0.") != std::string_view::npos && !weight.empty() &&
           weight[0] != ' ';
  }
  return false;
}

std::string gzip(std::string_view body) {
  z_stream stream{};
  // 15 + 16: a 32 KiB window with a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(body.size())));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(stream.total_out);
  return out;
}

}  // namespace libsql::server
