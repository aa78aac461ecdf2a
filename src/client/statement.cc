// statement.cc: implements include/libsql/statement.h over a StatementImpl.

#include "libsql/statement.h"

namespace libsql {

void Statement::reset() { impl_->reset(); }
int Statement::column_count() const { return impl_->column_count(); }
std::string_view Statement::column_name(int column) const { return impl_->column_name(column); }
std::string_view Statement::column_decltype(int column) const {
  return impl_->column_decltype(column);
}
int Statement::parameter_count() const { return impl_->parameter_count(); }
std::string_view Statement::parameter_name(int index) const { return impl_->parameter_name(index); }
bool Statement::is_readonly() const { return impl_->is_readonly(); }

}  // namespace libsql
