// rows.cc: implements include/libsql/rows.h over a RowsImpl, with the checked reads.

#include "libsql/rows.h"

#include <string>

#include "client/impl.h"
#include "libsql/error.h"

namespace libsql {

namespace {

std::string describe_column(const client::RowsImpl& rows, int column) {
  return "column " + std::to_string(column) + " (\"" + std::string(rows.column_name(column)) +
         "\")";
}

}  // namespace

void client::RowsImpl::throw_column_out_of_range(int column, int column_count) {
  throw Error(PrimaryCode::kRange, "column " + std::to_string(column) +
                                       " is out of range: the row has " +
                                       std::to_string(column_count) + " columns");
}

int Row::column_count() const { return rows_->column_count(); }

std::string_view Row::column_name(int column) const {
  view(column);  // bounds check
  return rows_->column_name(column);
}

ValueType Row::column_type(int column) const { return view(column).type(); }

void Row::throw_wrong_type(int column, ValueType actual, ValueType wanted) const {
  std::string message = describe_column(*rows_, column) + " is " + std::string(to_string(actual)) +
                        ", not " + std::string(to_string(wanted));
  if (actual == ValueType::kNull) message += "; read it as a std::optional to accept NULL";
  throw Error(PrimaryCode::kMismatch, message);
}

void Row::throw_out_of_range(int column, std::int64_t value, std::int64_t min,
                             std::uint64_t max) const {
  throw Error(PrimaryCode::kMismatch, describe_column(*rows_, column) + " holds " +
                                          std::to_string(value) +
                                          ", outside the requested type's range [" +
                                          std::to_string(min) + ", " + std::to_string(max) + "]");
}

int Rows::column_count() const { return impl_->column_count(); }
std::string_view Rows::column_name(int column) const { return impl_->column_name(column); }
std::string_view Rows::column_decltype(int column) const { return impl_->column_decltype(column); }

}  // namespace libsql
