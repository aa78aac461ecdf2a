// compression_test.cc: gzip is used when, and only when, the client accepts it.

#include "server/compression.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include <string>

namespace libsql::server {
namespace {

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

TEST(Compression, ReadsAcceptEncodingAsHttpDefinesIt) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("xgzip"));
}

TEST(Compression, GzipRoundTrips) {
  const std::string body = R"({"results":[)" + std::string(10000, 'x') + "]}";
  const std::string compressed = gzip(body);
  EXPECT_LT(compressed.size(), body.size());
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f) << "a gzip header";
  EXPECT_EQ(gunzip(compressed), body);
  EXPECT_EQ(gunzip(gzip("")), "");
}

}  // namespace
}  // namespace libsql::server
