// dialect.h: the seam through which a SQL dialect above the engine (src/sql's libSQL
// dialect) takes part in preparing statements, without the engine knowing its grammar.
//
// A Connection opened with a Dialect asks it for a per-connection Session right after
// opening, and from then on asks that session about every prepare: texts it may rewrite
// go to it, and it decides what SQLite prepares: the text as written
// (prepare_first_plain), a rewrite of it, or a stand-in statement whose work is a
// StatementAction run at its first step.
//
// Must not: know any SQL grammar (that is src/sql's), or be needed by a connection that
// has no dialect: such a connection prepares exactly what it is given.
#pragma once

#include <memory>
#include <string_view>

namespace libsql::engine {

class Connection;
struct PreparedPrefix;

// Work done in place of a SQLite program: the statement holding it runs it when it
// first steps after a reset, then steps its own (stand-in) program. It may run SQL on
// the connection it is given, which is the statement's own.
class StatementAction {
 public:
  virtual ~StatementAction() = default;
  virtual void run(Connection& connection) = 0;
};

class Dialect {
 public:
  // One connection's view of the dialect; owned by the connection, destroyed before it
  // closes.
  class Session {
   public:
    virtual ~Session() = default;
    // False when the dialect would prepare `script` exactly as written. Asked before
    // every prepare_first(), so it must be a few instructions for common statements; it
    // may say true when unsure.
    virtual bool may_rewrite(std::string_view script) const noexcept = 0;
    // Prepares the first statement of `script` as Connection::prepare_first() promises,
    // rewriting it if the dialect needs to.
    virtual PreparedPrefix prepare_first(Connection& connection, std::string_view script) = 0;
  };

  virtual ~Dialect() = default;
  // Called once per connection, after it is open and configured: may register
  // functions and bring the file's schema into a form SQLite reads. Throws
  // libsql::Error if the connection cannot be used with this dialect.
  virtual std::unique_ptr<Session> attach(Connection& connection) const = 0;
};

}  // namespace libsql::engine
