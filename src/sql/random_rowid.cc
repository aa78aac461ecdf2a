// random_rowid.cc: implements random_rowid.h.

#include "sql/random_rowid.h"

#include <algorithm>
#include <array>

#include "libsql/error.h"

namespace libsql::sql {

namespace {

[[noreturn]] void refuse(const std::string& message) { throw Error(PrimaryCode::kError, message); }

// Replaces `length` bytes at `offset` with `text`. Applied from the end of the statement
// backwards, so the offsets read from the original stay valid; edits at one offset land
// in the order they were listed.
struct Edit {
  std::size_t offset;
  std::size_t length;
  std::string text;
};

std::string apply(std::string_view statement, std::vector<Edit> edits) {
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  std::string out(statement);
  for (auto edit = edits.rbegin(); edit != edits.rend(); ++edit) {
    out.replace(edit->offset, edit->length, edit->text);
  }
  return out;
}

// The position in `columns` of the column that sets the rowid, if any.
std::optional<std::size_t> rowid_position(const std::vector<std::string>& columns,
                                          const RandomRowidTable& table) {
  static constexpr std::array<std::string_view, 3> kAliases = {"rowid", "_rowid_", "oid"};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (equals_ignore_case(columns[i], table.rowid_name)) return i;
    for (std::string_view alias : kAliases) {
      const bool shadowed =
          std::any_of(table.columns.begin(), table.columns.end(),
                      [&](const std::string& c) { return equals_ignore_case(c, alias); });
      if (!shadowed && equals_ignore_case(columns[i], alias)) return i;
    }
  }
  return std::nullopt;
}

std::string join_quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += quote_identifier(name);
  }
  return out;
}

bool rows_match(const InsertStatement& insert, std::size_t width) {
  return std::all_of(insert.rows.begin(), insert.rows.end(),
                     [&](const auto& row) { return row.size() == width; });
}

// The INSERT's rows already give the rowid at position `k`: a NULL there becomes random.
std::optional<std::string> wrap_given_rowid(std::string_view statement,
                                            const InsertStatement& insert, std::size_t width,
                                            std::size_t k, const std::string& call) {
  std::vector<Edit> edits;
  if (insert.source == InsertStatement::Source::kValues) {
    if (!rows_match(insert, width)) return std::nullopt;
    for (const auto& row : insert.rows) {
      edits.push_back({row[k].offset, 0, "coalesce("});
      edits.push_back({row[k].end, 0, ", " + call + ")"});
    }
    return apply(statement, std::move(edits));
  }
  // A SELECT's columns have no names to use: a CTE names them by position.
  std::string names;
  std::string picks;
  for (std::size_t i = 0; i < width; ++i) {
    const std::string name = "_libsql_c" + std::to_string(i);
    names += (i ? ", " : "") + name;
    picks += (i ? ", " : "") + (i == k ? "coalesce(" + name + ", " + call + ")" : name);
  }
  const TextRange source = insert.source_range;
  edits.push_back({source.offset, 0, "WITH _libsql_rows(" + names + ") AS ("});
  edits.push_back({source.end, 0, ") SELECT " + picks + " FROM _libsql_rows WHERE true"});
  return apply(statement, std::move(edits));
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string random_rowid_create_table(std::string_view statement, const TableDefinition& table) {
  if (table.options_incomplete) refuse("incomplete input");
  if (table.option_error) {
    refuse("near \"" + std::string(table.option_error->text(statement)) + "\": syntax error");
  }
  for (const TableOption& option : table.options) {
    if (option.random && option.kind != TableOptionKind::kRandomRowid) {
      refuse("unknown table option: " + option.word);
    }
  }
  if (table.autoincrement) refuse("AUTOINCREMENT not allowed on RANDOM ROWID tables");
  if (table.has_option(TableOptionKind::kWithoutRowid)) {
    refuse("RANDOM ROWID not allowed on WITHOUT ROWID tables");
  }
  return random_rowid_marker_form(statement, table);
}

std::string random_rowid_marker_form(std::string_view statement, const TableDefinition& table) {
  // Real libSQL ignores RANDOM ROWID on a WITHOUT ROWID table: such a table keeps none.
  const bool mark = !table.random_rowid_marker && !table.has_option(TableOptionKind::kWithoutRowid);
  std::string out(statement.substr(0, table.list_open + 1));
  if (mark) (out += kRandomRowidMarker) += ' ';
  out += statement.substr(table.list_open + 1, table.list_close - table.list_open);
  std::string separator = " ";
  for (const TableOption& option : table.options) {
    if (option.kind == TableOptionKind::kRandomRowid) continue;
    out += separator;
    out += statement.substr(option.offset, option.end - option.offset);
    separator = ", ";
  }
  return out;
}

std::optional<std::string> random_rowid_insert(std::string_view statement,
                                               const InsertStatement& insert,
                                               const RandomRowidTable& table) {
  const std::string call = std::string(kRandomRowidFunction) + "(" + quote_string(table.schema) +
                           ", " + quote_string(table.name) + ")";
  const TextRange source = insert.source_range;
  if (insert.source == InsertStatement::Source::kDefaultValues) {
    return apply(statement,
                 {{insert.target_end, 0, " (" + quote_identifier(table.rowid_name) + ")"},
                  {source.offset, source.end - source.offset, "VALUES (" + call + ")"}});
  }
  const std::vector<std::string>& columns = insert.has_columns ? insert.columns : table.columns;
  if (const auto k = rowid_position(columns, table)) {
    return wrap_given_rowid(statement, insert, columns.size(), *k, call);
  }

  // No rowid given: add one to the column list and to every row.
  std::vector<Edit> edits;
  const std::string rowid = quote_identifier(table.rowid_name);
  if (insert.has_columns) {
    edits.push_back({insert.columns_close, 0, ", " + rowid});
  } else {
    edits.push_back({insert.target_end, 0, " (" + join_quoted(table.columns) + ", " + rowid + ")"});
  }
  if (insert.source == InsertStatement::Source::kValues) {
    if (!rows_match(insert, columns.size())) return std::nullopt;
    for (const auto& row : insert.rows) edits.push_back({row.back().end, 0, ", " + call});
  } else {
    // WHERE true: an upsert after a SELECT needs a WHERE to parse (SQLite's rule).
    edits.push_back({source.offset, 0, "SELECT *, " + call + " FROM ("});
    edits.push_back({source.end, 0, ") WHERE true"});
  }
  return apply(statement, std::move(edits));
}

}  // namespace libsql::sql
