// tokenizer.cc: implements tokenizer.h. The rules are SQLite 3.46.1's (tokenize.c,
// sqlite3GetToken and its character classes; util.c, sqlite3DequoteNumber for '_'
// digit separators), restated here; the tests pin each one.

#include "sql/tokenizer.h"

#include <algorithm>
#include <array>

namespace libsql::sql {

namespace {

// The byte at `i`, or 0 past the end: SQLite reads a NUL-terminated string, so the end
// of the input and a NUL byte stop every scan alike.
class Input {
 public:
  explicit Input(std::string_view sql) noexcept : sql_(sql) {}
  unsigned char operator[](std::size_t i) const noexcept {
    return i < sql_.size() ? static_cast<unsigned char>(sql_[i]) : 0;
  }

 private:
  std::string_view sql_;
};

constexpr bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_hex_digit(unsigned char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool is_alpha(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// sqlite3Isspace: continues a run of whitespace. \v (0x0b) is space here but may not
// start a token (SQLite's class table calls it illegal).
constexpr bool is_space(unsigned char c) noexcept { return c == ' ' || (c >= 0x09 && c <= 0x0d); }

constexpr bool starts_space(unsigned char c) noexcept { return is_space(c) && c != 0x0b; }

// SQLite's IdChar(): may continue a bare word. '$' and every byte >= 0x80 count, so
// "a$b" and UTF-8 names (valid or not) are single words.
constexpr bool is_id_char(unsigned char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

// May start a bare word (letters, '_', and bytes >= 0x80; not digits, not '$').
constexpr bool starts_word(unsigned char c) noexcept {
  return is_alpha(c) || c == '_' || c >= 0x80;
}

constexpr Token make(TokenKind kind, std::size_t begin, std::size_t end) noexcept {
  return Token{kind, begin, end - begin};
}

// Runs of digits (hex digits if `hex`) and '_' separators from `i`; returns the end and
// notes whether a separator was seen.
std::size_t scan_digits(const Input& in, std::size_t i, bool hex, bool& separator) noexcept {
  for (;; ++i) {
    const unsigned char c = in[i];
    if (hex ? is_hex_digit(c) : is_digit(c)) continue;
    if (c != '_') return i;
    separator = true;
  }
}

// SQLite 3.46 allows '_' only between two digits (hex digits in a 0x number); anything
// else fails when the parser converts the number (sqlite3DequoteNumber).
bool separators_are_valid(const Input& in, std::size_t begin, std::size_t end, bool hex) noexcept {
  for (std::size_t i = begin; i < end; ++i) {
    if (in[i] != '_') continue;
    const auto digit = hex ? is_hex_digit : is_digit;
    if (i == begin || !digit(in[i - 1]) || i + 1 >= end || !digit(in[i + 1])) return false;
  }
  return true;
}

// A number starting at `begin` (a digit, or '.' followed by a digit).
Token scan_number(const Input& in, std::size_t begin) noexcept {
  bool separator = false;
  bool hex = false;
  TokenKind kind = TokenKind::kInteger;
  std::size_t i = begin;
  if (in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X') && is_hex_digit(in[i + 2])) {
    hex = true;
    i = scan_digits(in, i + 2, true, separator);
  } else {
    i = scan_digits(in, i, false, separator);
    if (in[i] == '.') {
      kind = TokenKind::kReal;
      i = scan_digits(in, i + 1, false, separator);
    }
    const unsigned char e = in[i];
    if ((e == 'e' || e == 'E') &&
        (is_digit(in[i + 1]) || ((in[i + 1] == '+' || in[i + 1] == '-') && is_digit(in[i + 2])))) {
      kind = TokenKind::kReal;
      i = scan_digits(in, i + 2, false, separator);
    }
  }
  // A number glued to a word ("12ab", "1e", "0x") is one illegal token.
  if (is_id_char(in[i])) {
    while (is_id_char(in[i])) ++i;
    return make(TokenKind::kIllegal, begin, i);
  }
  if (separator && !separators_are_valid(in, begin, i, hex)) kind = TokenKind::kIllegal;
  return make(kind, begin, i);
}

// "'...'", "\"...\"" or "`...`" from `begin`, a doubled quote standing for itself.
Token scan_quoted(const Input& in, std::size_t begin) noexcept {
  const unsigned char quote = in[begin];
  const bool string = quote == '\'';
  for (std::size_t i = begin + 1;; ++i) {
    const unsigned char c = in[i];
    if (c == 0) {
      return make(string ? TokenKind::kUnterminatedString : TokenKind::kUnterminatedIdentifier,
                  begin, i);
    }
    if (c != quote) continue;
    if (in[i + 1] != quote) {
      return make(string ? TokenKind::kString : TokenKind::kQuotedIdentifier, begin, i + 1);
    }
    ++i;
  }
}

// A parameter from `begin` (at '$', '@', '#' or ':'): a name of word characters, where
// "::" may appear anywhere and a "(...)" suffix (no spaces inside) may end it: TCL's
// $ns::var(index). The name must not be empty.
Token scan_named_parameter(const Input& in, std::size_t begin) noexcept {
  std::size_t name_chars = 0;
  std::size_t i = begin + 1;
  for (;;) {
    const unsigned char c = in[i];
    if (is_id_char(c)) {
      ++name_chars;
      ++i;
    } else if (c == '(' && name_chars > 0) {
      ++i;
      while (in[i] != 0 && !is_space(in[i]) && in[i] != ')') ++i;
      if (in[i] != ')') return make(TokenKind::kIllegal, begin, i);
      return make(TokenKind::kParameter, begin, i + 1);
    } else if (c == ':' && in[i + 1] == ':') {
      i += 2;
    } else {
      break;
    }
  }
  return make(name_chars > 0 ? TokenKind::kParameter : TokenKind::kIllegal, begin, i);
}

// x'...' from `begin`: hex digits, an even count, then the closing quote. A malformed one
// is illegal up to and including the next quote (or to the end).
Token scan_blob(const Input& in, std::size_t begin) noexcept {
  std::size_t i = begin + 2;
  while (is_hex_digit(in[i])) ++i;
  if (in[i] == '\'' && (i - begin) % 2 == 0) return make(TokenKind::kBlob, begin, i + 1);
  while (in[i] != 0 && in[i] != '\'') ++i;
  if (in[i] != 0) ++i;
  return make(TokenKind::kIllegal, begin, i);
}

Token scan_word(const Input& in, std::size_t begin) noexcept {
  std::size_t i = begin + 1;
  while (is_id_char(in[i])) ++i;
  return make(TokenKind::kIdentifier, begin, i);
}

// The 147 keywords of SQLite 3.46.1 (sqlite3_keyword_name), sorted for binary search.
constexpr std::array<std::string_view, 147> kSqliteKeywords = {
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
};

constexpr unsigned char to_upper(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<unsigned char>(c - 'a' + 'A') : c;
}

}  // namespace

std::string_view to_string(TokenKind kind) noexcept {
  switch (kind) {
    case TokenKind::kWhitespace:
      return "kWhitespace";
    case TokenKind::kLineComment:
      return "kLineComment";
    case TokenKind::kBlockComment:
      return "kBlockComment";
    case TokenKind::kIdentifier:
      return "kIdentifier";
    case TokenKind::kQuotedIdentifier:
      return "kQuotedIdentifier";
    case TokenKind::kString:
      return "kString";
    case TokenKind::kInteger:
      return "kInteger";
    case TokenKind::kReal:
      return "kReal";
    case TokenKind::kBlob:
      return "kBlob";
    case TokenKind::kParameter:
      return "kParameter";
    case TokenKind::kLeftParen:
      return "kLeftParen";
    case TokenKind::kRightParen:
      return "kRightParen";
    case TokenKind::kComma:
      return "kComma";
    case TokenKind::kSemicolon:
      return "kSemicolon";
    case TokenKind::kDot:
      return "kDot";
    case TokenKind::kOperator:
      return "kOperator";
    case TokenKind::kUnterminatedString:
      return "kUnterminatedString";
    case TokenKind::kUnterminatedIdentifier:
      return "kUnterminatedIdentifier";
    case TokenKind::kIllegal:
      return "kIllegal";
  }
  return "kUnknown";
}

Token next_token(std::string_view sql, std::size_t offset) noexcept {
  const Input in(sql);
  const std::size_t p = offset;
  const unsigned char c = in[p];
  const auto op = [p](std::size_t length) { return Token{TokenKind::kOperator, p, length}; };
  switch (c) {
    case '-':
      if (in[p + 1] == '-') {
        std::size_t i = p + 2;
        while (in[i] != 0 && in[i] != '\n') ++i;
        return make(TokenKind::kLineComment, p, i);
      }
      if (in[p + 1] == '>') return op(in[p + 2] == '>' ? 3 : 2);  // -> ->>
      return op(1);
    case '/': {
      // "/*" needs one more byte to open a comment: "/*" at the very end is '/' then '*'.
      if (in[p + 1] != '*' || in[p + 2] == 0) return op(1);
      std::size_t i = p + 2;
      while (in[i] != 0 && !(in[i] == '*' && in[i + 1] == '/')) ++i;
      return make(TokenKind::kBlockComment, p, in[i] == 0 ? i : i + 2);
    }
    case '(':
      return Token{TokenKind::kLeftParen, p, 1};
    case ')':
      return Token{TokenKind::kRightParen, p, 1};
    case ',':
      return Token{TokenKind::kComma, p, 1};
    case ';':
      return Token{TokenKind::kSemicolon, p, 1};
    case '+':
    case '*':
    case '%':
    case '&':
    case '~':
      return op(1);
    case '=':
      return op(in[p + 1] == '=' ? 2 : 1);
    case '<':
      return op(in[p + 1] == '=' || in[p + 1] == '>' || in[p + 1] == '<' ? 2 : 1);
    case '>':
      return op(in[p + 1] == '=' || in[p + 1] == '>' ? 2 : 1);
    case '!':
      if (in[p + 1] == '=') return op(2);
      return Token{TokenKind::kIllegal, p, 1};
    case '|':
      return op(in[p + 1] == '|' ? 2 : 1);
    case '\'':
    case '"':
    case '`':
      return scan_quoted(in, p);
    case '[': {
      std::size_t i = p + 1;
      while (in[i] != 0 && in[i] != ']') ++i;
      if (in[i] == 0) return make(TokenKind::kUnterminatedIdentifier, p, i);
      return make(TokenKind::kQuotedIdentifier, p, i + 1);
    }
    case '.':
      if (!is_digit(in[p + 1])) return Token{TokenKind::kDot, p, 1};
      return scan_number(in, p);
    case '?': {
      std::size_t i = p + 1;
      while (is_digit(in[i])) ++i;
      return make(TokenKind::kParameter, p, i);
    }
    case '$':
    case '@':
    case '#':
    case ':':
      return scan_named_parameter(in, p);
    case 'x':
    case 'X':
      if (in[p + 1] == '\'') return scan_blob(in, p);
      return scan_word(in, p);
    case 0xef:
      if (in[p + 1] == 0xbb && in[p + 2] == 0xbf) return Token{TokenKind::kWhitespace, p, 3};
      return scan_word(in, p);
    default:
      break;
  }
  if (starts_space(c)) {
    std::size_t i = p + 1;
    while (is_space(in[i])) ++i;
    return make(TokenKind::kWhitespace, p, i);
  }
  if (is_digit(c)) return scan_number(in, p);
  if (starts_word(c)) return scan_word(in, p);
  // NUL, other control bytes, \v first, and \ ] ^ { } DEL.
  return Token{TokenKind::kIllegal, p, 1};
}

std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  for (std::size_t offset = 0; offset < sql.size();) {
    tokens.push_back(next_token(sql, offset));
    offset = tokens.back().end();
  }
  return tokens;
}

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_upper(static_cast<unsigned char>(x)) ==
                  to_upper(static_cast<unsigned char>(y));
         });
}

bool is_keyword(std::string_view sql, const Token& token, std::string_view keyword) noexcept {
  return token.kind == TokenKind::kIdentifier && equals_ignore_case(token.text(sql), keyword);
}

bool is_sqlite_keyword(std::string_view word) noexcept {
  if (word.empty() || word.size() > 17) return false;  // CURRENT_TIMESTAMP is the longest
  char upper[17];
  for (std::size_t i = 0; i < word.size(); ++i) {
    upper[i] = static_cast<char>(to_upper(static_cast<unsigned char>(word[i])));
  }
  return std::binary_search(kSqliteKeywords.begin(), kSqliteKeywords.end(),
                            std::string_view(upper, word.size()));
}

std::string dequote(std::string_view text) {
  if (text.empty()) return std::string(text);
  char quote = text[0];
  if (quote == '[') {
    quote = ']';
  } else if (quote != '\'' && quote != '"' && quote != '`') {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] != quote) {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == quote) {
      out += quote;
      ++i;
    } else {
      break;
    }
  }
  return out;
}

}  // namespace libsql::sql
