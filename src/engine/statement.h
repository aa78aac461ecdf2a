// statement.h: one prepared SQLite statement, owned (finalized on destruction).
//
// Binds libsql::Value parameters, steps, and reads the current row's columns without
// copying. Not thread-safe: a statement belongs to its connection's thread of use.
// Must not outlive the Connection that prepared it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "engine/sqlite_internals.h"
#include "libsql/params.h"
#include "libsql/value.h"

namespace libsql::engine {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)),
        stepped_(other.stepped_),
        parameter_names_(other.parameter_names_) {}
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds `params` to this statement's parameters, replacing earlier bindings. The
  // rules are sqld's, so a statement binds the same way locally and over Hrana:
  //   - `?NNN` takes positional value NNN (1-based); a bare `?` takes value i for
  //     parameter i;
  //   - `:x`, `@x`, `$x` take the named value called exactly that, else the one called
  //     `x`; positional values never satisfy named parameters;
  //   - more values than parameters ("too many parameters, expected 1 found 2"), or a
  //     parameter without a value ("value for parameter :x not found"; a bare `?` is
  //     named by its index), is an error (SQLITE_RANGE); EXPLAIN runs without values.
  //
  // kCopy lets the caller's values go right after binding (SQLite copies text and
  // blobs). kBorrow skips the copy: the values must outlive every step until the next
  // bind() or clear_bindings(). Every bind() sets every parameter (or throws before
  // any step can run), so a borrowed value never outlives its run unnoticed.
  enum class Lifetime { kCopy, kBorrow };
  void bind(ParamsView params, Lifetime lifetime = Lifetime::kCopy);
  void bind(int index, ValueView value, Lifetime lifetime = Lifetime::kCopy);  // 1-based
  // Unbinds every parameter (they read as NULL), dropping any borrowed values.
  void clear_bindings() noexcept;

  // Runs to the next row: true if a row is ready, false when done. Throws on error.
  bool step();
  // Rewinds so the statement can run again; bindings are kept. Free when the statement
  // has not stepped since the last reset.
  void reset() noexcept;

  int parameter_count() const noexcept;
  std::string_view parameter_name(int index) const noexcept;  // "" for `?`

  int column_count() const noexcept;
  std::string_view column_name(int column) const noexcept;
  // The declared type in the table definition, "" for expressions.
  std::string_view column_decltype(int column) const noexcept;

  // Current row accessors (valid after step() returned true, until the next step or
  // reset). Text and blob views point into SQLite's memory for the same span.
  ValueType column_type(int column) const noexcept;
  std::int64_t column_integer(int column) const noexcept;
  double column_real(int column) const noexcept;
  std::string_view column_text(int column) const noexcept;
  std::span<const std::uint8_t> column_blob(int column) const noexcept;
  // Inline: on scans this read is the hot path (see sqlite_internals.h).
  ValueView column_view(int column) const noexcept {
    libsql_column value;
    libsql_read_column(stmt_, column, &value);
    switch (value.type) {
      case LIBSQL_COLUMN_INTEGER:
        return ValueView(value.integer);
      case LIBSQL_COLUMN_REAL:
        return ValueView(value.real);
      case LIBSQL_COLUMN_TEXT:
        return ValueView(std::string_view(static_cast<const char*>(value.data),
                                          static_cast<std::size_t>(value.size)));
      case LIBSQL_COLUMN_BLOB:
        return ValueView(std::span(static_cast<const std::uint8_t*>(value.data),
                                   static_cast<std::size_t>(value.size)));
      default:
        return ValueView();
    }
  }
  Value column_value(int column) const;

  // How many rows full-table scans of this statement stepped through since the last
  // reset (SQLITE_STMTSTATUS_FULLSCAN_STEP).
  std::int64_t fullscan_steps() const noexcept;

  bool is_readonly() const noexcept;
  bool is_explain() const noexcept;
  std::string_view sql() const noexcept;
  sqlite3_stmt* handle() const noexcept { return stmt_; }

 private:
  // Whether any parameter has a name (`:x`, `?NNN`), learned at the first bind.
  enum class ParameterNames : std::uint8_t { kUnknown, kNone, kSome };
  ParameterNames find_parameter_names() const noexcept;
  [[noreturn]] void throw_error(int rc) const;

  sqlite3_stmt* stmt_;
  bool stepped_ = false;  // stepped since the last reset
  ParameterNames parameter_names_ = ParameterNames::kUnknown;
};

}  // namespace libsql::engine
