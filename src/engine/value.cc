// value.cc: implements include/libsql/value.h (typed access and its errors).

#include "libsql/value.h"

#include <string>

#include "libsql/error.h"

namespace libsql {

namespace {

[[noreturn]] void throw_type_mismatch(ValueType wanted, ValueType actual) {
  throw Error(PrimaryCode::kMismatch, "value is " + std::string(to_string(actual)) + ", not " +
                                          std::string(to_string(wanted)));
}

}  // namespace

std::string_view to_string(ValueType type) noexcept {
  switch (type) {
    case ValueType::kNull:
      return "NULL";
    case ValueType::kInteger:
      return "INTEGER";
    case ValueType::kReal:
      return "REAL";
    case ValueType::kText:
      return "TEXT";
    case ValueType::kBlob:
      return "BLOB";
  }
  return "UNKNOWN";
}

std::int64_t Value::as_integer() const {
  if (const auto* v = std::get_if<std::int64_t>(&data_)) return *v;
  throw_type_mismatch(ValueType::kInteger, type());
}

double Value::as_real() const {
  if (const auto* v = std::get_if<double>(&data_)) return *v;
  throw_type_mismatch(ValueType::kReal, type());
}

const std::string& Value::as_text() const {
  if (const auto* v = std::get_if<std::string>(&data_)) return *v;
  throw_type_mismatch(ValueType::kText, type());
}

const Blob& Value::as_blob() const {
  if (const auto* v = std::get_if<Blob>(&data_)) return *v;
  throw_type_mismatch(ValueType::kBlob, type());
}

ValueView::ValueView(const Value& value) noexcept {
  switch (value.type()) {
    case ValueType::kNull:
      break;
    case ValueType::kInteger:
      *this = ValueView(value.as_integer());
      break;
    case ValueType::kReal:
      *this = ValueView(value.as_real());
      break;
    case ValueType::kText:
      *this = ValueView(std::string_view(value.as_text()));
      break;
    case ValueType::kBlob:
      *this = ValueView(value.as_blob());
      break;
  }
}

Value ValueView::to_value() const {
  switch (type_) {
    case ValueType::kNull:
      return Value();
    case ValueType::kInteger:
      return Value(integer_);
    case ValueType::kReal:
      return Value(real_);
    case ValueType::kText:
      return Value(text_value());
    case ValueType::kBlob: {
      const auto bytes = blob_value();
      return Value(Blob(bytes.begin(), bytes.end()));
    }
  }
  return Value();
}

void detail::throw_unsigned_overflow(std::uint64_t v) {
  throw Error(PrimaryCode::kMismatch,
              "integer " + std::to_string(v) + " does not fit SQLite's 64-bit signed INTEGER");
}

}  // namespace libsql
