// statement.h: one prepared SQLite statement, owned (finalized on destruction).
//
// Binds libsql::Value parameters, steps, and reads the current row's columns without
// copying. Not thread-safe: a statement belongs to its connection's thread of use.
// Must not outlive the Connection that prepared it.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "engine/dialect.h"
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
        parameter_names_(other.parameter_names_),
        parameter_count_(other.parameter_count_),
        action_(std::move(other.action_)) {}
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
  void bind(const ParamsView& params, Lifetime lifetime = Lifetime::kCopy);
  void bind(int index, ValueView value, Lifetime lifetime = Lifetime::kCopy);  // 1-based
  // Unbinds every parameter (they read as NULL), dropping any borrowed values.
  void clear_bindings() noexcept;

  // Makes this statement run `action` first whenever it steps after a reset (a
  // dialect's stand-in for work no single SQLite program does; see dialect.h).
  void set_action(std::shared_ptr<StatementAction> action) noexcept { action_ = std::move(action); }

  // Runs to the next row: true if a row is ready, false when done. Throws on error.
  bool step();
  // Rewinds so the statement can run again; bindings are kept. Free when the statement
  // has not stepped since the last reset; inline, since every run resets first.
  void reset() noexcept {
    if (stepped_) rewind();
  }
  // The rows the last run changed, once step() returned false: its count for an
  // INSERT, UPDATE or DELETE, 0 for any other statement (see sqlite_internals.h).
  std::uint64_t changes_of_run() const noexcept {
    return static_cast<std::uint64_t>(libsql_changes_of_run(stmt_));
  }
  // Runs the statement once, for its effect: rewinds it, binds `params` without copying
  // them (kBorrow: they only need to outlive this call), steps to the end discarding
  // any rows, and rewinds it again. Returns changes_of_run(). One call for the whole
  // run: on hot inserts every layer between the caller and SQLite is measurable.
  std::uint64_t run_to_completion(const ParamsView& params);

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
  // The column as a view; NULL without a current row or for a column out of range.
  // Inline: on scans this read is the hot path (see sqlite_internals.h).
  ValueView column_view(int column) const noexcept {
    ValueView value;
    read_column(column, value);
    return value;
  }
  // column_view() that also says whether the column exists: false (and NULL) without a
  // current row or for a column out of range, so callers need no bounds check of
  // their own.
  bool read_column(int column, ValueView& value) const noexcept {
    libsql_column raw;
    const bool found = libsql_read_column(stmt_, column, &raw) != 0;
    // libsql_column is laid out as ValueView: a copy, not a conversion per type.
    value = std::bit_cast<ValueView>(raw);
    return found;
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
  // Whether any parameter has a name (`:x`, `?NNN`).
  enum class ParameterNames : std::uint8_t { kUnknown, kNone, kSome };
  void learn_parameters() noexcept;
  bool bind_in_order(const ParamsView& params, Lifetime lifetime);
  void bind_by_name(const ParamsView& params, Lifetime lifetime);
  void rewind() noexcept;
  void run_action();
  [[noreturn]] void fail_step(int rc);
  [[noreturn]] void throw_error(int rc) const;

  sqlite3_stmt* stmt_;
  bool stepped_ = false;  // stepped since the last reset
  // Learned at the first bind, so binding asks SQLite nothing: both depend only on the
  // SQL text, which a re-prepare (after a schema change) keeps.
  ParameterNames parameter_names_ = ParameterNames::kUnknown;
  int parameter_count_ = 0;
  std::shared_ptr<StatementAction> action_;
};

}  // namespace libsql::engine
