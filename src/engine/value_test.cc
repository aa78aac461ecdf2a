// value_test.cc: Value's own behaviour, and every type's round trip through SQLite.

#include "libsql/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "engine/connection.h"
#include "libsql/error.h"

namespace libsql {
namespace {

using namespace std::string_literals;

TEST(Value, ConstructsTheStorageClassOfEachCppType) {
  EXPECT_EQ(Value().type(), ValueType::kNull);
  EXPECT_EQ(Value(nullptr).type(), ValueType::kNull);
  EXPECT_EQ(Value(42).type(), ValueType::kInteger);
  EXPECT_EQ(Value(std::uint32_t{7}).type(), ValueType::kInteger);
  EXPECT_EQ(Value(true).as_integer(), 1);
  EXPECT_EQ(Value(2.5).type(), ValueType::kReal);
  EXPECT_EQ(Value(1.5f).type(), ValueType::kReal);
  EXPECT_EQ(Value("text").type(), ValueType::kText);
  EXPECT_EQ(Value("text"s).type(), ValueType::kText);
  EXPECT_EQ(Value(std::string_view("text")).type(), ValueType::kText);
  EXPECT_EQ(Value(Blob{1, 2}).type(), ValueType::kBlob);
}

TEST(Value, RefusesUnsignedIntegersAboveInt64Max) {
  const auto too_big = std::uint64_t{std::numeric_limits<std::int64_t>::max()} + 1;
  try {
    Value v(too_big);
    FAIL() << "2^63 must not convert silently to a negative INTEGER";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), PrimaryCode::kMismatch);
    EXPECT_NE(std::string(e.what()).find("9223372036854775808"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Value(too_big - 1).as_integer(), std::numeric_limits<std::int64_t>::max());
}

TEST(Value, TypedAccessToTheWrongTypeNamesBothTypes) {
  try {
    (void)Value("12").as_integer();
    FAIL() << "TEXT read as INTEGER must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SQLITE_MISMATCH");
    EXPECT_STREQ(e.what(), "value is TEXT, not INTEGER");
  }
  EXPECT_THROW((void)Value().as_text(), Error);
  EXPECT_THROW((void)Value(1).as_real(), Error);
  EXPECT_THROW((void)Value("x").as_blob(), Error);
}

TEST(Value, TextAndBlobWithTheSameBytesDiffer) {
  EXPECT_NE(Value("ab"), Value(Blob{'a', 'b'}));
  EXPECT_EQ(Value("ab"), Value("ab"s));
}

// Binds `in`, selects it back, and returns what SQLite gave.
Value round_trip(const Value& in) {
  auto db = engine::Connection::open(":memory:");
  db.execute_script("CREATE TABLE t(v)");
  auto insert = db.prepare("INSERT INTO t VALUES (?)");
  insert.bind(Params{in});
  insert.step();
  auto select = db.prepare("SELECT v FROM t");
  EXPECT_TRUE(select.step());
  return select.column_value(0);
}

TEST(ValueRoundTrip, Null) { EXPECT_EQ(round_trip(Value()), Value()); }

TEST(ValueRoundTrip, IntegersIncludingTheExtremes) {
  for (std::int64_t v :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 53,
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    EXPECT_EQ(round_trip(v), Value(v)) << v;
  }
}

TEST(ValueRoundTrip, RealsKeepEveryBit) {
  for (double v : {0.0, -0.0, 0.1, -1e308, std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max()}) {
    const Value out = round_trip(v);
    ASSERT_EQ(out.type(), ValueType::kReal) << v;
    EXPECT_EQ(std::signbit(out.as_real()), std::signbit(v)) << v;
    EXPECT_EQ(out.as_real(), v);
  }
}

TEST(ValueRoundTrip, InfinitiesStayInfiniteAndNanBecomesNullAsInSqlite) {
  EXPECT_EQ(round_trip(std::numeric_limits<double>::infinity()),
            Value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(round_trip(-std::numeric_limits<double>::infinity()),
            Value(-std::numeric_limits<double>::infinity()));
  // SQLite stores NaN as NULL (sqlite3_bind_double documents it).
  EXPECT_EQ(round_trip(std::numeric_limits<double>::quiet_NaN()), Value());
}

TEST(ValueRoundTrip, TextKeepsUtf8AndEmbeddedNuls) {
  EXPECT_EQ(round_trip(""s), Value(""s));
  EXPECT_EQ(round_trip("héllo wörld ✓ 𝄞"s), Value("héllo wörld ✓ 𝄞"s));
  const std::string with_nuls("a\0b\0\0c", 6);
  const Value out = round_trip(with_nuls);
  ASSERT_EQ(out.type(), ValueType::kText);
  EXPECT_EQ(out.as_text().size(), 6u);
  EXPECT_EQ(out.as_text(), with_nuls);
}

TEST(ValueRoundTrip, EmptyBlobStaysAnEmptyBlobNotNull) {
  const Value out = round_trip(Blob{});
  EXPECT_EQ(out.type(), ValueType::kBlob);
  EXPECT_TRUE(out.as_blob().empty());
}

TEST(ValueRoundTrip, OneMegabyteBlobWithEveryByteValue) {
  Blob blob(1 << 20);
  for (std::size_t i = 0; i < blob.size(); ++i)
    blob[i] = static_cast<std::uint8_t>(i * 7 + i / 256);
  EXPECT_EQ(round_trip(blob), Value(blob));
}

}  // namespace
}  // namespace libsql

namespace libsql {
namespace {

TEST(ValueView, BorrowsFromEachSourceWithoutCopying) {
  const std::string text = "borrowed";
  const ValueView view(text);
  EXPECT_EQ(view.type(), ValueType::kText);
  EXPECT_EQ(view.text_value().data(), text.data()) << "a view must point at the caller's bytes";
  const Blob blob{1, 2, 3};
  EXPECT_EQ(ValueView(blob).blob_value().data(), blob.data());
  EXPECT_EQ(ValueView(7).integer_value(), 7);
  EXPECT_EQ(ValueView(0.25).real_value(), 0.25);
  EXPECT_EQ(ValueView(nullptr).type(), ValueType::kNull);
  EXPECT_EQ(ValueView(true).integer_value(), 1);
}

TEST(ValueView, ViewsAValueAndCopiesBackToAnEqualValue) {
  for (const Value& v : {Value(), Value(-5), Value(1.5), Value("abc"), Value(Blob{0, 255})}) {
    EXPECT_EQ(ValueView(v).to_value(), v);
  }
}

TEST(ValueView, RefusesUnsignedIntegersAboveInt64Max) {
  EXPECT_THROW(ValueView(std::numeric_limits<std::uint64_t>::max()), Error);
}

}  // namespace
}  // namespace libsql
