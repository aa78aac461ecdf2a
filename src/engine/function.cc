// function.cc: the trampoline between SQLite's C function interface and ScalarFunction.

#include "engine/function.h"

#include <sqlite3.h>

#include <climits>
#include <vector>

#include "engine/connection.h"
#include "engine/sqlite_error.h"
#include "libsql/error.h"

namespace libsql::engine {

namespace {

// A view of one argument, valid while the call runs.
ValueView view_of(sqlite3_value* value) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      return ValueView(static_cast<std::int64_t>(sqlite3_value_int64(value)));
    case SQLITE_FLOAT:
      return ValueView(sqlite3_value_double(value));
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
      return ValueView(
          std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(value))));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const std::uint8_t*>(sqlite3_value_blob(value));
      return ValueView(std::span<const std::uint8_t>(
          data, static_cast<std::size_t>(sqlite3_value_bytes(value))));
    }
    default:
      return ValueView();
  }
}

void set_result(sqlite3_context* context, const Value& result) {
  switch (result.type()) {
    case ValueType::kNull:
      return sqlite3_result_null(context);
    case ValueType::kInteger:
      return sqlite3_result_int64(context, result.as_integer());
    case ValueType::kReal:
      return sqlite3_result_double(context, result.as_real());
    case ValueType::kText: {
      const std::string& text = result.as_text();
      return sqlite3_result_text64(context, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
    }
    case ValueType::kBlob: {
      const auto& blob = result.as_blob();
      return sqlite3_result_blob64(context, blob.data(), blob.size(), SQLITE_TRANSIENT);
    }
  }
}

void call_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  auto* function = static_cast<ScalarFunction*>(sqlite3_user_data(context));
  std::vector<ValueView> args;
  args.reserve(static_cast<std::size_t>(argc));
  for (int i = 0; i < argc; ++i) args.push_back(view_of(argv[i]));
  Connection connection = Connection::borrow(sqlite3_context_db_handle(context));
  try {
    set_result(context, function->call(connection, args));
  } catch (const Error& e) {
    const std::string message = e.what();
    sqlite3_result_error(context, message.c_str(), static_cast<int>(message.size()));
    sqlite3_result_error_code(context, e.code());
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context);
  } catch (const std::exception& e) {
    sqlite3_result_error(context, e.what(), -1);
  }
}

void destroy_function(void* function) { delete static_cast<ScalarFunction*>(function); }

}  // namespace

void create_function(Connection& connection, const std::string& name,
                     std::unique_ptr<ScalarFunction> function, FunctionOptions options) {
  int flags = SQLITE_UTF8;
  if (options.deterministic) flags |= SQLITE_DETERMINISTIC;
  // SQLite calls the destructor itself if registering fails.
  const int rc = sqlite3_create_function_v2(connection.handle(), name.c_str(), options.arity, flags,
                                            function.release(), call_function, nullptr, nullptr,
                                            destroy_function);
  if (rc != SQLITE_OK) throw_sqlite_error(connection.handle(), rc);
}

}  // namespace libsql::engine
