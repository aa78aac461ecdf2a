// statement.cc: prepared statements over sqlite3_stmt.

#include "engine/statement.h"

#include <sqlite3.h>

#include <charconv>
#include <string>
#include <type_traits>

#include "engine/connection.h"
#include "engine/sqlite_error.h"
#include "engine/sqlite_internals.h"
#include "libsql/error.h"

namespace libsql::engine {

namespace {

// SQLite's storage classes in ValueType order, checked once at compile time.
constexpr ValueType kTypeOfSqliteType[] = {ValueType::kNull, ValueType::kInteger, ValueType::kReal,
                                           ValueType::kText, ValueType::kBlob,    ValueType::kNull};
static_assert(SQLITE_INTEGER == 1 && SQLITE_FLOAT == 2 && SQLITE_TEXT == 3 && SQLITE_BLOB == 4 &&
              SQLITE_NULL == 5);
// Statement::read_column copies a libsql_column into a ValueView: bit_cast checks that
// the sizes agree, sqlite_internals_test.cc that every field lands where it belongs.
static_assert(std::is_trivially_copyable_v<ValueView> && std::is_standard_layout_v<ValueView> &&
              sizeof(ValueType) == sizeof(int));
static_assert(LIBSQL_COLUMN_NULL == static_cast<int>(ValueType::kNull) &&
              LIBSQL_COLUMN_INTEGER == static_cast<int>(ValueType::kInteger) &&
              LIBSQL_COLUMN_REAL == static_cast<int>(ValueType::kReal) &&
              LIBSQL_COLUMN_TEXT == static_cast<int>(ValueType::kText) &&
              LIBSQL_COLUMN_BLOB == static_cast<int>(ValueType::kBlob));

const ValueView* find_named(std::span<const NamedValueView> named, std::string_view parameter) {
  for (const auto& nv : named) {
    if (nv.name == parameter) return &nv.value;
  }
  // A value named without its prefix serves `:x`, `@x` and `$x` alike (as sqld binds).
  const std::string_view bare = parameter.substr(1);
  for (const auto& nv : named) {
    if (nv.name == bare) return &nv.value;
  }
  return nullptr;
}

// `?NNN` names positional value NNN; anything unparsable finds no value.
const ValueView* find_numbered(std::span<const ValueView> positional, std::string_view parameter) {
  std::size_t number = 0;
  const auto digits = parameter.substr(1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (ec != std::errc() || end != digits.data() + digits.size() || number == 0 ||
      number > positional.size()) {
    return nullptr;
  }
  return &positional[number - 1];
}

// Inlined into the binding loops: a call per parameter is measurable on hot inserts.
[[gnu::always_inline]] inline int bind_value(sqlite3_stmt* stmt, int index, const ValueView& value,
                                             Statement::Lifetime lifetime) {
  const auto destructor = lifetime == Statement::Lifetime::kCopy ? SQLITE_TRANSIENT : SQLITE_STATIC;
  switch (value.type()) {
    case ValueType::kNull:
      return sqlite3_bind_null(stmt, index);
    case ValueType::kInteger:
      return sqlite3_bind_int64(stmt, index, value.integer_value());
    case ValueType::kReal:
      return sqlite3_bind_double(stmt, index, value.real_value());
    case ValueType::kText: {
      const std::string_view text = value.text_value();
      return sqlite3_bind_text64(stmt, index, text.data(), text.size(), destructor, SQLITE_UTF8);
    }
    case ValueType::kBlob: {
      const auto blob = value.blob_value();
      // An empty blob may have a null data(), which SQLite would bind as NULL.
      return blob.empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                          : sqlite3_bind_blob64(stmt, index, blob.data(), blob.size(), destructor);
    }
  }
  return SQLITE_MISUSE;
}

}  // namespace

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    stepped_ = other.stepped_;
    parameter_names_ = other.parameter_names_;
    parameter_count_ = other.parameter_count_;
    action_ = std::move(other.action_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::throw_error(int rc) const { throw_sqlite_error(sqlite3_db_handle(stmt_), rc); }

void Statement::bind(const ParamsView& params, Lifetime lifetime) {
  if (!bind_in_order(params, lifetime)) bind_by_name(params, lifetime);
}

// The common case, inlined into bind() and run_to_completion(): only `?` parameters,
// each taking the value in its position. False, binding nothing, when the values must
// be matched by name (or are the wrong number, which bind_by_name reports).
[[gnu::always_inline]] inline bool Statement::bind_in_order(const ParamsView& params,
                                                            Lifetime lifetime) {
  if (parameter_names_ == ParameterNames::kUnknown) [[unlikely]] {
    learn_parameters();
  }
  const auto positional = params.positional;
  if (parameter_names_ != ParameterNames::kNone || !params.named.empty() ||
      positional.size() != static_cast<std::size_t>(parameter_count_)) [[unlikely]] {
    return false;
  }
  int index = 0;
  for (const ValueView& value : positional) {
    const int rc = bind_value(stmt_, ++index, value, lifetime);
    if (rc != SQLITE_OK) throw_error(rc);
  }
  return true;
}

void Statement::bind_by_name(const ParamsView& params, Lifetime lifetime) {
  const auto positional = params.positional;
  const int count = parameter_count_;
  const std::size_t given = positional.size() + params.named.size();
  if (given > static_cast<std::size_t>(count)) {
    throw Error(PrimaryCode::kRange, "too many parameters, expected " + std::to_string(count) +
                                         " found " + std::to_string(given));
  }
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt_, i);
    const ValueView* value = nullptr;
    if (name == nullptr) {
      if (static_cast<std::size_t>(i) <= positional.size()) value = &positional[i - 1];
    } else if (name[0] == '?') {
      value = find_numbered(positional, name);
    } else {
      value = find_named(params.named, name);
    }
    if (value == nullptr) {
      if (!is_explain()) {
        throw Error(
            PrimaryCode::kRange,
            "value for parameter " + (name ? std::string(name) : std::to_string(i)) + " not found");
      }
      // EXPLAIN only shows the plan, so it runs without values, as sqld allows. Bind
      // NULL anyway: no earlier run's borrowed value may stay bound.
      sqlite3_bind_null(stmt_, i);
      continue;
    }
    bind(i, *value, lifetime);
  }
}

void Statement::learn_parameters() noexcept {
  parameter_count_ = sqlite3_bind_parameter_count(stmt_);
  parameter_names_ = ParameterNames::kNone;
  for (int i = 1; i <= parameter_count_; ++i) {
    if (sqlite3_bind_parameter_name(stmt_, i) != nullptr) {
      parameter_names_ = ParameterNames::kSome;
      break;
    }
  }
}

void Statement::bind(int index, ValueView value, Lifetime lifetime) {
  const int rc = bind_value(stmt_, index, value, lifetime);
  if (rc != SQLITE_OK) throw_error(rc);
}

void Statement::clear_bindings() noexcept { sqlite3_clear_bindings(stmt_); }

bool Statement::step() {
  if (action_ && !stepped_) [[unlikely]] {
    stepped_ = true;  // a failed action still leaves the statement to reset
    run_action();
  }
  stepped_ = true;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail_step(rc);
}

// Out of line and cold, so that step() itself stays a few instructions around
// sqlite3_step().
[[gnu::cold, gnu::noinline]] void Statement::fail_step(int rc) {
  Error error = sqlite_error(sqlite3_db_handle(stmt_), rc);
  // Resetting releases the statement's locks, so a failed statement never keeps a
  // read or write transaction open behind the caller's back.
  sqlite3_reset(stmt_);
  stepped_ = false;
  throw error;
}

std::uint64_t Statement::run_to_completion(const ParamsView& params) {
  reset();
  // The run ends inside this call, so `params` outlive it: no copies. The next run
  // binds every parameter again before it steps, so nothing reads them afterwards.
  if (!bind_in_order(params, Lifetime::kBorrow)) bind_by_name(params, Lifetime::kBorrow);
  stepped_ = true;
  if (action_) [[unlikely]] {
    run_action();
  }
  int rc;
  do {
    rc = sqlite3_step(stmt_);
  } while (rc == SQLITE_ROW);
  if (rc != SQLITE_DONE) fail_step(rc);  // resets
  const std::uint64_t changes = changes_of_run();
  rewind();
  return changes;
}

[[gnu::cold, gnu::noinline]] void Statement::run_action() {
  Connection connection = Connection::borrow(sqlite3_db_handle(stmt_));
  action_->run(connection);
}

void Statement::rewind() noexcept {
  sqlite3_reset(stmt_);
  stepped_ = false;
}

int Statement::parameter_count() const noexcept { return sqlite3_bind_parameter_count(stmt_); }

std::string_view Statement::parameter_name(int index) const noexcept {
  const char* name = sqlite3_bind_parameter_name(stmt_, index);
  return name ? name : "";
}

int Statement::column_count() const noexcept { return sqlite3_column_count(stmt_); }

std::string_view Statement::column_name(int column) const noexcept {
  const char* name = sqlite3_column_name(stmt_, column);
  return name ? name : "";
}

std::string_view Statement::column_decltype(int column) const noexcept {
  const char* type = sqlite3_column_decltype(stmt_, column);
  return type ? type : "";
}

ValueType Statement::column_type(int column) const noexcept {
  return kTypeOfSqliteType[sqlite3_column_type(stmt_, column)];
}

std::int64_t Statement::column_integer(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_real(int column) const noexcept {
  return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::column_text(int column) const noexcept {
  // Text first, then its length: the documented order that avoids a conversion race.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string_view(text, static_cast<std::size_t>(size)) : std::string_view();
}

std::span<const std::uint8_t> Statement::column_blob(int column) const noexcept {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data ? std::span(data, static_cast<std::size_t>(size)) : std::span<const std::uint8_t>();
}

Value Statement::column_value(int column) const { return column_view(column).to_value(); }

std::int64_t Statement::fullscan_steps() const noexcept {
  return sqlite3_stmt_status(stmt_, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
}

bool Statement::is_readonly() const noexcept {
  // An action stands in for work that writes (a dialect's DDL): its SQLite program
  // (a no-op) does not speak for it.
  return !action_ && sqlite3_stmt_readonly(stmt_) != 0;
}

bool Statement::is_explain() const noexcept { return sqlite3_stmt_isexplain(stmt_) != 0; }

std::string_view Statement::sql() const noexcept {
  const char* sql = sqlite3_sql(stmt_);
  return sql ? sql : "";
}

}  // namespace libsql::engine
