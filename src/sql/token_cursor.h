// token_cursor.h: a cursor over one statement's tokens, trivia removed, with the few
// parsing steps src/sql's readers share (keywords, names, parenthesised groups).
//
// Must not: know any statement's grammar (statement.cc, table_definition.cc and the
// dialect's readers do), or own the tokens and text it walks (the caller keeps both
// alive while the cursor is used).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sql/tokenizer.h"

namespace libsql::sql {

class TokenCursor {
 public:
  TokenCursor(std::string_view sql, const std::vector<Token>& tokens) noexcept
      : sql_(sql), tokens_(tokens) {}

  bool at_end() const noexcept { return pos_ >= tokens_.size(); }
  std::size_t position() const noexcept { return pos_; }

  bool peek_kind(TokenKind kind, std::size_t ahead = 0) const noexcept {
    return pos_ + ahead < tokens_.size() && tokens_[pos_ + ahead].kind == kind;
  }
  bool peek_keyword(std::string_view keyword, std::size_t ahead = 0) const noexcept {
    return pos_ + ahead < tokens_.size() && is_keyword(sql_, tokens_[pos_ + ahead], keyword);
  }
  // Consumes the next token if it is `keyword` (or of `kind`).
  bool accept(std::string_view keyword) noexcept {
    if (!peek_keyword(keyword)) return false;
    ++pos_;
    return true;
  }
  bool accept(TokenKind kind) noexcept {
    if (!peek_kind(kind)) return false;
    ++pos_;
    return true;
  }
  // Consumes the next token if it is the operator `op`.
  bool accept_operator(std::string_view op) noexcept {
    if (!peek_kind(TokenKind::kOperator) || tokens_[pos_].text(sql_) != op) return false;
    ++pos_;
    return true;
  }
  // Consumes "IF NOT EXISTS" or "IF EXISTS" (`with_not` says which).
  void accept_if_exists(bool with_not) noexcept {
    const std::size_t n = with_not ? 3 : 2;
    if (peek_keyword("IF") && (!with_not || peek_keyword("NOT", 1)) &&
        peek_keyword("EXISTS", n - 1)) {
      pos_ += n;
    }
  }

  // A name: a bare word, a quoted identifier or a string (SQLite's "nm"), dequoted.
  bool peek_name(std::size_t ahead = 0) const noexcept {
    return peek_kind(TokenKind::kIdentifier, ahead) ||
           peek_kind(TokenKind::kQuotedIdentifier, ahead) || peek_kind(TokenKind::kString, ahead);
  }
  bool name(std::string& out) {
    if (!peek_name()) return false;
    out = dequote(tokens_[pos_++].text(sql_));
    return true;
  }
  // [schema "."] name.
  bool qualified_name(std::string& schema, std::string& object) {
    std::string first;
    if (!name(first)) return false;
    if (accept(TokenKind::kDot)) {
      schema = std::move(first);
      return name(object);
    }
    object = std::move(first);
    return true;
  }

  // Skips a parenthesised group and everything nested in it. False (and nothing
  // consumed) if the next token is not '(' or the group never closes.
  bool skip_group() noexcept {
    if (!peek_kind(TokenKind::kLeftParen)) return false;
    std::size_t depth = 0;
    for (std::size_t i = pos_; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == TokenKind::kLeftParen) ++depth;
      if (tokens_[i].kind == TokenKind::kRightParen && --depth == 0) {
        pos_ = i + 1;
        return true;
      }
    }
    return false;
  }

  // The index of the first token from here at parenthesis depth 0 that is `keyword`, or
  // the end.
  std::size_t find_keyword(std::string_view keyword) const noexcept {
    std::size_t depth = 0;
    for (std::size_t i = pos_; i < tokens_.size(); ++i) {
      const TokenKind kind = tokens_[i].kind;
      if (kind == TokenKind::kLeftParen) ++depth;
      if (kind == TokenKind::kRightParen && depth > 0) --depth;
      if (depth == 0 && is_keyword(sql_, tokens_[i], keyword)) return i;
    }
    return tokens_.size();
  }

  // The source text from token `first` through token `last` - 1 ("" if empty).
  std::string_view text(std::size_t first, std::size_t last) const noexcept {
    if (first >= last || last > tokens_.size()) return {};
    return sql_.substr(tokens_[first].offset, tokens_[last - 1].end() - tokens_[first].offset);
  }
  // If tokens [first, last) are one name token, its dequoted value; else "".
  std::string single_name(std::size_t first, std::size_t last) const {
    if (last != first + 1) return {};
    const TokenKind kind = tokens_[first].kind;
    if (kind != TokenKind::kIdentifier && kind != TokenKind::kQuotedIdentifier &&
        kind != TokenKind::kString) {
      return {};
    }
    return dequote(tokens_[first].text(sql_));
  }

  std::size_t size() const noexcept { return tokens_.size(); }
  void seek(std::size_t position) noexcept { pos_ = position; }
  // Token `index` (< size()), and the text it came from.
  const Token& token(std::size_t index) const noexcept { return tokens_[index]; }
  std::string_view sql() const noexcept { return sql_; }
  // The items of the group whose '(' is token `open` and ')' token `close`, cut at its
  // top-level commas: each a token range [first, last), never empty (an empty item, as
  // in "(a,,b)", is left out).
  struct Item {
    std::size_t first;
    std::size_t last;
  };
  std::vector<Item> group_items(std::size_t open, std::size_t close) const {
    std::vector<Item> items;
    std::size_t first = open + 1;
    for (std::size_t i = first; i <= close; ++i) {
      if (i < close && tokens_[i].kind == TokenKind::kLeftParen) {
        i = group_end(i);
        continue;
      }
      if (i < close && tokens_[i].kind != TokenKind::kComma) continue;
      if (i > first) items.push_back({first, i});
      first = i + 1;
    }
    return items;
  }
  // The index of the ')' that closes the '(' at token `open`, or size() if none does.
  std::size_t group_end(std::size_t open) const noexcept {
    std::size_t depth = 0;
    for (std::size_t i = open; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == TokenKind::kLeftParen) ++depth;
      if (tokens_[i].kind == TokenKind::kRightParen && --depth == 0) return i;
    }
    return tokens_.size();
  }

 private:
  std::string_view sql_;
  const std::vector<Token>& tokens_;
  std::size_t pos_ = 0;
};

// The tokens of `sql` other than whitespace and comments, in order.
std::vector<Token> significant_tokens(std::string_view sql);

}  // namespace libsql::sql
