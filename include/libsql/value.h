// value.h: SQL values as SQLite stores them: NULL, INTEGER, REAL, TEXT or BLOB.
//
// Value owns its bytes; ValueView borrows them (like std::string_view). Parameters are
// passed as views, so `stmt.execute({id, name, 2.5})` copies nothing; reads return
// views into the current row. TEXT is bytes in a std::string (embedded NULs survive;
// SQLite expects UTF-8), BLOB a byte vector, so the two never mix. Both types convert
// implicitly from C++ scalars and strings to keep parameter lists short.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace libsql {

enum class ValueType { kNull, kInteger, kReal, kText, kBlob };

// "NULL", "INTEGER", "REAL", "TEXT", "BLOB": SQLite's names for its storage classes.
std::string_view to_string(ValueType type) noexcept;

using Blob = std::vector<std::uint8_t>;

namespace detail {
[[noreturn]] void throw_unsigned_overflow(std::uint64_t v);

// Unsigned values above INT64_MAX do not fit SQLite's INTEGER: libsql::Error
// (SQLITE_MISMATCH) instead of a silent wrap to a negative number.
template <std::integral T>
constexpr std::int64_t checked_integer(T v) {
  if constexpr (std::unsigned_integral<T> && sizeof(T) >= sizeof(std::int64_t)) {
    if (v > static_cast<T>(std::numeric_limits<std::int64_t>::max())) throw_unsigned_overflow(v);
  }
  return static_cast<std::int64_t>(v);
}
}  // namespace detail

class Value {
 public:
  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool v) noexcept : data_(std::int64_t{v}) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T v) : data_(detail::checked_integer(v)) {}
  Value(double v) noexcept : data_(v) {}
  Value(std::string v) noexcept : data_(std::move(v)) {}
  Value(std::string_view v) : data_(std::string(v)) {}
  Value(const char* v) : data_(std::string(v)) {}
  Value(Blob v) noexcept : data_(std::move(v)) {}

  ValueType type() const noexcept { return static_cast<ValueType>(data_.index()); }
  bool is_null() const noexcept { return type() == ValueType::kNull; }

  // Typed access; each throws libsql::Error (SQLITE_MISMATCH) naming both types when
  // the value holds another type.
  std::int64_t as_integer() const;
  double as_real() const;
  const std::string& as_text() const;
  const Blob& as_blob() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  std::variant<std::monostate, std::int64_t, double, std::string, Blob> data_;
};

// A value borrowing its text or blob bytes from an owner that must outlive the view:
// a Value, a string, a row being read.
class ValueView {
 public:
  constexpr ValueView() noexcept = default;  // NULL
  constexpr ValueView(std::nullptr_t) noexcept {}
  constexpr ValueView(bool v) noexcept : type_(ValueType::kInteger), integer_(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) constexpr ValueView(T v)
      : type_(ValueType::kInteger), integer_(detail::checked_integer(v)) {}
  constexpr ValueView(double v) noexcept : type_(ValueType::kReal), real_(v) {}
  constexpr ValueView(std::string_view v) noexcept
      : type_(ValueType::kText), data_(v.data()), size_(v.size()) {}
  ValueView(const std::string& v) noexcept : ValueView(std::string_view(v)) {}
  constexpr ValueView(const char* v) noexcept : ValueView(std::string_view(v)) {}
  ValueView(std::span<const std::uint8_t> v) noexcept
      : type_(ValueType::kBlob), data_(reinterpret_cast<const char*>(v.data())), size_(v.size()) {}
  ValueView(const Blob& v) noexcept : ValueView(std::span<const std::uint8_t>(v)) {}
  ValueView(const Value& v) noexcept;

  constexpr ValueType type() const noexcept { return type_; }
  // Unchecked: each reads what type() says the view holds.
  constexpr std::int64_t integer_value() const noexcept { return integer_; }
  constexpr double real_value() const noexcept { return real_; }
  constexpr std::string_view text_value() const noexcept { return {data_, size_}; }
  std::span<const std::uint8_t> blob_value() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(data_), size_};
  }
  // An owning copy.
  Value to_value() const;

 private:
  ValueType type_ = ValueType::kNull;
  union {
    std::int64_t integer_ = 0;
    double real_;
  };
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace libsql
