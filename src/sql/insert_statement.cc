// insert_statement.cc: implements insert_statement.h after parse.y's insert_cmd rules
// (SQLite 3.46.1).

#include "sql/insert_statement.h"

#include "sql/token_cursor.h"

namespace libsql::sql {

namespace {

// WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (select), ...
bool skip_with(TokenCursor& p) {
  if (!p.accept("WITH")) return true;
  p.accept("RECURSIVE");
  do {
    std::string cte;
    if (!p.name(cte)) return false;
    if (p.peek_kind(TokenKind::kLeftParen) && !p.skip_group()) return false;
    if (!p.accept("AS")) return false;
    if (p.accept("NOT") && !p.peek_keyword("MATERIALIZED")) return false;
    p.accept("MATERIALIZED");
    if (!p.skip_group()) return false;
  } while (p.accept(TokenKind::kComma));
  return true;
}

// The index of the first top-level token from `first` that starts the upsert (ON
// CONFLICT followed by '(' or DO, which a join's ON never is) or RETURNING; size() if
// none does.
std::size_t find_tail(const TokenCursor& p, std::size_t first) {
  std::size_t depth = 0;
  for (std::size_t i = first; i < p.size(); ++i) {
    const TokenKind kind = p.token(i).kind;
    if (kind == TokenKind::kLeftParen) ++depth;
    if (kind == TokenKind::kRightParen && depth > 0) --depth;
    if (depth != 0) continue;
    if (is_keyword(p.sql(), p.token(i), "RETURNING")) return i;
    if (is_keyword(p.sql(), p.token(i), "ON") && i + 2 < p.size() &&
        is_keyword(p.sql(), p.token(i + 1), "CONFLICT") &&
        (p.token(i + 2).kind == TokenKind::kLeftParen ||
         is_keyword(p.sql(), p.token(i + 2), "DO"))) {
      return i;
    }
  }
  return p.size();
}

// The expressions of the row whose '(' is token `open` and ')' token `close`.
std::vector<TextRange> row_values(const TokenCursor& p, std::size_t open, std::size_t close) {
  std::vector<TextRange> values;
  for (const TokenCursor::Item& item : p.group_items(open, close)) {
    values.push_back({p.token(item.first).offset, p.token(item.last - 1).end()});
  }
  return values;
}

// VALUES (row), (row), ... running exactly up to token `tail`: true and the rows, or
// false if anything else follows a row (a compound, ORDER BY, LIMIT: then the VALUES is
// a SELECT).
bool read_rows(const TokenCursor& p, std::size_t first, std::size_t tail,
               std::vector<std::vector<TextRange>>& rows) {
  std::size_t i = first + 1;  // past VALUES
  while (true) {
    if (i >= tail || p.token(i).kind != TokenKind::kLeftParen) return false;
    const std::size_t close = p.group_end(i);
    if (close >= tail) return false;
    rows.push_back(row_values(p, i, close));
    i = close + 1;
    if (i == tail) return true;
    if (p.token(i).kind != TokenKind::kComma) return false;
    ++i;
  }
}

}  // namespace

std::optional<InsertStatement> read_insert_statement(std::string_view statement) {
  const std::vector<Token> tokens = significant_tokens(statement);
  TokenCursor p(statement, tokens);
  if (!skip_with(p)) return std::nullopt;
  if (p.accept("INSERT")) {
    if (p.accept("OR") && !p.accept(TokenKind::kIdentifier)) return std::nullopt;
  } else if (!p.accept("REPLACE")) {
    return std::nullopt;
  }
  if (!p.accept("INTO")) return std::nullopt;

  InsertStatement insert;
  if (!p.qualified_name(insert.schema_name, insert.table_name)) return std::nullopt;
  if (p.accept("AS")) {
    std::string alias;
    if (!p.name(alias)) return std::nullopt;
  }
  insert.target_end = p.token(p.position() - 1).end();

  if (p.peek_kind(TokenKind::kLeftParen)) {
    insert.has_columns = true;
    const std::size_t close = p.group_end(p.position());
    if (close == p.size()) return std::nullopt;
    p.accept(TokenKind::kLeftParen);
    while (p.position() < close) {
      std::string column;
      if (!p.name(column)) return std::nullopt;
      insert.columns.push_back(std::move(column));
      if (p.position() < close && !p.accept(TokenKind::kComma)) return std::nullopt;
    }
    insert.columns_close = p.token(close).offset;
    p.seek(close + 1);
  }
  if (p.at_end()) return std::nullopt;

  const std::size_t first = p.position();
  if (p.peek_keyword("DEFAULT") && p.peek_keyword("VALUES", 1)) {
    insert.source = InsertStatement::Source::kDefaultValues;
    insert.source_range = {p.token(first).offset, p.token(first + 1).end()};
    const std::size_t tail = first + 2;
    insert.tail = tail < p.size() ? p.token(tail).offset : statement.size();
    return insert;
  }
  const std::size_t tail = find_tail(p, first);
  if (tail == first) return std::nullopt;
  insert.tail = tail < p.size() ? p.token(tail).offset : statement.size();
  insert.source_range = {p.token(first).offset, p.token(tail - 1).end()};
  if (p.peek_keyword("VALUES") && read_rows(p, first, tail, insert.rows)) {
    insert.source = InsertStatement::Source::kValues;
  } else {
    insert.rows.clear();
    insert.source = InsertStatement::Source::kSelect;
  }
  return insert;
}

}  // namespace libsql::sql
