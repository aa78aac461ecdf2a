// json_writer_test.cc: the JSON text Hrana responses are made of.

#include "hrana/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace libsql::hrana::json {
namespace {

using namespace std::string_literals;

std::string string_json(std::string_view text) {
  std::string out;
  append_string(out, text);
  return out;
}

std::string double_json(double value) {
  std::string out;
  append_double(out, value);
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out;
  append_base64(out, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return out;
}

TEST(JsonWriter, EscapesWhatJsonRequires) {
  EXPECT_EQ(string_json("plain"), R"("plain")");
  EXPECT_EQ(string_json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(string_json("line\nfeed\ttab\r\b\f"), R"("line\nfeed\ttab\r\b\f")");
  EXPECT_EQ(string_json("nul\0byte"s), R"("nul\u0000byte")");
  EXPECT_EQ(string_json("\x1f"), R"("\u001f")");
  EXPECT_EQ(string_json("/"), R"("/")") << "sqld (serde) does not escape '/'";
}

TEST(JsonWriter, PassesValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(string_json("héllo ✓ 𝄞"), "\"héllo ✓ 𝄞\"");
  EXPECT_EQ(string_json("bad\xff"), "\"bad\xEF\xBF\xBD\"");
  EXPECT_EQ(string_json("\xC0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"") << "overlong NUL";
  EXPECT_EQ(string_json("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"")
      << "a surrogate";
  EXPECT_EQ(string_json("cut\xE2\x9C"), "\"cut\xEF\xBF\xBD\xEF\xBF\xBD\"")
      << "a truncated sequence";
}

TEST(JsonWriter, WritesDoublesAsSqldDoes) {
  // Every expected text here is what sqld 0.24.32 answered for the same value.
  EXPECT_EQ(double_json(1.0), "1.0");
  EXPECT_EQ(double_json(-0.0), "-0.0");
  EXPECT_EQ(double_json(0.0), "0.0");
  EXPECT_EQ(double_json(0.1), "0.1");
  EXPECT_EQ(double_json(3.5), "3.5");
  EXPECT_EQ(double_json(1e300), "1e300");
  EXPECT_EQ(double_json(1e16), "1e16");
  EXPECT_EQ(double_json(1e15), "1000000000000000.0");
  EXPECT_EQ(double_json(123456789.125), "123456789.125");
  EXPECT_EQ(double_json(2.5e-8), "2.5e-8");
  EXPECT_EQ(double_json(-2.25e-8), "-2.25e-8");
  EXPECT_EQ(double_json(1e-7), "1e-7");
  EXPECT_EQ(double_json(0.001), "0.001");
  EXPECT_EQ(double_json(9223372036854775808.0), "9.223372036854776e18");
  EXPECT_EQ(double_json(1.2345678901234568e29), "1.2345678901234568e29");
  EXPECT_EQ(double_json(5e-324), "5e-324");
  EXPECT_EQ(double_json(std::numeric_limits<double>::infinity()), "1e999");
  EXPECT_EQ(double_json(-std::numeric_limits<double>::infinity()), "-1e999");
}

TEST(JsonWriter, Base64IsStandardWithoutPadding) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg");
  EXPECT_EQ(base64("fo"), "Zm8");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg");
  EXPECT_EQ(base64("\xfb\xff"), "+/8") << "standard alphabet, not URL-safe";
}

TEST(JsonWriter, Base64DecodesPaddedAndUnpadded) {
  Blob out;
  ASSERT_TRUE(decode_base64("Zm9vYg==", out));
  EXPECT_EQ(std::string(out.begin(), out.end()), "foob");
  ASSERT_TRUE(decode_base64("Zm9vYg", out));
  EXPECT_EQ(std::string(out.begin(), out.end()), "foob");
  ASSERT_TRUE(decode_base64("", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(decode_base64("Zm9v!", out));
  EXPECT_FALSE(decode_base64("Z", out)) << "one sextet is not a byte";
}

TEST(JsonWriter, WritesHranaValues) {
  std::string out;
  append_value(out, ValueView());
  EXPECT_EQ(out, R"({"type":"null"})");
  out.clear();
  append_value(out, ValueView(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(out, R"({"type":"integer","value":"-9223372036854775808"})");
  out.clear();
  append_value(out, ValueView(2.5));
  EXPECT_EQ(out, R"({"type":"float","value":2.5})");
  out.clear();
  append_value(out, ValueView("hi"));
  EXPECT_EQ(out, R"({"type":"text","value":"hi"})");
  out.clear();
  const Blob blob{0, 1, 2};
  append_value(out, ValueView(blob));
  EXPECT_EQ(out, R"({"type":"blob","base64":"AAEC"})");
}

}  // namespace
}  // namespace libsql::hrana::json
