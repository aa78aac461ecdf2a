// tokenizer.h: cuts SQL text into tokens exactly where SQLite 3.46's tokenizer
// (sqlite3GetToken in tokenize.c) cuts it. libSQL's dialect adds keywords, never new
// token shapes, so the same rules cover it.
//
// A token is {kind, offset, length} into the caller's text: nothing is copied, and
// Token::text() reads its bytes from that same text. Every byte of the input belongs to exactly one
// token, in order, whatever the bytes are (invalid UTF-8 and NUL included). Bytes SQLite
// would refuse become error tokens (is_error), never exceptions. Time is linear in the
// input; only tokenize() and dequote() allocate (their results). Every function is pure:
// any thread may call it at any time.
//
// Must not: know grammar or statements (statement.h does), decide what a keyword means
// (keywords are plain identifier tokens; ask is_keyword()), or include sqlite3.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::sql {

enum class TokenKind : std::uint8_t {
  kWhitespace,    // space, \t, \n, \f, \r (and \v, but not first), a UTF-8 BOM (EF BB BF)
  kLineComment,   // "--" up to, not including, the next \n or the end
  kBlockComment,  // "/* ... */", or "/*" plus at least one byte running to the end
                  // (SQLite accepts it unterminated; a bare "/*" at the end is '/' '*')
  kIdentifier,    // a bare word: a keyword or a name ([A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)
  kQuotedIdentifier,  // "name", `name` (doubled quote escapes itself), [name] (no escape)
  kString,            // 'text' ('' escapes a quote)
  kInteger,           // 42, 0x2A, 1_000 (a '_' must sit between two digits, hex digits after 0x)
  kReal,              // 1.5, 1., .5, 1e9, 1.5E-3, 1_0.2_5
  kBlob,              // x'0a1B' or X'' (an even number of hex digits)
  kParameter,         // ?, ?7, :name, @name, $name, #name, and TCL forms $a::b, $a(idx)
  kLeftParen,
  kRightParen,
  kComma,
  kSemicolon,
  kDot,
  kOperator,  // - + * / % & | ~ = == < <= <> << > >= >> != || -> ->>

  // Errors: SQLite refuses these ("unrecognized token"), so a statement holding one
  // never prepares.
  kUnterminatedString,      // ' with no closing quote: runs to the end (or a NUL)
  kUnterminatedIdentifier,  // " ` or [ with no closing quote or bracket: runs to the end
  kIllegal,  // anything else SQLite rejects: a stray byte (NUL, control, \ ^ ] { } !),
             // a malformed blob (x'abc', x'zz'), a number glued to a word (12ab, 0x),
             // a misplaced digit separator (1__0, 1_), a parameter without a name (":")
};

// The name of a kind, for messages and test output ("kString").
std::string_view to_string(TokenKind kind) noexcept;

// Whitespace and comments: SQLite skips them between tokens.
constexpr bool is_trivia(TokenKind kind) noexcept {
  return kind == TokenKind::kWhitespace || kind == TokenKind::kLineComment ||
         kind == TokenKind::kBlockComment;
}

// Tokens SQLite refuses: preparing a statement that holds one fails.
constexpr bool is_error(TokenKind kind) noexcept {
  return kind == TokenKind::kUnterminatedString || kind == TokenKind::kUnterminatedIdentifier ||
         kind == TokenKind::kIllegal;
}

struct Token {
  TokenKind kind = TokenKind::kIllegal;
  std::size_t offset = 0;  // byte offset of the first byte in the tokenized text
  std::size_t length = 0;  // in bytes; at least 1

  std::size_t end() const noexcept { return offset + length; }
  // The token's bytes; `sql` must be the text that was tokenized.
  std::string_view text(std::string_view sql) const noexcept { return sql.substr(offset, length); }

  friend bool operator==(const Token&, const Token&) = default;
};

// The token that starts at byte `offset` of `sql`. Requires offset < sql.size(). The
// result is never empty, so a loop over next_token() always advances.
//
// SQLite reads its input only up to the first NUL byte. A NUL here is therefore a
// one-byte kIllegal token, and it ends a string, quoted identifier or comment before it
// just as the end of the input would.
Token next_token(std::string_view sql, std::size_t offset) noexcept;

// All tokens of `sql`, trivia included: they cover the input exactly, in order.
std::vector<Token> tokenize(std::string_view sql);

// ASCII case-insensitive equality, as SQLite compares keywords and names: bytes >= 0x80
// must match exactly.
bool equals_ignore_case(std::string_view a, std::string_view b) noexcept;

// True if `token` (from `sql`) is the bare word `keyword`, in any case. Quoted
// identifiers and strings are never keywords: "select" is a name.
bool is_keyword(std::string_view sql, const Token& token, std::string_view keyword) noexcept;

// True if `word` is one of SQLite 3.46's 147 keywords (what sqlite3_keyword_check()
// answers), in any case. libSQL's extra words (RANDOM, READONLY, FUNCTION, LANGUAGE)
// are not among them: they fall back to plain identifiers there.
bool is_sqlite_keyword(std::string_view word) noexcept;

// The value of a quoted token, quotes removed and doubled quotes undoubled, as SQLite's
// sqlite3Dequote does: 'it''s' -> it's, "a""b" -> a"b, `a``b` -> a`b, [a b] -> a b.
// Text that does not start with a quote comes back unchanged.
std::string dequote(std::string_view text);

}  // namespace libsql::sql
