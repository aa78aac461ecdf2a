// statement.h: a prepared statement, run many times with different parameters.
//
//   auto insert = conn.prepare("INSERT INTO users(name) VALUES (?)");
//   for (const auto& name : names) insert.execute({name});
//
// Running the statement again ends the Rows of its previous query: reading those
// afterwards throws libsql::Error (SQLITE_MISUSE) instead of returning another run's
// rows. A Statement keeps its connection alive.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "libsql/params.h"
#include "libsql/rows.h"

namespace libsql {

namespace client {

// The implementation side of Statement (see src/client/impl.h for the rest of the
// seam). Declared here so that running a statement inlines down to one virtual call.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;

  virtual std::uint64_t execute(ParamsView params) = 0;
  virtual RowsPtr query(ParamsView params) = 0;
  virtual void reset() = 0;

  virtual int column_count() const = 0;
  virtual std::string_view column_name(int column) const = 0;
  virtual std::string_view column_decltype(int column) const = 0;
  virtual int parameter_count() const = 0;
  virtual std::string_view parameter_name(int index) const = 0;
  virtual bool is_readonly() const = 0;
};

}  // namespace client

class Statement {
 public:
  explicit Statement(std::shared_ptr<client::StatementImpl> impl) : impl_(std::move(impl)) {}

  // Runs to completion, discarding any rows; returns the number of rows changed (0 for
  // statements that write nothing).
  std::uint64_t execute(const Params& params = {}) { return execute(params.view()); }
  std::uint64_t execute(std::initializer_list<ValueView> values) {
    return execute(ParamsView{values, {}});
  }
  std::uint64_t execute(std::initializer_list<NamedValueView> named) {
    return execute(ParamsView{{}, named});
  }
  std::uint64_t execute(ParamsView params) { return impl_->execute(params); }
  Rows query(const Params& params = {}) { return query(params.view()); }
  Rows query(std::initializer_list<ValueView> values) { return query(ParamsView{values, {}}); }
  Rows query(std::initializer_list<NamedValueView> named) { return query(ParamsView{{}, named}); }
  Rows query(ParamsView params) { return Rows(impl_->query(params)); }
  // Rewinds the statement, ending the Rows of its last query.
  void reset();

  int column_count() const;
  std::string_view column_name(int column) const;
  std::string_view column_decltype(int column) const;
  int parameter_count() const;
  std::string_view parameter_name(int index) const;  // 1-based; "" for `?`
  bool is_readonly() const;

 private:
  std::shared_ptr<client::StatementImpl> impl_;
};

}  // namespace libsql
