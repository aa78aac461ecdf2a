// token_cursor.cc: implements the free functions of token_cursor.h.

#include "sql/token_cursor.h"

namespace libsql::sql {

std::vector<Token> significant_tokens(std::string_view sql) {
  std::vector<Token> tokens;
  for (std::size_t offset = 0; offset < sql.size();) {
    const Token token = next_token(sql, offset);
    offset = token.end();
    if (!is_trivia(token.kind)) tokens.push_back(token);
  }
  return tokens;
}

}  // namespace libsql::sql
