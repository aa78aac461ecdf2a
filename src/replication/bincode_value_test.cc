// bincode_value_test.cc: the research vectors (research/replication.md §3.7) and round
// trips of every value type.

#include "replication/bincode_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace libsql::replication {
namespace {

using namespace std::string_literals;

TEST(BincodeValue, EncodesTheResearchVectors) {
  EXPECT_EQ(encode_bincode(42), "\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(encode_bincode("hi"), "\x03\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00hi"s);
  EXPECT_EQ(encode_bincode(nullptr), "\x00\x00\x00\x00"s);
}

TEST(BincodeValue, EncodesRealsAsLittleEndianBitsAndBlobsWithTheirLength) {
  EXPECT_EQ(encode_bincode(1.5), "\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf8\x3f"s);
  const Blob blob{0xde, 0xad};
  EXPECT_EQ(encode_bincode(blob), "\x04\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\xde\xad"s);
  EXPECT_EQ(encode_bincode(-1), "\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"s);
}

TEST(BincodeValue, DecodesTheResearchVectors) {
  EXPECT_EQ(decode_bincode("\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00"s), Value(42));
  EXPECT_EQ(decode_bincode("\x03\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00hi"s), Value("hi"));
  EXPECT_EQ(decode_bincode("\x00\x00\x00\x00"s), Value());
}

TEST(BincodeValue, RoundTripsEveryType) {
  const std::vector<Value> values = {Value(),
                                     Value(std::numeric_limits<std::int64_t>::min()),
                                     Value(std::numeric_limits<std::int64_t>::max()),
                                     Value(-0.0),
                                     Value(std::numeric_limits<double>::infinity()),
                                     Value(std::string("with\0nul", 8)),
                                     Value(std::string("héllo ☃ 𝄞")),
                                     Value(Blob{}),
                                     Value(Blob(1000, 7))};
  for (const Value& value : values) {
    const auto decoded = decode_bincode(encode_bincode(value));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, value) << "type " << to_string(value.type());
  }
  const auto nan = decode_bincode(encode_bincode(std::nan("")));
  ASSERT_TRUE(nan && nan->type() == ValueType::kReal);
  EXPECT_TRUE(std::isnan(nan->as_real()));
}

TEST(BincodeValue, RefusesMalformedInputWithAReason) {
  std::string error;
  EXPECT_FALSE(decode_bincode("\x01\x00"s, &error));
  EXPECT_NE(error.find("4 bytes of variant"), std::string::npos) << error;
  EXPECT_FALSE(decode_bincode("\x05\x00\x00\x00"s, &error));
  EXPECT_NE(error.find("variant 5"), std::string::npos) << error;
  EXPECT_FALSE(decode_bincode("\x01\x00\x00\x00\x2a"s, &error)) << "a short integer";
  EXPECT_FALSE(decode_bincode("\x03\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xffhi"s, &error))
      << "a length past the end must not be trusted";
  EXPECT_NE(error.find("has only 2"), std::string::npos) << error;
  EXPECT_FALSE(decode_bincode("\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xff"s, &error));
  EXPECT_NE(error.find("UTF-8"), std::string::npos) << error;
  EXPECT_FALSE(decode_bincode("\x03\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\xed\xa0\x80"s))
      << "a UTF-16 surrogate is not UTF-8";
}

TEST(BincodeValue, IgnoresBytesAfterTheValueAsBincodeDoes) {
  EXPECT_EQ(decode_bincode("\x00\x00\x00\x00trailing"s), Value());
}

}  // namespace
}  // namespace libsql::replication
