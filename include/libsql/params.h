// params.h: the values bound to a statement's parameters, by position or by name.
//
//   conn.execute("INSERT INTO t VALUES (?, ?)", {1, "one"});
//   conn.execute("INSERT INTO t VALUES (:id, :name)", {{":id", 1}, {":name", "one"}});
//
// A braced list binds as views of the caller's values (no copies); Params owns its
// values, for lists built at run time or kept around. A statement takes one kind or
// the other, never both. How values meet parameters (`?NNN`, names with or without
// their prefix) is described in engine/statement.h.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libsql/value.h"

namespace libsql {

struct NamedValue {
  std::string name;  // ":id", "@id", "$id", or "id" (matches any prefix)
  Value value;
};

struct NamedValueView {
  std::string_view name;
  ValueView value;
};

// Parameters borrowed for the length of one call: what binding reads.
struct ParamsView {
  std::span<const ValueView> positional;
  std::span<const NamedValueView> named;
};

class Params {
 public:
  Params() = default;
  Params(std::initializer_list<Value> positional) : positional_(positional) { index(); }
  Params(std::initializer_list<NamedValue> named) : named_(named) { index(); }
  Params(const Params& other) : positional_(other.positional_), named_(other.named_) { index(); }
  Params& operator=(const Params& other) {
    if (this != &other) *this = Params(other);
    return *this;
  }
  // Moving keeps every value where it is (only the vectors' buffers change hands), so
  // the views stay valid.
  Params(Params&&) noexcept = default;
  Params& operator=(Params&&) noexcept = default;

  static Params positional(std::vector<Value> values) {
    Params p;
    p.positional_ = std::move(values);
    p.index();
    return p;
  }
  static Params named(std::vector<NamedValue> values) {
    Params p;
    p.named_ = std::move(values);
    p.index();
    return p;
  }

  bool empty() const noexcept { return positional_.empty() && named_.empty(); }
  ParamsView view() const noexcept { return {positional_views_, named_views_}; }
  operator ParamsView() const noexcept { return view(); }

 private:
  void index() {
    positional_views_.assign(positional_.begin(), positional_.end());
    named_views_.clear();
    for (const auto& nv : named_) named_views_.push_back({nv.name, nv.value});
  }

  std::vector<Value> positional_;
  std::vector<NamedValue> named_;
  std::vector<ValueView> positional_views_;
  std::vector<NamedValueView> named_views_;
};

}  // namespace libsql
