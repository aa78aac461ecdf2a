// rows.h: the rows a query returns, read one at a time.
//
//   auto rows = conn.query("SELECT id, name FROM users WHERE id > ?", {10});
//   for (const libsql::Row& row : rows) {
//     auto id = row.get<int64_t>(0);
//     auto name = row.get<std::optional<std::string>>(1);
//   }
//
// A Row is a view of the current row: it and the string_views/spans it hands out stay
// valid until the Rows moves on. Rows are read on one thread at a time, like their
// connection.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "libsql/value.h"

namespace libsql {

namespace client {

// The implementation side of Rows (see src/client/impl.h for the rest of the seam).
// Declared here so that Row::get inlines down to one virtual call per column.
class RowsImpl {
 public:
  virtual ~RowsImpl() = default;

  virtual bool next() = 0;  // true when a row is current
  virtual int column_count() const = 0;
  virtual std::string_view column_name(int column) const = 0;
  virtual std::string_view column_decltype(int column) const = 0;
  // A column of the current row. Checks what the caller does not: a column out of
  // range throws libsql::Error (SQLITE_RANGE, see throw_column_out_of_range), and so
  // does reading without a current row (SQLITE_MISUSE). The implementation checks the
  // bounds because it often knows them for free (SQLite checks them anyway).
  virtual ValueView column(int column) const = 0;

  // The user is done with these rows. Implementations may recycle the object instead
  // of deleting it (a prepared statement reuses one per run).
  virtual void release() noexcept { delete this; }

 protected:
  // The error for a column out of range, worded the same by every implementation.
  [[noreturn]] static void throw_column_out_of_range(int column, int column_count);
};

// Hands rows back to their implementation (see RowsImpl::release).
struct RowsRelease {
  void operator()(RowsImpl* rows) const noexcept { rows->release(); }
};
using RowsPtr = std::unique_ptr<RowsImpl, RowsRelease>;

}  // namespace client

class Row {
 public:
  int column_count() const;
  std::string_view column_name(int column) const;
  ValueType column_type(int column) const;

  // The column as T, checked: a column of another type, or NULL where T is not a
  // std::optional, throws libsql::Error (SQLITE_MISMATCH) naming the column. T is one of
  // bool, any integer type (range-checked), float/double (INTEGER widens), std::string,
  // std::string_view, Blob, std::span<const std::uint8_t>, Value, ValueView, or
  // std::optional<T>.
  template <class T>
  T get(int column) const;

 private:
  friend class Rows;
  explicit Row(client::RowsImpl* rows) : rows_(rows) {}

  // The column, bounds-checked by the implementation; one virtual call per read.
  ValueView view(int column) const { return rows_->column(column); }
  std::int64_t integer(int column) const {
    const ValueView v = view(column);
    if (v.type() != ValueType::kInteger) throw_wrong_type(column, v.type(), ValueType::kInteger);
    return v.integer_value();
  }
  double real(int column) const {
    const ValueView v = view(column);
    if (v.type() == ValueType::kReal) return v.real_value();
    if (v.type() != ValueType::kInteger) throw_wrong_type(column, v.type(), ValueType::kReal);
    return static_cast<double>(v.integer_value());
  }
  std::string_view text(int column) const {
    const ValueView v = view(column);
    if (v.type() != ValueType::kText) throw_wrong_type(column, v.type(), ValueType::kText);
    return v.text_value();
  }
  std::span<const std::uint8_t> blob(int column) const {
    const ValueView v = view(column);
    if (v.type() != ValueType::kBlob) throw_wrong_type(column, v.type(), ValueType::kBlob);
    return v.blob_value();
  }
  [[noreturn]] void throw_wrong_type(int column, ValueType actual, ValueType wanted) const;
  [[noreturn]] void throw_out_of_range(int column, std::int64_t value, std::int64_t min,
                                       std::uint64_t max) const;

  client::RowsImpl* rows_;
};

// Inline down to the implementation's virtual calls: a point query runs every one of
// these once.
class Rows {
 public:
  explicit Rows(client::RowsPtr impl) noexcept : impl_(std::move(impl)), row_(impl_.get()) {}
  Rows(Rows&& other) noexcept : impl_(std::move(other.impl_)), row_(other.row_) {}
  Rows& operator=(Rows&& other) noexcept {
    impl_ = std::move(other.impl_);
    row_ = other.row_;
    return *this;
  }
  ~Rows() = default;

  // Moves to the next row: returns it, or nullptr after the last one. Errors met while
  // running the statement (constraints, busy, ...) are thrown here.
  const Row* next() { return impl_->next() ? &row_ : nullptr; }

  int column_count() const;
  std::string_view column_name(int column) const;
  std::string_view column_decltype(int column) const;  // "" for expressions

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = const Row*;
    using reference = const Row&;

    iterator() = default;
    reference operator*() const { return *row_; }
    pointer operator->() const { return row_; }
    iterator& operator++() {
      row_ = rows_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.row_ == b.row_; }

   private:
    friend class Rows;
    iterator(Rows* rows, const Row* row) : rows_(rows), row_(row) {}
    Rows* rows_ = nullptr;
    const Row* row_ = nullptr;
  };
  // Single pass: begin() reads the first row.
  iterator begin() { return iterator(this, next()); }
  iterator end() { return iterator(this, nullptr); }

 private:
  client::RowsPtr impl_;
  Row row_;
};

namespace detail {
template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;
template <class>
inline constexpr bool kUnsupportedColumnType = false;
}  // namespace detail

template <class T>
T Row::get(int column) const {
  if constexpr (detail::kIsOptional<T>) {
    if (view(column).type() == ValueType::kNull) return std::nullopt;
    return get<typename T::value_type>(column);
  } else if constexpr (std::same_as<T, Value>) {
    return view(column).to_value();
  } else if constexpr (std::same_as<T, ValueView>) {
    return view(column);
  } else if constexpr (std::same_as<T, bool>) {
    return integer(column) != 0;
  } else if constexpr (std::integral<T>) {
    const std::int64_t v = integer(column);
    if constexpr (!std::same_as<T, std::int64_t>) {
      if (!std::in_range<T>(v)) {
        throw_out_of_range(column, v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
      }
    }
    return static_cast<T>(v);
  } else if constexpr (std::floating_point<T>) {
    return static_cast<T>(real(column));
  } else if constexpr (std::same_as<T, std::string>) {
    return std::string(text(column));
  } else if constexpr (std::same_as<T, std::string_view>) {
    return text(column);
  } else if constexpr (std::same_as<T, Blob>) {
    const auto bytes = blob(column);
    return Blob(bytes.begin(), bytes.end());
  } else if constexpr (std::same_as<T, std::span<const std::uint8_t>>) {
    return blob(column);
  } else {
    static_assert(detail::kUnsupportedColumnType<T>, "Row::get does not read this type");
  }
}

}  // namespace libsql
