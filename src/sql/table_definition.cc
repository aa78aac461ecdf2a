// table_definition.cc: implements table_definition.h after parse.y's create_table rules
// (SQLite 3.46.1) and libSQL's RANDOM table option.

#include "sql/table_definition.h"

#include <array>

#include "sql/token_cursor.h"

namespace libsql::sql {

namespace {

// Words that end a column's type and start one of its constraints.
constexpr std::array<std::string_view, 11> kConstraintStarts = {
    "CONSTRAINT", "PRIMARY", "NOT",        "NULL",      "UNIQUE", "CHECK",
    "DEFAULT",    "COLLATE", "REFERENCES", "GENERATED", "AS"};

// Words that start a table constraint rather than a column definition. None of them
// may name a column unquoted (they are not among parse.y's fallback identifiers).
constexpr std::array<std::string_view, 5> kTableConstraintStarts = {"CONSTRAINT", "PRIMARY",
                                                                    "UNIQUE", "CHECK", "FOREIGN"};

template <std::size_t N>
bool is_one_of(const TokenCursor& p, std::size_t index,
               const std::array<std::string_view, N>& words) {
  for (std::string_view word : words) {
    if (is_keyword(p.sql(), p.token(index), word)) return true;
  }
  return false;
}

// The column definition in tokens [first, last): name, type, constraints.
ColumnDefinition read_column(const TokenCursor& p, std::size_t first, std::size_t last) {
  ColumnDefinition column;
  column.name_token = p.token(first);
  column.name = dequote(column.name_token.text(p.sql()));
  column.end = p.token(last - 1).end();
  std::size_t i = first + 1;
  const std::size_t type_first = i;
  while (i < last && !is_one_of(p, i, kConstraintStarts)) {
    i = p.token(i).kind == TokenKind::kLeftParen ? p.group_end(i) + 1 : i + 1;
  }
  if (i > type_first) column.type = std::string(p.text(type_first, std::min(i, last)));
  for (; i < last; ++i) {
    const Token& token = p.token(i);
    if (token.kind == TokenKind::kLeftParen) {
      i = p.group_end(i);  // CHECK(...), DEFAULT(...), AS(...): nothing to read inside
      continue;
    }
    const auto keyword = [&](std::size_t at, std::string_view word) {
      return at < last && is_keyword(p.sql(), p.token(at), word);
    };
    if (keyword(i, "PRIMARY") && keyword(i + 1, "KEY")) {
      column.primary_key = true;
      column.primary_key_desc = keyword(i + 2, "DESC");
    } else if (keyword(i, "UNIQUE")) {
      column.unique = true;
    } else if (keyword(i, "AUTOINCREMENT")) {
      column.autoincrement = true;
    } else if (keyword(i, "AS") && i + 1 < last && p.token(i + 1).kind == TokenKind::kLeftParen) {
      column.generated = true;
    } else if (keyword(i, "STORED") && column.generated) {
      column.generated_stored = true;
    }
  }
  return column;
}

// Splits the column list (tokens strictly between `open` and `close`) at its top-level
// commas and reads each column definition; table constraints are skipped.
void read_columns(const TokenCursor& p, std::size_t open, std::size_t close,
                  TableDefinition& table) {
  for (const TokenCursor::Item& item : p.group_items(open, close)) {
    const TokenKind kind = p.token(item.first).kind;
    const bool named = kind == TokenKind::kIdentifier || kind == TokenKind::kQuotedIdentifier ||
                       kind == TokenKind::kString;
    if (named && !is_one_of(p, item.first, kTableConstraintStarts)) {
      table.columns.push_back(read_column(p, item.first, item.last));
    }
  }
}

// The options after the column list: option ("," option)*, where an option is
// WITHOUT nm, RANDOM nm (libSQL) or nm.
void read_options(TokenCursor& p, TableDefinition& table) {
  while (!p.at_end()) {
    const std::size_t first = p.position();
    TableOption option;
    option.offset = p.token(first).offset;
    const bool without = p.accept("WITHOUT");
    // libSQL's grammar reads RANDOM as its option's first word, so a name must follow.
    option.random = !without && p.accept("RANDOM");
    if (p.at_end()) {
      if (option.random) table.options.push_back(option);
      table.options_incomplete = true;
      return;
    }
    if (!p.peek_name()) {
      if (option.random) table.options.push_back(option);
      table.option_error = p.token(p.position());
      return;
    }
    const std::size_t word_index = p.position();
    p.seek(word_index + 1);
    option.word = std::string(p.token(word_index).text(p.sql()));  // as written
    option.end = p.token(word_index).end();
    if (without) {
      option.kind = equals_ignore_case(option.word, "ROWID") ? TableOptionKind::kWithoutRowid
                                                             : TableOptionKind::kUnknown;
    } else if (option.random) {
      option.kind = equals_ignore_case(option.word, "ROWID") ? TableOptionKind::kRandomRowid
                                                             : TableOptionKind::kUnknown;
    } else {
      option.kind = equals_ignore_case(option.word, "STRICT") ? TableOptionKind::kStrict
                                                              : TableOptionKind::kUnknown;
    }
    table.options.push_back(std::move(option));
    if (p.at_end()) return;
    if (!p.accept(TokenKind::kComma)) {
      table.option_error = p.token(p.position());
      return;
    }
    if (p.at_end()) table.options_incomplete = true;
  }
}

// True if the text between the column list's parentheses holds the marker as a comment
// at the list's own level.
bool has_marker(std::string_view sql, std::size_t open, std::size_t close) {
  std::size_t depth = 0;
  for (std::size_t offset = open + 1; offset < close;) {
    const Token token = next_token(sql, offset);
    offset = token.end();
    if (token.kind == TokenKind::kLeftParen) ++depth;
    if (token.kind == TokenKind::kRightParen && depth > 0) --depth;
    if (depth == 0 && token.kind == TokenKind::kBlockComment &&
        token.text(sql) == kRandomRowidMarker) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool TableDefinition::has_option(TableOptionKind kind) const noexcept {
  for (const TableOption& option : options) {
    if (option.kind == kind) return true;
  }
  return false;
}

bool TableDefinition::is_rowid_alias(const ColumnDefinition& column) const noexcept {
  return column.primary_key && !column.primary_key_desc &&
         equals_ignore_case(column.type, "INTEGER") && !has_option(TableOptionKind::kWithoutRowid);
}

const ColumnDefinition* TableDefinition::find_column(std::string_view name) const noexcept {
  for (const ColumnDefinition& column : columns) {
    if (equals_ignore_case(column.name, name)) return &column;
  }
  return nullptr;
}

std::optional<TableDefinition> read_table_definition(std::string_view statement) {
  const std::vector<Token> tokens = significant_tokens(statement);
  TokenCursor p(statement, tokens);
  TableDefinition table;
  if (!p.accept("CREATE")) return std::nullopt;
  table.temp = p.accept("TEMP") || p.accept("TEMPORARY");
  if (!p.accept("TABLE")) return std::nullopt;
  p.accept_if_exists(/*with_not=*/true);
  if (!p.qualified_name(table.schema_name, table.table_name)) return std::nullopt;
  if (!p.peek_kind(TokenKind::kLeftParen)) return std::nullopt;  // AS SELECT
  const std::size_t open = p.position();
  const std::size_t close = p.group_end(open);
  if (close == p.size()) return std::nullopt;
  table.list_open = p.token(open).offset;
  table.list_close = p.token(close).offset;
  read_columns(p, open, close, table);
  for (std::size_t i = open + 1; i < close; ++i) {
    // Not a name unquoted, so a bare AUTOINCREMENT anywhere in the list (a column's
    // PRIMARY KEY or a table's PRIMARY KEY(x AUTOINCREMENT)) is the keyword.
    if (is_keyword(statement, p.token(i), "AUTOINCREMENT")) table.autoincrement = true;
  }
  table.random_rowid_marker = has_marker(statement, table.list_open, table.list_close);
  p.seek(close + 1);
  read_options(p, table);
  return table;
}

}  // namespace libsql::sql
