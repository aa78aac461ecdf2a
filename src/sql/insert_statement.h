// insert_statement.h: the layout of an INSERT or REPLACE statement, read from its
// tokens: its target, its column list, where its rows come from (VALUES rows, a SELECT,
// DEFAULT VALUES) and where its upsert or RETURNING clause starts. The RANDOM ROWID
// rewrite (random_rowid.h) edits statements at these offsets.
//
// Must not: validate what SQLite validates (a statement it cannot read is nullopt and
// stays SQLite's to run or refuse), look at a schema, or include sqlite3.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::sql {

// A byte range [offset, end) of the statement.
struct TextRange {
  std::size_t offset = 0;
  std::size_t end = 0;
};

struct InsertStatement {
  std::string schema_name;  // dequoted; "" when not qualified
  std::string table_name;
  std::size_t target_end = 0;  // just past the table name, or past its AS alias

  bool has_columns = false;
  std::size_t columns_close = 0;     // offset of the ')' closing the column list
  std::vector<std::string> columns;  // dequoted, as listed

  enum class Source : std::uint8_t { kValues, kSelect, kDefaultValues };
  Source source = Source::kSelect;
  TextRange source_range;  // VALUES ..., the SELECT, or DEFAULT VALUES
  // kValues: each row's values, one range per expression.
  std::vector<std::vector<TextRange>> rows;
  // Where ON CONFLICT ... or RETURNING ... starts; the statement's length if neither.
  std::size_t tail = 0;
};

// The layout of `statement` (one statement, as split_statements() cuts it) if it is
// [WITH ...] INSERT [OR conflict] INTO / REPLACE INTO; nullopt otherwise.
std::optional<InsertStatement> read_insert_statement(std::string_view statement);

}  // namespace libsql::sql
