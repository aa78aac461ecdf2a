// function.h: scalar SQL functions written in C++, registered on one connection.
//
// SQLite calls a registered function on the thread running the statement that uses it;
// the function may run SQL on that same connection (SQLite allows nested statements),
// which it reaches through the Connection it is handed. An error it throws fails the
// calling statement with the error's code and message.
//
// Must not: hold the Connection it is handed beyond the call (it is borrowed), or be
// registered on a connection other threads use at the same time.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "libsql/value.h"

namespace libsql::engine {

class Connection;

class ScalarFunction {
 public:
  virtual ~ScalarFunction() = default;
  // The result of one call with `args` (views valid during the call only). Throw
  // libsql::Error to fail the statement.
  virtual Value call(Connection& connection, std::span<const ValueView> args) = 0;
};

struct FunctionOptions {
  int arity = -1;  // -1: any number of arguments
  // Same arguments, same result, within a statement: SQLite may then evaluate a call
  // once for many rows. Leave false for anything random or reading the database.
  bool deterministic = false;
};

// Registers `function` as `name` on `connection`, replacing a function of that name
// and arity. SQLite owns it from here and destroys it when the connection closes (or
// the name is registered again). Throws libsql::Error if SQLite refuses the name.
void create_function(Connection& connection, const std::string& name,
                     std::unique_ptr<ScalarFunction> function, FunctionOptions options = {});

}  // namespace libsql::engine
